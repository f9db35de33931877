package sc.fiji.voxelseg.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * A 3D feature pyramid network, the backbone of self-supervised dense pretraining (seed 004,
 * after vox2vec's {@code FPN3d}), with a linear segmentation head.
 * <ul>
 * <li>Encoder: the U-Net's ({@link UNet3d}): at level {@code i} two 3×3×3 convolution + norm +
 * ReLU units to {@code w_i = base·2^i} channels, 2×2×2 max-pooling between levels.</li>
 * <li>Top-down pathway: {@code t_{l-1} = e_{l-1}}; for {@code i = l-2 … 0},
 * {@code t_i = units( skip_i(e_i) + nearest×2( lateral_i(t_{i+1}) ) )} with 1×1×1 convolutions
 * {@code lateral_i: w_{i+1} → w_i} and {@code skip_i: w_i → w_i} and two units
 * {@code w_i → w_i}. vox2vec's levels hold residual blocks; here they hold the U-Net's units, so
 * that the three architectures share their building blocks.</li>
 * <li>Balanced pyramid: every {@code t_i} is projected by a 1×1×1 convolution to the same width,
 * the base width ({@code b_i}, the paper's "balanced" projection; its code: 5 levels × 32 = 160
 * channels in all). The pyramid that pretraining reads is {@code b_0 … b_{l-1}}.</li>
 * <li>Head (vox2vec's {@code FPNLinearHead}): a 1×1×1 convolution per level from the balanced map to
 * the K classes (bias at level 0 only), each upsampled by nearest neighbours to full resolution and
 * summed: {@code x = h_{l-1}; x = nearest×2(x) + h_i} for {@code i = l-2 … 0}. With a frozen
 * backbone this is the paper's linear evaluation; trained with the backbone it is fine-tuning.</li>
 * </ul>
 * The forward output follows {@link SegmentationNetwork}'s order (logits, encoder maps, decoder maps
 * {@code t_{l-2} … t_0}) and appends the balanced maps from the deepest ({@code b_{l-1}}) to the
 * finest ({@code b_0}).
 */
public final class FPN3d extends SegmentationNetwork {

	private final ConvStack[] encoders, decoders;
	private final Conv3dBlock[] laterals, skips, balanced, heads;

	public FPN3d(final NetworkConfig c) {
		super(c);
		final int l = c.levels();
		encoders = UNet3d.encoder(c, this::addChildBlock);
		decoders = new ConvStack[l - 1];
		laterals = new Conv3dBlock[l - 1];
		skips = new Conv3dBlock[l - 1];
		balanced = new Conv3dBlock[l];
		heads = new Conv3dBlock[l];
		for (int i = l - 2; i >= 0; i--) {
			final int w = c.width(i);
			laterals[i] = addChildBlock("lateral" + i, new Conv3dBlock(c.width(i + 1), w, 1, 1, 0, true));
			skips[i] = addChildBlock("skip" + i, new Conv3dBlock(w, w, 1, 1, 0, true));
			decoders[i] = addChildBlock("dec" + i, new ConvStack(List.of(
				ConvUnit.same(w, w, c.kernel(), c.norm(), ConvUnit.Activation.RELU),
				ConvUnit.same(w, w, c.kernel(), c.norm(), ConvUnit.Activation.RELU))));
		}
		for (int i = 0; i < l; i++) balanced[i] = addChildBlock("balance" + i, new Conv3dBlock(c.width(i), c.baseWidth(), 1, 1, 0, true));
		for (int i = 0; i < l; i++) heads[i] = addChildBlock(HEAD + i, new Conv3dBlock(c.baseWidth(), c.classes(), 1, 1, 0, i == 0));
	}

	@Override
	public NDArray[] encoderMaps(final ParameterStore ps, final NDArray x, final boolean training) {
		checkInput(x.getShape());
		return encoderOutputs(UNet3d.encode(encoders, ps, x, trainsEncoder(training)));
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		checkInput(x.getShape());
		final int l = config.levels();
		final boolean tb = trainsBackbone(training);
		final NDArray[] enc = encoderOutputs(UNet3d.encode(encoders, ps, x, trainsEncoder(training)));
		NDArray y = enc[l - 1];
		final NDArray[] dec = new NDArray[l - 1];
		for (int i = l - 2; i >= 0; i--) {
			final NDArray lat = laterals[i].forward(ps, new NDList(y), tb).head();
			final NDArray up = release(Upsample.nearest(lat, 2), lat);
			final NDArray skip = skips[i].forward(ps, new NDList(enc[i]), tb).head();
			final NDArray sum = release(skip.add(up), skip, up);
			y = release(decoders[i].forward(ps, new NDList(sum), tb).head(), sum);
			dec[i] = y;
		}
		final NDArray[] pyramid = new NDArray[l];
		for (int i = 0; i < l; i++) {
			NDArray b = balanced[i].forward(ps, new NDList(i == l - 1 ? enc[i] : dec[i]), tb).head();
			if (backboneFrozen()) b = release(b.stopGradient(), b);
			pyramid[i] = b;
		}
		NDArray logits = heads[l - 1].forward(ps, new NDList(pyramid[l - 1]), training).head();
		for (int i = l - 2; i >= 0; i--) {
			final NDArray up = release(Upsample.nearest(logits, 2), logits);
			final NDArray h = heads[i].forward(ps, new NDList(pyramid[i]), training).head();
			logits = release(h.add(up), h, up);
		}
		final NDList out = output(logits, enc, dec);
		for (int i = l - 1; i >= 0; i--) out.add(pyramid[i]);
		return out;
	}

	@Override
	public String onnxLogits(final OnnxGraph g, final String x) {
		final int l = config.levels();
		final String[] enc = UNet3d.onnxEncode(encoders, g, x);
		final String[] dec = new String[l - 1];
		String y = enc[l - 1];
		for (int i = l - 2; i >= 0; i--) {
			final String up = onnxNearest2(g, laterals[i].onnx(g, y));
			y = decoders[i].onnx(g, g.node("Add", new String[] { skips[i].onnx(g, enc[i]), up }));
			dec[i] = y;
		}
		String logits = heads[l - 1].onnx(g, balanced[l - 1].onnx(g, enc[l - 1]));
		for (int i = l - 2; i >= 0; i--) {
			final String h = heads[i].onnx(g, balanced[i].onnx(g, dec[i]));
			logits = g.node("Add", new String[] { h, onnxNearest2(g, logits) });
		}
		return logits;
	}

	/** {@link Upsample#nearest} by 2 in ONNX: {@code Resize} with scales 2 on the spatial axes. */
	private static String onnxNearest2(final OnnxGraph g, final String x) {
		final String scales = g.weight("scales", new float[] { 1, 1, 2, 2, 2 }, 5);
		return g.node("Resize", new String[] { x, "", scales }, OnnxGraph.Attribute.of("mode", "nearest"),
			OnnxGraph.Attribute.of("coordinate_transformation_mode", "asymmetric"), OnnxGraph.Attribute.of("nearest_mode", "floor"));
	}

	@Override
	public int[] decoderChannels() {
		final int l = config.levels();
		final int[] c = new int[l - 1];
		for (int j = 0; j < l - 1; j++) c[j] = config.width(l - 2 - j);
		return c;
	}

	@Override
	public int[] pyramidChannels() {
		final int[] c = new int[config.levels()];
		java.util.Arrays.fill(c, config.baseWidth());
		return c;
	}

	@Override
	public NDArray[] pyramid(final NDList out) {
		final int l = config.levels(), first = 2 * l;
		final NDArray[] p = new NDArray[l];
		for (int i = 0; i < l; i++) p[i] = out.get(first + l - 1 - i);
		return p;
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape[] base = super.getOutputShapes(inputShapes);
		final int l = config.levels();
		final Shape s = inputShapes[0];
		final Shape[] out = java.util.Arrays.copyOf(base, base.length + l);
		for (int j = 0; j < l; j++) {
			final int f = 1 << (l - 1 - j);
			out[base.length + j] = new Shape(s.get(0), config.baseWidth(), s.get(2) / f, s.get(3) / f, s.get(4) / f);
		}
		return out;
	}
}
