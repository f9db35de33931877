package sc.fiji.voxelseg.train;

import java.util.Locale;
import java.util.Map;

/**
 * Training on organ-centred patches with an attention channel (seed 002, AGCL, in 3D): what a run
 * is configured by besides the optimiser, saved with the {@link TrainingSettings} in checkpoints
 * and bundles. Each sample is a patch of {@link #patch} voxels cut around one organ of a coarse
 * segmentation (the attention map, {@link #attention}), with two channels: the image and that
 * organ's binary mask in the attention map ({@link sc.fiji.voxelseg.agcl.OrganPatches}).
 * <ul>
 * <li>With a {@link #method}, a pretraining run: two augmented views per patch, the deepest encoder
 * map globally averaged, an MLP to {@link #projection} dimensions on the unit sphere, and the
 * method's loss. The output is a pretrained bundle for {@code train --init}.</li>
 * <li>Without one, a segmentation run (stage 2, or a cascade from random weights): the network
 * predicts the organ's binary mask in the patch from both channels, with the settings' segmentation
 * loss. {@link #frozenEncoder} keeps the encoder as it was loaded (the paper's stage 2). The
 * bundle is a cascade model: {@code segment --coarse} runs it on the organs of a coarse model's
 * segmentation and fuses the binary masks ({@link sc.fiji.voxelseg.agcl.MaskFusion}).</li>
 * </ul>
 */
public final class PatchSettings {

	/** The pretraining loss. */
	public enum Method {
		/** Multi-conditional SupCon: positives share the (organ, condition) pair. */
		AGCL,
		/** Self-supervised contrastive: the augmented twin is the only positive. */
		SSCL,
		/** Cross-entropy on the (organ, condition) class of the patch, through a linear classifier. */
		CE;

		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}

		public static Method parse(final String s) {
			for (final Method m : values()) if (m.id().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
			throw new IllegalArgumentException("unknown method '" + s + "': use agcl, sscl or ce");
		}
	}

	/** The attention source that reads the ground-truth label maps (an oracle for the coarse model's errors). */
	public static final String LABELS = "labels";

	/** The pretraining loss, or null for segmentation on patches. */
	public Method method;
	/** Patch size {x, y, z} on the model grid. */
	public int[] patch = { 64, 64, 32 };
	/**
	 * Where the attention maps come from: {@value #LABELS}, a coarse model bundle, or a folder of label
	 * maps named like the cases' images (for example cross-fitted predictions).
	 */
	public String attention = LABELS;
	/**
	 * Folds in which the cases a coarse model bundle was trained on are cross-fitted for their
	 * attention maps ({@link AttentionMaps}); below 2, the bundle's own (optimistic) segmentation.
	 */
	public int crossFit = AttentionMaps.DEFAULT_FOLDS;
	/** Stage 2: the encoder keeps its loaded weights and batch-norm statistics throughout. */
	public boolean frozenEncoder;
	/** τ of the contrastive losses (AGCL's best, 0.1). */
	public double temperature = 0.1;
	/** Output width of the projection MLP (the paper: 256). */
	public int projection = 256;
	/**
	 * Each case's condition tag (AGCL's "modality": the contrast phase), by case id; null or empty for
	 * one condition, which makes AGCL organ-only SupCon.
	 */
	public Map<String, String> conditions;

	/**
	 * The training settings of contrastive pretraining on patches. The paper's learning rate, epochs
	 * and patch size are in a supplement that is not available; these are VoxelSeg's: U-Net encoder,
	 * Adam 1e-3 with the poly schedule, 8 patches (16 views) per batch, 2000 steps, a tenth of the
	 * cases held out (their loss picks the bundle), 64×64×32 patches, τ 0.1, projection 256.
	 */
	public static TrainingSettings pretrainingDefaults(final Method method) {
		final TrainingSettings s = new TrainingSettings().architecture(sc.fiji.voxelseg.nn.Architecture.UNET).optimiser(Optimiser.Kind.ADAM)
			.learningRate(1e-3).schedule(LearningRateSchedule.Kind.POLY).iterations(2000).batchSize(8).validationFraction(0.1)
			.augmentation(Augmentation.none());
		s.patches = new PatchSettings();
		s.patches.method = method;
		return s;
	}

	/** Voxels per patch channel. */
	public int patchVoxels() {
		return patch[0] * patch[1] * patch[2];
	}

	/** Whether this is a pretraining run (a method is set). */
	public boolean pretraining() {
		return method != null;
	}

	/** @throws IllegalArgumentException naming the first setting out of range */
	public PatchSettings validate() {
		if (patch == null || patch.length != 3) throw new IllegalArgumentException("the patch needs three sizes, x, y and z");
		for (final int c : patch) if (c < 1 || c > 1024) throw new IllegalArgumentException("patch sizes must be in 1..1024, not " + c);
		if (attention == null || attention.isBlank()) {
			throw new IllegalArgumentException("patches need an attention source: labels, a coarse model bundle, or a folder of label maps");
		}
		if (!(temperature > 0 && Double.isFinite(temperature))) throw new IllegalArgumentException("temperature must be positive, not " + temperature);
		if (projection < 1 || projection > 4096) throw new IllegalArgumentException("projection width must be in 1..4096, not " + projection);
		if (crossFit < 0) throw new IllegalArgumentException("cross-fitting folds must not be negative (0: none), not " + crossFit);
		if (method != null && frozenEncoder) throw new IllegalArgumentException("pretraining trains the encoder: it cannot be frozen");
		return this;
	}

	/** Refuses a patch the network cannot take, naming the option and sizes that would fit. */
	public void checkPatch(final sc.fiji.voxelseg.nn.NetworkConfig network) {
		for (final int c : patch) {
			if (c % network.divisor() != 0) {
				throw new IllegalArgumentException(String.format(Locale.ROOT, "patch %d,%d,%d: a %d-level network needs patch sizes that are " +
					"multiples of %d, e.g. --patch %d,%d,%d", patch[0], patch[1], patch[2], network.levels(), network.divisor(), network.fit(
						patch[0]), network.fit(patch[1]), network.fit(patch[2])));
			}
		}
	}

	/** The number of distinct condition tags (1 without tags). */
	public int conditionCount() {
		return conditions == null || conditions.isEmpty() ? 1 : (int) conditions.values().stream().distinct().count();
	}

	/** A short summary for logs. */
	public String summary() {
		final String where = String.format(Locale.ROOT, "%d×%d×%d organ patches, attention from %s", patch[0], patch[1], patch[2],
			attention);
		if (method == null) return where + (frozenEncoder ? ", frozen encoder" : "");
		final String loss = switch (method) {
			case AGCL -> conditionCount() > 1 ? "AGCL (organ × " + conditionCount() + " conditions)" : "AGCL (organ only)";
			case SSCL -> "SSCL (twin positives)";
			case CE -> conditionCount() > 1 ? "organ × condition cross-entropy" : "organ cross-entropy";
		};
		return where + ", " + loss + (method == Method.CE ? "" : String.format(Locale.ROOT, ", τ %.2g, projection %d", temperature,
			projection));
	}
}
