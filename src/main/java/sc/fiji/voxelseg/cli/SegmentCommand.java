package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.infer.CascadePredictor;
import sc.fiji.voxelseg.infer.FileSegmentation;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.util.Progress;

/**
 * {@code segment}: label maps from a model, for one image or a folder. On a folder it is
 * resumable (an existing output is skipped), goes on past a file it cannot segment with one error
 * line, and ends with a summary; the exit code is 1 when any file failed. A cascade model
 * ({@link ModelBundle#cascade()}) needs {@code --coarse}, the model that segments the organs first
 * ({@link CascadePredictor}); any other model refuses it.
 */
final class SegmentCommand implements Main.Subcommand {

	static final Set<String> FLAGS = Set.of("mirror", "largest-component", "no-intensity-check", "overwrite");

	@Override
	public String usage() {
		return "segment --model BUNDLE|MODEL.pt|MODEL.onnx [--coarse BUNDLE|MODEL.pt] --in FILE|DIR --out FILE.nii.gz|DIR " +
			"[--mode auto|whole|sliding] [--overlap 0.5] [--mirror] [--largest-component] [--no-intensity-check] [--overwrite] " +
			"[--device auto|cpu|gpu:N] [--engine torch|onnxruntime]   (--coarse: the coarse model a cascade model refines, required with one; " +
			"--engine onnxruntime runs a bundle's network through ONNX Runtime on the CPU, as its ONNX export; .onnx files always run there). " +
			"On Apache Spark: segment --spark local[N]|spark://HOST:PORT --model M --in DIR|URI --out DIR|URI [--truth DIR] [--task-cpus 1] " +
			"(the optional voxelseg-spark artifact; one task per case, tables in OUT/_voxelseg/)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, FLAGS);
		final Path model = a.path("model"), in = a.path("in"), dst = a.path("out");
		final Path coarse = a.has("coarse") ? a.path("coarse") : null;
		final PredictOptions o;
		try {
			o = PredictOptions.defaults().withMode(PredictOptions.Mode.parse(a.get("mode", "auto"))).withOverlap(a.getDouble(
				"overlap", 0.5)).withMirror(a.flag("mirror")).withLargestComponent(a.flag("largest-component"))
				.withCheckIntensities(!a.flag("no-intensity-check"));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		final boolean overwrite = a.flag("overwrite");
		final String device = a.get("device", "auto");
		final Predictor.Engine engine;
		try {
			engine = Predictor.Engine.parse(a.get("engine", "torch"));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		a.checkAllUsed();
		if (!Files.exists(in)) throw new Args.UsageException("--in " + in + " does not exist");
		final TerminalProgress progress = new TerminalProgress(System.err);
		if (coarse != null) {
			if (engine != Predictor.Engine.TORCH) throw new Args.UsageException("cascade segmentation (--coarse) runs on libtorch only; leave out --engine");
			if (!Files.exists(coarse)) throw new Args.UsageException("--coarse " + coarse + " does not exist");
			final ModelBundle bundle = CascadePredictor.cascadeBundle(model);
			if (bundle == null) {
				throw new Args.UsageException("--coarse is only for cascade models, and " + model + " is not one: it segments on its own, " +
					"so drop --coarse " + coarse);
			}
			try (CascadePredictor cascade = CascadePredictor.load(bundle, model.toString(), coarse, device)) {
				progress.status("Model: " + cascade.describe());
				segment(cascade::predict, in, dst, o, overwrite, progress, out);
			}
			return;
		}
		final Predictor predictor;
		try {
			predictor = Predictor.load(model, device, engine);
		}
		catch (final IllegalArgumentException e) {
			if (cascade(model)) {
				throw new Args.UsageException(model + " is a cascade model: it refines a coarse segmentation one organ at a time; give the " +
					"model that segments the organs first with --coarse COARSE_MODEL");
			}
			throw e;
		}
		try (predictor) {
			progress.status("Model: " + predictor.model().describe());
			segment(predictor::predict, in, dst, o, overwrite, progress, out);
		}
	}

	/** One file to one label map, or a folder to a folder ({@link FileSegmentation}); exits 1 when a file failed. */
	static void segment(final FileSegmentation.Segmenter segmenter, final Path in, final Path dst, final PredictOptions o,
		final boolean overwrite, final Progress progress, final PrintStream out) throws Exception
	{
		final FileSegmentation.Summary s;
		try {
			s = FileSegmentation.run(segmenter, in, dst, o, overwrite, progress, line -> {
				if (line.startsWith("error: ")) System.err.println("voxelseg: " + line);
				else out.println(line);
			});
		}
		catch (final FileSegmentation.NoVolumesException e) {
			throw new Args.UsageException(e.getMessage());
		}
		if (!s.failed().isEmpty()) throw new IllegalStateException(s.failed().size() + " file(s) failed: " + String.join(", ", s.failed().stream()
			.map(FileSegmentation.Failure::file).toList()));
	}

	/** Whether {@code model} is a cascade bundle; false when it cannot be read as a bundle at all. */
	private static boolean cascade(final Path model) {
		try {
			return Files.exists(model) && CascadePredictor.isCascade(model);
		}
		catch (final java.io.IOException | RuntimeException e) {
			return false;
		}
	}

}
