package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** How a cohort's files are found and named: shared by the folder {@code segment} and cohort jobs. */
public final class CohortFiles {

	private static final String[] EXTENSIONS = { ".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd" };

	private CohortFiles() {}

	/** Volume files of a folder, sorted by name. */
	public static List<Path> volumes(final Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> Files.isRegularFile(p) && isVolume(p.getFileName().toString())).sorted().toList();
		}
	}

	/** Whether a file name is a volume VoxelSeg reads (hidden files are not). */
	public static boolean isVolume(final String name) {
		final String n = name.toLowerCase(Locale.ROOT);
		if (n.startsWith(".")) return false;
		for (final String e : EXTENSIONS) if (n.endsWith(e)) return true;
		return false;
	}

	/** The label map's name for an image: the image's without its channel suffix (nnU-Net's {@code _0000}), as .nii.gz. */
	public static String labelMapName(final String imageName) {
		String n = imageName;
		for (final String ext : EXTENSIONS) {
			if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
				n = n.substring(0, n.length() - ext.length());
				break;
			}
		}
		if (n.matches(".*_\\d{4}")) n = n.substring(0, n.length() - 5);
		return n + ".nii.gz";
	}
}
