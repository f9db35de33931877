package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;

/** {@code preprocess}: applies a preprocessing plan to a volume. */
final class PreprocessCommand implements Main.Subcommand {

	static final Set<String> PLAN_FLAGS = Set.of("body-crop", "zscore");

	@Override
	public String usage() {
		return "preprocess --in FILE|DATASET_DIR --out OUT.nii.gz|DIR [--labels FILE --labels-out OUT.nii.gz] [--plan plan.json | --preset abdomen-ct-128|ct-body-2mm|mri-1.5mm | --body-crop --window PRESET|LO,HI --zscore --percentile LO,HI --shape X,Y,Z --spacing X,Y,Z --crop-pad X,Y,Z] [--save-plan plan.json]   (a folder of images on Apache Spark: preprocess --spark local[N]|spark://HOST:PORT " +
			"--in DIR --out DIR [--plan plan.json | --preset NAME], one task per image)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, PLAN_FLAGS);
		final Path in = a.path("in"), dst = a.path("out");
		final String labels = a.get("labels", null), labelsOut = a.get("labels-out", null);
		final String savePlan = a.get("save-plan", null);
		final PreprocessingPlan plan = plan(a);
		a.checkAllUsed();
		if ((labels == null) != (labelsOut == null)) throw new Args.UsageException(
			"--labels and --labels-out go together");
		if (java.nio.file.Files.isDirectory(in) && (java.nio.file.Files.exists(in.resolve(
			"dataset.json")))) {
			if (labels != null) throw new Args.UsageException(
				"a dataset folder brings its own labels; drop --labels");
			final var ds = sc.fiji.voxelseg.preprocess.DatasetPreprocessor.run(
				sc.fiji.voxelseg.io.TrainingDataset.read(in), plan, dst, new TerminalProgress(System.err));
			if (savePlan != null) plan.save(Path.of(savePlan));
			out.println("preprocessed " + ds.size() + " cases into " + dst + " with plan " + plan);
			return;
		}
		final Volume img = VolumeIO.read(in);
		final Volume lab = labels == null ? null : VolumeIO.read(Path.of(labels));
		final PreprocessingPlan.Result r = plan.apply(img, lab);
		NiftiIO.write(r.image(), dst);
		if (lab != null) NiftiIO.write(r.labels(), Path.of(labelsOut));
		if (savePlan != null) plan.save(Path.of(savePlan));
		out.println("wrote " + dst + " (" + r.image().describeGrid() + ") with plan " + plan);
	}

	/** The plan from {@code --plan}, {@code --preset} or the individual step options. */
	static PreprocessingPlan plan(final Args a) throws java.io.IOException {
		return plan(a, PreprocessingPlan.seedsCt());
	}

	/** The plan the options give, or {@code fallback} when they give none. */
	static PreprocessingPlan plan(final Args a, final PreprocessingPlan fallback) throws java.io.IOException {
		final String file = a.get("plan", null), preset = a.get("preset", null);
		final List<Step> steps = new ArrayList<>();
		if (a.flag("body-crop")) steps.add(new Step.ForegroundCrop(-500, a.getInt("crop-margin", 0)));
		final String w = a.get("window", null);
		if (w != null) {
			if (w.contains(",")) {
				final String[] p = w.split(",");
				if (p.length != 2) throw new Args.UsageException("--window needs PRESET or LO,HI");
				steps.add(Step.Window.of(HuWindow.custom(Double.parseDouble(p[0]), Double.parseDouble(
					p[1]))));
			}
			else steps.add(Step.Window.of(HuWindow.preset(w)));
		}
		if (a.flag("zscore")) steps.add(new Step.ZScore(null));
		final String pc = a.get("percentile", null);
		if (pc != null) {
			final String[] p = pc.split(",");
			if (p.length != 2) throw new Args.UsageException("--percentile needs LO,HI, e.g. 0.01,99.9");
			steps.add(new Step.PercentileClip(Double.parseDouble(p[0]), Double.parseDouble(p[1])));
		}
		final String shape = a.get("shape", null), spacing = a.get("spacing", null);
		if (shape != null && spacing != null) throw new Args.UsageException(
			"give --shape or --spacing, not both");
		if (shape != null) steps.add(new Step.ResampleToShape(longs(Args.triple("--shape", shape))));
		if (spacing != null) steps.add(new Step.ResampleToSpacing(Args.triple("--spacing", spacing)));
		final String cp = a.get("crop-pad", null);
		if (cp != null) steps.add(new Step.CropOrPad(longs(Args.triple("--crop-pad", cp)), 0));
		final int sources = (file != null ? 1 : 0) + (preset != null ? 1 : 0) + (steps.isEmpty() ? 0 : 1);
		if (sources > 1) throw new Args.UsageException(
			"give --plan, --preset or individual steps, not several");
		if (file != null) return PreprocessingPlan.load(Path.of(file));
		if (preset != null) return preset(preset);
		if (steps.isEmpty()) return fallback;
		return new PreprocessingPlan(steps);
	}

	static PreprocessingPlan preset(final String name) {
		try {
			return PreprocessingPlan.preset(name);
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException("--preset: " + e.getMessage());
		}
	}

	static long[] longs(final double[] d) {
		final long[] l = new long[d.length];
		for (int i = 0; i < d.length; i++) {
			l[i] = Math.round(d[i]);
			if (l[i] != d[i] || l[i] < 1) throw new Args.UsageException(
				"sizes must be positive whole numbers, got " + java.util.Arrays.toString(d));
		}
		return l;
	}
}
