package sc.fiji.voxelseg.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.nn.Scalars;

/**
 * The voxel-level representation losses of one hidden layer, on the S sampled voxels of that
 * layer (rows of S × width tensors) with their classes.
 * <p>
 * <b>Siamese (seed 000, eqs. 4-6).</b> With {@code n(v) = v / max(||v||, 1e-12)} (PyTorch's
 * {@code F.normalize}) and z' = stop-gradient(z):
 * {@code L_voxel(c) = mean over i, j in class c of n(p_i)·n(z'_j)} and the layer's term
 * {@code -Σ_c w_c L_voxel(c)}. Choices where the paper is silent or loose:
 * <ul>
 * <li>Eq. (4) is printed as a sum over all pairs; the mean is used so that a class's term lies in
 * [-1, 1] whatever the number of sampled voxels (with the sum, λ would have to change with the
 * sample count). Pairs run over all sampled voxels of the class across the batch, the paper's
 * "intra-voxel-wise" form, and include i = j: the double sum of eq. (4) does not exclude it.</li>
 * <li>Because the mean over all pairs of dot products is the dot product of the means,
 * {@code L_voxel(c) = mean_i n(p_i) · mean_j n(z'_j)}, which is how it is computed: linear in S,
 * no S × S matrix.</li>
 * <li>SimSiam symmetrises its loss over two views; here p and z come from the same voxels and the
 * pair set is symmetric, so the swapped term equals the unswapped one and no symmetrisation is
 * added.</li>
 * </ul>
 * <b>Supervised contrastive baseline (SCL).</b> The paper's SCL uses "a typical contrastive
 * learning method" on the same layers and samples with 1700 negatives per layer. Here it is
 * Khosla et al.'s SupCon on the normalised projections of the layer's sampled voxels: for anchor i,
 * {@code ℓ_i = -1/|P(i)| Σ_{q∈P(i)} log( exp(s_iq/τ) / Σ_{a≠i} exp(s_ia/τ) )} with
 * {@code s = n(z)·n(z)ᵀ}, P(i) the other sampled voxels of i's class, and the contrast set all
 * other sampled voxels of the layer (up to 1699, so the negatives of an anchor are the sampled
 * voxels of the other classes). τ = {@value #TEMPERATURE} (the paper gives none; 0.1 is SupCon's
 * and seeds 002 and 004's value). Anchors without a positive are left out; the layer's term is
 * {@code Σ_c w_c · mean over c's anchors of ℓ_i}, the class weighting of the Siamese loss, so that
 * the baseline differs from it only in the loss. It is
 * {@link ConditionalContrastiveLoss}'s SupCon with these class weights in place of its unweighted
 * mean over anchors, and shares its computation.
 * <p>
 * <b>Class weights (eq. 6).</b> {@code w_c = (|P|/|P_c|) / Σ_c' (|P|/|P_c'|)} over the classes
 * present, 0 for absent ones; they sum to 1. The paper defines P as the set of all voxel vectors of
 * the layer, so the counts passed in are those of the layer's whole grid before sampling (see
 * {@link VoxelSampler.Sample#gridCounts}), which keeps the sampler's per-class quotas from
 * changing the weights.
 */
public final class VoxelRepresentationLoss {

	/** Temperature of the supervised contrastive loss. */
	public static final double TEMPERATURE = 0.1;
	/** The ε of {@code F.normalize}. */
	static final float NORM_EPS = 1e-12f;

	private VoxelRepresentationLoss() {}

	/** Eq. (6): {@code w_c ∝ 1/count_c} over the classes with a positive count, summing to 1; 0 elsewhere. */
	public static double[] classWeights(final long[] counts) {
		final double[] w = new double[counts.length];
		double total = 0, sum = 0;
		for (final long c : counts) total += c;
		for (int c = 0; c < counts.length; c++) {
			if (counts[c] > 0) {
				w[c] = total / counts[c];
				sum += w[c];
			}
		}
		if (sum > 0) for (int c = 0; c < w.length; c++) w[c] /= sum;
		return w;
	}

	/**
	 * Rows scaled to unit length, {@code v / max(||v||₂, 1e-12)} as PyTorch's {@code F.normalize}
	 * computes them, S × F to S × F, with one difference: a row whose norm is below 1e-12 (in
	 * practice an exact zero row, which batch normalisation of identical voxel features produces)
	 * maps to zero with zero gradient. F.normalize gives such a row the gradient 1e12 × upstream,
	 * an unbounded step for SGD-trained weights; a norm built from {@code sqrt} would even give
	 * 0/0 = NaN. Elsewhere values and gradients are F.normalize's.
	 */
	public static NDArray normalizeRows(final NDArray v) {
		// torch's vector norm has a zero gradient at a zero row (sqrt of a sum of squares would not)
		final NDArray norm = v.norm(new int[] { 1 }, true);
		final NDArray kept = norm.gte(NORM_EPS).toType(v.getDataType(), false);
		final NDArray scale = kept.div(Scalars.maximum(norm, NORM_EPS));
		final NDArray out = v.mul(scale);
		norm.close();
		kept.close();
		scale.close();
		return out;
	}

	/**
	 * A layer's Siamese term, {@code -Σ_c w_c · mean_{i∈c} n(p_i) · mean_{j∈c} n(sg(z_j))}, a
	 * scalar. The gradient reaches {@code p} only.
	 *
	 * @param p predictions, S × F
	 * @param z projections, S × F
	 * @param labels the class of each row, in 0..K-1
	 * @param weights w_c, K of them
	 */
	public static NDArray siamese(final NDArray p, final NDArray z, final int[] labels, final double[] weights) {
		final NDArray means = classMeans(p.getManager(), labels, weights.length, p.getDevice());
		final NDArray mp = means.matMul(normalizeRows(p));
		final NDArray mz = means.matMul(normalizeRows(z.stopGradient()));
		final NDArray perClass = mp.mul(mz).sum(new int[] { 1 });
		return perClass.mul(vector(p.getManager(), weights, p.getDevice())).sum().neg();
	}

	/**
	 * A layer's supervised contrastive term (see the class comment), a scalar; 0 when no anchor has a
	 * positive.
	 *
	 * @param z projections, S × F
	 * @param labels the class of each row, in 0..K-1
	 * @param weights w_c, K of them
	 * @param temperature τ
	 */
	public static NDArray supervisedContrastive(final NDArray z, final int[] labels, final double[] weights,
		final double temperature)
	{
		final int s = labels.length, k = weights.length;
		final int[] size = new int[k], anchors = new int[k];
		for (final int l : labels) size[l]++;
		for (final int l : labels) if (size[l] > 1) anchors[l]++;
		// A[i][j] = a_i / |P(i)| for j a positive of anchor i, with a_i = w_c / (anchors of class c)
		final float[] a = new float[s * s];
		for (int i = 0; i < s; i++) {
			final int c = labels[i];
			final float ai = size[c] > 1 ? (float) (weights[c] / anchors[c] / (size[c] - 1)) : 0;
			for (int j = 0; j < s; j++) {
				if (j != i && labels[j] == c) a[i * s + j] = ai;
			}
		}
		return ConditionalContrastiveLoss.pairwiseLogLikelihood(normalizeRows(z), a, temperature);
	}

	/** K × S: row c holds 1/|c| at the columns of class c (all zeros for an absent class). */
	static NDArray classMeans(final NDManager m, final int[] labels, final int classes, final ai.djl.Device device) {
		final int s = labels.length;
		final int[] size = new int[classes];
		for (final int l : labels) size[l]++;
		final float[] mat = new float[classes * s];
		for (int i = 0; i < s; i++) mat[labels[i] * s + i] = 1f / size[labels[i]];
		return m.create(mat, new Shape(classes, s)).toDevice(device, false);
	}

	private static NDArray vector(final NDManager m, final double[] v, final ai.djl.Device device) {
		final float[] f = new float[v.length];
		for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
		return m.create(f).toDevice(device, false);
	}
}
