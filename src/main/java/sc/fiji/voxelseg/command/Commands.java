package sc.fiji.voxelseg.command;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** What every VoxelSeg command shares: error reporting and naming. */
final class Commands {

	private Commands() {}

	/**
	 * Runs core work; a failure becomes an {@link IllegalStateException} carrying the core's
	 * message (which names the file and the problem), so macros and the launcher stop with it.
	 */
	static <T> T call(final Callable<T> work) {
		try {
			return work.call();
		}
		catch (final RuntimeException e) {
			throw e;
		}
		catch (final Exception e) {
			throw new IllegalStateException(e.getMessage(), e);
		}
	}

	/** A file name without its volume extension. */
	static String baseName(final Path p) {
		final String n = p.getFileName().toString();
		for (final String ext : new String[] { ".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd" })
			if (n.toLowerCase(java.util.Locale.ROOT).endsWith(ext)) return n.substring(0, n.length() - ext
				.length());
		return n;
	}

	/** The title of a derived image, e.g. {@code ct-windowed}. */
	static String derived(final String title, final String what) {
		return (title == null || title.isBlank() ? "volume" : title) + "-" + what;
	}
}
