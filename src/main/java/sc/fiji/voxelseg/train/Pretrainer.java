package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.util.Progress;

/**
 * Self-supervised dense pretraining (seed 004, see {@link PretrainRegime}) of a backbone on images
 * without labels. It runs in the trainer loop of {@link Trainer}: the same files beside
 * the bundle (checkpoint, history CSV and curve), atomic checkpoints that also hold the projection
 * MLP and the restorative head, exact resume, divergence, cancellation and memory handling. The
 * validation fraction of the images is held out: the loss on fixed views of them validates the
 * backbone, and the bundle keeps the backbone with the lowest held-out loss (the last one without
 * held-out images).
 * <p>
 * The output is a pretrained bundle: the backbone's configuration and weights (its head untrained),
 * the preprocessing plan, the crop size and the history. {@code segment} refuses it;
 * {@code train --init} starts from it.
 */
public final class Pretrainer {

	private final Trainer trainer;

	/**
	 * @param images preprocessed images (see {@link UnlabeledImages}), at least one
	 * @param plan the preprocessing the images went through, recorded in the bundle
	 * @throws IllegalArgumentException if the settings are not pretraining settings
	 */
	public Pretrainer(final List<CaseData> images, final PreprocessingPlan plan, final TrainingSettings settings, final Path out,
		final Progress progress)
	{
		if (settings.pretraining == null) {
			throw new IllegalArgumentException("these settings are not for pretraining: start from PretrainSettings.defaults()");
		}
		final java.util.Set<String> ids = new java.util.HashSet<>();
		for (final CaseData c : images) {
			if (!ids.add(c.id())) {
				throw new IllegalArgumentException("two images are named " + c.id() + ": the held-out split and the checkpoints name images " +
					"by their file names, so each must be unique across the folders");
			}
		}
		settings.batchSize = 2 * settings.pretraining.pairs;
		trainer = new Trainer(TrainingData.unlabeled(images, plan), settings, out, progress);
		final TrainingSettings s = trainer.settings();
		trainer.regime((cfg, train, validation) -> new PretrainRegime(s, train, validation));
	}

	/** Memory the run may use for the pre-flight check; by default what the machine has available. */
	public Pretrainer memoryLimit(final long bytes) {
		trainer.memoryLimit(bytes);
		return this;
	}

	/** Pretrains from freshly initialised weights. */
	public Trainer.Result train() throws IOException, InterruptedException {
		return trainer.train();
	}

	/**
	 * Continues the pretraining run saved in {@code checkpoint}, given the same images.
	 *
	 * @throws IllegalArgumentException if the checkpoint is not of a pretraining run
	 */
	public static Trainer.Result resume(final Path checkpoint, final List<CaseData> images, final PreprocessingPlan plan,
		final Path out, final Progress progress) throws IOException, InterruptedException
	{
		final ModelBundle b = Trainer.loadCheckpoint(checkpoint);
		final TrainingSettings s = TrainingSettings.fromJson(b.training().getAsJsonObject("settings"));
		if (s.pretraining == null) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a segmentation run: resume it with train --resume");
		}
		final Pretrainer t = new Pretrainer(images, plan, s, out, progress);
		b.requireCompatible(t.trainer.networkConfig(), null, "checkpoint " + checkpoint);
		return t.trainer.run(b);
	}
}
