package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.preprocess.DatasetPreprocessor;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.metrics.EvaluationReport;
import sc.fiji.voxelseg.metrics.Evaluation;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.MetricSummary;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.train.Augmentation;
import sc.fiji.voxelseg.train.Sampling;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingHistory;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * {@code demo}: the main job on the embedded default data. Generates a small phantom cohort,
 * preprocesses it with the seeds' plan, trains a narrow U-Net on it briefly, segments unseen
 * phantom cases with the model and evaluates them against their labels.
 */
final class DemoCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "demo [--out demo-out] [--cases 10] [--seed 42] [--grid 256] [--iterations 600] [--batch 1] [--lr 3e-3] [--test-cases 2] [--device auto]   phantom cohort -> preprocessing -> brief training -> segmentation of unseen cases -> evaluation (the main job on the embedded data)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final Path dir = Path.of(a.get("out", "demo-out"));
		final PhantomConfig cfg = PhantomCommand.config(a, PhantomConfig.defaults().withCases(10)
			.withScale(0.5));
		final long iterations = a.getLong("iterations", 600);
		final int batch = a.getInt("batch", 1);
		final double lr = a.getDouble("lr", 3e-3);
		final String device = a.get("device", "auto");
		final int testCases = (int) a.getLong("test-cases", 2);
		a.checkAllUsed();
		final TerminalProgress progress = new TerminalProgress(System.err);
		final long t0 = System.nanoTime();
		final TrainingDataset raw = PhantomCohort.write(cfg, dir.resolve("phantom"), progress);
		out.printf(Locale.ROOT, "1. phantom cohort: %d cases in %s (%.1f s)%n", raw.size(), dir.resolve(
			"phantom"), (System.nanoTime() - t0) / 1e9);
		final long t1 = System.nanoTime();
		// the seeds' soft-tissue window on a 64×64×32 grid: whole volumes small enough for a few
		// minutes of training on two cores, fine enough for the esophagus and the pancreas
		final PreprocessingPlan plan = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ResampleToShape(
			new long[] { 64, 64, 32 })));
		final TrainingDataset pre = DatasetPreprocessor.run(raw, plan, dir.resolve("preprocessed"),
			progress);
		out.printf(Locale.ROOT, "2. preprocessed with %s into %s (%.1f s)%n", plan, dir.resolve(
			"preprocessed"), (System.nanoTime() - t1) / 1e9);
		for (int i = 0; i < raw.size(); i++) {
			final Volume before = NiftiIO.read(raw.cases().get(i).image());
			final Volume after = NiftiIO.read(pre.cases().get(i).image());
			out.printf(Locale.ROOT, "   %s  %s -> %s%n", raw.cases().get(i).id(), before.describeGrid(),
				after.describeGrid());
		}
		final long t2 = System.nanoTime();
		final TrainingData data = TrainingData.load(raw, plan, progress);
		// a brief run: a narrow U-Net on whole volumes, without mirroring (the left kidney and the
		// unlabelled right one differ only by their side)
		final TrainingSettings settings = new TrainingSettings().baseWidth(8).batchSize(batch).iterations(iterations)
			.learningRate(lr).loss(SegmentationLoss.DICE_CE).validationFraction(0.2).validateEvery(Math.max(1,
				iterations / 4)).sampling(Sampling.whole()).augmentation(Augmentation.defaults().withoutFlips()).device(device);
		final Path model = dir.resolve("model");
		java.nio.file.Files.deleteIfExists(Trainer.checkpointPath(model));
		final Trainer.Result r = new Trainer(data, settings, model, progress).train();
		final TrainingHistory.Validation best = r.history().best();
		out.printf(Locale.ROOT, "3. trained %s for %d steps on %d cases (%.1f s): model %s%n", settings.summary(), r.steps(),
			data.cases().size(), (System.nanoTime() - t2) / 1e9, model);
		if (best != null) {
			out.printf(Locale.ROOT, "   best mean validation Dice %.3f at step %d:", best.meanDice(), best.step());
			for (int c = 1; c < best.dice().length; c++) {
				if (!Double.isNaN(best.dice()[c])) out.printf(Locale.ROOT, " %s %.2f", data.classes().get(c).name(), best.dice()[c]);
			}
			out.println();
		}
		out.println("   curve " + Trainer.curvePath(model) + ", history " + Trainer.historyPath(model));
		// 4. segment unseen phantom cases (another seed) and evaluate against their labels
		final long t3 = System.nanoTime();
		final TrainingDataset test = PhantomCohort.write(cfg.withSeed(cfg.seed() + 1000).withCases(testCases), dir.resolve("test"),
			progress);
		final Path predDir = dir.resolve("test-predictions");
		java.nio.file.Files.createDirectories(predDir);
		try (Predictor predictor = Predictor.load(model, device)) {
			for (final TrainingDataset.Case c : test.cases()) {
				final Prediction p = predictor.predict(NiftiIO.read(c.image()), PredictOptions.defaults(), progress);
				NiftiIO.write(p.labels(), predDir.resolve(c.id() + ".nii.gz"));
			}
		}
		out.printf(Locale.ROOT, "4. segmented %d unseen test cases into %s (%.1f s)%n", test.size(), predDir, (System.nanoTime() - t3) /
			1e9);
		final long t4 = System.nanoTime();
		final Path evalDir = dir.resolve("evaluation");
		final MetricSummary summary = Evaluation.folders(predDir, test.root().resolve("labelsTr"), MetricOptions.defaults(), evalDir,
			progress).summary();
		out.printf(Locale.ROOT, "5. evaluated against the phantom labels (%.1f s): %s, %s, %s%n", (System.nanoTime() - t4) / 1e9, evalDir
			.resolve(EvaluationReport.CASES), evalDir.resolve(EvaluationReport.SUMMARY), evalDir.resolve(EvaluationReport.DICE_PLOT));
		out.print(EvaluationReport.text(summary));
	}
}
