package sc.fiji.voxelseg.loss;

import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.nn.Scalars;

/**
 * The supervised segmentation losses: multi-label soft Dice as in seed 000 eq. (3), cross-entropy,
 * and their sum. Logits are N × K × D × H × W floats; labels are N × D × H × W class indices
 * (any integer type) in 0..K-1.
 */
public enum SegmentationLoss {
	/** {@link #softDice}. */
	DICE,
	/** {@link #crossEntropy}. */
	CE,
	/** {@code softDice + crossEntropy}, nnU-Net's default. */
	DICE_CE;

	/** Smoothing of the Dice ratio, so a class absent from prediction and truth costs nothing. */
	public static final float DICE_SMOOTH = 1e-5f;

	private static final int[] BATCH = { 0 }, CLASS_SUMS_OF_P = { 0, 2 }, CLASS_SUMS_OF_G = { 0, 1 };

	/** The loss of {@code logits} against {@code labels}, a scalar. */
	public NDArray compute(final NDArray logits, final NDArray labels) {
		checkClasses(labels, logits.getShape().get(1));
		switch (this) {
			case DICE:
				return dice(logits, labels);
			case CE:
				return ce(logits, labels, null);
			default:
				return dice(logits, labels).add(ce(logits, labels, null));
		}
	}

	/** The name used in settings files and on the command line. */
	public String id() {
		return name().toLowerCase(Locale.ROOT).replace('_', '+');
	}

	public static SegmentationLoss parse(final String s) {
		final String n = s.trim().toLowerCase(Locale.ROOT).replace('_', '+').replace('-', '+');
		for (final SegmentationLoss l : values()) if (l.id().equals(n)) return l;
		throw new IllegalArgumentException("unknown loss '" + s + "': use dice, ce or dice+ce");
	}

	/**
	 * Seed 000 eq. (3): {@code 1 - (1/K) Σ_c (2 Σ_i p_ci g_ci + ε) / (Σ_i p_ci² + Σ_i g_ci² + ε)} with
	 * {@code p = softmax(logits)} over the class axis, {@code g} the one-hot labels, sums over every
	 * voxel of every volume of the batch (the batch is one pooled sample), all K classes including
	 * background, and {@code ε = 1e-5}.
	 * <p>
	 * {@code Σ_i p_ci g_ci} is the diagonal of the batched matrix product {@code P·G}, with P the
	 * probabilities K × V and G the one-hot labels V × K; {@code Σ_i p_ci²} is a plain sum of squares.
	 * The products {@code p·g} are never materialised, nor is an int64 one-hot tensor: G is built by
	 * comparing each label with 0..K-1, already in the V × K order the product reads. At the seed's
	 * size and batch 2, each full-size class tensor a step writes costs about a tenth of a second, and
	 * this form writes fewer of them than the element-wise one.
	 */
	public static NDArray softDice(final NDArray logits, final NDArray labels) {
		checkClasses(labels, logits.getShape().get(1));
		return dice(logits, labels);
	}

	/** {@link #softDice} of labels already checked. */
	private static NDArray dice(final NDArray logits, final NDArray labels) {
		final Shape s = logits.getShape();
		final long n = s.get(0), k = s.get(1), v = s.size() / (n * k);
		final NDArray p = logits.softmax(1).reshape(n, k, v);
		final NDArray g = classMatrix(labels, n, v, k, p.getDataType());
		final NDArray inter = p.matMul(g).sum(BATCH).diagonal();
		final NDArray sumP2;
		// p² is needed only for its sums (the backward pass reads p): free it now, as PyTorch would
		try (NDArray p2 = p.square()) {
			sumP2 = p2.sum(CLASS_SUMS_OF_P);
		}
		final NDArray denom = sumP2.add(g.sum(CLASS_SUMS_OF_G));
		final NDArray dice = Scalars.mul(inter, 2).add(DICE_SMOOTH).div(denom.add(DICE_SMOOTH));
		return dice.mean().neg().add(1);
	}

	/**
	 * Refuses labels outside 0..K-1, which the one-hot comparison would otherwise count in no class
	 * and the gather would read out of bounds.
	 */
	private static void checkClasses(final NDArray labels, final long k) {
		try (NDArray lo = labels.min(); NDArray hi = labels.max(); NDArray lo64 = lo.toType(DataType.INT64, false);
			NDArray hi64 = hi.toType(DataType.INT64, false)) {
			final long min = lo64.getLong(), max = hi64.getLong();
			if (min < 0 || max >= k) throw new IllegalArgumentException("labels hold class " + (min < 0 ? min : max) +
				" but the network has " + k + " classes (0.." + (k - 1) + ")");
		}
	}

	/** The one-hot labels N × V × K of the given type, by comparing each label with 0..K-1. */
	private static NDArray classMatrix(final NDArray labels, final long n, final long v, final long k, final DataType type) {
		try (NDArray classes = labels.getManager().arange(0, (int) k, 1, labels.getDataType(), labels.getDevice());
			NDArray column = labels.reshape(n, v, 1); NDArray hit = column.eq(classes)) {
			return hit.toType(type, false);
		}
	}

	/**
	 * Mean cross-entropy {@code -log softmax(logits)[label]} over voxels; with a {@code weight} map
	 * (N × D × H × W, e.g. 0/1 for voxels to ignore) the weighted mean {@code Σ w·ce / Σ w}, and 0
	 * when every weight is 0.
	 */
	public static NDArray crossEntropy(final NDArray logits, final NDArray labels, final NDArray weight) {
		checkClasses(labels, logits.getShape().get(1));
		return ce(logits, labels, weight);
	}

	/** {@link #crossEntropy} of labels already checked. */
	private static NDArray ce(final NDArray logits, final NDArray labels, final NDArray weight) {
		final NDArray index = labels.toType(DataType.INT64, false).expandDims(1);
		final NDArray nll = logits.logSoftmax(1).gather(index, 1).squeeze(1).neg();
		if (weight == null) return nll.mean();
		final NDArray w = weight.toType(DataType.FLOAT32, false);
		return nll.mul(w).sum().div(Scalars.maximum(w.sum(), 1e-12));
	}
}
