package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.Augmentation;
import sc.fiji.voxelseg.train.LearningRateSchedule;
import sc.fiji.voxelseg.train.Optimiser;
import sc.fiji.voxelseg.train.Representation;
import sc.fiji.voxelseg.train.Sampling;
import sc.fiji.voxelseg.train.SupervisedTrainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingHistory;
import sc.fiji.voxelseg.train.TrainingSettings;

/** {@code train}: supervised training on an imagesTr/labelsTr dataset, writing a model bundle. */
final class TrainCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "train --data DATASET_DIR --out BUNDLE[.zip] [--arch unet|vnet] [--epochs 500 | --iterations N] [--batch 4] " +
			"[--lr 1e-3] [--weight-decay 1e-5] [--optimiser adam|sgd] [--schedule poly|step|constant] [--loss dice|ce|dice+ce] " +
			"[--levels L] [--width W] [--kernel K] [--norm batch|instance|none] [--patch X,Y,Z [--foreground 0.33]] " +
			"[--no-augment] [--val 0.2] [--val-every N] [--checkpoint-every N] [--seed 42] [--device auto|cpu|gpu:N] " +
			"[--representation none|siamese|contrastive [--feature-layers 3] [--lambda 10] [--head-width 64] " +
			"[--feature-grid labels|features]] " +
			"[--plan plan.json | --preset seeds-ct | preprocessing options as for preprocess] [--resume]";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, union(PreprocessCommand.PLAN_FLAGS, Set.of("no-augment", "resume")));
		final Path data = a.path("data"), bundle = a.path("out");
		final PreprocessingPlan plan = PreprocessCommand.plan(a);
		final boolean resume = a.flag("resume");
		final TrainingSettings s = settings(a);
		a.checkAllUsed();
		final TerminalProgress progress = new TerminalProgress(System.err);
		final TrainingData td = TrainingData.load(TrainingDataset.read(data), plan, progress);
		final SupervisedTrainer.Result r;
		final Path ckpt = SupervisedTrainer.checkpointPath(bundle);
		if (resume) {
			if (!Files.exists(ckpt)) throw new Args.UsageException("--resume: no checkpoint " + ckpt + " to continue from");
			r = SupervisedTrainer.resume(ckpt, td, bundle, progress);
		}
		else {
			if (Files.exists(ckpt)) {
				throw new Args.UsageException(ckpt + " exists from an earlier run: add --resume to continue it, or choose another --out");
			}
			r = new SupervisedTrainer(td, s, bundle, progress).train();
		}
		final TrainingHistory.Validation best = r.history().best();
		out.printf(Locale.ROOT, "%s after %d steps: model %s%s%n", r.cancelled() ? "cancelled" : "trained", r.steps(), bundle,
			best == null ? "" : String.format(Locale.ROOT, " (best mean validation Dice %.3f at step %d)", best.meanDice(), best.step()));
		out.println("checkpoint " + r.checkpoint() + ", curve " + SupervisedTrainer.curvePath(bundle) + ", history " +
			SupervisedTrainer.historyPath(bundle));
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
		final TrainingSettings s = new TrainingSettings();
		s.architecture = Architecture.parse(a.get("arch", "unet"));
		s.levels = a.getInt("levels", 0);
		s.baseWidth = a.getInt("width", 0);
		s.kernel = a.getInt("kernel", 0);
		s.norm = norm(a.get("norm", "batch"));
		s.loss = SegmentationLoss.parse(a.get("loss", "dice"));
		s.optimiser = Optimiser.Kind.parse(a.get("optimiser", "adam"));
		s.learningRate = a.getDouble("lr", s.optimiser == Optimiser.Kind.SGD ? 0.01 : 1e-3);
		s.weightDecay = a.getDouble("weight-decay", s.optimiser == Optimiser.Kind.SGD ? 1e-4 : 1e-5);
		s.schedule = LearningRateSchedule.Kind.parse(a.get("schedule", s.optimiser == Optimiser.Kind.SGD ? "step" : "poly"));
		s.decayEvery = a.getLong("decay-every", s.decayEvery);
		s.batchSize = a.getInt("batch", 4);
		s.epochs = a.getInt("epochs", 500);
		s.iterations = a.getLong("iterations", 0);
		s.validationFraction = a.getDouble("val", 0.2);
		s.validateEvery = a.getLong("val-every", 0);
		s.checkpointEvery = a.getLong("checkpoint-every", 0);
		s.seed = a.getLong("seed", 42);
		s.device = a.get("device", "auto");
		final String patch = a.get("patch", null);
		final double fg = a.getDouble("foreground", 0.33);
		if (patch != null) {
			final double[] p = Args.triple("--patch", patch);
			s.sampling = Sampling.patches((int) p[0], (int) p[1], (int) p[2], fg);
		}
		if (a.flag("no-augment")) s.augmentation = Augmentation.none();
		s.representation = Representation.parse(a.get("representation", "none"));
		s.featureLayers = a.getInt("feature-layers", s.featureLayers);
		s.lambda = a.getDouble("lambda", 0);
		s.headWidth = a.getInt("head-width", s.headWidth);
		s.featureGrid = FeatureGrid.parse(a.get("feature-grid", "labels"));
		return s;
	}

	private static Norm norm(final String n) {
		try {
			return Norm.valueOf(n.trim().toUpperCase(Locale.ROOT));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException("unknown --norm '" + n + "': use batch, instance or none");
		}
	}

	private static Set<String> union(final Set<String> a, final Set<String> b) {
		final java.util.HashSet<String> u = new java.util.HashSet<>(a);
		u.addAll(b);
		return u;
	}
}
