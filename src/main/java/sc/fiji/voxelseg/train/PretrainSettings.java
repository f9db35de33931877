package sc.fiji.voxelseg.train;

import java.util.Locale;

/**
 * Self-supervised dense pretraining (seed 004, see {@link PretrainRegime}): what a run of
 * {@link Pretrainer} is configured by besides the optimiser, saved with the
 * {@link TrainingSettings} in checkpoints and pretrained bundles. Defaults are the paper's (and its
 * released code's where the paper is silent).
 */
public final class PretrainSettings {

	/** Crop size {x, y, z} of each view (the code: 128 × 128 × 32). */
	public int[] crop = { 128, 128, 32 };
	/** Crop pairs per batch, all from one volume (the code: 10). */
	public int pairs = 10;
	/** Positive voxel pairs sampled in the overlap of each crop pair (the code: 1024; the paper: 1000). */
	public int voxels = 1024;
	/** τ of the InfoNCE. */
	public double temperature = 0.1;
	/** λ, the weight of the restorative loss. */
	public double restoreWeight = 10;
	/** The restorative head on the finest level (off for vox2vec). */
	public boolean restore = true;
	/** Every pyramid level projected to the same width before concatenation (off for vox2vec). */
	public boolean balance = true;
	/** The appearance augmentation of each view (off for vox2vec's ablation row "--aug none"). */
	public boolean augment = true;
	/** Output width of the projection MLP. */
	public int projection = 128;

	/** The share of images held out to validate pretraining by their loss (2 %: 4 of 200 images). */
	public static final double HELD_OUT = 0.02;

	/**
	 * The training settings of pretraining: feature pyramid network, Adam 3e-4 at a constant rate
	 * without weight decay, global gradient norm clipped at 1, 50,000 steps, {@link #HELD_OUT} of the
	 * images held out for validation, and these pretraining defaults.
	 */
	public static TrainingSettings defaults() {
		final TrainingSettings s = new TrainingSettings().architecture(sc.fiji.voxelseg.nn.Architecture.FPN).optimiser(Optimiser.Kind.ADAM)
			.learningRate(3e-4).weightDecay(0).schedule(LearningRateSchedule.Kind.CONSTANT).iterations(50_000).validationFraction(HELD_OUT);
		s.gradientClip = 1.0;
		s.pretraining = new PretrainSettings();
		s.batchSize = 2 * s.pretraining.pairs;
		s.augmentation = Augmentation.none();
		return s;
	}

	/** Voxels per crop. */
	public int cropVoxels() {
		return crop[0] * crop[1] * crop[2];
	}

	/** @throws IllegalArgumentException naming the first setting out of range */
	public PretrainSettings validate() {
		if (crop == null || crop.length != 3) throw new IllegalArgumentException("the crop needs three sizes, x, y and z");
		for (final int c : crop) if (c < 1 || c > 1024) throw new IllegalArgumentException("crop sizes must be in 1..1024, not " + c);
		if (pairs < 1 || pairs > 1024) throw new IllegalArgumentException("crop pairs per batch must be in 1..1024, not " + pairs);
		if (voxels < 1 || voxels > 1 << 20) throw new IllegalArgumentException("voxels per pair must be in 1..1048576, not " + voxels);
		if (!(temperature > 0 && Double.isFinite(temperature))) throw new IllegalArgumentException("temperature must be positive, not " + temperature);
		if (!(restoreWeight >= 0 && Double.isFinite(restoreWeight))) {
			throw new IllegalArgumentException("the restorative weight must not be negative, not " + restoreWeight);
		}
		if (projection < 1 || projection > 4096) throw new IllegalArgumentException("projection width must be in 1..4096, not " + projection);
		return this;
	}

	/** Refuses a crop the network cannot take, naming the option and sizes that would fit. */
	public void checkCrop(final sc.fiji.voxelseg.nn.NetworkConfig network) {
		for (final int c : crop) {
			if (c % network.divisor() != 0) {
				throw new IllegalArgumentException(String.format(Locale.ROOT, "crop %d,%d,%d: a %d-level network needs crop sizes that are " +
					"multiples of %d, e.g. %d,%d,%d", crop[0], crop[1], crop[2], network.levels(), network.divisor(), network.fit(crop[0]),
					network.fit(crop[1]), network.fit(crop[2])));
			}
		}
	}

	/** A short summary for logs; the pyramid is balanced only on the feature pyramid network. */
	public String summary(final sc.fiji.voxelseg.nn.Architecture architecture) {
		final String pyramid = architecture != sc.fiji.voxelseg.nn.Architecture.FPN ? "decoder pyramid" : balance ? "balanced pyramid"
			: "unbalanced pyramid";
		return String.format(Locale.ROOT, "crops %d×%d×%d, %d pairs × %d voxels, τ %.2g, %s, %s, %s", crop[0], crop[1], crop[2], pairs,
			voxels, temperature, restore ? String.format(Locale.ROOT, "restorative λ %.3g", restoreWeight) : "no restorative head",
			pyramid, augment ? "appearance augmentation" : "no augmentation");
	}
}
