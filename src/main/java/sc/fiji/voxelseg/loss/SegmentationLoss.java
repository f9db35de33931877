package sc.fiji.voxelseg.loss;

import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

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

	private static final int[] BATCH_AND_SPACE = { 0, 2, 3, 4 };

	/** The loss of {@code logits} against {@code labels}, a scalar. */
	public NDArray compute(final NDArray logits, final NDArray labels) {
		switch (this) {
			case DICE:
				return softDice(logits, labels);
			case CE:
				return crossEntropy(logits, labels, null);
			default:
				return softDice(logits, labels).add(crossEntropy(logits, labels, null));
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

	/** Labels N × D × H × W as a float one-hot tensor N × K × D × H × W. */
	public static NDArray oneHot(final NDArray labels, final int classes) {
		return labels.toType(DataType.INT64, false).oneHot(classes).transpose(0, 4, 1, 2, 3);
	}

	/**
	 * Seed 000 eq. (3): {@code 1 - (1/K) Σ_c (2 Σ_i p_ci g_ci + ε) / (Σ_i p_ci² + Σ_i g_ci² + ε)} with
	 * {@code p = softmax(logits)} over the class axis, {@code g} the one-hot labels, sums over every
	 * voxel of every volume of the batch (the batch is one pooled sample), all K classes including
	 * background, and {@code ε = 1e-5}.
	 */
	public static NDArray softDice(final NDArray logits, final NDArray labels) {
		final int k = (int) logits.getShape().get(1);
		final NDArray p = logits.softmax(1);
		final NDArray g = oneHot(labels, k);
		final NDArray inter = p.mul(g).sum(BATCH_AND_SPACE);
		final NDArray denom = p.square().sum(BATCH_AND_SPACE).add(g.sum(BATCH_AND_SPACE));
		final NDArray dice = Scalars.mul(inter, 2).add(DICE_SMOOTH).div(denom.add(DICE_SMOOTH));
		return dice.mean().neg().add(1);
	}

	/**
	 * Mean cross-entropy {@code -log softmax(logits)[label]} over voxels; with a {@code weight} map
	 * (N × D × H × W, e.g. 0/1 for voxels to ignore) the weighted mean {@code Σ w·ce / Σ w}, and 0
	 * when every weight is 0.
	 */
	public static NDArray crossEntropy(final NDArray logits, final NDArray labels, final NDArray weight) {
		final int k = (int) logits.getShape().get(1);
		final NDArray ce = logits.logSoftmax(1).mul(oneHot(labels, k)).sum(new int[] { 1 }).neg();
		if (weight == null) return ce.mean();
		final NDArray w = weight.toType(DataType.FLOAT32, false);
		return ce.mul(w).sum().div(Scalars.maximum(w.sum(), 1e-12));
	}
}
