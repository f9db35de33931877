package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;

/**
 * {@code segment}: label maps from a model, for one image or a folder. On a folder it is
 * resumable (an existing output is skipped), goes on past a file it cannot segment with one error
 * line, and ends with a summary; the exit code is 1 when any file failed.
 */
final class SegmentCommand implements Main.Subcommand {

	static final Set<String> FLAGS = Set.of("mirror", "largest-component", "no-intensity-check", "overwrite");

	@Override
	public String usage() {
		return "segment --model BUNDLE|MODEL.pt --in FILE|DIR --out FILE.nii.gz|DIR [--mode auto|whole|sliding] [--overlap 0.5] " +
			"[--mirror] [--largest-component] [--no-intensity-check] [--overwrite] [--device auto|cpu|gpu:N]";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, FLAGS);
		final Path model = a.path("model"), in = a.path("in"), dst = a.path("out");
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
		a.checkAllUsed();
		if (!Files.exists(in)) throw new Args.UsageException("--in " + in + " does not exist");
		final TerminalProgress progress = new TerminalProgress(System.err);
		try (Predictor predictor = Predictor.load(model, device)) {
			progress.status("Model: " + predictor.model().describe());
			if (!Files.isDirectory(in)) {
				final Prediction p = predictor.predict(VolumeIO.read(in), o, progress);
				NiftiIO.write(p.labels(), dst);
				out.printf(Locale.ROOT, "wrote %s (%s, %.1f s)%n", dst, p.labels().describeGrid(), p.seconds());
				return;
			}
			final List<Path> inputs = inputs(in);
			if (inputs.isEmpty()) throw new Args.UsageException(in + " holds no volume files (.nii, .nii.gz, .nrrd, .mha, .mhd)");
			Files.createDirectories(dst);
			int done = 0, skipped = 0;
			final List<String> failed = new ArrayList<>();
			double seconds = 0;
			for (final Path f : inputs) {
				final Path target = dst.resolve(outputName(f));
				if (Files.exists(target) && !overwrite) {
					skipped++;
					continue;
				}
				try {
					final Volume image = VolumeIO.read(f);
					final Prediction p = predictor.predict(image, o, progress);
					NiftiIO.write(p.labels(), target);
					seconds += p.seconds();
					done++;
					out.printf(Locale.ROOT, "%s -> %s (%.1f s)%n", f.getFileName(), target.getFileName(), p.seconds());
				}
				catch (final sc.fiji.voxelseg.util.Progress.CanceledException e) {
					throw e;
				}
				catch (final Exception e) {
					failed.add(f.getFileName().toString());
					System.err.println("voxelseg: error: " + f.getFileName() + ": " + Main.oneLine(e));
				}
			}
			out.printf(Locale.ROOT, "segmented %d, skipped %d already done, failed %d%s%n", done, skipped, failed.size(), done > 0 ? String
				.format(Locale.ROOT, " (%.1f s per image)", seconds / done) : "");
			if (!failed.isEmpty()) throw new IllegalStateException(failed.size() + " file(s) failed: " + String.join(", ", failed));
		}
	}

	/** Volume files of a folder, sorted by name. */
	static List<Path> inputs(final Path dir) throws java.io.IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> Files.isRegularFile(p) && isVolume(p)).sorted().toList();
		}
	}

	static boolean isVolume(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		return !n.startsWith(".") && (n.endsWith(".nii") || n.endsWith(".nii.gz") || n.endsWith(".nrrd") || n.endsWith(".nhdr") ||
			n.endsWith(".mha") || n.endsWith(".mhd"));
	}

	/** The label map's name: the image's without its channel suffix (nnU-Net's {@code _0000}), as .nii.gz. */
	static String outputName(final Path image) {
		String n = image.getFileName().toString();
		for (final String ext : new String[] { ".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd" }) {
			if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
				n = n.substring(0, n.length() - ext.length());
				break;
			}
		}
		if (n.matches(".*_\\d{4}")) n = n.substring(0, n.length() - 5);
		return n + ".nii.gz";
	}
}
