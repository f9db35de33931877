package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * Batch normalisation of rows, PyTorch's {@code BatchNorm1d(features, eps=1e-5, affine)} in training
 * mode: input S × C, each column normalised by its mean and biased variance over the S rows,
 * {@code y = (x - mean) / sqrt(var + eps) · γ + β}. It always uses the statistics of the rows it
 * is given and keeps no running statistics: it serves the training-only voxel feature heads,
 * which never run in inference mode, so running statistics would be state without a reader.
 * Built from NDArray operations so that autograd sees every term, as in PyTorch.
 */
public final class BatchNorm1dBlock extends NetBlock {

	private static final float EPS = 1e-5f;
	private static final int[] ROWS = { 0 };

	private final int features;
	private final Parameter gamma, beta;

	/** @param affine learn γ (start 1) and β (start 0); without, {@code γ = 1, β = 0} */
	public BatchNorm1dBlock(final int features, final boolean affine) {
		if (features < 1) throw new IllegalArgumentException("bad BatchNorm1d of " + features + " features");
		this.features = features;
		if (affine) {
			gamma = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).optShape(new Shape(features))
				.optInitializer(Initializer.ONES).build());
			beta = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA).optShape(new Shape(features))
				.optInitializer(Initializer.ZEROS).build());
		}
		else {
			gamma = null;
			beta = null;
		}
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training,
		final PairList<String, Object> params)
	{
		final NDArray x = inputs.head();
		if (x.getShape().dimension() != 2 || x.getShape().get(1) != features) {
			throw new IllegalArgumentException("BatchNorm1d of " + features + " features needs S × " + features + " rows, got " + x
				.getShape());
		}
		final NDArray centred = x.sub(x.mean(ROWS, true));
		final NDArray var = centred.square().mean(ROWS, true);
		NDArray y = centred.div(var.add(EPS).sqrt());
		if (gamma != null) y = y.mul(value(ps, gamma, x, training)).add(value(ps, beta, x, training));
		return new NDList(y);
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return inputShapes;
	}
}
