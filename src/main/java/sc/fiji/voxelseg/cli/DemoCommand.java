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
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * {@code demo}: the main job on the embedded default data. Generates a small phantom cohort and
 * preprocesses it with the seeds' plan; later stages (training, segmentation, evaluation) extend
 * it.
 */
final class DemoCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "demo [--out demo-out] [--cases 6] [--seed 42] [--grid 256]   phantom cohort -> preprocessing (the main job on the embedded data)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final Path dir = Path.of(a.get("out", "demo-out"));
		final PhantomConfig cfg = PhantomCommand.config(a, PhantomConfig.defaults().withCases(6)
			.withScale(0.5));
		a.checkAllUsed();
		final TerminalProgress progress = new TerminalProgress(System.err);
		final long t0 = System.nanoTime();
		final TrainingDataset raw = PhantomCohort.write(cfg, dir.resolve("phantom"), progress);
		out.printf(Locale.ROOT, "1. phantom cohort: %d cases in %s (%.1f s)%n", raw.size(), dir.resolve(
			"phantom"), (System.nanoTime() - t0) / 1e9);
		final long t1 = System.nanoTime();
		final PreprocessingPlan plan = PreprocessingPlan.seedsCt();
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
		out.println("Training, segmentation and evaluation of the cohort are not part of VoxelSeg yet.");
	}
}
