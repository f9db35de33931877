package sc.fiji.voxelseg.nn;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * VNet (Milletari et al. 2016), following the widely used PyTorch port of the paper. Every
 * convolution is k×k×k (5 as published) + norm + per-channel PReLU, and every stage is residual.
 * <ul>
 * <li>Input stage: one unit {@code in → w_0}; its pre-activation output plus the input tiled to
 * {@code w_0} channels (when {@code in} divides {@code w_0}), then PReLU.</li>
 * <li>Down stage {@code i}: a 2×2×2 stride-2 convolution unit {@code w_{i-1} → w_i}, then
 * {@code n_i} units (1, 2, 3 and 2 for the published 5 levels: {@code min(i, 3)}, but 2 at the
 * deepest level from {@code i = 3} on), added to the down unit's output, then PReLU.</li>
 * <li>Up stage for level {@code i}: a 2×2×2 transposed convolution unit to {@code w_i}, concatenated
 * (upsampled map first) with the encoder map of level {@code i}, {@code n'_i} units at {@code 2w_i}
 * (2, 2, 1, 1 from the deepest: 2 for {@code i ≥ 2}, else 1), added to the concatenation, then
 * PReLU.</li>
 * <li>A 1×1×1 convolution from {@code 2w_0} to the K logits (the port's 5×5×5 conv to K, norm and
 * 1×1×1 conv become this single layer; dropout is left out).</li>
 * </ul>
 */
public final class VNet extends SegmentationNetwork {

	private final Stage[] down, up;
	private final Conv3dBlock head;

	public VNet(final NetworkConfig c) {
		super(c);
		final int l = c.levels(), k = c.kernel();
		down = new Stage[l];
		up = new Stage[l - 1];
		down[0] = addChildBlock("in", new Stage(ConvUnit.same(c.inChannels(), c.width(0), k, c.norm(), ConvUnit.Activation.NONE),
			null, List.of(), c.width(0)));
		for (int i = 1; i < l; i++) {
			final int n = i == l - 1 && i >= 3 ? 2 : Math.min(i, 3);
			final ConvUnit d = new ConvUnit(new Conv3dBlock(c.width(i - 1), c.width(i), 2, 2, 0, c.norm() == Norm.NONE), c.norm(),
				ConvUnit.Activation.PRELU);
			down[i] = addChildBlock("down" + i, new Stage(d, null, units(c, c.width(i), n), c.width(i)));
		}
		int in = c.width(l - 1);
		for (int i = l - 2; i >= 0; i--) {
			final int w = c.width(i);
			up[i] = addChildBlock("up" + i, new Stage(null, new UpUnit(in, w, c.norm()), units(c, 2 * w, i >= 2 ? 2 : 1), 2 * w));
			in = 2 * w;
		}
		head = addChildBlock(HEAD, new Conv3dBlock(2 * c.width(0), c.classes(), 1, 1, 0, true));
	}

	private static List<ConvUnit> units(final NetworkConfig c, final int ch, final int n) {
		final List<ConvUnit> u = new ArrayList<>();
		for (int j = 0; j < n; j++) u.add(ConvUnit.same(ch, ch, c.kernel(), c.norm(), ConvUnit.Activation.PRELU));
		return u;
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		checkInput(x.getShape());
		final int l = config.levels();
		final boolean trainBackbone = trainsBackbone(training);
		final NDArray[] enc = new NDArray[l];
		encode(ps, x, trainsEncoder(training), enc);
		final NDArray[] dec = new NDArray[l - 1];
		NDArray y = enc[l - 1];
		for (int i = l - 2; i >= 0; i--) {
			y = up[i].up(ps, y, enc[i], trainBackbone);
			dec[i] = y;
		}
		return output(head.forward(ps, new NDList(headInput(y)), training).head(), enc, dec);
	}

	@Override
	public String onnxLogits(final OnnxGraph g, final String x) {
		final int l = config.levels();
		final String[] enc = new String[l];
		enc[0] = down[0].onnxInput(g, x, config.inChannels());
		for (int i = 1; i < l; i++) enc[i] = down[i].onnxDown(g, enc[i - 1]);
		String y = enc[l - 1];
		for (int i = l - 2; i >= 0; i--) y = up[i].onnxUp(g, y, enc[i]);
		return head.onnx(g, y);
	}

	@Override
	public NDArray[] encoderMaps(final ParameterStore ps, final NDArray x, final boolean training) {
		checkInput(x.getShape());
		return encode(ps, x, trainsEncoder(training), new NDArray[config.levels()]);
	}

	/** The input stage and the down stages into {@code enc}, by level; cut from their graph when the encoder is frozen. */
	private NDArray[] encode(final ParameterStore ps, final NDArray x, final boolean training, final NDArray[] enc) {
		enc[0] = down[0].input(ps, x, training);
		for (int i = 1; i < enc.length; i++) enc[i] = down[i].down(ps, enc[i - 1], training);
		return encoderOutputs(enc);
	}

	@Override
	public int[] decoderChannels() {
		final int l = config.levels();
		final int[] c = new int[l - 1];
		for (int j = 0; j < l - 1; j++) c[j] = 2 * config.width(l - 2 - j);
		return c;
	}

	/** 2×2×2 transposed convolution, norm and PReLU. */
	static final class UpUnit extends NetBlock {

		private final ConvTranspose3dBlock conv;
		private final NetBlock norm;
		private final PReLUBlock act;

		UpUnit(final int in, final int out, final Norm norm) {
			conv = addChildBlock("conv", new ConvTranspose3dBlock(in, out));
			final NetBlock n = norm.block(out);
			this.norm = n == null ? null : addChildBlock("norm", n);
			act = addChildBlock("act", new PReLUBlock(out));
		}

		@Override
		protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
			NDArray y = conv.forward(ps, inputs, training).head();
			if (norm != null) y = release(norm.forward(ps, new NDList(y), training).head(), y);
			return new NDList(release(act.forward(ps, new NDList(y), training).head(), y));
		}

		@Override
		public String onnx(final OnnxGraph g, final String x) {
			final String y;
			if (norm instanceof BatchNorm3dBlock bn) {
				final float[][] a = bn.inferenceAffineValues();
				y = conv.onnxAffine(g, x, a[0], a[1]);
			}
			else y = norm == null ? conv.onnx(g, x) : norm.onnx(g, conv.onnx(g, x));
			return act.onnx(g, y);
		}

		@Override
		public Shape[] getOutputShapes(final Shape[] inputShapes) {
			return conv.getOutputShapes(inputShapes);
		}
	}

	/** One residual stage: an entry unit (input, down or up), convolution units, a closing PReLU. */
	static final class Stage extends NetBlock {

		private final ConvUnit entry;
		private final UpUnit upUnit;
		private final ConvStack ops;
		private final PReLUBlock act;
		private final int channels;

		Stage(final ConvUnit entry, final UpUnit upUnit, final List<ConvUnit> units, final int channels) {
			this.entry = entry == null ? null : addChildBlock("entry", entry);
			this.upUnit = upUnit == null ? null : addChildBlock("entry", upUnit);
			this.ops = units.isEmpty() ? null : addChildBlock("ops", new ConvStack(units));
			this.act = addChildBlock("act", new PReLUBlock(channels));
			this.channels = channels;
		}

		/** Input stage: PReLU(norm(conv(x)) + x tiled to the stage's channels). */
		NDArray input(final ParameterStore ps, final NDArray x, final boolean training) {
			NDArray y = entry.forwardPreActivation(ps, x, training);
			final long cin = x.getShape().get(1);
			if (cin == 1 || cin == channels) y = release(y.add(x), y); // one channel broadcasts over all
			else if (channels % cin == 0) {
				final NDList copies = new NDList();
				for (long r = 0; r < channels / cin; r++) copies.add(x);
				final NDArray tiled = NDArrays.concat(copies, 1);
				y = release(y.add(tiled), y, tiled);
			}
			return release(act.forward(ps, new NDList(y), training).head(), y);
		}

		/** Down stage: d = unit(x); PReLU(ops(d) + d). */
		NDArray down(final ParameterStore ps, final NDArray x, final boolean training) {
			final NDArray d = entry.forward(ps, new NDList(x), training).head();
			final NDArray o = ops.apply(ps, d, training), sum = o.add(d);
			release(null, o, d);
			return release(act.forward(ps, new NDList(sum), training).head(), sum);
		}

		/** Up stage: c = cat(up(x), skip); PReLU(ops(c) + c). */
		NDArray up(final ParameterStore ps, final NDArray x, final NDArray skip, final boolean training) {
			final NDArray u = upUnit.forward(ps, new NDList(x), training).head();
			final NDArray c = u.concat(skip, 1);
			u.close();
			final NDArray o = ops.apply(ps, c, training), sum = o.add(c);
			release(null, o, c);
			return release(act.forward(ps, new NDList(sum), training).head(), sum);
		}

		/** {@link #input} in ONNX, for an input of {@code cin} channels. */
		String onnxInput(final OnnxGraph g, final String x, final int cin) {
			String y = entry.onnxPreActivation(g, x);
			if (cin == 1 || cin == channels) y = g.node("Add", new String[] { y, x });
			else if (channels % cin == 0) {
				final String[] copies = new String[channels / cin];
				java.util.Arrays.fill(copies, x);
				y = g.node("Add", new String[] { y, onnxConcat(g, copies) });
			}
			return act.onnx(g, y);
		}

		/** {@link #down} in ONNX. */
		String onnxDown(final OnnxGraph g, final String x) {
			final String d = entry.onnx(g, x);
			return act.onnx(g, g.node("Add", new String[] { ops.onnx(g, d), d }));
		}

		/** {@link #up} in ONNX. */
		String onnxUp(final OnnxGraph g, final String x, final String skip) {
			final String c = onnxConcat(g, upUnit.onnx(g, x), skip);
			return act.onnx(g, g.node("Add", new String[] { ops.onnx(g, c), c }));
		}

		@Override
		protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
			throw new UnsupportedOperationException("a VNet stage runs inside VNet");
		}

		@Override
		public Shape[] getOutputShapes(final Shape[] inputShapes) {
			final Shape s = inputShapes[0];
			return new Shape[] { new Shape(s.get(0), channels, s.get(2), s.get(3), s.get(4)) };
		}
	}
}
