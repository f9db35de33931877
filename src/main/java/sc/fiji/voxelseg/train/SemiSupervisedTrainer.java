package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.util.Progress;

/**
 * Semi-supervised training (seed 003, see {@link SemiSupervisedRegime}) of a student network with
 * a mean teacher, a voxel-wise feature discriminator and BYOL voxel features. It runs in the
 * trainer loop of {@link Trainer}: same files beside the bundle, validation on labeled
 * cases held out, atomic checkpoints (which here also hold the teacher, the feature heads, the
 * discriminator and its optimiser), exact resume, divergence and cancellation handling.
 * <p>
 * Images without labels come from two places: the given unlabeled images, and, with a labeled
 * fraction below 1, the training cases (after the validation split) whose labels are withheld: a
 * seeded shuffle of their ids keeps the labels of the first {@code round(fraction × cases)}. The
 * model bundle holds the student (or the teacher, see {@link SemiSupervisedSettings#exportTeacher}),
 * a plain segmentation network that the segment path loads like any other.
 */
public final class SemiSupervisedTrainer {

	private final Trainer trainer;

	/**
	 * @param data the labeled cohort (validation cases are drawn from it)
	 * @param unlabeled preprocessed images without labels (see {@link UnlabeledImages}); may be empty
	 *          when the labeled fraction withholds labels
	 * @throws IllegalArgumentException if the settings are not semi-supervised
	 */
	public SemiSupervisedTrainer(final TrainingData data, final List<CaseData> unlabeled, final TrainingSettings settings, final Path out,
		final Progress progress)
	{
		if (settings.semiSupervised == null) {
			throw new IllegalArgumentException("these settings are for supervised training: set semiSupervised " +
				"(e.g. TrainingSettings.semiSupervisedDefaults())");
		}
		trainer = new Trainer(data, settings, out, progress);
		final TrainingSettings s = trainer.settings();
		final List<CaseData> extra = List.copyOf(unlabeled);
		trainer.regime((cfg, train, validation) -> {
			final List<String> keep = labeledIds(train, s.semiSupervised.labeledFraction, s.seed);
			final List<CaseData> labeled = new ArrayList<>(), images = new ArrayList<>();
			for (final CaseData c : train) (keep.contains(c.id()) ? labeled : images).add(c);
			images.addAll(extra);
			return new SemiSupervisedRegime(s, cfg, data.classCount(), labeled, images);
		});
	}

	/** Memory the run may use for the pre-flight check; by default what the machine has available. */
	public SemiSupervisedTrainer memoryLimit(final long bytes) {
		trainer.memoryLimit(bytes);
		return this;
	}

	/** Trains from freshly initialised weights. */
	public Trainer.Result train() throws IOException, InterruptedException {
		return trainer.train();
	}

	/**
	 * Continues the semi-supervised run saved in {@code checkpoint}, given the same cohort and
	 * unlabeled images.
	 *
	 * @throws IllegalArgumentException if the checkpoint is of a supervised run, or of another
	 *           network or class table
	 */
	public static Trainer.Result resume(final Path checkpoint, final TrainingData data, final List<CaseData> unlabeled,
		final Path out, final Progress progress) throws IOException, InterruptedException
	{
		final ModelBundle b = Trainer.loadCheckpoint(checkpoint);
		final TrainingSettings s = TrainingSettings.fromJson(b.training().getAsJsonObject("settings"));
		if (s.semiSupervised == null) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a supervised run: resume it without --mode semi");
		}
		final SemiSupervisedTrainer t = new SemiSupervisedTrainer(data, unlabeled, s, out, progress);
		b.requireCompatible(t.trainer.networkConfig(), data.classes(), "checkpoint " + checkpoint);
		return t.trainer.run(b);
	}

	/**
	 * The ids of the training cases that keep their labels: a seeded shuffle of the sorted ids, the
	 * first {@code round(fraction × cases)}.
	 *
	 * @throws IllegalArgumentException if the fraction is outside (0, 1] or keeps no case
	 */
	public static List<String> labeledIds(final List<CaseData> train, final double fraction, final long seed) {
		if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("labeled fraction must be in (0, 1], not " + fraction);
		final List<String> ids = new ArrayList<>();
		for (final CaseData c : train) ids.add(c.id());
		Collections.sort(ids);
		final int n = (int) Math.round(fraction * ids.size());
		if (n < 1) {
			throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "a labeled fraction of %.3g leaves no labeled case " +
				"among the %d training cases: raise it to at least %.3g", fraction, ids.size(), 0.5 / Math.max(1, ids.size())));
		}
		final SplittableRandom r = new SplittableRandom(BatchSampler.mix(seed, 0x1ABE1L));
		for (int i = ids.size() - 1; i > 0; i--) Collections.swap(ids, i, r.nextInt(i + 1));
		return List.copyOf(ids.subList(0, n));
	}
}
