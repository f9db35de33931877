package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.util.Progress;

/**
 * Training on organ-centred patches with an attention channel (seed 002, AGCL; see
 * {@link PatchSettings} and {@link PatchRegime}) in the {@link Trainer}'s loop, with its files,
 * checkpoints, exact resume, validation split, divergence, cancellation and memory handling.
 * <ul>
 * <li>With a pretraining method (AGCL, SSCL, CE): the output is a pretrained bundle of the
 * two-channel backbone for {@code train --init}; the bundle kept is the one with the lowest
 * held-out loss.</li>
 * <li>Without one: the output is a cascade model for {@code segment --coarse}; from a pretrained
 * bundle ({@link TrainingSettings#init}) with {@link PatchSettings#frozenEncoder}, the paper's
 * second stage (only the decoder and head learn); the bundle kept is the one with the best mean
 * held-out patch Dice.</li>
 * </ul>
 */
public final class PatchTrainer {

	private final Trainer trainer;

	/**
	 * @param data labeled cases after the plan (the targets of segmentation; the organs of pretraining)
	 * @param attention each case's attention map on its model grid, by case id ({@link AttentionMaps})
	 * @throws IllegalArgumentException if the settings are not for patches
	 */
	public PatchTrainer(final TrainingData data, final Map<String, byte[]> attention, final TrainingSettings settings, final Path out,
		final Progress progress)
	{
		if (settings.patches == null) throw new IllegalArgumentException("these settings are not for attention patches");
		trainer = new Trainer(data, settings, out, progress);
		final TrainingSettings s = trainer.settings();
		final Map<String, byte[]> maps = Map.copyOf(attention);
		trainer.regime((cfg, train, validation) -> new PatchRegime(s, data.classCount(), train, validation, maps));
	}

	/** Memory the run may use for the pre-flight check; by default what the machine has available. */
	public PatchTrainer memoryLimit(final long bytes) {
		trainer.memoryLimit(bytes);
		return this;
	}

	/** The network the run trains (for checks before training). */
	public sc.fiji.voxelseg.nn.NetworkConfig networkConfig() {
		return trainer.networkConfig();
	}

	/** Trains from freshly initialised weights, or from the pretrained backbone of {@link TrainingSettings#init}. */
	public Trainer.Result train() throws IOException, InterruptedException {
		return trainer.train();
	}

	/**
	 * Continues the run saved in {@code checkpoint}, given the same cases and attention maps.
	 *
	 * @throws IllegalArgumentException if the checkpoint is not of a run on attention patches
	 */
	public static Trainer.Result resume(final Path checkpoint, final TrainingData data, final Map<String, byte[]> attention,
		final Path out, final Progress progress) throws IOException, InterruptedException
	{
		final ModelBundle b = Trainer.loadCheckpoint(checkpoint);
		final TrainingSettings s = TrainingSettings.fromJson(b.training().getAsJsonObject("settings"));
		if (s.patches == null) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is not of a run on attention patches: resume it with " + (s
				.pretraining != null ? "voxelseg pretrain --resume" : "train --resume"));
		}
		final PatchTrainer t = new PatchTrainer(data, attention, s, out, progress);
		b.requireCompatible(s.init == null ? t.trainer.networkConfig() : null, null, "checkpoint " + checkpoint);
		return t.trainer.run(b);
	}
}
