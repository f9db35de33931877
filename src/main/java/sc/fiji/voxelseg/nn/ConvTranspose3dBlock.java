package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * PyTorch's {@code ConvTranspose3d(in, out, kernel_size=2, stride=2)} on NCDHW tensors, which DJL's
 * PyTorch engine does not provide. With kernel equal to stride the output blocks do not overlap:
 * {@code y[n, o, 2d+a, 2h+b, 2w+c] = bias[o] + Σ_i x[n, i, d, h, w] · W[i, o, a, b, c]}. That is a
 * 1×1×1 convolution to {@code out·8} channels followed by a 3D pixel shuffle (reshape and
 * transpose), both of which autograd differentiates. The weight keeps PyTorch's layout
 * (in, out, 2, 2, 2) so weights transfer unchanged.
 */
public final class ConvTranspose3dBlock extends NetBlock {

	private final int in, out;
	private final Parameter weight, bias;

	public ConvTranspose3dBlock(final int in, final int out) {
		this.in = in;
		this.out = out;
		weight = addParameter(param("weight", Parameter.Type.WEIGHT, new Shape(in, out, 2, 2, 2)));
		// fan-in of a stride-2 kernel-2 transposed conv is `in` per output voxel: He's σ = √(2 / in)
		weight.setInitializer(new NormalInitializer((float) Math.sqrt(2.0 / in)));
		bias = addParameter(param("bias", Parameter.Type.BIAS, new Shape(out)));
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		return new NDList(apply(inputs.head(), value(ps, weight, inputs.head(), training), value(ps, bias, inputs.head(), training)));
	}

	/**
	 * {@code torch.cat((skip, up(x)), 1)}: the U-Net decoder's input, the encoder map of a level
	 * followed by this block's upsampling of the level below. In channels-last the concatenation
	 * itself does the pixel shuffle, so the upsampled map is written once, into its place in the
	 * concatenated tensor, rather than shuffled into a tensor of its own and then copied again.
	 */
	public NDArray forwardConcat(final ParameterStore ps, final NDArray skip, final NDArray x, final boolean training) {
		final NDArray w = value(ps, weight, x, training), b = value(ps, bias, x, training);
		if (!TorchEngine.channelsLast(x.getDevice())) {
			final NDArray up = apply(x, w, b);
			return release(skip.concat(up, 1), up);
		}
		final Shape s = skip.getShape();
		final long n = s.get(0), cs = s.get(1), d = s.get(2), h = s.get(3), wd = s.get(4);
		final NDArray up = blocksLast(x, w, b);
		// the skip map in channels-last memory, (n, d, h, w, cs), seen as (n, d/2, 2, h/2, 2, w/2, 2, cs)
		final NDArray t = skip.transpose(0, 2, 3, 4, 1), t8 = t.reshape(n, d / 2, 2, h / 2, 2, wd / 2, 2, cs);
		final NDArray cat = t8.concat(up, 7), flat = cat.reshape(n, d, h, wd, cs + out);
		return release(flat.transpose(0, 4, 1, 2, 3), up, t, t8, cat, flat);
	}

	/**
	 * {@code conv3d(up(x), wc, padding 1)} for a 3×3×3 weight {@code wc} (o, out, 3, 3, 3), without
	 * forming the upsampled map {@code up(x)}, on channels-last tensors. Each output voxel at
	 * {@code 2i + a} (per axis) reads the upsampled voxels {@code 2i + a - 1 .. 2i + a + 1}, which come
	 * from two input voxels, so the composition is a 2×2×2 convolution of {@code x} for each of the
	 * 8 output phases ("sub-pixel"), with weights combined from {@code wc} and this block's weight:
	 * 8·out·o·in multiply-adds per output voxel where the two convolutions take (27·out + in)·o·out
	 * (at the U-Net's first decoder level, 65,536 against 118,784). The 8 phases are one convolution
	 * with 8·o output channels and padding 1; phase {@code q = 1 - a} at padded position {@code j}
	 * is output voxel {@code 2j + q - 1}, and a row lookup ({@code embedding}) over the voxel rows
	 * of that result writes them in output order. The transposed convolution's bias reaches the
	 * output only where the upsampled voxels lie inside the volume; an extra input channel of ones,
	 * weighted by the bias, carries it with the same zero padding.
	 *
	 * @param wc (o, out, 3, 3, 3)
	 * @return (n, o, 2d, 2h, 2w) in channels-last
	 */
	public NDArray convolvedBy(final ParameterStore ps, final NDArray x, final NDArray wc, final boolean training) {
		final Shape s = x.getShape(), ws = wc.getShape();
		if (s.get(1) != in) throw new IllegalArgumentException("the map to upsample has " + s.get(1) + " channels; this block takes " + in);
		if (ws.get(1) != out || ws.get(2) != 3 || ws.get(3) != 3 || ws.get(4) != 3) {
			throw new IllegalArgumentException("the convolution after the upsampling must be 3×3×3 over " + out +
				" channels, not " + ws);
		}
		final long n = s.get(0), d = s.get(2), h = s.get(3), wd = s.get(4), o = ws.get(0);
		final NDManager m = x.getManager();
		final NDArray w = value(ps, weight, x, training), b = value(ps, bias, x, training);
		// this block's weight with the bias as one more input channel: (in + 1, out, 2, 2, 2)
		final NDArray b5 = b.reshape(1, out, 1, 1, 1), bw = b5.broadcast(new Shape(1, out, 2, 2, 2)), wt = w.concat(bw, 0);
		// B (in + 1, s, o, k) = Σ_u W (in + 1, u, s) · wc (o, u, k): every product of a weight of this
		// block with one of the convolution's, one matrix product
		final NDArray wt4 = wt.transpose(0, 2, 3, 4, 1), wt2 = wt4.reshape((in + 1) * 8, out);
		final NDArray wc4 = wc.transpose(1, 0, 2, 3, 4), wc2 = wc4.reshape(out, o * 27), b2 = wt2.matMul(wc2);
		// -> (o, in + 1, s, k), then summed into (o, in + 1, q, t) by the selection S ((s, k), (q, t))
		final NDArray b4 = b2.reshape(in + 1, 8, o, 27), bt = b4.transpose(2, 0, 1, 3), bm = bt.reshape(o * (in + 1), 216);
		final NDArray sel = phaseSelection(m), k2 = bm.matMul(sel);
		// -> weight (q·o, in + 1, t) in channels-last memory (q, o, t, in + 1)
		final NDArray k4 = k2.reshape(o, in + 1, 8, 8), kq = k4.transpose(2, 0, 3, 1), k5 = kq.reshape(8 * o, 2, 2, 2, in + 1);
		final NDArray k = k5.transpose(0, 4, 1, 2, 3);
		release(null, b5, bw, wt, wt4, wt2, wc4, wc2, b2, b4, bt, bm, sel, k2, k4, kq, k5);
		final NDArray xt = x.transpose(0, 2, 3, 4, 1), ones = m.ones(new Shape(n, d, h, wd, 1), x.getDataType(), x.getDevice());
		final NDArray xo = xt.concat(ones, 4), x1 = xo.transpose(0, 4, 1, 2, 3);
		final NDArray c = Conv3d.conv3d(x1, k, null, new Shape(1, 1, 1), new Shape(1, 1, 1), new Shape(1, 1, 1)).head();
		release(null, k, xt, ones, xo, x1);
		// rows (n, j1, j2, j3, q) of o values; output voxel (i1, i2, i3) reads row
		// (j, q) = ((i + 1) / 2, 1 - i % 2) per axis
		final NDArray ct = c.transpose(0, 2, 3, 4, 1), rows = ct.reshape(-1, o), idx = phaseRows(m, n, d, h, wd);
		final NDArray y = Embedding.embedding(idx, rows, SparseFormat.DENSE).head(), y5 = y.reshape(n, 2 * d, 2 * h, 2 * wd, o);
		return release(y5.transpose(0, 4, 1, 2, 3), c, ct, rows, idx, y, y5);
	}

	/** The system property that overrides {@link #subPixelPays}: auto (the default), true or false. */
	public static final String SUB_PIXEL = "voxelseg.subPixel";

	/**
	 * Whether {@link #convolvedBy} costs fewer multiply-adds than forming {@code up(x)} and convolving
	 * it with an (o, out, 3, 3, 3) kernel, for an {@code x} of shape {@code low}. Forming costs
	 * {@code 8·n·d·h·w·(in·out + 27·out·o)}; the sub-pixel path costs
	 * {@code 64·n·(d+1)·(h+1)·(w+1)·o·(in+1)} for its convolution plus, once per call whatever the
	 * map's size, {@code (216·out + 13824)·o·(in+1)} for combining the weights. On small maps with
	 * many channels (the deepest level of a U-Net on a small patch or tile) the combination
	 * outweighs what the convolution saves. The system property {@value #SUB_PIXEL} set to true or
	 * false forces the choice.
	 *
	 * @throws IllegalArgumentException for a property value other than auto, true or false
	 */
	public boolean subPixelPays(final Shape low, final long o) {
		final String mode = System.getProperty(SUB_PIXEL, "auto").trim().toLowerCase(java.util.Locale.ROOT);
		switch (mode) {
			case "true":
				return true;
			case "false":
				return false;
			case "auto":
				break;
			default:
				throw new IllegalArgumentException(SUB_PIXEL + " must be auto, true or false, not '" + mode + "'");
		}
		final double n = low.get(0), d = low.get(2), h = low.get(3), w = low.get(4);
		final double formed = 8 * n * d * h * w * ((double) in * out + 27.0 * out * o);
		final double subPixel = 64 * n * (d + 1) * (h + 1) * (w + 1) * o * (in + 1) + (216.0 * out + 13824) * o * (in + 1);
		return subPixel < formed;
	}

	/**
	 * S (216, 64): row (s, k), with s = (s1, s2, s3) a position in a 2×2×2 block and k = (k1, k2, k3)
	 * a tap of a 3×3×3 kernel; column (q, t), a phase and a 2×2×2 tap, each of bits (1 2 3); 1 where
	 * {@code k_i + q_i = 2 t_i + s_i} on every axis (one column per row). Torch owns the copy returned
	 * (see {@link Scalars}).
	 */
	private static NDArray phaseSelection(final NDManager m) {
		final float[] v = new float[216 * 64];
		for (int sv = 0; sv < 8; sv++) {
			for (int k = 0; k < 27; k++) {
				for (int col = 0; col < 64; col++) {
					boolean on = true;
					for (int ax = 0; ax < 3; ax++) {
						final int kk = k / (ax == 0 ? 9 : ax == 1 ? 3 : 1) % 3, sh = 2 - ax;
						on &= kk + (col >> 3 + sh & 1) == 2 * (col >> sh & 1) + (sv >> sh & 1);
					}
					v[(sv * 27 + k) * 64 + col] = on ? 1 : 0;
				}
			}
		}
		final NDArray java = m.create(v, new Shape(216, 64)), owned = java.duplicate();
		java.close();
		return owned;
	}

	/**
	 * The row of the phase convolution's output (n, d + 1, h + 1, w + 1, 8) that each output voxel
	 * (n, 2d, 2h, 2w) reads, in output order, as int64 owned by torch.
	 */
	private static NDArray phaseRows(final NDManager m, final long n, final long d, final long h, final long w) {
		final long j2 = h + 1, j3 = w + 1, j1 = d + 1;
		final long[] rb = new long[(int) n], r1 = new long[(int) (2 * d)], r2 = new long[(int) (2 * h)], r3 = new long[(int) (2 * w)];
		for (int i = 0; i < n; i++) rb[i] = i * j1 * j2 * j3 * 8;
		for (int i = 0; i < r1.length; i++) r1[i] = (i + 1) / 2 * j2 * j3 * 8 + 4 * (1 - i % 2);
		for (int i = 0; i < r2.length; i++) r2[i] = (i + 1) / 2 * j3 * 8 + 2 * (1 - i % 2);
		for (int i = 0; i < r3.length; i++) r3[i] = (i + 1) / 2 * 8 + (1 - i % 2);
		final NDArray b = m.create(rb).reshape(n, 1, 1, 1), a1 = m.create(r1).reshape(1, 2 * d, 1, 1);
		final NDArray a2 = m.create(r2).reshape(1, 1, 2 * h, 1), a3 = m.create(r3).reshape(1, 1, 1, 2 * w);
		final NDArray s1 = b.add(a1), s2 = s1.add(a2), s3 = s2.add(a3), idx = s3.reshape(-1);
		return release(idx, b, a1, a2, a3, s1, s2, s3);
	}

	/** The transposed convolution with explicit weight (in, out, 2, 2, 2) and bias (out) or null. */
	public static NDArray apply(final NDArray x, final NDArray w, final NDArray b) {
		final Shape s = x.getShape();
		final long n = s.get(0), d = s.get(2), h = s.get(3), wd = s.get(4);
		final long cin = w.getShape().get(0), cout = w.getShape().get(1);
		if (TorchEngine.channelsLast(x.getDevice())) {
			// the shuffle writes the upsampled map in channels-last, so that the convolutions
			// after it need no change of layout
			final NDArray p = blocksLast(x, w, b), q = p.reshape(n, 2 * d, 2 * h, 2 * wd, cout);
			return release(q.transpose(0, 4, 1, 2, 3), p, q);
		}
		// (in, out·8) -> (out·8, in, 1, 1, 1): output channel o·8 + a·4 + b·2 + c
		final NDArray k2 = w.reshape(cin, cout * 8), k2t = k2.transpose(), k = k2t.reshape(cout * 8, cin, 1, 1, 1);
		// the bias of output channel o, repeated for its 8 positions, is added by the convolution
		// itself rather than in another pass over the full-size output
		NDArray b8 = null;
		if (b != null) {
			final NDArray col = b.reshape(cout, 1), wide = col.broadcast(new Shape(cout, 8));
			b8 = release(wide.reshape(cout * 8), col, wide);
		}
		final NDArray c = b8 == null ? Conv3d.conv3d(x, k).singletonOrThrow() : Conv3d.conv3d(x, k, b8).singletonOrThrow();
		release(null, k2, k2t, k, b8);
		// (n, out, a, b, c, d, h, w) -> (n, out, d, a, h, b, w, c)
		final NDArray c8 = c.reshape(n, cout, 2, 2, 2, d, h, wd), p = c8.transpose(0, 1, 5, 2, 6, 3, 7, 4);
		final NDArray y = p.reshape(n, cout, 2 * d, 2 * h, 2 * wd);
		release(y, c, c8, p);
		return y;
	}

	/**
	 * The transposed convolution of a channels-last {@code x} as one matrix product over its voxels,
	 * {@code rows · W + b} with W's columns ordered (a, b, c, out), returned unshuffled as the view
	 * (n, d, a, h, b, w, c, out) of the product (n, d, h, w, a, b, c, out): a copy of that view in
	 * its own order is the upsampled map in channels-last. Each output voxel's {@code out} channels
	 * lie together, so the copy moves whole runs of channels.
	 */
	private static NDArray blocksLast(final NDArray x, final NDArray w, final NDArray b) {
		final Shape s = x.getShape();
		final long n = s.get(0), d = s.get(2), h = s.get(3), wd = s.get(4);
		final long cin = w.getShape().get(0), cout = w.getShape().get(1);
		// (in, out, a, b, c) -> (a, b, c, out, in) -> (8·out, in), Linear's (outputs, inputs)
		final NDArray wp = w.transpose(2, 3, 4, 1, 0), w2 = wp.reshape(8 * cout, cin);
		NDArray b8 = null;
		if (b != null) {
			final NDArray row = b.reshape(1, cout), wide = row.broadcast(new Shape(8, cout));
			b8 = release(wide.reshape(8 * cout), row, wide);
		}
		final NDArray y = Conv3dBlock.voxelLinear(x, w2, b8), y8 = y.reshape(n, d, h, wd, 2, 2, 2, cout);
		return release(y8.transpose(0, 1, 4, 2, 5, 3, 6, 7), wp, w2, b8, y, y8);
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape s = inputShapes[0];
		return new Shape[] { new Shape(s.get(0), out, 2 * s.get(2), 2 * s.get(3), 2 * s.get(4)) };
	}

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		return onnxAffine(g, x, null, null);
	}

	/** The transposed convolution followed by {@code scale·y + shift} per channel (a folded batch normalisation; null for none). */
	String onnxAffine(final OnnxGraph g, final String x, final float[] scale, final float[] shift) {
		final float[] w = values(weight), b = values(bias);
		if (scale != null) {
			for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) for (int k = 0; k < 8; k++) w[(i * out + o) * 8 + k] *= scale[o];
			for (int o = 0; o < out; o++) b[o] = b[o] * scale[o] + shift[o];
		}
		return g.node("ConvTranspose", new String[] { x, g.weight("up_w", w, in, out, 2, 2, 2), g.weight("up_b", b, out) },
			OnnxGraph.Attribute.ints("kernel_shape", 2, 2, 2), OnnxGraph.Attribute.ints("strides", 2, 2, 2));
	}

	public int inChannels() {
		return in;
	}

	public int outChannels() {
		return out;
	}
}
