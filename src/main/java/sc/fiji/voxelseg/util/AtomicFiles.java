package sc.fiji.voxelseg.util;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files so that a failure never leaves a half-written output: the content goes to a
 * temporary file beside the target, which is renamed over the target only once it is complete.
 */
public final class AtomicFiles {

	private AtomicFiles() {}

	@FunctionalInterface
	public interface Writer {
		void write(OutputStream out) throws IOException;
	}

	public static void write(final Path target, final Writer writer) throws IOException {
		final Path abs = target.toAbsolutePath();
		final Path dir = abs.getParent();
		if (dir != null) Files.createDirectories(dir);
		removeStale(abs);
		final Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".part");
		boolean done = false;
		try {
			try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
				writer.write(out);
			}
			move(tmp, abs);
			done = true;
		}
		finally {
			if (!done) Files.deleteIfExists(tmp);
		}
	}

	/** A temporary file or folder untouched for this long belongs to a run that was stopped. */
	public static final long STALE_MILLIS = 120_000;

	/**
	 * Removes what a stopped run left beside {@code target}: hidden temporary files
	 * ({@code .NAME.<digits>.part}) and folders ({@code .NAME.<digits>}), the names Java's
	 * temporary files take here, not modified for {@link #STALE_MILLIS}. A concurrent writer's
	 * temporaries are younger and stay; nothing else beside the target is touched.
	 */
	public static void removeStale(final Path target) {
		final Path abs = target.toAbsolutePath();
		final Path dir = abs.getParent();
		if (dir == null || !Files.isDirectory(dir)) return;
		final String prefix = "." + abs.getFileName() + ".";
		final long now = System.currentTimeMillis();
		try (java.util.stream.Stream<Path> s = Files.list(dir)) {
			for (final Path p : (Iterable<Path>) s::iterator) {
				final String n = p.getFileName().toString();
				if (!n.startsWith(prefix)) continue;
				final String rest = n.substring(prefix.length());
				final boolean part = rest.matches("[0-9]+\\.part") && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
				final boolean folder = rest.matches("[0-9]+") && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
				if (!part && !folder) continue;
				try {
					if (now - Files.getLastModifiedTime(p).toMillis() < STALE_MILLIS) continue;
					deleteTree(p);
				}
				catch (final IOException e) {
					// another process took it, or no permission: leave it
				}
			}
		}
		catch (final IOException e) {
			// an unreadable folder: the write that follows reports it
		}
	}

	public static void writeString(final Path target, final String text) throws IOException {
		write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
	}

	/**
	 * Temporary files are created owner-only (0600); the finished file gets the usual 0644 so that
	 * other users and tools can read results, where the file system has POSIX permissions.
	 */
	public static void readableByAll(final Path p) {
		try {
			java.nio.file.Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(
				java.nio.file.Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
		}
		catch (final UnsupportedOperationException | IOException e) {
			// not a POSIX file system: keep the defaults
		}
	}

	/** Deletes a file, or a folder with everything in it; nothing when it does not exist. */
	public static void deleteTree(final Path p) throws IOException {
		if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
		try (java.util.stream.Stream<Path> s = Files.walk(p)) {
			for (final Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
		}
	}

	/** Renames {@code tmp} over {@code target}, atomically where the file system allows. */
	public static void move(final Path tmp, final Path target) throws IOException {
		readableByAll(tmp);
		try {
			Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (final AtomicMoveNotSupportedException e) {
			Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
		}
	}
}
