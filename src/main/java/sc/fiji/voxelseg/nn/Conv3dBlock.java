package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

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

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		return onnxAffine(g, x, null, null);
	}

	/**
	 * The convolution followed by the per-channel affine map {@code scale·y + shift} (a folded
	 * inference-mode batch normalisation; both null for none), as one ONNX {@code Conv} whose weights
	 * and bias hold the fold.
	 */
	String onnxAffine(final OnnxGraph g, final String x, final float[] scale, final float[] shift) {
		final float[] w = values(weight);
		final float[] b = bias == null ? new float[out] : values(bias);
		if (scale != null) {
			final int per = w.length / out;
			for (int o = 0; o < out; o++) {
				for (int i = 0; i < per; i++) w[o * per + i] *= scale[o];
				b[o] = b[o] * scale[o] + shift[o];
			}
		}
		final boolean withBias = bias != null || scale != null;
		final String wn = g.weight("conv_w", w, out, in, kernel, kernel, kernel);
		final String[] inputs = withBias ? new String[] { x, wn, g.weight("conv_b", b, out) } : new String[] { x, wn };
		return g.node("Conv", inputs, OnnxGraph.Attribute.ints("kernel_shape", kernel, kernel, kernel),
			OnnxGraph.Attribute.ints("strides", stride, stride, stride),
			OnnxGraph.Attribute.ints("pads", padding, padding, padding, padding, padding, padding));
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

	/**
	 * The convolution of the channel concatenation of {@code a} and {@code b} ({@code a}'s channels
	 * first, as {@code torch.cat((a, b), 1)}), without forming it: {@code a} convolved with the
	 * weight's first input channels plus {@code b} convolved with the rest, the second sum added in
	 * place into the first. In training, autograd then keeps {@code a} and {@code b} for the
	 * backward pass where it would keep the concatenation, a copy of both.
	 */
	public NDArray forwardPair(final ParameterStore ps, final NDArray a, final NDArray b, final boolean training) {
		return pairSum(ps, a, b.getShape().get(1), training, null, null, wb -> conv(b, wb, null));
	}

	/**
	 * {@link #forwardPair} with {@code b = up(low)}, the U-Net decoder's upsampled map: for a 3×3×3
	 * "same" convolution on channels-last tensors, where it costs less
	 * ({@link ConvTranspose3dBlock#subPixelPays}), {@code b}'s share comes from
	 * {@link ConvTranspose3dBlock#convolvedBy}, which never forms {@code up(low)}; otherwise the map
	 * is formed and convolved.
	 */
	public NDArray forwardUpPair(final ParameterStore ps, final NDArray a, final NDArray low, final ConvTranspose3dBlock up,
		final boolean training) {
		return upPair(ps, a, low, up, training, null, null);
	}

	/**
	 * {@link #forwardUpPair} in inference mode followed by the per-channel affine map
	 * {@code y ↦ scale·y + shift}, folded into the weight and bias as in {@link #forwardAffine}.
	 */
	NDArray forwardUpPairAffine(final ParameterStore ps, final NDArray a, final NDArray low, final ConvTranspose3dBlock up,
		final NDArray scale, final NDArray shift) {
		return upPair(ps, a, low, up, false, scale, shift);
	}

	private NDArray upPair(final ParameterStore ps, final NDArray a, final NDArray low, final ConvTranspose3dBlock up,
		final boolean training, final NDArray scale, final NDArray shift) {
		if (kernel == 3 && stride == 1 && padding == 1 && TorchEngine.channelsLast(low.getDevice()) && up.subPixelPays(low.getShape(),
			out)) {
			return pairSum(ps, a, up.outChannels(), training, scale, shift, wb -> up.convolvedBy(ps, low, wb, training));
		}
		final NDArray b = up.forward(ps, new NDList(low), training).head();
		return release(pairSum(ps, a, b.getShape().get(1), training, scale, shift, wb -> conv(b, wb, null)), b);
	}

	/**
	 * {@code a} convolved with the weight's first input channels (and the bias) plus {@code second}
	 * applied to the rest of the weight, for an input of {@code cb} more channels; the second result
	 * is added in place into the first. A non-null {@code scale} (with {@code shift}) folds the
	 * affine map {@code y ↦ scale·y + shift} into the weight and bias; it closes both.
	 */
	private NDArray pairSum(final ParameterStore ps, final NDArray a, final long cb, final boolean training,
		final NDArray scale, final NDArray shift, final java.util.function.UnaryOperator<NDArray> second) {
		final long ca = a.getShape().get(1);
		if (ca + cb != in) throw new IllegalArgumentException("the two inputs have " + ca + " + " + cb +
			" channels; the convolution takes " + in);
		final NDArray[] wb0 = folded(ps, a, training, scale, shift);
		final NDArray w = wb0[0], bias = wb0[1];
		final NDArray wa = w.get(new NDIndex(":, :{}", ca)), wb = w.get(new NDIndex(":, {}:", ca));
		final NDArray y = conv(a, wa, bias), yb = second.apply(wb);
		y.addi(yb);
		if (scale != null) release(null, w, bias, scale, shift);
		return release(y, yb, wa, wb);
	}

	/**
	 * This block's weight and bias (null for none) on {@code x}'s device; with a non-null
	 * {@code scale}, those of the convolution followed by {@code y ↦ scale·y + shift}:
	 * {@code scale·W} and {@code scale·b + shift}, new arrays the caller closes.
	 */
	private NDArray[] folded(final ParameterStore ps, final NDArray x, final boolean training, final NDArray scale,
		final NDArray shift) {
		final NDArray w = value(ps, weight, x, training), b = bias == null ? null : value(ps, bias, x, training);
		if (scale == null) return new NDArray[] { w, b };
		final NDArray s5 = scale.reshape(out, 1, 1, 1, 1), ws = w.mul(s5);
		final NDArray sb = b == null ? null : b.mul(scale), bs = sb == null ? shift.duplicate() : sb.add(shift);
		release(null, s5, sb);
		return new NDArray[] { ws, bs };
	}

	/**
	 * This block's convolution of {@code x} with the given weight and bias (null for none).
	 * <p>
	 * On the CPU a convolution with k > 1 always runs on a channels-last weight, whatever the
	 * layout setting: libtorch 2.7.1's float32 NCDHW {@code conv3d} returns a wrong input gradient
	 * on the CPU (measured here against autograd in float64 and against python3-torch; most
	 * elements off, the same with one thread). For the same reason an input of one channel that
	 * needs its gradient, whose layout is ambiguous and which libtorch then convolves as NCDHW, is
	 * convolved as two channels, the second zero.
	 * <p>
	 * A single volume (batch 1) with fewer than 64 channels either side is convolved as a batch of
	 * two: its two halves along z, each with the rows the kernel reaches across the cut
	 * ({@link #splitDepth}). oneDNN convolves such a batch of one 10 to 16 times slower than a
	 * batch of two on this CPU (8 channels at 64×64×32: 0.49 s against 0.03 s for forward and
	 * backward), and the split costs only the rows read twice.
	 */
	private NDArray conv(final NDArray x, final NDArray w, final NDArray b) {
		final boolean cpu = !x.getDevice().isGpu();
		if (cpu && TorchEngine.channelsLast(x.getDevice()) && kernel == 1 && stride == 1 && padding == 0) return pointwise(x, w, b);
		if (cpu && kernel > 1 && x.getShape().get(1) == 1 && x instanceof PtNDArray px && JniUtils.requiresGrad(px)) {
			final NDArray x2 = x.concat(x.zerosLike(), 1), w2 = w.concat(w.zerosLike(), 1);
			return release(conv(x2, w2, b), x2, w2);
		}
		final NDArray wl = cpu && kernel > 1 ? channelsLast(w) : null;
		final NDArray wc = wl == null ? w : wl;
		if (cpu && kernel > 1 && x.getShape().get(0) == 1 && Math.max(in, out) < 64 && dim(x.getShape().get(2)) >= 2 && !"false"
			.equals(System.getProperty(SPLIT_BATCH_ONE))) {
			return release(splitDepth(x, wc, b), wl);
		}
		return release(Conv3d.conv3d(x, wc, b, new Shape(stride, stride, stride), new Shape(padding, padding, padding), new Shape(1, 1,
			1)).head(), wl);
	}

	/**
	 * System property: {@code false} convolves a batch of one as it is, for the benchmark that
	 * measures {@link #splitDepth} against it.
	 */
	public static final String SPLIT_BATCH_ONE = "voxelseg.splitBatchOne";

	/**
	 * The convolution of one volume {@code x} (N = 1) as a batch of two: output rows along z are
	 * split into halves of {@code h = ceil(d'/2)} rows; each half is computed from the input rows it
	 * reads (padded with the convolution's zeros along z), the two slabs stacked as a batch, and the
	 * results joined, the second without the rows that overlap the first when d' is odd. Exactly
	 * the convolution of {@code x}; autograd follows the slices and the join.
	 */
	private NDArray splitDepth(final NDArray x, final NDArray w, final NDArray b) {
		final Shape s = x.getShape();
		final long d = s.get(2), dOut = dim(d), half = (dOut + 1) / 2, span = (half - 1) * stride + kernel, second = (dOut - half) * stride;
		NDArray xp = x;
		if (padding > 0) {
			final NDArray z = x.getManager().zeros(new Shape(1, s.get(1), padding, s.get(3), s.get(4)), x.getDataType(), x.getDevice());
			xp = NDArrays.concat(new NDList(z, x, z), 2);
			z.close();
		}
		final NDArray a = xp.get(new NDIndex(":, :, 0:{}", span)), c = xp.get(new NDIndex(":, :, {}:{}", second, second + span));
		final NDArray both = a.concat(c, 0);
		final NDArray y = Conv3d.conv3d(both, w, b, new Shape(stride, stride, stride), new Shape(0, padding, padding), new Shape(1, 1, 1))
			.head();
		final NDArray y0 = y.get(new NDIndex("0:1")), y1 = y.get(new NDIndex("1:2, :, {}:", 2 * half - dOut));
		final NDArray out = y0.concat(y1, 2);
		return release(out, xp == x ? null : xp, a, c, both, y, y0, y1);
	}

	/**
	 * A 1×1×1 convolution of a channels-last {@code x} as one matrix product: in memory {@code x} is
	 * the (n·d·h·w, in) matrix of its voxels, and {@code x·Wᵀ + b} is the output in channels-last,
	 * with no copy either side. oneDNN's 1×1×1 convolution is slow when few channels come out (its
	 * backward pass for the segmentation head's 64 → 9 ran at 2 GFLOP/s, a quarter of a second at
	 * 128×128×64).
	 */
	private NDArray pointwise(final NDArray x, final NDArray w, final NDArray b) {
		final Shape s = x.getShape();
		final NDArray w2 = w.reshape(out, w.getShape().get(1)), y = voxelLinear(x, w2, b), y5 = y.reshape(s.get(0), s.get(2), s.get(3), s.get(4), out);
		return release(y5.transpose(0, 4, 1, 2, 3), w2, y, y5);
	}

	/**
	 * {@code rows · w2ᵀ + b} over the voxels of {@code x} (n, in, d, h, w): the (n·d·h·w, outputs)
	 * product, row-major in (n, d, h, w). For a channels-last {@code x} the rows are its memory as
	 * it is, with no copy.
	 *
	 * @param w2 (outputs, in), Linear's layout
	 * @param b (outputs) or null
	 */
	static NDArray voxelLinear(final NDArray x, final NDArray w2, final NDArray b) {
		final Shape s = x.getShape();
		final NDArray t = x.transpose(0, 2, 3, 4, 1), rows = t.reshape(s.get(0) * s.get(2) * s.get(3) * s.get(4), s.get(1));
		return release((b == null ? Linear.linear(rows, w2) : Linear.linear(rows, w2, b)).head(), t, rows);
	}

	/**
	 * The weight (out, in, k, k, k) copied to channels-last strides: the same shape and values, in
	 * memory as (out, k, k, k, in). libtorch convolves in channels-last as soon as the input or the
	 * weight is, and its output then is too, so that the batch norms, activations, pooling and
	 * concatenations that follow keep the layout and the next convolution takes it as it is. (A
	 * 1×1×1 weight is both layouts at once; the input decides there.) Gradients flow back through
	 * the copy to the parameter, which stays contiguous.
	 */
	static NDArray channelsLast(final NDArray w) {
		final Shape s = w.getShape();
		final long o = s.get(0), i = s.get(1), kd = s.get(2), kh = s.get(3), kw = s.get(4);
		final NDArray t = w.transpose(0, 2, 3, 4, 1), flat = t.reshape(o, kd * kh * kw * i), back = flat.reshape(o, kd, kh, kw, i);
		return release(back.transpose(0, 4, 1, 2, 3), t, flat, back);
	}

	/**
	 * The convolution followed by the per-channel affine map {@code y ↦ scale·y + shift}, computed as
	 * one convolution with weight {@code scale·W} and bias {@code scale·b + shift}: inference-mode
	 * batch normalisation folded in, which saves a pass over the output.
	 */
	NDArray forwardAffine(final ParameterStore ps, final NDArray x, final NDArray scale, final NDArray shift) {
		final NDArray[] wb = folded(ps, x, false, scale, shift);
		return release(conv(x, wb[0], wb[1]), wb[0], wb[1], scale, shift);
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
