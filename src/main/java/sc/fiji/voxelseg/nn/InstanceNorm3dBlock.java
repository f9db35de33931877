package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.onnx.OnnxGraph;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * PyTorch's {@code InstanceNorm3d(channels, eps=1e-5, affine)}: each sample and channel of an NCDHW
 * tensor is normalised by its own spatial mean and biased variance,
 * {@code y = (x - mean) / sqrt(var + eps) · γ + β}, in training and inference alike (no running
 * statistics, PyTorch's default). Built from sums because the engine has no multi-axis mean.
 */
public final class InstanceNorm3dBlock extends NetBlock {

	private static final float EPS = 1e-5f;
	private static final int[] SPATIAL = { 2, 3, 4 };

	private final Parameter gamma, beta;

	public InstanceNorm3dBlock(final int channels, final boolean affine) {
		if (affine) {
			gamma = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA)
				.optShape(new Shape(channels)).optInitializer(Initializer.ONES).build());
			beta = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA)
				.optShape(new Shape(channels)).optInitializer(Initializer.ZEROS).build());
		}
		else {
			gamma = null;
			beta = null;
		}
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		return new NDList(apply(x, gamma == null ? null : value(ps, gamma, x, training), beta == null ? null : value(ps, beta, x, training)));
	}

	/** Instance normalisation with optional per-channel γ and β. */
	public static NDArray apply(final NDArray x, final NDArray g, final NDArray b) {
		final Shape s = x.getShape();
		final float count = s.get(2) * s.get(3) * s.get(4);
		final NDArray mean = Scalars.div(x.sum(SPATIAL, true), count);
		final NDArray centred = x.sub(mean);
		final NDArray var = Scalars.div(centred.square().sum(SPATIAL, true), count);
		NDArray y = centred.div(var.add(EPS).sqrt());
		final long c = s.get(1);
		if (g != null) y = y.mul(g.reshape(1, c, 1, 1, 1));
		if (b != null) y = y.add(b.reshape(1, c, 1, 1, 1));
		return y;
	}

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		final float[] scale = gamma == null ? null : values(gamma), shift = beta == null ? null : values(beta);
		final int c = scale != null ? scale.length : shift != null ? shift.length : -1;
		if (c < 0) throw new UnsupportedOperationException("instance normalisation without affine parameters has no ONNX form here");
		return g.node("InstanceNormalization", new String[] { x, g.weight("in_scale", scale, c), g.weight("in_shift", shift, c) },
			OnnxGraph.Attribute.of("epsilon", EPS));
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return inputShapes;
	}
}
