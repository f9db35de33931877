package sc.fiji.voxelseg.train;

import java.util.Locale;

import sc.fiji.voxelseg.nn.Norm;

/**
 * The settings of voxel-wise adversarial semi-supervised training (seed 003), held by
 * {@link TrainingSettings#semiSupervised} and saved with it. Defaults are the paper's: batches of 2
 * labeled (the {@link TrainingSettings#batchSize}) and 2 unlabeled volumes, EMA decay 0.99,
 * pseudo-label threshold 0.7, α = 0.01, β = 0.1 for one foreground class and 100 for more,
 * γ0 = 0.001 ramped up over the whole run, discriminator Adam lr 2e-4 with β = (0.5, 0.999); one
 * choice is not the paper's: the student passes labeled and unlabeled volumes separately
 * ({@link #separatePasses}).
 * Each loss term can be switched off, so the paper's ablations are settings: supervised only (all
 * off), mean teacher only ({@link #consistency}), + L_adv, + L_feature, and the full method.
 */
public final class SemiSupervisedSettings {

	/** Unlabeled volumes per batch (the labeled ones are {@link TrainingSettings#batchSize}). */
	public int unlabeledBatch = 2;
	/**
	 * Share of the training cases (those left after the validation split) that keep their labels;
	 * the others join the unlabeled images. A seeded, reproducible choice; 1 keeps every label.
	 */
	public double labeledFraction = 1;
	/** The EMA decay a of the teacher, {@code θ_t ← a θ_t + (1-a) θ_s}. */
	public double emaDecay = 0.99;
	/**
	 * Whether the decay warms up as {@code min(1 - 1/(step + 1), a)}, as in the mean-teacher code
	 * (and UA-MT, SASSNet) the paper builds on: the teacher follows the student closely while both
	 * change fast, instead of averaging in the random initial weights for ~1/(1-a) steps.
	 */
	public boolean emaWarmup = true;
	/**
	 * σ of the Gaussian noise added to the teacher's input, clamped to ±2σ: UA-MT's
	 * {@code clamp(N(0, 0.1²), -0.2, 0.2)}, so that the consistency term measures the response to a
	 * perturbation (the paper prints none). 0: the teacher sees the student's batch unchanged.
	 */
	public double teacherNoise = 0.1;
	/**
	 * Whether the BYOL feature distance of a voxel pair is the mean over the head's output elements
	 * (torch's {@code mse_loss}, as in the mean-teacher codebases), the default, or their sum. With
	 * the sum (up to 4 per pair) the paper's β = 100 weighs the feature term hundreds of times above
	 * the Dice loss; with the mean (divided by the head width, 64) β = 100 puts it at the Dice
	 * loss's scale.
	 */
	public boolean featureMean = true;
	/** t: a voxel gets a pseudo-label where the teacher's top probability exceeds it. */
	public double confidence = 0.7;
	/** Whether the adversarial term α L_adv (and the discriminator) is on. */
	public boolean adversarial = true;
	/** Whether the BYOL voxel feature term β L_feature is on. */
	public boolean feature = true;
	/** Whether the mean-teacher consistency term γ(t) L_c is on. */
	public boolean consistency = true;
	/** α, the weight of the adversarial term. */
	public double alpha = 0.01;
	/** β, the weight of the feature term; 0 means 0.1 for one foreground class, 100 for more. */
	public double beta;
	/** γ0, the consistency weight after ramp-up. */
	public double gamma0 = 0.001;
	/** t_max of the ramp-up in steps; 0 means the whole run. */
	public long rampUpSteps;
	/** Encoder maps (from the deepest) the discriminator takes; 0 means 4, or all when fewer. */
	public int discriminatorMaps;
	/** Channels of the fused map and width of the discriminator's MLP layers. */
	public int discriminatorWidth = 64;
	public double discriminatorLr = 2e-4;
	public double discriminatorBeta1 = 0.5;
	public double discriminatorBeta2 = 0.999;
	/** Whether the model bundle holds the teacher (and validation scores it) instead of the student. */
	public boolean exportTeacher;
	/**
	 * Whether the student runs the labeled and the unlabeled volumes of a batch as two forward
	 * passes, so that the batch-norm statistics behind the supervised loss come from labeled volumes
	 * alone (the default); otherwise one pass over the whole batch, as in the mean-teacher code the
	 * paper builds on. On the phantom cohort the shared pass alone, with every unsupervised term
	 * off, cost 21 Dice points against supervised-only; separate passes cost none (see
	 * docs/BENCHMARKS.md).
	 */
	public boolean separatePasses = true;

	public SemiSupervisedSettings unlabeledBatch(final int n) {
		unlabeledBatch = n;
		return this;
	}

	public SemiSupervisedSettings labeledFraction(final double f) {
		labeledFraction = f;
		return this;
	}

	public SemiSupervisedSettings emaDecay(final double a) {
		emaDecay = a;
		return this;
	}

	public SemiSupervisedSettings confidence(final double t) {
		confidence = t;
		return this;
	}

	/** Switches the three unsupervised terms: adversarial, feature, consistency. */
	public SemiSupervisedSettings terms(final boolean adv, final boolean feat, final boolean cons) {
		adversarial = adv;
		feature = feat;
		consistency = cons;
		return this;
	}

	public SemiSupervisedSettings alpha(final double a) {
		alpha = a;
		return this;
	}

	public SemiSupervisedSettings beta(final double b) {
		beta = b;
		return this;
	}

	public SemiSupervisedSettings gamma0(final double g) {
		gamma0 = g;
		return this;
	}

	public SemiSupervisedSettings rampUpSteps(final long t) {
		rampUpSteps = t;
		return this;
	}

	public SemiSupervisedSettings discriminatorMaps(final int n) {
		discriminatorMaps = n;
		return this;
	}

	public SemiSupervisedSettings discriminatorWidth(final int w) {
		discriminatorWidth = w;
		return this;
	}

	public SemiSupervisedSettings discriminatorLr(final double lr) {
		discriminatorLr = lr;
		return this;
	}

	public SemiSupervisedSettings exportTeacher(final boolean t) {
		exportTeacher = t;
		return this;
	}

	public SemiSupervisedSettings separatePasses(final boolean s) {
		separatePasses = s;
		return this;
	}

	/**
	 * Whether the student actually runs two passes for a network normalised by {@code norm}: only
	 * batch norm mixes the volumes of a batch, so without it the one pass gives the same outputs and
	 * is taken whatever {@link #separatePasses} says.
	 */
	public boolean separatePassesRun(final Norm norm) {
		return separatePasses && norm == Norm.BATCH;
	}

	/** β in effect for K classes (background included). */
	public double featureWeight(final int classes) {
		return beta > 0 ? beta : classes <= 2 ? 0.1 : 100;
	}

	/** The EMA decay after optimiser step {@code step} (0 for the first): warmed up or constant. */
	public double emaDecayAt(final long step) {
		return emaWarmup ? Math.min(1 - 1.0 / (step + 1), emaDecay) : emaDecay;
	}

	/** t_max in effect for a run of {@code total} steps. */
	public long rampUp(final long total) {
		return rampUpSteps > 0 ? rampUpSteps : total;
	}

	/** Encoder maps the discriminator takes for a network of {@code levels} levels. */
	public int discriminatorMapsFor(final int levels) {
		if (discriminatorMaps > levels) {
			throw new IllegalArgumentException("the discriminator on " + discriminatorMaps + " encoder maps needs a network with at least " +
				"as many levels; this one has " + levels);
		}
		return discriminatorMaps > 0 ? discriminatorMaps : Math.min(4, levels);
	}

	/** @throws IllegalArgumentException naming the first setting out of range */
	SemiSupervisedSettings validate() {
		if (unlabeledBatch < 1) throw new IllegalArgumentException("unlabeled volumes per batch must be at least 1, not " + unlabeledBatch);
		if (!(labeledFraction > 0 && labeledFraction <= 1)) {
			throw new IllegalArgumentException("labeled fraction must be in (0, 1], not " + labeledFraction);
		}
		if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), not " + emaDecay);
		if (!(teacherNoise >= 0 && teacherNoise <= 10)) throw new IllegalArgumentException("teacher input noise must be in [0, 10], not " +
			teacherNoise);
		if (!(confidence >= 0 && confidence < 1)) throw new IllegalArgumentException("pseudo-label threshold must be in [0, 1), not " + confidence);
		for (final double w : new double[] { alpha, beta, gamma0 }) {
			if (!(w >= 0 && Double.isFinite(w))) throw new IllegalArgumentException("loss weights must not be negative, not " + w);
		}
		if (rampUpSteps < 0) throw new IllegalArgumentException("ramp-up steps must not be negative");
		if (discriminatorMaps < 0) throw new IllegalArgumentException("discriminator maps must not be negative");
		if (discriminatorWidth < 1 || discriminatorWidth > 4096) {
			throw new IllegalArgumentException("discriminator width must be in 1..4096, not " + discriminatorWidth);
		}
		if (!(discriminatorLr > 0)) throw new IllegalArgumentException("discriminator learning rate must be positive, not " + discriminatorLr);
		if (!(discriminatorBeta1 >= 0 && discriminatorBeta1 < 1 && discriminatorBeta2 >= 0 && discriminatorBeta2 < 1)) {
			throw new IllegalArgumentException("discriminator Adam betas must be in [0, 1)");
		}
		return this;
	}

	/** The terms switched on, for logs: "dice+adv+feature+consistency". */
	public String terms() {
		final StringBuilder b = new StringBuilder("dice");
		if (adversarial) b.append(String.format(Locale.ROOT, "+%.3g·adv", alpha));
		if (feature) b.append("+β·feature");
		if (consistency) b.append(String.format(Locale.ROOT, "+γ(t)·consistency (γ0 %.3g)", gamma0));
		return b.toString();
	}
}
