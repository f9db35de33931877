package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * A 3D segmentation network on NCDHW float tensors (N volumes, C channels, D slices along z, H rows
 * along y, W columns along x). Its forward pass returns, in one {@link NDList}:
 * <ol start="0">
 * <li>the logits, N × K × D × H × W;</li>
 * <li>then the encoder's hidden feature maps from the deepest (index 1, METHODS' E_1) to the
 * full-resolution one (index {@code levels});</li>
 * <li>then the decoder's feature maps from the deepest to the full-resolution one
 * ({@code levels - 1} of them).</li>
 * </ol>
 * The representation and adversarial losses consume the hidden maps; inference uses the logits.
 */
public abstract class SegmentationNetwork extends NetBlock {

	/** The names of the segmentation head's blocks start with this; every other block is the backbone. */
	public static final String HEAD = "head";

	protected final NetworkConfig config;
	private boolean backboneFrozen, backboneStatisticsFixed, encoderFrozen;

	protected SegmentationNetwork(final NetworkConfig config) {
		this.config = config;
	}

	/** Whether parameter {@code name} (as {@link #getParameters} names it) belongs to the head. */
	public static boolean isHead(final String name) {
		return name.startsWith(HEAD);
	}

	/**
	 * Whether parameter {@code name} (as {@link #getParameters} names it, without DJL's child
	 * positions) belongs to the encoder: the U-Net's and the feature pyramid's {@code enc} levels, the
	 * VNet's {@code in} and {@code down} stages.
	 */
	public static boolean isEncoder(final String name) {
		return name.startsWith("enc") || name.startsWith("in_") || name.startsWith("down");
	}

	/**
	 * Freezes the encoder (seed 002's second stage): it runs in inference mode, keeping its batch-norm
	 * statistics, and no gradient flows into it, so only the decoder and the head learn.
	 */
	public void setEncoderFrozen(final boolean frozen) {
		encoderFrozen = frozen;
	}

	public boolean encoderFrozen() {
		return encoderFrozen;
	}

	/** Whether the encoder runs in training mode in a forward pass of the given mode. */
	protected boolean trainsEncoder(final boolean training) {
		return trainsBackbone(training) && !encoderFrozen;
	}

	/** The encoder maps as the decoder reads them: cut from the encoder's graph when it is frozen (in place). */
	protected NDArray[] encoderOutputs(final NDArray[] enc) {
		if (encoderFrozen) for (int i = 0; i < enc.length; i++) enc[i] = enc[i].stopGradient();
		return enc;
	}

	/**
	 * Freezes the backbone: no gradient flows into it (the head's input is cut from its graph), so
	 * the backward pass stops at the head. Fine-tuning's first steps and linear evaluation.
	 */
	public void setBackboneFrozen(final boolean frozen) {
		backboneFrozen = frozen;
	}

	public boolean backboneFrozen() {
		return backboneFrozen;
	}

	/**
	 * Keeps the backbone's batch-norm statistics: the backbone then runs in inference mode even in
	 * training (it uses and keeps its running statistics). Linear evaluation.
	 */
	public void setBackboneStatisticsFixed(final boolean fixed) {
		backboneStatisticsFixed = fixed;
	}

	/** Whether the backbone runs in training mode in a forward pass of the given mode. */
	protected boolean trainsBackbone(final boolean training) {
		return training && !backboneStatisticsFixed;
	}

	/** The head's input: {@code x} itself, or cut from the backbone's graph when it is frozen. */
	protected NDArray headInput(final NDArray x) {
		return backboneFrozen ? x.stopGradient() : x;
	}

	/**
	 * The feature pyramid of a forward output, finest level first ({@code [0]} full resolution, each
	 * next level half the size per axis): for the U-Net and VNet their decoder maps and, as the
	 * coarsest level, the deepest encoder map.
	 */
	public NDArray[] pyramid(final NDList out) {
		return decoderPyramid(out);
	}

	/** Channels of {@link #pyramid}'s levels, finest first. */
	public int[] pyramidChannels() {
		return decoderPyramidChannels();
	}

	/**
	 * The decoder maps, finest first, then the deepest encoder map: the pyramid before any
	 * balancing projection (for the FPN, its top-down maps).
	 */
	public final NDArray[] decoderPyramid(final NDList out) {
		final int l = config.levels();
		final NDArray[] p = new NDArray[l];
		for (int i = 0; i < l - 1; i++) p[i] = decoder(out, l - 1 - i);
		p[l - 1] = encoder(out, 1);
		return p;
	}

	/** Channels of {@link #decoderPyramid}'s levels, finest first. */
	public final int[] decoderPyramidChannels() {
		final int l = config.levels();
		final int[] dec = decoderChannels(), c = new int[l];
		for (int i = 0; i < l - 1; i++) c[i] = dec[l - 2 - i];
		c[l - 1] = encoderChannels()[0];
		return c;
	}

	public NetworkConfig config() {
		return config;
	}

	/** Channels of the encoder maps, deepest first (output indices 1..levels): the level widths. */
	public int[] encoderChannels() {
		final int l = config.levels();
		final int[] c = new int[l];
		for (int j = 0; j < l; j++) c[j] = config.width(l - 1 - j);
		return c;
	}

	/** Channels of the decoder maps, deepest first (output indices levels+1..2·levels-1). */
	public abstract int[] decoderChannels();

	/**
	 * The encoder maps alone, by level (0 = full resolution, the last the deepest), without the
	 * decoder and the head: what a patch-level representation reads (seed 002), at the encoder's cost
	 * only. The same maps as a full forward pass of the same mode gives.
	 */
	public abstract NDArray[] encoderMaps(ParameterStore ps, NDArray x, boolean training);

	/**
	 * The forward output in the documented order from the logits and the encoder and decoder maps
	 * indexed by level (0 = full resolution).
	 */
	protected static NDList output(final NDArray logits, final NDArray[] encoderByLevel, final NDArray[] decoderByLevel) {
		final NDList out = new NDList(1 + encoderByLevel.length + decoderByLevel.length);
		out.add(logits);
		for (int i = encoderByLevel.length - 1; i >= 0; i--) out.add(encoderByLevel[i]);
		for (int i = decoderByLevel.length - 1; i >= 0; i--) out.add(decoderByLevel[i]);
		return out;
	}

	/**
	 * The logits of an inference-mode forward pass (running batch-norm statistics, folded into the
	 * convolutions) as ONNX nodes applied to the input value {@code x}; returns the logits' value.
	 */
	public abstract String onnxLogits(OnnxGraph g, String x);

	@Override
	public final String onnx(final OnnxGraph g, final String x) {
		return onnxLogits(g, x);
	}

	/** 2×2×2 max-pooling in ONNX. */
	static String onnxPool(final OnnxGraph g, final String x) {
		return g.node("MaxPool", new String[] { x }, OnnxGraph.Attribute.ints("kernel_shape", 2, 2, 2), OnnxGraph.Attribute.ints("strides", 2, 2, 2));
	}

	/** Channel concatenation in ONNX. */
	static String onnxConcat(final OnnxGraph g, final String... parts) {
		return g.node("Concat", parts, OnnxGraph.Attribute.of("axis", 1L));
	}

	/** The logits of a forward output. */
	public static NDArray logits(final NDList out) {
		return out.get(0);
	}

	/** Encoder map at depth {@code j} (1 = deepest), METHODS' E_j. */
	public NDArray encoder(final NDList out, final int j) {
		if (j < 1 || j > config.levels()) throw new IllegalArgumentException("encoder depth " + j + " outside 1.." + config.levels());
		return out.get(j);
	}

	/** Decoder map at depth {@code j} (1 = deepest, levels-1 = full resolution). */
	public NDArray decoder(final NDList out, final int j) {
		if (j < 1 || j >= config.levels()) throw new IllegalArgumentException("decoder depth " + j + " outside 1.." + (config.levels() - 1));
		return out.get(config.levels() + j);
	}

	/** Refuses an input whose shape the network cannot take, saying what would fit. */
	public void checkInput(final Shape s) {
		if (s.dimension() != 5) throw new IllegalArgumentException("network input must be N×C×D×H×W, got " + s);
		if (s.get(1) != config.inChannels()) {
			throw new IllegalArgumentException("network expects " + config.inChannels() + " input channel(s), got " + s.get(1));
		}
		final int div = config.divisor();
		for (int a = 2; a < 5; a++) {
			if (s.get(a) % div != 0 || s.get(a) == 0) {
				throw new IllegalArgumentException("a " + config.levels() + "-level network needs spatial sizes that are multiples of " +
					div + "; got " + s.get(4) + "×" + s.get(3) + "×" + s.get(2) + " (x×y×z). Resample or pad to e.g. " +
					config.fit(s.get(4)) + "×" + config.fit(s.get(3)) + "×" + config.fit(s.get(2)));
			}
		}
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape s = inputShapes[0];
		final int l = config.levels();
		final Shape[] out = new Shape[2 * l];
		out[0] = new Shape(s.get(0), config.classes(), s.get(2), s.get(3), s.get(4));
		final int[] enc = encoderChannels(), dec = decoderChannels();
		for (int j = 1; j <= l; j++) {
			final int f = 1 << (l - j);
			out[j] = new Shape(s.get(0), enc[j - 1], s.get(2) / f, s.get(3) / f, s.get(4) / f);
		}
		for (int j = 1; j < l; j++) {
			final int f = 1 << (l - 1 - j);
			out[l + j] = new Shape(s.get(0), dec[j - 1], s.get(2) / f, s.get(3) / f, s.get(4) / f);
		}
		return out;
	}
}
