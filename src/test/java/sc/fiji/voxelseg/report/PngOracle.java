package sc.fiji.voxelseg.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.google.gson.JsonObject;

import sc.fiji.voxelseg.testutil.Python;

/**
 * Decodes PNG files with {@code src/test/python/png_oracle.py}, a decoder written against the
 * PNG specification with Python's standard library only, and computes on the Java side the
 * values it reports.
 */
final class PngOracle {

	private PngOracle() {}

	/** The oracle's JSON for {@code png}, with the pixels at the given (x, y) pairs. */
	static JsonObject decode(final Path png, final int... xy) throws IOException,
		InterruptedException
	{
		final List<String> args = new ArrayList<>();
		args.add(png.toString());
		for (int i = 0; i + 1 < xy.length; i += 2)
			args.add(xy[i] + "," + xy[i + 1]);
		return Python.json("png_oracle.py", args.toArray(new String[0])).getAsJsonObject();
	}

	/** The raw pixel bytes the PNG of an RGB picture must decode to: R, G, B per pixel, rows top to bottom. */
	static byte[] rawBytes(final BufferedImage img) {
		final int w = img.getWidth(), h = img.getHeight();
		final int[] px = img.getRGB(0, 0, w, h, null, 0, w);
		final byte[] b = new byte[px.length * 3];
		for (int i = 0; i < px.length; i++) {
			b[i * 3] = (byte) (px[i] >> 16);
			b[i * 3 + 1] = (byte) (px[i] >> 8);
			b[i * 3 + 2] = (byte) px[i];
		}
		return b;
	}

	/** Hex SHA-256 of {@link #rawBytes}, to compare with the oracle's {@code sha256}. */
	static String sha256(final BufferedImage img) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rawBytes(img)));
		}
		catch (final NoSuchAlgorithmException e) {
			throw new AssertionError(e);
		}
	}

	/** The chunk types the oracle found, in file order. */
	static List<String> chunks(final JsonObject o) {
		final List<String> c = new ArrayList<>();
		o.getAsJsonArray("chunks").forEach(e -> c.add(e.getAsString()));
		return c;
	}
}
