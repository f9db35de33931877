package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * Convolution, normalisation and activation: the unit both networks are made of. The activation is
 * ReLU (U-Net) or a per-channel PReLU (VNet); {@link #forwardPreActivation} stops before it, for
 * VNet's residual stages that add the shortcut first.
 */
public final class ConvUnit extends NetBlock {

	/** The non-linearity after the normalisation. */
	public enum Activation {
		RELU, PRELU, NONE
	}

	private final Conv3dBlock conv;
	private final NetBlock norm;
	private final PReLUBlock prelu;
	private final Activation activation;

	public ConvUnit(final Conv3dBlock conv, final Norm norm, final Activation activation) {
		this.conv = addChildBlock("conv", conv);
		final NetBlock n = norm.block(conv.outChannels());
		this.norm = n == null ? null : addChildBlock("norm", n);
		this.activation = activation;
		this.prelu = activation == Activation.PRELU ? addChildBlock("act", new PReLUBlock(conv.outChannels())) : null;
	}

	/** A "same" convolution unit; the convolution has a bias only when there is no normalisation. */
	public static ConvUnit same(final int in, final int out, final int kernel, final Norm norm, final Activation act) {
		return new ConvUnit(Conv3dBlock.same(in, out, kernel, norm == Norm.NONE), norm, act);
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray pre = forwardPreActivation(ps, inputs.head(), training);
		return new NDList(release(activate(ps, pre, training), pre));
	}

	/**
	 * Convolution and normalisation, without the activation. In inference mode a batch
	 * normalisation is folded into the convolution's weights and bias (one pass over the output
	 * instead of two; the same values up to float rounding).
	 */
	public NDArray forwardPreActivation(final ParameterStore ps, final NDArray x, final boolean training) {
		if (!training && norm instanceof BatchNorm3dBlock bn) {
			final NDArray[] affine = bn.inferenceAffine(ps, x);
			return conv.forwardAffine(ps, x, affine[0], affine[1]);
		}
		return normalise(ps, conv.forward(ps, new NDList(x), training).head(), training);
	}

	/**
	 * The unit applied to the channel concatenation of {@code a} and {@code up(low)} without forming
	 * either (see {@link Conv3dBlock#forwardUpPair}); in inference mode a batch normalisation is
	 * folded into the convolution, as in {@link #forwardPreActivation}.
	 */
	public NDArray forwardUpPair(final ParameterStore ps, final NDArray a, final NDArray low, final ConvTranspose3dBlock up,
		final boolean training) {
		final NDArray pre;
		if (!training && norm instanceof BatchNorm3dBlock bn) {
			final NDArray[] affine = bn.inferenceAffine(ps, a);
			pre = conv.forwardUpPairAffine(ps, a, low, up, affine[0], affine[1]);
		}
		else pre = normalise(ps, conv.forwardUpPair(ps, a, low, up, training), training);
		return release(activate(ps, pre, training), pre);
	}

	/** The unit's normalisation of the convolution's output {@code y}, which it closes; {@code y} without one. */
	private NDArray normalise(final ParameterStore ps, final NDArray y, final boolean training) {
		return norm == null ? y : release(norm.forward(ps, new NDList(y), training).head(), y);
	}

	/** The unit's activation applied to {@code y}. */
	public NDArray activate(final ParameterStore ps, final NDArray y, final boolean training) {
		switch (activation) {
			case RELU:
				return y.getNDArrayInternal().relu();
			case PRELU:
				return prelu.forward(ps, new NDList(y), training).head();
			default:
				return y;
		}
	}

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		return onnxActivate(g, onnxPreActivation(g, x));
	}

	/** {@link #forwardPreActivation} in ONNX: a batch normalisation folded into the convolution. */
	public String onnxPreActivation(final OnnxGraph g, final String x) {
		if (norm instanceof BatchNorm3dBlock bn) {
			final float[][] a = bn.inferenceAffineValues();
			return conv.onnxAffine(g, x, a[0], a[1]);
		}
		final String y = conv.onnx(g, x);
		return norm == null ? y : norm.onnx(g, y);
	}

	/** {@link #activate} in ONNX. */
	public String onnxActivate(final OnnxGraph g, final String y) {
		switch (activation) {
			case RELU:
				return g.node("Relu", new String[] { y });
			case PRELU:
				return prelu.onnx(g, y);
			default:
				return y;
		}
	}

	public int outChannels() {
		return conv.outChannels();
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return conv.getOutputShapes(inputShapes);
	}
}
