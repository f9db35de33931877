package sc.fiji.voxelseg.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.CohortFiles;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.util.Progress;

/**
 * Segmentation of files, the use case under the launcher's {@code segment} and Fiji's Segment
 * Files: one file to one label map, or a folder to a folder, resumable (an existing output is
 * skipped unless overwriting), going on past a file it cannot segment with one error line, and
 * ending with a summary.
 */
public final class FileSegmentation {

	/** What segments one image: a {@link Predictor} or a {@link CascadePredictor}. */
	@FunctionalInterface
	public interface Segmenter {

		Prediction predict(Volume image, PredictOptions o, Progress p);
	}

	/** A file that could not be segmented, and why. */
	public record Failure(String file, String reason) {

		@Override
		public String toString() {
			return file + ": " + reason;
		}
	}

	/** A folder that holds no volume files. */
	public static final class NoVolumesException extends IOException {

		private static final long serialVersionUID = 1L;

		NoVolumesException(final String m) {
			super(m);
		}
	}

	/** What a run came to. */
	public record Summary(int done, int skipped, List<Failure> failed, double seconds) {

		/** The closing line. */
		public String line() {
			return String.format(Locale.ROOT, "segmented %d, skipped %d already done, failed %d%s", done, skipped, failed.size(), done > 0
				? String.format(Locale.ROOT, " (%.1f s per image)", seconds / done) : "");
		}
	}

	private FileSegmentation() {}

	/**
	 * Segments {@code in} (a file or a folder of volumes) into {@code dst} (a label map file, or a
	 * folder). Lines for the user (one per file, errors prefixed {@code error:}) go to {@code lines}.
	 *
	 * @throws NoVolumesException when a folder holds no volume files
	 * @throws IOException when the output folder cannot be made, or the single file cannot be segmented
	 */
	public static Summary run(final Segmenter segmenter, final Path in, final Path dst, final PredictOptions o, final boolean overwrite,
		final Progress progress, final Consumer<String> lines) throws IOException
	{
		if (!Files.isDirectory(in)) {
			final Prediction p = segmenter.predict(VolumeIO.read(in), o, progress);
			NiftiIO.write(p.labels(), dst);
			lines.accept(String.format(Locale.ROOT, "wrote %s (%s, %.1f s)", dst, p.labels().describeGrid(), p.seconds()));
			return new Summary(1, 0, List.of(), p.seconds());
		}
		final List<Path> inputs = CohortFiles.volumes(in);
		if (inputs.isEmpty()) throw new NoVolumesException(in + " holds no volume files (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd)");
		Files.createDirectories(dst);
		int done = 0, skipped = 0;
		final List<Failure> failed = new ArrayList<>();
		double seconds = 0;
		for (int i = 0; i < inputs.size(); i++) {
			final Path f = inputs.get(i);
			progress.checkCanceled();
			progress.progress(i, inputs.size());
			final Path target = dst.resolve(CohortFiles.labelMapName(f.getFileName().toString()));
			if (Files.exists(target) && !overwrite) {
				skipped++;
				continue;
			}
			try {
				final Prediction p = segmenter.predict(VolumeIO.read(f), o, progress);
				NiftiIO.write(p.labels(), target);
				seconds += p.seconds();
				done++;
				lines.accept(String.format(Locale.ROOT, "%s -> %s (%.1f s)", f.getFileName(), target.getFileName(), p.seconds()));
			}
			catch (final Progress.CanceledException e) {
				throw e;
			}
			catch (final Exception e) {
				final String why = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage().replace('\n',
					' ').replace('\r', ' ');
				failed.add(new Failure(f.getFileName().toString(), why));
				lines.accept("error: " + f.getFileName() + ": " + why);
			}
		}
		progress.progress(inputs.size(), inputs.size());
		final Summary s = new Summary(done, skipped, List.copyOf(failed), seconds);
		lines.accept(s.line());
		return s;
	}
}
