package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.Augmentation;
import sc.fiji.voxelseg.train.LearningRateSchedule;
import sc.fiji.voxelseg.train.Optimiser;
import sc.fiji.voxelseg.train.Representation;
import sc.fiji.voxelseg.train.Sampling;
import sc.fiji.voxelseg.train.SemiSupervisedSettings;
import sc.fiji.voxelseg.train.PatchSettings;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingHistory;
import sc.fiji.voxelseg.train.TrainingJob;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * {@code train}: supervised training on an imagesTr/labelsTr dataset, writing a model bundle; with
 * {@code --mode semi}, seed 003's semi-supervised training with unlabeled images from
 * {@code --unlabeled DIR} (by default the dataset's {@code imagesUnlabeled/} when it exists) and/or
 * the training cases whose labels {@code --labeled-fraction} withholds.
 */
final class TrainCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "train --data DATASET_DIR --out BUNDLE[.zip] [--arch unet|vnet] [--epochs 500 | --iterations N] [--batch 4] " +
			"[--lr 1e-3] [--weight-decay 1e-5] [--optimiser adam|sgd] [--schedule poly|step|constant] [--loss dice|ce|dice+ce] " +
			"[--levels L] [--width W] [--kernel K] [--norm batch|instance|none] [--patch X,Y,Z [--foreground 0.33]] " +
			"[--no-augment | --no-flips] [--val 0.2] [--val-every N] [--checkpoint-every N] [--seed 42] [--device auto|cpu|gpu:N] " +
			"[--representation none|siamese|contrastive [--feature-layers 3] [--lambda 10] [--head-width 64] " +
			"[--feature-grid labels|features]] " +
			"[--plan plan.json | --preset abdomen-ct-128 (default) | ct-body-2mm | mri-1.5mm | preprocessing options as for preprocess] [--resume] [--dry-run (check the options)]\n" +
			"  semi-supervised training (mean teacher, voxel-wise adversarial and feature terms; defaults: vnet, sgd lr 0.01 step decay, 6000 iterations, batch 2 labeled): --mode semi " +
			"[--labeled-fraction 1] [--unlabeled DIR (default DATASET_DIR/imagesUnlabeled)] [--unlabeled-batch 2] [--ema 0.99] [--no-ema-warmup] " +
			"[--teacher-noise 0.1] [--feature-loss mean|sum] " +
			"[--confidence 0.7] [--alpha 0.01] [--beta 0.1|100] [--gamma0 0.001] [--ramp-up STEPS] [--no-adv] [--no-feature] " +
			"[--no-consistency] [--disc-lr 2e-4] [--disc-width 64] [--disc-maps 4] [--export student|teacher] " +
			"[--student-pass separate|shared]\n" +
			"  from a pretrained backbone (voxelseg pretrain): --init PRETRAINED.zip (network and preprocessing from it) [--freeze STEPS " +
			"(default a third of the iterations)] [--ramp STEPS (default iterations × 1200/45000)] [--ramp-start 0.1]; --mode linear: " +
			"the head alone on the frozen backbone. Defaults from --init: adam lr 3e-4, batch 7, constant rate\n" +
			"  [--clip NORM (global gradient norm; 0 = none)]\n" +
			"  cascade on organ patches (AGCL, semantic-aware contrastive learning): --attention labels|COARSE_BUNDLE|DIR_OF_LABEL_MAPS [--patch 64,64,32] [--cross-fit 5 (folds for the cases the " +
			"coarse bundle was trained on; 0: its own segmentation)] trains a " +
			"model that segments one organ at a time in patches around a coarse segmentation (image + organ mask channels); " +
			"--mode decoder [--init AGCL_PRETRAINED.zip]: the encoder frozen, only the decoder learns (the paper's second stage). " +
			"Segment with segment --model BUNDLE --coarse COARSE_BUNDLE";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		if (argv.contains("--dry-run")) {
			final List<String> rest = new java.util.ArrayList<>(argv);
			rest.remove("--dry-run");
			check(rest);
			out.println("train options valid");
			return;
		}
		final Args a = new Args(argv, FLAGS);
		final Path data = a.path("data"), bundle = a.path("out");
		final PreprocessingPlan plan = plan(a);
		final boolean resume = a.flag("resume");
		final TrainingSettings s = settings(a);
		final String unlabeledOption = a.get("unlabeled", null);
		if (s.semiSupervised == null && unlabeledOption != null) throw new Args.UsageException("--unlabeled needs --mode semi");
		a.checkAllUsed();
		final TrainingJob.Outcome o = Runs.run(Runs.job(s, bundle, resume), j -> j.onDataset(data, plan, unlabeledOption == null ? null
			: Path.of(unlabeledOption)));
		final Trainer.Result r = o.result();
		final TrainingHistory.Validation best = r.history().best();
		out.printf(Locale.ROOT, "%s after %d steps: model %s%s%n", r.cancelled() ? "cancelled" : "trained", r.steps(), bundle,
			best == null ? "" : String.format(Locale.ROOT, " (best mean validation Dice %.3f at step %d)", best.meanDice(), best.step()));
		Runs.printFiles(out, o);
	}

	/** Switches of {@code train}: options without a value. */
	static final Set<String> FLAGS = union(PreprocessCommand.PLAN_FLAGS, Set.of("no-augment", "no-flips", "resume", "no-adv",
		"no-feature", "no-consistency", "no-ema-warmup"));

	/**
	 * Checks {@code train} options without training: every option known and every value valid.
	 * {@code --data} and {@code --out} are not required (a study gives them).
	 *
	 * @throws Args.UsageException naming the first bad option
	 */
	static void check(final List<String> options) throws java.io.IOException {
		final Args a = new Args(options, FLAGS);
		if (!a.positional().isEmpty()) throw new Args.UsageException("unexpected '" + a.positional().get(0) + "' (options start with --)");
		plan(a);
		settings(a);
		for (final String k : new String[] { "data", "out", "unlabeled" }) a.get(k, null);
		a.flag("resume");
		a.checkAllUsed();
	}

	/**
	 * The preprocessing the options give; without any, the checkpoint's when resuming, the
	 * pretrained backbone's with --init, else abdomen-ct-128.
	 */
	private static PreprocessingPlan plan(final Args a) throws java.io.IOException {
		final String init = a.get("init", null), out = a.get("out", null);
		if (a.flag("resume") && out != null) {
			final Path ckpt = Trainer.checkpointPath(Path.of(out));
			if (Files.exists(ckpt)) return PreprocessCommand.plan(a, ModelBundle.load(ckpt).plan());
		}
		return PreprocessCommand.plan(a, init != null ? pretrained(init).plan() : PreprocessingPlan.seedsCt());
	}

	/** The bundle of --init, which must be a pretrained backbone. */
	private static ModelBundle pretrained(final String init) {
		try {
			final ModelBundle b = ModelBundle.load(Path.of(init));
			b.requirePretrained(init);
			return b;
		}
		catch (final java.io.IOException e) {
			throw new Args.UsageException("--init: cannot read the pretrained backbone " + init + ": " + e.getMessage());
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException("--init: " + e.getMessage());
		}
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
		final String mode = a.get("mode", "supervised").trim().toLowerCase(Locale.ROOT);
		if (!mode.equals("supervised") && !mode.equals("semi") && !mode.equals("linear") && !mode.equals("decoder")) {
			throw new Args.UsageException("unknown --mode '" + mode + "': use supervised, semi, linear or decoder");
		}
		final boolean semi = mode.equals("semi"), linear = mode.equals("linear"), decoder = mode.equals("decoder");
		final String init = a.get("init", null), attention = a.get("attention", null);
		if (decoder && attention == null) {
			throw new Args.UsageException("--mode decoder trains a cascade's decoder on organ patches: give --attention labels, a coarse " +
				"model bundle, or a folder of label maps");
		}
		if (attention != null && (semi || linear)) {
			throw new Args.UsageException("--attention trains a cascade on organ patches: it does not combine with --mode " + mode);
		}
		if (linear && init == null) throw new Args.UsageException("--mode linear trains a head on a pretrained backbone: give --init PRETRAINED.zip");
		final TrainingSettings s = semi ? TrainingSettings.semiSupervisedDefaults() : new TrainingSettings();
		if (init != null) {
			// the network is the backbone's: explicit options must agree with it
			final sc.fiji.voxelseg.nn.NetworkConfig n = pretrained(init).network();
			final List<String> d = new java.util.ArrayList<>();
			if (a.has("arch") && Architecture.parse(a.get("arch", null)) != n.architecture()) d.add("--arch " + a.get("arch", null) + " (backbone: " + n.architecture().id() + ")");
			if (a.has("levels") && a.getInt("levels", 0) != n.levels()) d.add("--levels " + a.getInt("levels", 0) + " (backbone: " + n.levels() + ")");
			if (a.has("width") && a.getInt("width", 0) != n.baseWidth()) d.add("--width " + a.getInt("width", 0) + " (backbone: " + n.baseWidth() + ")");
			if (a.has("kernel") && a.getInt("kernel", 0) != n.kernel()) d.add("--kernel " + a.getInt("kernel", 0) + " (backbone: " + n.kernel() + ")");
			if (a.has("norm") && norm(a.get("norm", null)) != n.norm()) d.add("--norm " + a.get("norm", null) + " (backbone: " + n.norm().name().toLowerCase(Locale.ROOT) + ")");
			if (!d.isEmpty()) {
				throw new Args.UsageException("--init " + init + ": these options contradict the pretrained backbone: " + String.join(", ", d) +
					". Leave them out; the network comes from the backbone");
			}
			s.fromPretrained(init, n, linear);
			if (decoder) s.fineTune(0, 0);
		}
		else {
			s.architecture = Architecture.parse(a.get("arch", semi ? "vnet" : "unet"));
			s.levels = a.getInt("levels", 0);
			s.baseWidth = a.getInt("width", 0);
			s.kernel = a.getInt("kernel", 0);
			s.norm = norm(a.get("norm", "batch"));
		}
		s.loss = SegmentationLoss.parse(a.get("loss", "dice"));
		s.optimiser = Optimiser.Kind.parse(a.get("optimiser", semi ? "sgd" : "adam"));
		final boolean adam = s.optimiser == Optimiser.Kind.ADAM;
		final boolean pretrainedDefaults = init != null && adam && !semi;
		s.learningRate = a.getDouble("lr", !adam ? 0.01 : pretrainedDefaults ? s.learningRate : 1e-3);
		s.weightDecay = a.getDouble("weight-decay", !adam ? 1e-4 : pretrainedDefaults ? s.weightDecay : 1e-5);
		s.schedule = LearningRateSchedule.Kind.parse(a.get("schedule", !adam || semi ? "step" : pretrainedDefaults ? "constant" : "poly"));
		s.decayEvery = a.getLong("decay-every", s.decayEvery);
		s.batchSize = a.getInt("batch", semi ? 2 : pretrainedDefaults ? s.batchSize : 4);
		s.epochs = a.getInt("epochs", 500);
		s.iterations = a.getLong("iterations", semi && !a.has("epochs") ? 6000 : 0);
		s.gradientClip = a.getDouble("clip", 0);
		if (init != null && !linear && !decoder) {
			// the paper: frozen for 15,000 of 45,000 steps, then a ramp of 1,200
			s.freezeSteps = a.getLong("freeze", TrainingSettings.DEFAULT);
			s.rampSteps = a.getLong("ramp", TrainingSettings.DEFAULT);
			s.rampStart = a.getDouble("ramp-start", s.rampStart);
		}
		else {
			for (final String k : new String[] { "freeze", "ramp", "ramp-start" }) {
				if (a.has(k)) throw new Args.UsageException("--" + k + " is for fine-tuning from a pretrained backbone" + (linear
					? "; linear evaluation keeps the backbone frozen throughout" : decoder ? "; --mode decoder keeps the encoder frozen " +
						"throughout" : ": give --init PRETRAINED.zip"));
			}
		}
		s.validationFraction = a.getDouble("val", 0.2);
		s.validateEvery = a.getLong("val-every", 0);
		s.checkpointEvery = a.getLong("checkpoint-every", 0);
		s.seed = a.getLong("seed", 42);
		s.device = a.get("device", "auto");
		final String patch = a.get("patch", null);
		if (attention != null) {
			if (a.has("foreground")) throw new Args.UsageException("--foreground is for patches of whole volumes; organ patches are centred in their organ");
			s.patches = new PatchSettings();
			s.patches.attention = attention.equals(PatchSettings.LABELS) ? attention : Path.of(attention).toAbsolutePath().toString();
			s.patches.frozenEncoder = decoder;
			s.patches.crossFit = a.getInt("cross-fit", s.patches.crossFit);
			if (patch != null) s.patches.patch = ints(Args.triple("--patch", patch));
			else if (init != null) s.patches.patch = pretrained(init).inputShape();
		}
		final double fg = a.getDouble("foreground", 0.33);
		if (patch != null && attention == null) {
			final double[] p = Args.triple("--patch", patch);
			s.sampling = Sampling.patches((int) p[0], (int) p[1], (int) p[2], fg);
		}
		final boolean noFlips = a.flag("no-flips");
		if (a.flag("no-augment")) s.augmentation = Augmentation.none();
		else if (noFlips) s.augmentation = s.augmentation.withoutFlips();
		s.representation = Representation.parse(a.get("representation", "none"));
		s.featureLayers = a.getInt("feature-layers", s.featureLayers);
		s.lambda = a.getDouble("lambda", 0);
		s.headWidth = a.getInt("head-width", s.headWidth);
		s.featureGrid = FeatureGrid.parse(a.get("feature-grid", semi ? "features" : "labels"));
		if (semi) semi(a, s.semiSupervised);
		return s;
	}

	private static void semi(final Args a, final SemiSupervisedSettings m) {
		m.labeledFraction = a.getDouble("labeled-fraction", m.labeledFraction);
		m.unlabeledBatch = a.getInt("unlabeled-batch", m.unlabeledBatch);
		m.emaDecay = a.getDouble("ema", m.emaDecay);
		m.emaWarmup = !a.flag("no-ema-warmup");
		m.teacherNoise = a.getDouble("teacher-noise", m.teacherNoise);
		final String fl = a.get("feature-loss", m.featureMean ? "mean" : "sum").trim().toLowerCase(Locale.ROOT);
		if (!fl.equals("mean") && !fl.equals("sum")) throw new Args.UsageException("unknown --feature-loss '" + fl +
			"': use mean (over the head's 64 outputs, as torch's mse_loss) or sum");
		m.featureMean = fl.equals("mean");
		m.confidence = a.getDouble("confidence", m.confidence);
		m.alpha = a.getDouble("alpha", m.alpha);
		m.beta = a.getDouble("beta", m.beta);
		m.gamma0 = a.getDouble("gamma0", m.gamma0);
		m.rampUpSteps = a.getLong("ramp-up", m.rampUpSteps);
		m.terms(!a.flag("no-adv"), !a.flag("no-feature"), !a.flag("no-consistency"));
		m.discriminatorLr = a.getDouble("disc-lr", m.discriminatorLr);
		m.discriminatorWidth = a.getInt("disc-width", m.discriminatorWidth);
		m.discriminatorMaps = a.getInt("disc-maps", m.discriminatorMaps);
		final String export = a.get("export", "student").trim().toLowerCase(Locale.ROOT);
		if (!export.equals("student") && !export.equals("teacher")) throw new Args.UsageException("unknown --export '" + export +
			"': use student or teacher");
		m.exportTeacher = export.equals("teacher");
		final String pass = a.get("student-pass", m.separatePasses ? "separate" : "shared").trim().toLowerCase(Locale.ROOT);
		if (!pass.equals("separate") && !pass.equals("shared")) throw new Args.UsageException("unknown --student-pass '" + pass +
			"': use separate (labeled and unlabeled volumes in their own passes, so batch norm sees them apart) or shared");
		m.separatePasses = pass.equals("separate");
	}

	private static int[] ints(final double[] v) {
		final int[] r = new int[v.length];
		for (int i = 0; i < v.length; i++) r[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v[i]));
		return r;
	}

	static Norm norm(final String n) {
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
