package sc.fiji.voxelseg.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.nn.Scalars;

/**
 * The symmetric InfoNCE loss of dense self-supervised pretraining (seed 004, vox2vec): two views A
 * and B of the same volumes, and S voxels seen in both (S = pairs × voxels over the whole batch).
 * Row i of e1 and row i of e2 (both S × F, L2-normalised, from the projection head of view A and of
 * view B) are the same original voxel, the positive pair; every other row of either view is a
 * negative. With τ the temperature, vox2vec's code computes
 * <ul>
 * <li>{@code l11 = e1·e1ᵀ/τ} with its diagonal set to -∞, {@code l12 = e1·e2ᵀ/τ},
 * {@code l22 = e2·e2ᵀ/τ} with its diagonal set to -∞ (all S × S);</li>
 * <li>{@code loss1 = mean_i( -l12[i,i] + logsumexp_j [l11 | l12][i,j] )}, each voxel of view A
 * against its partner and the other 2S - 2 voxels;</li>
 * <li>{@code loss2 = mean_i( -l12[i,i] + logsumexp_j [l12ᵀ | l22][i,j] )}, the same for view B;</li>
 * <li>{@code loss = (loss1 + loss2) / 2}.</li>
 * </ul>
 * How it is computed here, and why:
 * <ul>
 * <li>The rows of {@code [l11 | l12]} and {@code [l12ᵀ | l22]} are the 2S rows of {@code E·Eᵀ/τ},
 * with E the 2S × F matrix of e1's rows above e2's; both means together are the mean over these 2S
 * rows. So the logits are one 2S × 2S product and the loss is
 * {@code mean_r logsumexp(row r) - mean_i e1_i·e2_i / τ}, since l12[i,i] is the positive of row i
 * and of row S + i alike.</li>
 * <li>The -∞ of the diagonal becomes a finite {@value #MASK}: after the shift by the row's maximum
 * (a real logit, every row has 2S - 1 ≥ 1 of them) its exponential is exactly 0 in float32, as
 * exp(-∞) is, so value and gradient are those of -∞, and no -∞ reaches an operation where it
 * could make a NaN (-∞ - (-∞), 0·∞).</li>
 * <li>logsumexp is {@code m + log Σ exp(x - m)} with m the row's maximum taken out of the graph,
 * as {@code torch.logsumexp} computes it: its gradient is the row's softmax whatever m is, and the
 * shift keeps {@code exp} from overflowing for any τ.</li>
 * </ul>
 * The embeddings are not normalised here: the projection head's last step does it
 * ({@link sc.fiji.voxelseg.nn.ProjectionHead}). The loss is never negative, each row's logsumexp
 * running over its own positive among the others, and with unit rows it is at most
 * {@code log(2S - 1) + 2/τ}; with S = 1 it is 0, a row's positive being its only candidate.
 * <p>
 * Memory: the logits are 2S × 2S, 64 MiB in float32 at S = 2048 and 1 GiB at S = 8192; the
 * backward pass keeps one such array (the exponentials), the forward pass needs about three at a
 * time.
 */
public final class DenseContrastiveLoss {

	/** vox2vec's temperature τ. */
	public static final double TEMPERATURE = 0.1;
	/** What stands for the -∞ of a row's own similarity. */
	static final float MASK = -1e9f;

	private DenseContrastiveLoss() {}

	/** {@link #infoNce(NDArray, NDArray, double)} at vox2vec's τ = {@value #TEMPERATURE}. */
	public static NDArray infoNce(final NDArray e1, final NDArray e2) {
		return infoNce(e1, e2, TEMPERATURE);
	}

	/**
	 * The symmetric InfoNCE loss (see the class comment), a scalar; the gradient reaches both inputs.
	 *
	 * @param e1 view A's embeddings, S × F, rows of unit length
	 * @param e2 view B's embeddings of the same S voxels in the same order, S × F
	 * @param temperature τ &gt; 0
	 */
	public static NDArray infoNce(final NDArray e1, final NDArray e2, final double temperature) {
		final Shape shape = e1.getShape();
		if (shape.dimension() != 2 || shape.get(0) < 1 || !shape.equals(e2.getShape())) {
			throw new IllegalArgumentException("InfoNCE needs two S × F embeddings of the same shape, got " + shape + " and " + e2
				.getShape());
		}
		if (!(temperature > 0)) throw new IllegalArgumentException("bad temperature " + temperature);
		final int rows = Math.toIntExact(2 * shape.get(0));
		final double inv = 1 / temperature;
		// 2S × F: view A's rows, then view B's
		final NDArray e = e1.concat(e2, 0);
		final NDArray et = e.transpose();
		final NDArray similarity = e.matMul(et);
		close(e, et);
		final NDArray logits = Scalars.mul(similarity, inv);
		close(similarity);
		// 2S × 2S: MASK on the diagonal, 0 elsewhere; made by torch and without a gradient
		final NDArray eye = e1.getManager().eye(rows, rows, 0, e1.getDataType());
		final NDArray mask = eye.toDevice(e1.getDevice(), false).muli(MASK);
		final NDArray masked = logits.add(mask);
		close(logits, eye, mask);
		final NDArray rowMax = masked.max(new int[] { 1 }, true);
		final NDArray max = rowMax.stopGradient();
		final NDArray shifted = masked.sub(max);
		close(masked, rowMax);
		final NDArray exp = shifted.exp();
		close(shifted);
		final NDArray sum = exp.sum(new int[] { 1 }, true);
		close(exp);
		final NDArray log = sum.log();
		final NDArray lse = log.add(max);
		final NDArray meanLse = lse.mean();
		close(sum, log, max, lse);
		final NDArray products = e1.mul(e2);
		final NDArray positives = products.sum(new int[] { 1 });
		final NDArray meanPositive = positives.mean();
		final NDArray scaledPositive = Scalars.mul(meanPositive, inv);
		final NDArray loss = meanLse.sub(scaledPositive);
		close(products, positives, meanPositive, scaledPositive, meanLse);
		return loss;
	}

	/**
	 * Closes the Java handles of temporaries as soon as the forward pass is done with them: the
	 * graph keeps what the backward pass needs (of the 2S × 2S arrays, the exponentials), and the
	 * others are freed at once instead of when the step's scope ends, so that no more than about
	 * three 2S × 2S arrays exist at a time.
	 */
	private static void close(final NDArray... temporaries) {
		for (final NDArray t : temporaries) t.close();
	}
}
