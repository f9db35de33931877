package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that VoxelSeg cannot read as a volume: truncated, a header that lies about sizes or
 * types, an unsupported datatype, a DICOM folder with mixed series. The message names the file and
 * the problem, on one line: control characters (line breaks, terminal escape sequences) that a
 * damaged header may hold are written as {@code \xNN}, and over-long echoed text is shortened.
 */
public class VolumeFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	/** The longest message kept; a header can echo megabytes of garbage. */
	static final int MAX_MESSAGE = 2000;

	public VolumeFormatException(final Path file, final String problem) {
		super(oneLine(file + ": " + problem));
	}

	public VolumeFormatException(final Path file, final String problem, final Throwable cause) {
		super(oneLine(file + ": " + problem), cause);
	}

	/**
	 * {@code e} itself when its message is one clean line, else an {@link IOException} of the same
	 * message made safe by {@link #oneLine(String)}, with {@code e} as its cause: for readers whose
	 * messages echo names and values from a file (a dataset.json, a model description).
	 */
	public static IOException oneLine(final IOException e) {
		final String m = e.getMessage();
		if (m == null || m.equals(oneLine(m))) return e;
		return e instanceof VolumeFormatException ? e : new IOException(oneLine(m), e);
	}

	/**
	 * {@code s} with every control character (C0, DEL, C1) written as {@code \xNN} and cut to
	 * {@link #MAX_MESSAGE} characters, so that printing it cannot move the cursor, clear the
	 * terminal or fake other output lines.
	 */
	public static String oneLine(final String s) {
		final StringBuilder b = new StringBuilder(Math.min(s.length() + 16, MAX_MESSAGE + 32));
		for (int i = 0; i < s.length(); i++) {
			if (b.length() >= MAX_MESSAGE) {
				b.append("... (").append(s.length() - i).append(" more characters)");
				break;
			}
			final char c = s.charAt(i);
			if (c < 0x20 || (c >= 0x7f && c < 0xa0)) b.append(String.format("\\x%02x", (int) c));
			else b.append(c);
		}
		return b.toString();
	}
}
