package sc.fiji.voxelseg.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/** Line and number parsing shared by the text-header formats (NRRD, MetaImage). */
final class TextHeaders {

	/** Headers longer than this are not headers: the file is something else. */
	static final int MAX_HEADER_BYTES = 1 << 20;

	private TextHeaders() {}

	/**
	 * Reads one line (without its {@code \n} or {@code \r\n}) byte by byte, so {@code in} stays
	 * positioned at the first byte after it; {@code null} at the end of the stream.
	 */
	static String readLine(final InputStream in, final Path file, final long[] count)
		throws IOException
	{
		final ByteArrayOutputStream b = new ByteArrayOutputStream(80);
		int c;
		while ((c = in.read()) >= 0) {
			if (++count[0] > MAX_HEADER_BYTES) throw new VolumeFormatException(file,
				"no end of the text header within the first 1 MiB; this is not a NRRD or MetaImage file, or its header is damaged");
			if (c == '\n') break;
			b.write(c);
		}
		if (c < 0 && b.size() == 0) return null;
		String s = new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
		if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
		return s;
	}

	/** Parses whitespace- or comma-separated numbers; fails naming the field. */
	static double[] numbers(final String value, final Path file, final String field)
		throws VolumeFormatException
	{
		final String t = value.trim();
		if (t.isEmpty()) return new double[0];
		final String[] parts = t.split("[\\s,]+");
		final double[] out = new double[parts.length];
		for (int i = 0; i < parts.length; i++) {
			try {
				out[i] = Double.parseDouble(parts[i]);
			}
			catch (final NumberFormatException e) {
				throw new VolumeFormatException(file, "field '" + field + "' holds '" + value.trim() +
					"', which is not a list of numbers");
			}
		}
		return out;
	}

	static long[] sizes(final String value, final Path file, final String field)
		throws VolumeFormatException
	{
		final double[] d = numbers(value, file, field);
		final long[] out = new long[d.length];
		for (int i = 0; i < d.length; i++) {
			if (d[i] != Math.rint(d[i]) || d[i] < 1) throw new VolumeFormatException(file, "field '" +
				field + "' holds '" + value.trim() +
				"'; every size must be a whole number of at least 1");
			out[i] = (long) d[i];
		}
		return out;
	}

	/** The one number a field holds; an empty field or a list is an error naming the field. */
	static double single(final String value, final Path file, final String field) throws VolumeFormatException {
		final double[] d = numbers(value, file, field);
		if (d.length != 1) throw new VolumeFormatException(file, "field '" + field + "' holds '" + value.trim() +
			"'; it needs exactly one number");
		return d[0];
	}

	/** The one size (a whole number of at least 1) a field holds. */
	static long singleSize(final String value, final Path file, final String field) throws VolumeFormatException {
		final long[] d = sizes(value, file, field);
		if (d.length != 1) throw new VolumeFormatException(file, "field '" + field + "' holds '" + value.trim() +
			"'; it needs exactly one whole number");
		return d[0];
	}

	static String lower(final String s) {
		return s.trim().toLowerCase(Locale.ROOT);
	}

	/** Skips exactly {@code n} bytes or fails as truncated. */
	static void skipFully(final InputStream in, final long n, final Path file, final String what)
		throws IOException
	{
		long left = n;
		while (left > 0) {
			final long s = in.skip(left);
			if (s > 0) {
				left -= s;
				continue;
			}
			if (in.read() < 0) throw new VolumeFormatException(file, "truncated: the file ends while skipping " +
				n + " bytes of " + what);
			left--;
		}
	}
}
