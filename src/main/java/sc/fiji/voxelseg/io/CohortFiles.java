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

	/** A file name without its volume extension (the name itself when it has none). */
	public static String stem(final String name) {
		for (final String ext : EXTENSIONS) if (name.toLowerCase(Locale.ROOT).endsWith(ext)) return name.substring(0, name.length() - ext.length());
		return name;
	}

	/** The case id of a volume file's name: its stem without the channel suffix (nnU-Net's {@code _0000}); null for other files. */
	public static String caseId(final String name) {
		return isVolume(name) ? caseIdOfAnyName(name) : null;
	}

	/** The case id of any file name: its stem without the channel suffix, whatever the extension. */
	public static String caseIdOfAnyName(final String name) {
		final String s = stem(name);
		return s.matches(".*_\\d{4}") ? s.substring(0, s.length() - 5) : s;
	}

	/** The label map's name for an image: its case id, as .nii.gz. */
	public static String labelMapName(final String imageName) {
		return caseIdOfAnyName(imageName) + ".nii.gz";
	}
}
