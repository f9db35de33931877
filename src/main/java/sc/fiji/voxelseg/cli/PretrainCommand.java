package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.train.AttentionMaps;
import sc.fiji.voxelseg.train.PatchSettings;
import sc.fiji.voxelseg.train.Optimiser;
import sc.fiji.voxelseg.train.PretrainSettings;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingJob;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * {@code pretrain}: self-supervised dense pretraining (seed 004) of a backbone on folders of images
 * without labels, writing a pretrained bundle that {@code train --init} starts from.
 */
final class PretrainCommand implements Main.Subcommand {

	/** Switches of {@code pretrain}: options without a value. */
	static final Set<String> FLAGS = union(PreprocessCommand.PLAN_FLAGS, Set.of("resume", "no-balance", "no-restore"));

	@Override
	public String usage() {
		return "pretrain --images DIR [--images DIR2 ...] --out PRETRAINED[.zip] [--iterations 50000] [--arch fpn|unet|vnet] [--levels L] " +
			"[--width W] [--kernel K] [--norm batch|instance|none] [--crop 128,128,32] [--pairs 10] [--voxels 1024] [--temperature 0.1] " +
			"[--restore-weight 10] [--no-restore] [--no-balance] [--aug default|none] [--projection 128] [--lr 3e-4] [--clip 1] " +
			"[--val 0.02 (share of images held out; their loss picks the bundle)] [--checkpoint-every N] [--seed 42] [--device auto|cpu|gpu:N] [--plan plan.json | --preset ct-body-2mm (default) | mri-1.5mm | abdomen-ct-128 | " +
			"preprocessing options as for preprocess] [--resume]\n" +
			"  self-supervised dense pretraining on images alone; vox2vec itself: --no-balance --no-restore --aug none\n" +
			"pretrain --method agcl|sscl|ce --data DATASET_DIR --attention labels|COARSE_BUNDLE|DIR_OF_LABEL_MAPS --out PRETRAINED[.zip] " +
			"[--conditions FILE.csv|cases.json (each case's contrast phase; none: organ-only)] [--cross-fit 5] [--patch 64,64,32] [--batch 8 (patches; " +
			"two views each)] [--iterations 2000] [--arch unet|vnet] [--levels L] [--width W] [--kernel K] [--norm batch|instance|none] " +
			"[--temperature 0.1] [--projection 256] [--lr 1e-3] [--schedule poly|constant] [--val 0.1] [--checkpoint-every N] [--seed 42] " +
			"[--device auto|cpu|gpu:N] [--plan plan.json | --preset abdomen-ct-128 (default) | preprocessing options as for preprocess] [--resume]\n" +
			"  AGCL: semantic-aware contrastive pretraining on organ patches with an attention channel; train a cascade from it with train " +
			"--mode decoder --init PRETRAINED --attention ...";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		if (argv.contains("--dry-run")) {
			// checks the options without data (a study's stage gives --data and --out itself)
			final List<String> rest = new ArrayList<>(argv);
			rest.remove("--dry-run");
			final Args a = new Args(rest, FLAGS);
			if (a.has("method")) patchSettings(a);
			else settings(a);
			PreprocessCommand.plan(a, a.has("method") ? PreprocessingPlan.seedsCt() : PreprocessingPlan.pretrainCt());
			for (final String k : new String[] { "data", "out" }) a.get(k, null);
			a.all("images");
			a.flag("resume");
			a.checkAllUsed();
			out.println("pretrain options valid");
			return;
		}
		final Args a = new Args(argv, FLAGS);
		if (a.has("method")) {
			patches(a, out);
			return;
		}
		final List<String> folders = a.all("images");
		if (folders.isEmpty()) throw new Args.UsageException("missing --images DIR (a folder of images without labels)");
		final Path bundle = a.path("out");
		final PreprocessingPlan plan = PreprocessCommand.plan(a, PreprocessingPlan.pretrainCt());
		final boolean resume = a.flag("resume");
		final TrainingSettings s = settings(a);
		a.checkAllUsed();
		final List<Path> dirs = new ArrayList<>();
		for (final String f : folders) dirs.add(Path.of(f));
		final TrainingJob.Outcome o = Runs.run(Runs.job(s, bundle, resume), j -> j.onImageFolders(dirs, plan));
		final Trainer.Result r = o.result();
		out.printf(Locale.ROOT, "%s after %d steps on %d images: pretrained backbone %s (train --init %s)%n", r.cancelled() ? "cancelled"
			: "pretrained", r.steps(), o.cases(), bundle, bundle);
		Runs.printFiles(out, o);
	}

	/** Contrastive pretraining on organ patches (seed 002): AGCL, SSCL or CE. */
	private static void patches(final Args a, final PrintStream out) throws Exception {
		final Path data = a.path("data"), bundle = a.path("out");
		final boolean resume = a.flag("resume");
		final Path ckpt = Trainer.checkpointPath(bundle);
		// resuming, the run's own preprocessing unless options replace it
		final PreprocessingPlan plan = PreprocessCommand.plan(a, resume && Files.exists(ckpt) ? ModelBundle.load(ckpt).plan()
			: PreprocessingPlan.seedsCt());
		final TrainingSettings s = patchSettings(a);
		a.checkAllUsed();
		final TrainingJob.Outcome o = Runs.run(Runs.job(s, bundle, resume), j -> j.onDataset(data, plan, null));
		final Trainer.Result r = o.result();
		out.printf(Locale.ROOT, "%s after %d steps on %d cases: pretrained backbone %s (train --mode decoder --init %s --attention ...)%n",
			r.cancelled() ? "cancelled" : "pretrained", r.steps(), o.cases(), bundle, bundle);
		Runs.printFiles(out, o);
	}

	/** The settings of contrastive pretraining on patches from the options; a bad one is a usage error. */
	private static TrainingSettings patchSettings(final Args a) {
		if (a.has("images")) {
			throw new Args.UsageException("--method pretrains on organ patches of a labeled dataset: give --data DATASET_DIR, not --images");
		}
		for (final String k : new String[] { "crop", "pairs", "voxels", "restore-weight", "aug" }) {
			if (a.has(k)) throw new Args.UsageException("--" + k + " is for self-supervised dense pretraining (without --method)");
		}
		for (final String k : new String[] { "no-restore", "no-balance" }) {
			if (a.flag(k)) throw new Args.UsageException("--" + k + " is for self-supervised dense pretraining (without --method)");
		}
		final String attention = a.get("attention", null);
		if (attention == null) {
			throw new Args.UsageException("--method needs --attention: labels (the ground truth, an oracle), a coarse model bundle, or a " +
				"folder of label maps (e.g. cross-fitted segmentations)");
		}
		final TrainingSettings s;
		try {
			s = PatchSettings.pretrainingDefaults(PatchSettings.Method.parse(a.get("method", null)));
			s.architecture = Architecture.parse(a.get("arch", "unet"));
			if (s.architecture == Architecture.FPN) throw new Args.UsageException("--method takes the encoder of a unet or vnet");
			s.levels = a.getInt("levels", 0);
			s.baseWidth = a.getInt("width", 0);
			s.kernel = a.getInt("kernel", 0);
			s.norm = TrainCommand.norm(a.get("norm", "batch"));
			s.optimiser = Optimiser.Kind.parse(a.get("optimiser", "adam"));
			s.learningRate = a.getDouble("lr", s.learningRate);
			s.weightDecay = a.getDouble("weight-decay", s.weightDecay);
			s.schedule = sc.fiji.voxelseg.train.LearningRateSchedule.Kind.parse(a.get("schedule", "poly"));
			s.gradientClip = a.getDouble("clip", 0);
			s.iterations = a.getLong("iterations", s.iterations);
			s.batchSize = a.getInt("batch", s.batchSize);
			s.checkpointEvery = a.getLong("checkpoint-every", 0);
			s.validationFraction = a.getDouble("val", s.validationFraction);
			s.seed = a.getLong("seed", 42);
			s.device = a.get("device", "auto");
			final PatchSettings p = s.patches;
			p.attention = attention.equals(PatchSettings.LABELS) ? attention : Path.of(attention).toAbsolutePath().toString();
			final String patch = a.get("patch", null);
			if (patch != null) p.patch = size("--patch", patch);
			p.crossFit = a.getInt("cross-fit", p.crossFit);
			p.temperature = a.getDouble("temperature", p.temperature);
			p.projection = a.getInt("projection", p.projection);
			final String conditions = a.get("conditions", null);
			if (conditions != null) {
				try {
					p.conditions = AttentionMaps.conditions(Path.of(conditions));
				}
				catch (final java.io.IOException e) {
					throw new Args.UsageException("--conditions: " + e.getMessage());
				}
			}
			s.validate();
		}
		catch (final Args.UsageException e) {
			throw e;
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		return s;
	}

	/** The settings from the options; a value out of range is a usage error. */
	static TrainingSettings settings(final Args a) {
		try {
			return parse(a).validate();
		}
		catch (final Args.UsageException e) {
			throw e;
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
	}

	private static TrainingSettings parse(final Args a) {
		final TrainingSettings s = PretrainSettings.defaults();
		final PretrainSettings p = s.pretraining;
		s.architecture = Architecture.parse(a.get("arch", "fpn"));
		s.levels = a.getInt("levels", 0);
		s.baseWidth = a.getInt("width", 0);
		s.kernel = a.getInt("kernel", 0);
		s.norm = TrainCommand.norm(a.get("norm", "batch"));
		s.optimiser = Optimiser.Kind.parse(a.get("optimiser", "adam"));
		s.learningRate = a.getDouble("lr", s.learningRate);
		s.weightDecay = a.getDouble("weight-decay", s.weightDecay);
		s.gradientClip = a.getDouble("clip", s.gradientClip);
		s.iterations = a.getLong("iterations", s.iterations);
		s.checkpointEvery = a.getLong("checkpoint-every", 0);
		s.validationFraction = a.getDouble("val", PretrainSettings.HELD_OUT);
		s.seed = a.getLong("seed", 42);
		s.device = a.get("device", "auto");
		final String crop = a.get("crop", null);
		if (crop != null) p.crop = size("--crop", crop);
		p.pairs = a.getInt("pairs", p.pairs);
		p.voxels = a.getInt("voxels", p.voxels);
		p.temperature = a.getDouble("temperature", p.temperature);
		p.restoreWeight = a.getDouble("restore-weight", p.restoreWeight);
		p.restore = !a.flag("no-restore");
		p.balance = !a.flag("no-balance");
		final String aug = a.get("aug", "default").trim().toLowerCase(Locale.ROOT);
		if (!aug.equals("default") && !aug.equals("none")) {
			throw new Args.UsageException("unknown --aug '" + aug + "': use default (pixel shuffling, in-painting, Bézier curve) or none");
		}
		p.augment = aug.equals("default");
		p.projection = a.getInt("projection", p.projection);
		s.batchSize = 2 * p.pairs;
		return s;
	}

	/** Three whole sizes x,y,z of an option, each capped at the largest int (the settings check the range). */
	private static int[] size(final String option, final String value) {
		final long[] c = PreprocessCommand.longs(Args.triple(option, value));
		return new int[] { (int) Math.min(Integer.MAX_VALUE, c[0]), (int) Math.min(Integer.MAX_VALUE, c[1]), (int) Math.min(Integer.MAX_VALUE,
			c[2]) };
	}

	private static Set<String> union(final Set<String> a, final Set<String> b) {
		final java.util.HashSet<String> u = new java.util.HashSet<>(a);
		u.addAll(b);
		return u;
	}
}
