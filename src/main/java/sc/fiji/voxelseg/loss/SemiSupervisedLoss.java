package sc.fiji.voxelseg.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

import sc.fiji.voxelseg.nn.Scalars;

/**
 * The loss terms of voxel-wise adversarial semi-supervised learning (seed 003) besides the
 * supervised Dice: pseudo-labels, consistency with its ramp-up, the adversarial terms of the
 * voxel-wise feature discriminator, and the BYOL-style voxel feature loss. Logits and
 * probabilities are N × K × D × H × W (NCDHW), voxel rows S × F.
 */
public final class SemiSupervisedLoss {

	/** The label of a voxel whose pseudo-label is not confident enough: it takes part in no loss. */
	public static final int IGNORE = 255;

	private SemiSupervisedLoss() {}

	/**
	 * Pseudo-labels from the teacher's softmax: {@code argmax_c p_c} where {@code max_c p_c > t},
	 * else {@link #IGNORE}. Flat over N × D × H × W, as unsigned bytes.
	 *
	 * @param probabilities N × K × D × H × W, summing to 1 over K
	 * @param threshold t in [0, 1]; the paper's is 0.7
	 */
	public static byte[] pseudoLabels(final NDArray probabilities, final double threshold) {
		final float[] max = probabilities.max(new int[] { 1 }).toFloatArray();
		final byte[] arg = probabilities.argMax(1).toType(DataType.UINT8, false).toByteArray();
		for (int i = 0; i < max.length; i++) if (!(max[i] > threshold)) arg[i] = (byte) IGNORE;
		return arg;
	}

	/**
	 * The mean-teacher consistency {@code mean (softmax(s) - p_t)²} over every element of the
	 * N × K × D × H × W tensors; the teacher's probabilities are a constant target.
	 */
	public static NDArray consistency(final NDArray studentLogits, final NDArray teacherProbabilities) {
		return studentLogits.softmax(1).sub(teacherProbabilities.stopGradient()).square().mean();
	}

	/**
	 * The Gaussian ramp-up of the consistency weight, {@code γ(t) = γ0 · exp(-5 (1 - t/t_max)²)} for
	 * {@code t < t_max} and γ0 from then on.
	 */
	public static double rampUp(final long step, final long tMax, final double gamma0) {
		if (tMax <= 0 || step >= tMax) return gamma0;
		final double p = 1 - (double) step / tMax;
		return gamma0 * Math.exp(-5 * p * p);
	}

	/**
	 * The adversarial objective as printed, {@code L_adv = mean log D(f_l) + mean log(1 - D(f_u))}
	 * with {@code D = σ(logit)}, a scalar; a side without rows contributes 0.
	 *
	 * @param real discriminator logits of labeled voxels (S_l)
	 * @param fake discriminator logits of unlabeled voxels (S_u)
	 */
	public static NDArray adversarial(final NDArray real, final NDArray fake) {
		return discriminator(real, fake).neg();
	}

	/**
	 * What the discriminator minimises, {@code -L_adv = mean softplus(-d_l) + mean softplus(d_u)}:
	 * binary cross-entropy with labeled voxels real and unlabeled voxels fake, written through
	 * {@code log σ(d) = -softplus(-d)} and {@code log(1 - σ(d)) = -softplus(d)} so that confident
	 * logits cannot give log 0.
	 */
	public static NDArray discriminator(final NDArray real, final NDArray fake) {
		final NDArray r = real.size() == 0 ? real.getManager().zeros(new ai.djl.ndarray.types.Shape()) : Activation.softPlus(real.neg())
			.mean();
		if (fake.size() == 0) return r;
		return r.add(Activation.softPlus(fake).mean());
	}

	/**
	 * What the generator (the student's encoder) minimises so that unlabeled voxels look real:
	 * the non-saturating form {@code -mean log D(f_u) = mean softplus(-d_u)} of GAN practice, whose
	 * gradient does not vanish while the discriminator is confident, instead of minimising
	 * {@code log(1 - D(f_u))}. 0 without rows.
	 */
	public static NDArray generator(final NDArray fake) {
		if (fake.size() == 0) return fake.getManager().zeros(new ai.djl.ndarray.types.Shape());
		return Activation.softPlus(fake.neg()).mean();
	}

	/**
	 * The BYOL voxel feature loss of one layer: {@code Σ_c w_c · mean over i, k of class c of
	 * ||n(p_i) - n(sg(z_k))||²}, with p the student's predictions and z the teacher's projections of
	 * the same sampled voxels, n = {@code F.normalize}, and all same-class pairs (i = k included,
	 * BYOL's own pair). The mean over pairs is
	 * {@code mean_i ||n(p_i)||² + mean_k ||n(z_k)||² - 2 mean_i n(p_i) · mean_k n(z_k)}: linear in S.
	 * The gradient reaches p only.
	 *
	 * @param p student predictions, S × F
	 * @param z teacher projections, S × F
	 * @param labels class of each row, 0..K-1
	 * @param weights w_c (K), see {@link VoxelRepresentationLoss#classWeights}
	 */
	public static NDArray byol(final NDArray p, final NDArray z, final int[] labels, final double[] weights) {
		final NDArray means = VoxelRepresentationLoss.classMeans(p.getManager(), labels, weights.length, p.getDevice());
		final NDArray np = VoxelRepresentationLoss.normalizeRows(p);
		final NDArray nz = VoxelRepresentationLoss.normalizeRows(z.stopGradient());
		final NDArray mp = means.matMul(np), mz = means.matMul(nz);
		final NDArray sp = means.matMul(np.square().sum(new int[] { 1 }, true)).squeeze(1);
		final NDArray sz = means.matMul(nz.square().sum(new int[] { 1 }, true)).squeeze(1);
		final NDArray perClass = sp.add(sz).sub(Scalars.mul(mp.mul(mz).sum(new int[] { 1 }), 2));
		final float[] w = new float[weights.length];
		for (int i = 0; i < w.length; i++) w[i] = (float) weights[i];
		return perClass.mul(p.getManager().create(w).toDevice(p.getDevice(), false)).sum();
	}
}
