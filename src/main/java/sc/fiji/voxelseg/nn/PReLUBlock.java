package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * PyTorch's {@code PReLU(num_parameters)}: {@code y = max(0, x) + a · min(0, x)} with one learned
 * slope {@code a} (num_parameters 1) or one per channel of an NCDHW tensor, initialised to 0.25.
 * The DJL PyTorch engine has no {@code prelu}; this is two clamps and a multiply.
 */
public final class PReLUBlock extends NetBlock {

	private final int slopes;
	private final Parameter alpha;

	/** @param slopes 1 for one shared slope, or the channel count for one slope per channel */
	public PReLUBlock(final int slopes) {
		if (slopes < 1) throw new IllegalArgumentException("PReLU needs at least one slope");
		this.slopes = slopes;
		alpha = addParameter(param("weight", Parameter.Type.WEIGHT, new Shape(slopes)));
		alpha.setInitializer(new ConstantInitializer(0.25f));
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		return new NDList(apply(x, value(ps, alpha, x, training)));
	}

	/** {@code max(0,x) + a·min(0,x)}, {@code a} of one element or one per channel (axis 1). */
	public static NDArray apply(final NDArray x, final NDArray a) {
		final long n = a.getShape().size();
		final NDArray slope;
		if (n == 1) slope = a.reshape(new Shape());
		else {
			final long[] s = new long[x.getShape().dimension()];
			java.util.Arrays.fill(s, 1);
			s[1] = n;
			slope = a.reshape(new Shape(s));
		}
		return Scalars.maximum(x, 0).add(Scalars.minimum(x, 0).mul(slope));
	}

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		final float[] a = values(alpha);
		final String slope = slopes == 1 ? g.weight("prelu", a, 1) : g.weight("prelu", a, slopes, 1, 1, 1);
		return g.node("PRelu", new String[] { x, slope });
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return inputShapes;
	}

	public int slopes() {
		return slopes;
	}
}
