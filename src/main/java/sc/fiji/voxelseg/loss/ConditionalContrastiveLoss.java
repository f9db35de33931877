package sc.fiji.voxelseg.loss;

import java.util.HashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.nn.Scalars;

/**
 * The multi-conditional supervised contrastive loss of semantic-aware contrastive pretraining (seed
 * 002, AGCL), and its self-supervised baseline SSCL. The batch is S rows of L2-normalised
 * projections z (S × F), both augmented views of every patch among them, each row with a label;
 * rows with equal labels are positives of each other. AGCL's label is the (organ, condition) pair of
 * the patch ({@link #conditionLabels}), so a patch's twin view is always one of its positives; with
 * a single condition tag this is organ-only SupCon. SSCL labels each row with its patch
 * ({@link #twinLabels}), so the twin is the only positive.
 * <p>
 * The loss is Khosla et al.'s SupCon in its "out" form, τ = {@value #TEMPERATURE}:
 * {@code L = mean over anchors k with |P(k)| > 0 of ℓ_k},
 * {@code ℓ_k = -1/|P(k)| Σ_{l∈P(k)} log( exp(z_k·z_l/τ) / Σ_{j≠k} exp(z_k·z_j/τ) )}, with P(k)
 * the other rows of k's label. Choices, and where they differ from other formulations:
 * <ul>
 * <li>The mean over anchors is Khosla et al.'s default reduction. AGCL's eq. (3) is printed as a
 * sum over anchors, which is the mean times the number of anchors A: the same minimiser, but a
 * loss and a gradient that grow with the batch size: with SGD, a learning rate multiplied by A
 * (2 × patches per batch); Adam's steps barely change, but their balance against weight decay
 * does.</li>
 * <li>Anchors without a positive are left out of the mean, as the methods state. Khosla et al.'s
 * code instead counts them with a loss of 0, which shrinks the mean by the fraction of such
 * anchors; in AGCL's batches every row has its twin, so there are none and both agree. When no
 * anchor has a positive the loss is 0, with a zero gradient.</li>
 * <li>Khosla et al.'s code multiplies the loss by τ / base_τ (base_τ = 0.07 by default); the
 * methods' formula has no such factor, and none is applied.</li>
 * <li>The anchor's own similarity is excluded from its denominator; every other row, positive or
 * not, is in it.</li>
 * </ul>
 * This is the unweighted counterpart of the voxel-level SCL baseline
 * ({@link VoxelRepresentationLoss#supervisedContrastive}), which weights each class's mean over
 * anchors and normalises its rows itself; both are computed by {@link #pairwiseLogLikelihood}.
 * <p>
 * Memory: the similarities are S × S, which for a batch of patches (S = 2 × patches) is small.
 */
public final class ConditionalContrastiveLoss {

	/** AGCL's temperature τ, SupCon's value. */
	public static final double TEMPERATURE = 0.1;
	/** What stands for the -∞ of a row's own similarity. */
	static final float MASK = -1e9f;

	private ConditionalContrastiveLoss() {}

	/**
	 * A compact label per row for its (organ, condition) pair: equal pairs get equal labels, distinct
	 * pairs distinct ones, numbered 0, 1, … in the order in which the pairs first appear. With one
	 * condition for all rows the labels are the organs' partition of the rows, so
	 * {@link #supCon} on them is organ-only SupCon.
	 *
	 * @param organs the organ of each row
	 * @param conditions the condition tag of each row, as many
	 */
	public static int[] conditionLabels(final int[] organs, final int[] conditions) {
		if (organs.length != conditions.length) {
			throw new IllegalArgumentException(organs.length + " organs but " + conditions.length + " conditions");
		}
		final Map<Long, Integer> ids = new HashMap<>();
		final int[] labels = new int[organs.length];
		for (int i = 0; i < organs.length; i++) {
			final long pair = (long) organs[i] << 32 | conditions[i] & 0xffffffffL;
			labels[i] = ids.computeIfAbsent(pair, p -> ids.size());
		}
		return labels;
	}

	/**
	 * SSCL's labels for a batch of {@code patches} patches laid out as two stacked views (rows 0 to
	 * B-1 view A of patches 0 to B-1, rows B to 2B-1 view B of the same patches, as
	 * {@link DenseContrastiveLoss} stacks them): row r is labelled with its patch, r mod B, so each
	 * row's only positive is its twin.
	 */
	public static int[] twinLabels(final int patches) {
		if (patches < 1) throw new IllegalArgumentException("bad patch count " + patches);
		final int[] labels = new int[2 * patches];
		for (int r = 0; r < labels.length; r++) labels[r] = r % patches;
		return labels;
	}

	/** {@link #supCon(NDArray, int[], double)} at AGCL's τ = {@value #TEMPERATURE}. */
	public static NDArray supCon(final NDArray z, final int[] labels) {
		return supCon(z, labels, TEMPERATURE);
	}

	/**
	 * The supervised contrastive loss (see the class comment), a scalar: the unweighted mean of ℓ_k
	 * over the anchors that have a positive, 0 with a zero gradient when none has. The gradient
	 * reaches z, with respect to z as given: the rows are not normalised here, so that the caller's
	 * normalisation (the projection head's last step) is the only one.
	 *
	 * @param z projections, S × F, rows of unit length
	 * @param labels a label per row; rows with equal labels are positives of each other (the values
	 *          need not be compact)
	 * @param temperature τ &gt; 0
	 */
	public static NDArray supCon(final NDArray z, final int[] labels, final double temperature) {
		final Shape shape = z.getShape();
		if (shape.dimension() != 2 || shape.get(0) != labels.length) {
			throw new IllegalArgumentException("SupCon needs S × F projections for " + labels.length + " labels, got " + shape);
		}
		final int s = labels.length;
		// |P(k)| for every row, and the number A of anchors with a positive
		final int[] positives = new int[s];
		int anchors = 0;
		for (int k = 0; k < s; k++) {
			for (int j = 0; j < s; j++) if (j != k && labels[j] == labels[k]) positives[k]++;
			if (positives[k] > 0) anchors++;
		}
		// a[k][l] = 1 / (A |P(k)|) for l a positive of anchor k, so that Σ a·log p is the mean over anchors
		final float[] a = new float[s * s];
		for (int k = 0; k < s; k++) {
			if (positives[k] == 0) continue;
			final float akl = (float) (1.0 / anchors / positives[k]);
			for (int l = 0; l < s; l++) if (l != k && labels[l] == labels[k]) a[k * s + l] = akl;
		}
		return pairwiseLogLikelihood(z, a, temperature);
	}

	/**
	 * {@code -Σ_kl a_kl log p_kl}, a scalar, with the contrastive probabilities
	 * {@code p_kl = exp(s_kl/τ) / Σ_{j≠k} exp(s_kj/τ)} of the similarities {@code s = z·zᵀ} (z is S ×
	 * F and used as given) and pair weights a (S × S, row-major, 0 on the diagonal). The SupCon losses
	 * differ only in their weights. How it is computed:
	 * <ul>
	 * <li>The diagonal of {@code s/τ} gets {@value #MASK} added; after the shift by the row's maximum
	 * its exponential is exactly 0 in float32, so it is out of the denominator, with a zero
	 * gradient.</li>
	 * <li>The log-denominator is {@code m + log Σ exp(x - m)}, m the row's largest off-diagonal logit
	 * taken out of the graph, as {@code torch.logsumexp} computes it: the gradient is the row's
	 * softmax whatever m is, {@code exp} cannot overflow for any τ or row length, and the largest
	 * term is 1, so the sum cannot underflow to 0 either (S ≥ 2; with S = 1 no row has a positive and
	 * every weight is 0).</li>
	 * <li>The weights come in as a tensor made from Java data, which is left open: the backward pass
	 * multiplies by it (see {@link Scalars}).</li>
	 * </ul>
	 */
	static NDArray pairwiseLogLikelihood(final NDArray z, final float[] a, final double temperature) {
		if (!(temperature > 0)) throw new IllegalArgumentException("bad temperature " + temperature);
		final int s = Math.toIntExact(z.getShape().get(0));
		final NDManager m = z.getManager();
		final NDArray zt = z.transpose();
		final NDArray similarity = z.matMul(zt);
		zt.close();
		final NDArray logits = Scalars.div(similarity, temperature);
		similarity.close();
		// S × S: MASK on the diagonal, 0 elsewhere; made by torch and without a gradient
		final NDArray eye = m.eye(s, s, 0, z.getDataType());
		final NDArray mask = eye.toDevice(z.getDevice(), false).muli(MASK);
		final NDArray masked = logits.add(mask);
		eye.close();
		mask.close();
		final NDArray rowMax = masked.max(new int[] { 1 }, true);
		final NDArray max = rowMax.stopGradient();
		final NDArray shifted = masked.sub(max);
		masked.close();
		rowMax.close();
		final NDArray exp = shifted.exp();
		shifted.close();
		final NDArray sum = exp.sum(new int[] { 1 }, true);
		exp.close();
		final NDArray log = sum.log();
		final NDArray logDenominator = log.add(max);
		sum.close();
		log.close();
		max.close();
		final NDArray logProb = logits.sub(logDenominator);
		logits.close();
		logDenominator.close();
		final NDArray weight = m.create(a, new Shape(s, s)).toDevice(z.getDevice(), false);
		final NDArray weighted = logProb.mul(weight);
		logProb.close();
		final NDArray total = weighted.sum();
		weighted.close();
		final NDArray loss = total.neg();
		total.close();
		return loss;
	}
}
