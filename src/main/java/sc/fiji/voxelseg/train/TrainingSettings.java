package sc.fiji.voxelseg.train;

import java.util.Locale;

import com.google.gson.JsonObject;

import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.util.Json;

/**
 * Everything a supervised training run is configured by, saved as JSON in checkpoints and model
 * bundles. Defaults follow seed 000: 3D U-Net, Dice loss, Adam lr 1e-3, weight decay 1e-5, poly
 * schedule with power 0.9, batch 4, whole volumes on the model grid. Fluent setters return this;
 * {@link #validate} checks the combination.
 */
public final class TrainingSettings {

	public Architecture architecture = Architecture.UNET;
	/** Resolution levels; 0 means the architecture's default (4 for U-Net, 5 for VNet). */
	public int levels;
	/** Channels at the first level; 0 means the architecture's default (64 U-Net, 16 VNet). */
	public int baseWidth;
	/** Kernel edge; 0 means the architecture's default (3 U-Net, 5 VNet). */
	public int kernel;
	public Norm norm = Norm.BATCH;
	public SegmentationLoss loss = SegmentationLoss.DICE;
	public Optimiser.Kind optimiser = Optimiser.Kind.ADAM;
	public double learningRate = 1e-3;
	public double weightDecay = 1e-5;
	/** SGD momentum. */
	public double momentum = 0.9;
	public LearningRateSchedule.Kind schedule = LearningRateSchedule.Kind.POLY;
	public double polyPower = 0.9;
	/** Step decay: steps between decays and factor. */
	public long decayEvery = 2500;
	public double decayFactor = 0.1;
	public int batchSize = 4;
	/** Epochs (every training case once per epoch), used when {@link #iterations} is 0. */
	public int epochs = 500;
	/** Optimisation steps; 0 means {@code epochs × ceil(cases / batch)}. */
	public long iterations;
	/** Share of cases kept for validation (at least one when there are two or more cases). */
	public double validationFraction = 0.2;
	/** Steps between validations; 0 means once per epoch, but no more than about 20 times a run. */
	public long validateEvery;
	/** Steps between checkpoints; 0 means at every validation (without validation: as validations would be). */
	public long checkpointEvery;
	public long seed = 42;
	public Sampling sampling = Sampling.whole();
	public Augmentation augmentation = Augmentation.defaults();
	/** auto, cpu, gpu or gpu:N. */
	public String device = "auto";
	/** Voxel-level representation learning on the hidden features (seed 000), or none. */
	public Representation representation = Representation.NONE;
	/** |F|: how many encoder maps, from the deepest, carry the representation loss (1 to 3). */
	public int featureLayers = 3;
	/** λ, the weight of the representation loss; 0 means {@link #featureWeight()}'s default. */
	public double lambda;
	/** Width of the projection and prediction MLPs (the paper: 64, its ablation 128 and 256). */
	public int headWidth = 64;
	/** Whether labels go to the feature grid (seed 000) or features to the label grid (seed 003). */
	public FeatureGrid featureGrid = FeatureGrid.DOWNSAMPLE_LABELS;
	/**
	 * Semi-supervised training (seed 003) with these settings, or null for supervised training. Its
	 * BYOL feature loss uses {@link #featureLayers} and {@link #headWidth} on features upsampled to
	 * the label grid; {@link #batchSize} counts the labeled volumes of a batch.
	 */
	public SemiSupervisedSettings semiSupervised;
	/** Self-supervised dense pretraining (seed 004) with these settings, or null for training on labels. */
	public PretrainSettings pretraining;
	/**
	 * Training on organ-centred patches with an attention channel (seed 002): contrastive pretraining
	 * when its method is set, else a cascade model's segmentation; null for whole volumes.
	 */
	public PatchSettings patches;
	/**
	 * The global norm that gradients are clipped to before each optimiser step
	 * ({@code torch.nn.utils.clip_grad_norm_}); 0 leaves them as they are.
	 */
	public double gradientClip;
	/**
	 * The pretrained bundle whose backbone initialises the network (every block but the head), or
	 * null for fresh weights. Recorded as given; its weights are in the run's checkpoints.
	 */
	public String init;
	/**
	 * Linear evaluation: the backbone stays frozen (weights and batch-norm statistics), only the head
	 * learns. Needs {@link #init}.
	 */
	public boolean linear;
	/**
	 * Fine-tuning from {@link #init}: steps during which the backbone is frozen (no gradient reaches
	 * it, it is not updated; its batch-norm statistics follow the batches, as in PyTorch's training
	 * mode) and only the head learns. {@link #DEFAULT}: a third of the run, resolved when training starts.
	 */
	public long freezeSteps;
	/**
	 * Fine-tuning from {@link #init}: steps after {@link #freezeSteps} over which the backbone's
	 * learning rate rises exponentially from {@link #rampStart} times the head's to the head's.
	 */
	public long rampSteps;
	/** {@link #freezeSteps} and {@link #rampSteps}: the paper's share of the run, resolved when training starts. */
	public static final long DEFAULT = -1;
	/** The backbone's learning-rate factor at the start of the ramp (the paper: 3e-5 / 3e-4). */
	public double rampStart = 0.1;

	/**
	 * Seed 003's semi-supervised setup for the left atrium: VNet, SGD (momentum 0.9, weight decay
	 * 1e-4) with lr 0.01 divided by 10 every 2500 steps, 6000 steps, 2 labeled + 2 unlabeled volumes,
	 * the BYOL loss on the three deepest encoder maps with heads of width 64, and the
	 * {@link SemiSupervisedSettings} defaults. For multi-organ CT the paper uses Adam lr 1e-3 with the
	 * same step decay: change {@link #optimiser} and {@link #learningRate}.
	 */
	public static TrainingSettings semiSupervisedDefaults() {
		final TrainingSettings s = new TrainingSettings().architecture(Architecture.VNET).optimiser(Optimiser.Kind.SGD).learningRate(0.01)
			.weightDecay(1e-4).schedule(LearningRateSchedule.Kind.STEP).iterations(6000).batchSize(2).featureLayers(3).headWidth(64)
			.featureGrid(FeatureGrid.UPSAMPLE_FEATURES);
		s.momentum = 0.9;
		s.decayEvery = 2500;
		s.decayFactor = 0.1;
		s.semiSupervised = new SemiSupervisedSettings();
		return s;
	}

	public TrainingSettings semiSupervised(final SemiSupervisedSettings s) {
		semiSupervised = s;
		return this;
	}

	/**
	 * The backbone's learning-rate factor at {@code step}, a pure function of the step so that a
	 * resumed run continues the schedule exactly: 0 while frozen (linear evaluation, or the first
	 * {@link #freezeSteps}), then {@code rampStart^(1 - (step - freeze) / ramp)} over the ramp, then
	 * 1. The head's factor is always 1.
	 */
	public double backboneFactor(final long step) {
		if (freezeSteps < 0 || rampSteps < 0) throw new IllegalStateException("resolve the default freeze and ramp first");
		if (linear || step < freezeSteps) return 0;
		if (rampSteps <= 0 || step >= freezeSteps + rampSteps) return 1;
		return Math.pow(rampStart, 1 - (double) (step - freezeSteps) / rampSteps);
	}

	/** The paper's fine-tuning: Adam 3e-4 at a constant rate, no weight decay, batch 7. */
	public static final double PRETRAINED_LEARNING_RATE = 3e-4;
	public static final int PRETRAINED_BATCH = 7;

	/**
	 * Starts from the pretrained backbone {@code init} (its network {@code backbone}): the network
	 * options become the backbone's, and the optimiser the paper's fine-tuning one (Adam 3e-4,
	 * constant, no weight decay, batch 7). Linear evaluation freezes the backbone throughout;
	 * fine-tuning freezes it for {@link #defaultFreeze} steps and ramps it over
	 * {@link #defaultRamp}. Later setters change any of these.
	 */
	public TrainingSettings fromPretrained(final String pretrained, final sc.fiji.voxelseg.nn.NetworkConfig backbone, final boolean linearHead) {
		architecture = backbone.architecture();
		levels = backbone.levels();
		baseWidth = backbone.baseWidth();
		kernel = backbone.kernel();
		norm = backbone.norm();
		// absolute: a resumed run, or one started elsewhere, names the same file
		init = java.nio.file.Path.of(pretrained).toAbsolutePath().toString();
		linear = linearHead;
		optimiser = Optimiser.Kind.ADAM;
		learningRate = PRETRAINED_LEARNING_RATE;
		weightDecay = 0;
		schedule = LearningRateSchedule.Kind.CONSTANT;
		batchSize = PRETRAINED_BATCH;
		freezeSteps = linearHead ? 0 : DEFAULT;
		rampSteps = linearHead ? 0 : DEFAULT;
		return this;
	}

	/**
	 * Replaces {@link #DEFAULT} freeze and ramp lengths by the paper's shares of a run of
	 * {@code total} steps; the resolved values are what checkpoints record.
	 */
	public void resolveFineTuning(final long total) {
		if (freezeSteps == DEFAULT) freezeSteps = defaultFreeze(total);
		if (rampSteps == DEFAULT) rampSteps = defaultRamp(total);
	}

	/** The paper's freeze, scaled to a run of {@code iterations} steps: the first third (15,000 of 45,000). */
	public static long defaultFreeze(final long iterations) {
		return iterations / 3;
	}

	/** The paper's ramp, scaled to a run of {@code iterations} steps: 1,200 of 45,000. */
	public static long defaultRamp(final long iterations) {
		return Math.round(iterations * 1200.0 / 45000);
	}

	public TrainingSettings gradientClip(final double c) {
		gradientClip = c;
		return this;
	}

	public TrainingSettings init(final String pretrained) {
		init = pretrained;
		return this;
	}

	public TrainingSettings linear(final boolean l) {
		linear = l;
		return this;
	}

	/** Freezes the backbone for {@code freeze} steps, then ramps its learning rate up over {@code ramp} steps. */
	public TrainingSettings fineTune(final long freeze, final long ramp) {
		freezeSteps = freeze;
		rampSteps = ramp;
		return this;
	}

	public TrainingSettings architecture(final Architecture a) {
		architecture = a;
		return this;
	}

	public TrainingSettings levels(final int l) {
		levels = l;
		return this;
	}

	public TrainingSettings baseWidth(final int w) {
		baseWidth = w;
		return this;
	}

	public TrainingSettings kernel(final int k) {
		kernel = k;
		return this;
	}

	public TrainingSettings norm(final Norm n) {
		norm = n;
		return this;
	}

	public TrainingSettings loss(final SegmentationLoss l) {
		loss = l;
		return this;
	}

	public TrainingSettings optimiser(final Optimiser.Kind o) {
		optimiser = o;
		return this;
	}

	public TrainingSettings learningRate(final double lr) {
		learningRate = lr;
		return this;
	}

	public TrainingSettings weightDecay(final double wd) {
		weightDecay = wd;
		return this;
	}

	public TrainingSettings schedule(final LearningRateSchedule.Kind s) {
		schedule = s;
		return this;
	}

	public TrainingSettings batchSize(final int b) {
		batchSize = b;
		return this;
	}

	public TrainingSettings epochs(final int e) {
		epochs = e;
		return this;
	}

	public TrainingSettings iterations(final long i) {
		iterations = i;
		return this;
	}

	public TrainingSettings validationFraction(final double f) {
		validationFraction = f;
		return this;
	}

	public TrainingSettings validateEvery(final long n) {
		validateEvery = n;
		return this;
	}

	public TrainingSettings checkpointEvery(final long n) {
		checkpointEvery = n;
		return this;
	}

	public TrainingSettings seed(final long s) {
		seed = s;
		return this;
	}

	public TrainingSettings sampling(final Sampling s) {
		sampling = s;
		return this;
	}

	public TrainingSettings augmentation(final Augmentation a) {
		augmentation = a;
		return this;
	}

	public TrainingSettings device(final String d) {
		device = d;
		return this;
	}

	public TrainingSettings representation(final Representation r) {
		representation = r;
		return this;
	}

	public TrainingSettings featureLayers(final int n) {
		featureLayers = n;
		return this;
	}

	public TrainingSettings lambda(final double l) {
		lambda = l;
		return this;
	}

	public TrainingSettings headWidth(final int w) {
		headWidth = w;
		return this;
	}

	public TrainingSettings featureGrid(final FeatureGrid g) {
		featureGrid = g;
		return this;
	}

	/**
	 * The λ in effect: {@link #lambda} when set, else the paper's 100 for one feature layer and 10
	 * for three. The paper gives no value for two layers; 10, its multi-resolution value, is used.
	 * The contrastive baseline gets the same defaults (the paper swaps only the loss).
	 */
	public double featureWeight() {
		return lambda > 0 ? lambda : featureLayers == 1 ? 100 : 10;
	}

	/** The network these settings describe, for {@code classes} output classes (options left at 0 take the architecture's defaults). */
	public sc.fiji.voxelseg.nn.NetworkConfig network(final int classes) {
		// a patch network reads the image and the organ's attention mask, and predicts that organ's mask
		sc.fiji.voxelseg.nn.NetworkConfig c = sc.fiji.voxelseg.nn.NetworkConfig.defaults(architecture, inChannels(), patches != null ? 2
			: classes).withNorm(norm);
		if (levels > 0) c = c.withLevels(levels);
		if (baseWidth > 0) c = c.withBaseWidth(baseWidth);
		if (kernel > 0) c = c.withKernel(kernel);
		return c;
	}

	/** Input channels of the network: 2 on attention patches (image and organ mask), else 1. */
	public int inChannels() {
		return patches != null ? 2 : 1;
	}

	/** Whether the run pretrains a backbone (self-supervised, or contrastive on patches) rather than segmenting. */
	public boolean pretrains() {
		return pretraining != null || patches != null && patches.pretraining();
	}

	/** @throws IllegalArgumentException naming the first setting out of range */
	public TrainingSettings validate() {
		if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
		if (iterations < 0) throw new IllegalArgumentException("iterations must not be negative");
		if (iterations == 0 && epochs < 1) throw new IllegalArgumentException("train for at least 1 epoch or 1 iteration");
		if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive, not " + learningRate);
		if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must not be negative");
		if (!(validationFraction >= 0 && validationFraction < 1)) {
			throw new IllegalArgumentException("validation fraction must be in [0, 1), not " + validationFraction);
		}
		if (validateEvery < 0 || checkpointEvery < 0) throw new IllegalArgumentException("step intervals must not be negative");
		if (levels < 0 || baseWidth < 0 || kernel < 0) throw new IllegalArgumentException("network sizes must not be negative");
		if (representation == null) representation = Representation.NONE;
		if (featureGrid == null) featureGrid = FeatureGrid.DOWNSAMPLE_LABELS;
		if (representation != Representation.NONE) {
			if (featureLayers < 1 || featureLayers > 3) {
				throw new IllegalArgumentException("feature layers must be 1, 2 or 3 (the deepest encoder maps), not " + featureLayers);
			}
			if (!(lambda >= 0 && Double.isFinite(lambda))) throw new IllegalArgumentException("lambda must not be negative, not " + lambda);
			if (headWidth < 1 || headWidth > 4096) throw new IllegalArgumentException("head width must be in 1..4096, not " + headWidth);
		}
		if (semiSupervised != null) {
			semiSupervised.validate();
			if (representation != Representation.NONE) {
				throw new IllegalArgumentException("semi-supervised training has its own BYOL feature loss (switched by its 'feature' " +
					"setting): set the representation loss to none");
			}
			if (featureLayers < 1 || featureLayers > 3) {
				throw new IllegalArgumentException("feature layers must be 1, 2 or 3 (the deepest encoder maps), not " + featureLayers);
			}
			if (headWidth < 1 || headWidth > 4096) throw new IllegalArgumentException("head width must be in 1..4096, not " + headWidth);
		}
		if (!(gradientClip >= 0 && Double.isFinite(gradientClip))) {
			throw new IllegalArgumentException("the gradient clipping norm must not be negative (0: no clipping), not " + gradientClip);
		}
		if (freezeSteps < DEFAULT || rampSteps < DEFAULT) throw new IllegalArgumentException("freeze and ramp steps must not be negative");
		if (linear && (freezeSteps != 0 || rampSteps != 0)) {
			throw new IllegalArgumentException("freeze and ramp steps are for fine-tuning; linear evaluation keeps the backbone frozen " +
				"throughout");
		}
		if (init != null && semiSupervised != null) {
			throw new IllegalArgumentException("semi-supervised training from a pretrained backbone is not supported: train without --init, " +
				"or fine-tune the backbone with supervised training");
		}
		if (!(rampStart > 0 && rampStart <= 1)) throw new IllegalArgumentException("the ramp's first factor must be in (0, 1], not " + rampStart);
		if ((linear || freezeSteps != 0 || rampSteps != 0) && (init == null || init.isBlank())) {
			throw new IllegalArgumentException("linear evaluation and a frozen or ramped backbone need a pretrained backbone: give --init " +
				"PRETRAINED.zip");
		}
		if (pretraining != null) {
			pretraining.validate();
			if (architecture != null && norm != null) pretraining.checkCrop(network(2));
			if (semiSupervised != null || representation != Representation.NONE || init != null) {
				throw new IllegalArgumentException("pretraining learns from images alone: it takes no semi-supervised, representation or " +
					"--init setting");
			}
		}
		if (patches != null) {
			patches.validate();
			if (architecture != null && norm != null) patches.checkPatch(network(2));
			if (semiSupervised != null || representation != Representation.NONE || pretraining != null) {
				throw new IllegalArgumentException("training on attention patches takes no semi-supervised, representation or " +
					"self-supervised pretraining setting");
			}
			if (patches.pretraining() && init != null) {
				throw new IllegalArgumentException("contrastive pretraining starts from random weights: it takes no --init");
			}
			if (patches.frozenEncoder && (linear || freezeSteps != 0 || rampSteps != 0)) {
				throw new IllegalArgumentException("a frozen encoder (--mode decoder) takes no linear evaluation, freeze or ramp: the " +
					"encoder stays frozen throughout and the decoder learns from the first step");
			}
		}
		if (sampling == null || augmentation == null || loss == null || optimiser == null || schedule == null || architecture == null) {
			throw new IllegalArgumentException("incomplete training settings");
		}
		return this;
	}

	public JsonObject toJson() {
		return Json.gson().toJsonTree(this).getAsJsonObject();
	}

	public static TrainingSettings fromJson(final JsonObject o) {
		return Json.gson().fromJson(o, TrainingSettings.class).validate();
	}

	/** How the student sees a semi-supervised batch, as {@link SemiSupervisedSettings#separatePassesRun} decides. */
	private String passes() {
		if (semiSupervised.separatePassesRun(norm)) return "separate passes";
		return norm == Norm.BATCH ? "one shared pass" : "one pass, no batch norm";
	}

	/** A short summary for logs. */
	public String summary() {
		final String s = String.format(Locale.ROOT, "%s, %s loss, %s lr %.2g (%s), batch %d, %s", architecture.id(), loss.id(), optimiser
			.name().toLowerCase(Locale.ROOT), learningRate, schedule.name().toLowerCase(Locale.ROOT), batchSize, sampling);
		if (semiSupervised != null) {
			return s + String.format(Locale.ROOT, " labeled + %d unlabeled (%s), semi-supervised %s, EMA %.3g, t %.2g", semiSupervised
				.unlabeledBatch, passes(), semiSupervised.terms(),
				semiSupervised.emaDecay, semiSupervised.confidence);
		}
		if (pretraining != null) return s + ", self-supervised pretraining: " + pretraining.summary(architecture);
		if (patches != null) {
			return s + (init == null ? "" : ", from a pretrained backbone") + ", " + patches.summary();
		}
		final String from = init == null ? "" : linear ? ", linear evaluation on a frozen pretrained backbone" : String.format(Locale.ROOT,
			", from a pretrained backbone (frozen %s steps, ramp %s)", freezeSteps == DEFAULT ? "a third of the" : Long.toString(freezeSteps),
			rampSteps == DEFAULT ? "1,200/45,000 of the" : Long.toString(rampSteps));
		if (representation == null || representation == Representation.NONE) return s + from;
		return s + from + String.format(Locale.ROOT, ", %s loss on %d layer(s), λ %.3g, heads %d, %s grid", representation.id(),
			featureLayers, featureWeight(), headWidth, featureGrid.id());
	}
}
