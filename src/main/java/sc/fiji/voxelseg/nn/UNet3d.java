package sc.fiji.voxelseg.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * 3D U-Net (Çiçek et al. 2016) as in the seed's configuration. Encoder level {@code i} (width
 * {@code w_i = base·2^i}) holds two 3×3×3 convolution + norm + ReLU units, the first to
 * {@code max(w_i/2, in)} channels, the second to {@code w_i} (Çiçek's doubling inside a level);
 * 2×2×2 max-pooling leads to the next level. Each decoder level upsamples with a 2×2×2 transposed
 * convolution {@code w_{i+1} → w_i}, concatenates the encoder map of its level (skip first, as
 * {@code torch.cat((skip, up), 1)}), and applies two units {@code 2w_i → w_i → w_i}. A 1×1×1
 * convolution gives the K logits. With 4 levels and base 64 this has 15.4 M parameters (the seed's
 * network: 16.3 M, which upsamples by interpolation and has no transposed convolutions).
 * <p>
 * On the CPU, in training and inference, a decoder level's first convolution takes the skip map
 * and the level below as they are ({@link ConvStack#applyUpPair}): it convolves the skip map with
 * its share of the weight and adds the convolution of the upsampled map, which it computes from the
 * level below without forming that map ({@link ConvTranspose3dBlock#convolvedBy}, about 45 % fewer
 * multiply-adds for that part). The concatenation is never written, nor kept for the backward
 * pass, and neither is the upsampled map (0.27 GB per volume at the first level of a 128×128×64
 * input) except at a level whose map is too small to pay for combining the weights
 * ({@link ConvTranspose3dBlock#subPixelPays}). On a GPU the decoder concatenates.
 * <p>
 * Children are registered in the order encoders, then (up, decoder) from the deepest, then head,
 * matching the PyTorch reference module used by the tests.
 */
public final class UNet3d extends SegmentationNetwork {

	private final ConvStack[] encoders, decoders;
	private final ConvTranspose3dBlock[] ups;
	private final Conv3dBlock head;

	public UNet3d(final NetworkConfig c) {
		super(c);
		final int l = c.levels();
		encoders = encoder(c, this::addChildBlock);
		decoders = new ConvStack[l - 1];
		ups = new ConvTranspose3dBlock[l - 1];
		for (int i = l - 2; i >= 0; i--) {
			final int w = c.width(i);
			ups[i] = addChildBlock("up" + i, new ConvTranspose3dBlock(c.width(i + 1), w));
			decoders[i] = addChildBlock("dec" + i, new ConvStack(List.of(
				ConvUnit.same(2 * w, w, c.kernel(), c.norm(), ConvUnit.Activation.RELU),
				ConvUnit.same(w, w, c.kernel(), c.norm(), ConvUnit.Activation.RELU))));
		}
		head = addChildBlock(HEAD, new Conv3dBlock(c.width(0), c.classes(), 1, 1, 0, true));
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		final NDArray x = inputs.head();
		checkInput(x.getShape());
		final int l = config.levels();
		final boolean trainBackbone = trainsBackbone(training);
		final NDArray[] enc = encoderOutputs(encode(encoders, ps, x, trainsEncoder(training)));
		NDArray y = enc[l - 1];
		final NDArray[] dec = new NDArray[l - 1];
		final boolean pair = TorchEngine.channelsLast(x.getDevice());
		for (int i = l - 2; i >= 0; i--) {
			if (pair) y = decoders[i].applyUpPair(ps, enc[i], y, ups[i], trainBackbone);
			else {
				final NDArray cat = ups[i].forwardConcat(ps, enc[i], y, trainBackbone);
				y = release(decoders[i].forward(ps, new NDList(cat), trainBackbone).head(), cat);
			}
			dec[i] = y;
		}
		return output(head.forward(ps, new NDList(headInput(y)), training).head(), enc, dec);
	}

	@Override
	public String onnxLogits(final OnnxGraph g, final String x) {
		final int l = config.levels();
		final String[] enc = onnxEncode(encoders, g, x);
		String y = enc[l - 1];
		for (int i = l - 2; i >= 0; i--) y = decoders[i].onnx(g, onnxConcat(g, enc[i], ups[i].onnx(g, y)));
		return head.onnx(g, y);
	}

	/** {@link #encode} in ONNX: the encoder maps by level. */
	static String[] onnxEncode(final ConvStack[] encoders, final OnnxGraph g, final String x) {
		final String[] enc = new String[encoders.length];
		String y = x;
		for (int i = 0; i < encoders.length; i++) {
			y = encoders[i].onnx(g, i > 0 ? onnxPool(g, y) : y);
			enc[i] = y;
		}
		return enc;
	}

	@Override
	public NDArray[] encoderMaps(final ParameterStore ps, final NDArray x, final boolean training) {
		checkInput(x.getShape());
		return encoderOutputs(encode(encoders, ps, x, trainsEncoder(training)));
	}

	/**
	 * The U-Net's encoder levels, registered as children {@code enc0 … enc(l-1)} through
	 * {@code add}: at level {@code i} two units to {@code max(w_i/2, in)} and {@code w_i} channels.
	 * The feature pyramid network shares it.
	 */
	static ConvStack[] encoder(final NetworkConfig c, final java.util.function.BiFunction<String, ConvStack, ConvStack> add) {
		final ConvStack[] encoders = new ConvStack[c.levels()];
		int in = c.inChannels();
		for (int i = 0; i < encoders.length; i++) {
			final int w = c.width(i), mid = Math.max(w / 2, in);
			encoders[i] = add.apply("enc" + i, new ConvStack(List.of(
				ConvUnit.same(in, mid, c.kernel(), c.norm(), ConvUnit.Activation.RELU),
				ConvUnit.same(mid, w, c.kernel(), c.norm(), ConvUnit.Activation.RELU))));
			in = w;
		}
		return encoders;
	}

	/** The encoder maps by level (0 = full resolution), 2×2×2 max-pooling between levels. */
	static NDArray[] encode(final ConvStack[] encoders, final ParameterStore ps, final NDArray x, final boolean training) {
		final NDArray[] enc = new NDArray[encoders.length];
		NDArray y = x;
		for (int i = 0; i < encoders.length; i++) {
			if (i > 0) {
				final NDArray pooled = Pool.maxPool3d(y, new Shape(2, 2, 2), new Shape(2, 2, 2), new Shape(0, 0, 0), false);
				y = release(encoders[i].forward(ps, new NDList(pooled), training).head(), pooled);
			}
			else y = encoders[i].forward(ps, new NDList(y), training).head();
			enc[i] = y;
		}
		return enc;
	}

	@Override
	public int[] decoderChannels() {
		final int l = config.levels();
		final int[] c = new int[l - 1];
		for (int j = 0; j < l - 1; j++) c[j] = config.width(l - 2 - j);
		return c;
	}
}
