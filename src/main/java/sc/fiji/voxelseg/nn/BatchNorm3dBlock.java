package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * Batch normalisation over the channel axis of NCDHW tensors, PyTorch's {@code BatchNorm3d}
 * (eps 1e-5, momentum 0.1 in PyTorch's convention: running = 0.9 running + 0.1 batch). Training
 * uses the batch statistics and updates the running ones; inference uses the running ones.
 */
public final class BatchNorm3dBlock extends NetBlock {

	private static final float EPS = 1e-5f;
	/** DJL's momentum is PyTorch's 1 - momentum. */
	private static final float DJL_MOMENTUM = 0.9f;

	private final Parameter gamma, beta, runningMean, runningVar;

	public BatchNorm3dBlock(final int channels) {
		final Shape s = new Shape(channels);
		gamma = addParameter(param("weight", Parameter.Type.GAMMA, s));
		beta = addParameter(param("bias", Parameter.Type.BETA, s));
		runningMean = addParameter(Parameter.builder().setName("running_mean").setType(Parameter.Type.RUNNING_MEAN)
			.optShape(s).optRequiresGrad(false).optInitializer(Initializer.ZEROS).build());
		runningVar = addParameter(Parameter.builder().setName("running_var").setType(Parameter.Type.RUNNING_VAR)
			.optShape(s).optRequiresGrad(false).optInitializer(Initializer.ONES).build());
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		return BatchNorm.batchNorm(x, value(ps, runningMean, x, training), value(ps, runningVar, x, training),
			value(ps, gamma, x, training), value(ps, beta, x, training), 1, DJL_MOMENTUM, EPS, training);
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return inputShapes;
	}
}
