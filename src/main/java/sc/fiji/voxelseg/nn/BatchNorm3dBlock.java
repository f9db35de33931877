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

	/**
	 * Inference-mode normalisation as a per-channel affine map {@code y = scale·x + shift}, with
	 * {@code scale = γ / sqrt(running_var + eps)} and {@code shift = β - running_mean·scale}, for
	 * folding into the preceding convolution (see {@link ConvUnit}).
	 *
	 * @return {scale, shift}, each of the channel count (the caller closes them)
	 */
	NDArray[] inferenceAffine(final ParameterStore ps, final NDArray x) {
		final NDArray v = value(ps, runningVar, x, false).add(EPS), sd = v.sqrt(), scale = value(ps, gamma, x, false).div(sd);
		final NDArray ms = value(ps, runningMean, x, false).mul(scale);
		final NDArray shift = value(ps, beta, x, false).sub(ms);
		release(null, v, sd, ms);
		return new NDArray[] { scale, shift };
	}

	/** {@link #inferenceAffine} as plain values, for export: {scale, shift}. */
	float[][] inferenceAffineValues() {
		final float[] g = values(gamma), b = values(beta), m = values(runningMean), v = values(runningVar);
		final float[] scale = new float[g.length], shift = new float[g.length];
		for (int c = 0; c < g.length; c++) {
			scale[c] = (float) (g[c] / Math.sqrt(v[c] + (double) EPS));
			shift[c] = b[c] - m[c] * scale[c];
		}
		return new float[][] { scale, shift };
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return inputShapes;
	}
}
