package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

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

	public int inChannels() {
		return in;
	}
}
