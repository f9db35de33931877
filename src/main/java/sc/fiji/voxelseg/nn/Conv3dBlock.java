package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;

/**
 * A 3D convolution on NCDHW tensors with a cubic kernel, PyTorch's {@code Conv3d}: weight
 * (out, in, k, k, k), optional bias (out). Weights start with He's normal initialisation (suited to
 * the ReLU/PReLU that follow).
 */
public final class Conv3dBlock extends NetBlock {

	private final int in, out, kernel, stride, padding;
	private final Parameter weight, bias;

	public Conv3dBlock(final int in, final int out, final int kernel, final int stride, final int padding, final boolean bias) {
		if (in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0) {
			throw new IllegalArgumentException("bad Conv3d " + in + "->" + out + " k" + kernel + " s" + stride + " p" + padding);
		}
		this.in = in;
		this.out = out;
		this.kernel = kernel;
		this.stride = stride;
		this.padding = padding;
		weight = addParameter(param("weight", Parameter.Type.WEIGHT, new Shape(out, in, kernel, kernel, kernel)));
		weight.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2));
		this.bias = bias ? addParameter(param("bias", Parameter.Type.BIAS, new Shape(out))) : null;
	}

	/** A "same" convolution: odd kernel, stride 1, padding k/2. */
	public static Conv3dBlock same(final int in, final int out, final int kernel, final boolean bias) {
		return new Conv3dBlock(in, out, kernel, 1, kernel / 2, bias);
	}

	public int inChannels() {
		return in;
	}

	public int outChannels() {
		return out;
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		final NDArray w = value(ps, weight, x, training);
		final NDArray b = bias == null ? null : value(ps, bias, x, training);
		return new NDList(conv(x, w, b));
	}

	/** This block's convolution of {@code x} with the given weight and bias (null for none). */
	private NDArray conv(final NDArray x, final NDArray w, final NDArray b) {
		return Conv3d.conv3d(x, w, b, new Shape(stride, stride, stride), new Shape(padding, padding, padding), new Shape(1, 1, 1)).head();
	}

	/**
	 * The convolution followed by the per-channel affine map {@code y ↦ scale·y + shift}, computed as
	 * one convolution with weight {@code scale·W} and bias {@code scale·b + shift}: inference-mode
	 * batch normalisation folded in, which saves a pass over the output.
	 */
	NDArray forwardAffine(final ParameterStore ps, final NDArray x, final NDArray scale, final NDArray shift) {
		final NDArray s5 = scale.reshape(out, 1, 1, 1, 1), w = value(ps, weight, x, false).mul(s5);
		final NDArray sb = bias == null ? null : value(ps, bias, x, false).mul(scale), b = sb == null ? shift : sb.add(shift);
		return release(conv(x, w, b), s5, w, sb, b == shift ? null : b, scale, shift);
	}

	/**
	 * The convolution applied at chosen positions: each row holds the input patch of one position,
	 * kernel-offset-major ({@code k³} offsets in (z, y, x) order, then the input channels), so the
	 * result is {@code rows · Wᵀ + b}, S × out, with W laid out to match.
	 *
	 * @param rows S × (k³ · in)
	 */
	NDArray forwardRows(final ParameterStore ps, final NDArray rows, final boolean training) {
		final NDArray w = value(ps, weight, rows, training);
		// (out, in, k, k, k) -> (out, k, k, k, in) -> (out, k³·in)
		final NDArray t = w.transpose(0, 2, 3, 4, 1), wm = t.reshape(out, (long) kernel * kernel * kernel * in), wt = wm.transpose();
		NDArray y = rows.matMul(wt);
		release(null, t, wm, wt);
		if (bias != null) {
			final NDArray b = value(ps, bias, rows, training);
			y = release(y.add(b), y);
		}
		return y;
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape s = inputShapes[0];
		return new Shape[] { new Shape(s.get(0), out, dim(s.get(2)), dim(s.get(3)), dim(s.get(4))) };
	}

	private long dim(final long n) {
		return (n + 2L * padding - kernel) / stride + 1;
	}
}
