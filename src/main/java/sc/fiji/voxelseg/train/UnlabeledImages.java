package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.util.Progress;

/**
 * Images without labels for semi-supervised training, after the cohort's preprocessing plan, as
 * {@link CaseData} whose label arrays are all background and never read as labels.
 */
public final class UnlabeledImages {

	/** One image without labels (from a file, or open in Fiji). */
	public record Image(String id, Volume image) {}

	private UnlabeledImages() {}

	/**
	 * Reads every volume file (NIfTI, NRRD, MetaImage) of {@code folder}, sorted by name; a file's
	 * id is its name without the volume extension and an nnU-Net channel suffix {@code _0000}.
	 *
	 * @throws IOException naming a file that cannot be read, or saying the folder holds no volumes
	 */
	public static List<CaseData> load(final Path folder, final PreprocessingPlan plan, final Progress progress) throws IOException {
		if (!Files.isDirectory(folder)) throw new IOException("no folder of unlabeled images at " + folder);
		final List<Path> files = new ArrayList<>();
		try (Stream<Path> s = Files.list(folder)) {
			for (final Path p : (Iterable<Path>) s.sorted()::iterator) {
				if (p.getFileName().toString().startsWith(".") || Files.isDirectory(p)) continue;
				if (VolumeIO.detect(p) != VolumeIO.Format.OTHER) files.add(p);
			}
		}
		if (files.isEmpty()) throw new IOException(folder + " holds no volume files (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd)");
		final List<Image> images = new ArrayList<>();
		int i = 0;
		for (final Path p : files) {
			progress.checkCanceled();
			progress.status("Reading unlabeled image " + p.getFileName());
			progress.progress(i++, files.size());
			images.add(new Image(id(p.getFileName().toString()), VolumeIO.read(p)));
		}
		return of(images, plan, progress);
	}

	/**
	 * Applies the plan to images in memory.
	 *
	 * @throws IllegalArgumentException if an image holds NaN or infinite values after preprocessing
	 */
	public static List<CaseData> of(final List<Image> images, final PreprocessingPlan plan, final Progress progress) {
		final List<CaseData> out = new ArrayList<>();
		int i = 0;
		for (final Image im : images) {
			progress.checkCanceled();
			progress.progress(i++, images.size());
			final Volume v = plan.apply(im.image()).image();
			final long[] d = v.dims();
			final float[] f = Voxels.floats(v.image());
			for (final float x : f) {
				if (!Float.isFinite(x)) throw new IllegalArgumentException("unlabeled image " + im.id() + ": the preprocessed image holds NaN " +
					"or infinite values");
			}
			out.add(new CaseData(im.id(), f, new byte[f.length], (int) d[0], (int) d[1], (int) d[2]));
		}
		return out;
	}

	static String id(final String name) {
		return sc.fiji.voxelseg.io.CohortFiles.caseIdOfAnyName(name);
	}
}
