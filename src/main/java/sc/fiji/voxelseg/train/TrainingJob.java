package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.util.Progress;

/**
 * One training run as every face starts it (the launcher's {@code train} and {@code pretrain}, the
 * Fiji training commands): the trainer the settings call for, a fresh run or the continuation of
 * the checkpoint beside the bundle behind the resume guard ({@link RunFiles#checkpointToResume}),
 * and the loading of what the trainer learns from. A face maps its arguments to the settings and
 * the inputs, calls one of the {@code on...} methods and presents the {@link Outcome}.
 * <p>
 * The trainer follows the settings: {@link SemiSupervisedTrainer} with
 * {@link TrainingSettings#semiSupervised}, {@link PatchTrainer} on organ patches with
 * {@link TrainingSettings#patches} (a cascade, or contrastive pretraining with a method), the dense
 * {@link Pretrainer} with {@link TrainingSettings#pretraining}, else {@link Trainer}. Resuming, the
 * trainer reads its settings from the checkpoint; those given here choose the trainer and the
 * attention source.
 */
public final class TrainingJob {

	/** The trainer a job runs. */
	public enum Kind {
		/** {@link Trainer}: whole volumes or patches of them, labeled. */
		SUPERVISED,
		/** {@link SemiSupervisedTrainer}: labeled cases plus unlabeled images. */
		SEMI_SUPERVISED,
		/** {@link PatchTrainer}: organ patches with an attention channel (a cascade, or its contrastive pretraining). */
		PATCHES,
		/** {@link Pretrainer}: self-supervised dense pretraining on images without labels. */
		PRETRAINING;

		/** The trainer that {@code settings} call for. */
		public static Kind of(final TrainingSettings settings) {
			return settings.semiSupervised != null ? SEMI_SUPERVISED : settings.patches != null ? PATCHES : settings.pretraining != null
				? PRETRAINING : SUPERVISED;
		}
	}

	/**
	 * What a job did.
	 *
	 * @param kind the trainer that ran
	 * @param result the trainer's result (steps, cancelled, history, bundle, checkpoint)
	 * @param resumed whether it continued a checkpoint
	 * @param cases the labeled cases, or for {@link Kind#PRETRAINING} the images, it learned from
	 * @param unlabeled the unlabeled images of a semi-supervised run (else 0)
	 */
	public record Outcome(Kind kind, Trainer.Result result, boolean resumed, int cases, int unlabeled) {}

	/** The folder of unlabeled images a dataset may hold beside imagesTr/labelsTr. */
	public static final String UNLABELED_FOLDER = "imagesUnlabeled";

	private final TrainingSettings settings;
	private final Path bundle;
	private final Progress progress;
	private boolean resume;
	private String resumeHow = "resume", elsewhere = "another output";

	/**
	 * A job writing {@code bundle} (with checkpoint, history and curve beside it, see
	 * {@link RunFiles}); fresh unless {@link #resume} says otherwise.
	 *
	 * @param settings the run's settings, validated
	 */
	public TrainingJob(final TrainingSettings settings, final Path bundle, final Progress progress) {
		this.settings = settings;
		this.bundle = bundle;
		this.progress = progress == null ? Progress.NONE : progress;
	}

	/**
	 * Whether to continue the checkpoint beside the bundle, and how the face words the guard's
	 * refusal (see {@link RunFiles#checkpointToResume}).
	 *
	 * @param resumeHow how the face asks to resume, e.g. "add --resume" or "tick Resume"
	 * @param elsewhere how the face names another output, e.g. "another --out" or "another bundle"
	 */
	public TrainingJob resume(final boolean resume, final String resumeHow, final String elsewhere) {
		this.resume = resume;
		this.resumeHow = resumeHow;
		this.elsewhere = elsewhere;
		return this;
	}

	/** Whether the job continues a checkpoint. */
	public boolean resumes() {
		return resume;
	}

	/** The trainer the settings call for. */
	public Kind kind() {
		return Kind.of(settings);
	}

	/** The run's files beside the bundle. */
	public RunFiles files() {
		return new RunFiles(bundle);
	}

	/**
	 * The checkpoint to continue, or null for a fresh run.
	 *
	 * @throws RunFiles.Refused resuming without a checkpoint, or starting afresh onto one
	 */
	public Path checkpoint() {
		return files().checkpointToResume(resume, resumeHow, elsewhere);
	}

	/**
	 * Trains on an imagesTr/labelsTr dataset folder, read and preprocessed with {@code plan}: with
	 * the attention maps of organ-patch settings, and for a semi-supervised run the unlabeled images
	 * of {@code unlabeledDir}, else of the dataset's {@value #UNLABELED_FOLDER} folder when it
	 * exists (else none: the cases whose labels the labeled fraction withholds lend their images).
	 * The resume guard is checked before anything is read.
	 *
	 * @param unlabeledDir a folder of unlabeled images, or null
	 * @throws RunFiles.Refused see {@link #checkpoint()}
	 * @throws IOException naming a file that cannot be read
	 * @throws IllegalArgumentException naming what does not fit (a case, the attention source, a
	 *           checkpoint of another kind of run, unlabeled images without semi-supervised settings)
	 */
	public Outcome onDataset(final Path dataset, final PreprocessingPlan plan, final Path unlabeledDir) throws IOException,
		InterruptedException
	{
		requireLabeled();
		if (unlabeledDir != null && kind() != Kind.SEMI_SUPERVISED) throw notSemi();
		final Path ckpt = checkpoint();
		final TrainingDataset ds = TrainingDataset.read(dataset);
		final TrainingData data = TrainingData.load(ds, plan, progress);
		final List<CaseData> unlabeled;
		if (kind() != Kind.SEMI_SUPERVISED) unlabeled = List.of();
		else if (unlabeledDir != null) unlabeled = UnlabeledImages.load(unlabeledDir, plan, progress);
		else {
			final Path own = dataset.resolve(UNLABELED_FOLDER);
			unlabeled = Files.isDirectory(own) ? UnlabeledImages.load(own, plan, progress) : List.of();
		}
		return run(ckpt, data, ds, unlabeled);
	}

	/**
	 * Trains on labeled data already preprocessed (e.g. images open in Fiji, {@link TrainingData#of}).
	 *
	 * @param dataset the dataset folder the data was read from, or null; attention maps other than
	 *          the labels themselves need it
	 * @param unlabeled unlabeled images for a semi-supervised run (empty otherwise)
	 * @throws RunFiles.Refused see {@link #checkpoint()}
	 * @throws IOException naming a file that cannot be read
	 * @throws IllegalArgumentException naming what does not fit
	 */
	public Outcome onData(final TrainingData data, final TrainingDataset dataset, final List<CaseData> unlabeled) throws IOException,
		InterruptedException
	{
		requireLabeled();
		if (!unlabeled.isEmpty() && kind() != Kind.SEMI_SUPERVISED) throw notSemi();
		return run(checkpoint(), data, dataset, unlabeled);
	}

	/**
	 * Self-supervised dense pretraining on the images of one or more folders, read and preprocessed
	 * with {@code plan}. The resume guard is checked before anything is read.
	 *
	 * @throws RunFiles.Refused see {@link #checkpoint()}
	 * @throws IOException naming a folder without volumes or a file that cannot be read
	 * @throws IllegalArgumentException if the settings are not of dense pretraining, or the
	 *           checkpoint is of another kind of run
	 */
	public Outcome onImageFolders(final List<Path> folders, final PreprocessingPlan plan) throws IOException, InterruptedException {
		requirePretraining();
		if (folders.isEmpty()) throw new IllegalArgumentException("no folder of images to pretrain on");
		final Path ckpt = checkpoint();
		final List<CaseData> images = new ArrayList<>();
		for (final Path f : folders) images.addAll(UnlabeledImages.load(f, plan, progress));
		return pretrain(ckpt, images, plan);
	}

	/**
	 * Self-supervised dense pretraining on images already preprocessed with {@code plan}.
	 *
	 * @throws RunFiles.Refused see {@link #checkpoint()}
	 * @throws IllegalArgumentException if the settings are not of dense pretraining
	 */
	public Outcome onImages(final List<CaseData> images, final PreprocessingPlan plan) throws IOException, InterruptedException {
		requirePretraining();
		return pretrain(checkpoint(), images, plan);
	}

	private Outcome pretrain(final Path ckpt, final List<CaseData> images, final PreprocessingPlan plan) throws IOException,
		InterruptedException
	{
		final Trainer.Result r = ckpt != null ? Pretrainer.resume(ckpt, images, plan, bundle, progress) : new Pretrainer(images, plan,
			settings, bundle, progress).train();
		return new Outcome(Kind.PRETRAINING, r, ckpt != null, images.size(), 0);
	}

	private Outcome run(final Path ckpt, final TrainingData data, final TrainingDataset ds, final List<CaseData> unlabeled)
		throws IOException, InterruptedException
	{
		final Kind kind = kind();
		final Trainer.Result r;
		switch (kind) {
			case SEMI_SUPERVISED -> r = ckpt != null ? SemiSupervisedTrainer.resume(ckpt, data, unlabeled, bundle, progress)
				: new SemiSupervisedTrainer(data, unlabeled, settings, bundle, progress).train();
			case PATCHES -> {
				final Map<String, byte[]> maps = attention(data, ds);
				r = ckpt != null ? PatchTrainer.resume(ckpt, data, maps, bundle, progress) : new PatchTrainer(data, maps, settings, bundle,
					progress).train();
			}
			default -> r = ckpt != null ? Trainer.resume(ckpt, data, bundle, progress) : new Trainer(data, settings, bundle, progress)
				.train();
		}
		return new Outcome(kind, r, ckpt != null, data.cases().size(), unlabeled.size());
	}

	/** Each case's attention map from the settings' source, cross-fitted in their folds. */
	private Map<String, byte[]> attention(final TrainingData data, final TrainingDataset ds) throws IOException {
		final String source = settings.patches.attention == null ? null : settings.patches.attention.trim();
		if (source == null || source.isEmpty()) {
			throw new IllegalArgumentException("training on organ patches needs an attention source: 'labels', a coarse model bundle or a " +
				"folder of label maps");
		}
		if (ds == null && !source.equals(PatchSettings.LABELS)) {
			throw new IllegalArgumentException("attention from a coarse model or a folder needs a dataset folder");
		}
		return AttentionMaps.load(source, ds, data, settings.patches.crossFit, progress);
	}

	private void requireLabeled() {
		if (kind() == Kind.PRETRAINING) {
			throw new IllegalArgumentException("self-supervised dense pretraining learns from images without labels, not from a labeled " +
				"dataset");
		}
	}

	private void requirePretraining() {
		if (kind() != Kind.PRETRAINING) {
			throw new IllegalArgumentException("only self-supervised dense pretraining learns from images alone; these settings train " +
				kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " on a labeled dataset");
		}
	}

	private static IllegalArgumentException notSemi() {
		return new IllegalArgumentException("unlabeled images are for semi-supervised training");
	}
}
