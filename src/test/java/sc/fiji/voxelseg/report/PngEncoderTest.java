package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * {@link PngEncoder} against {@code src/test/python/png_oracle.py}, a PNG decoder written with
 * Python's standard library only: it checks the signature, every chunk's CRC, the chunk order,
 * the IHDR fields and the zlib stream, undoes the row filters and reports the SHA-256 of the raw
 * pixels, which must equal that of the raster's own pixels, and sampled pixel values.
 */
class PngEncoderTest {

	@TempDir
	Path tmp;

	private static Raster noise(final int w, final int h, final boolean alpha, final long seed) {
		final Random rnd = new Random(seed);
		final Raster r = new Raster(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				// smooth gradients with noise, so that every filter type has something to predict
				final int v = rnd.nextInt(4) == 0 ? rnd.nextInt() : Raster.rgba(x * 7, y * 5, x + y, 255 -
					x);
				r.set(x, y, alpha ? v : v | 0xff000000);
			}
		return r;
	}

	private Path encode(final Raster r, final boolean alpha, final int filter, final String name)
		throws IOException
	{
		final ByteArrayOutputStream out = new ByteArrayOutputStream();
		PngEncoder.encode(r, alpha, filter, out);
		final Path p = tmp.resolve(name);
		Files.write(p, out.toByteArray());
		return p;
	}

	/** Each filter type forced on every row, and the adaptive choice, in RGB and RGBA. */
	@Test
	void everyFilterTypeDecodesToThePixels() throws Exception {
		for (final boolean alpha : new boolean[] { false, true }) {
			final Raster r = noise(37, 23, alpha, alpha ? 1 : 2);
			for (int filter = PngEncoder.ADAPTIVE; filter <= 4; filter++) {
				final String what = (alpha ? "RGBA" : "RGB") + " filter " + filter;
				final JsonObject o = PngOracle.decode(encode(r, alpha, filter, "f" + filter + alpha +
					".png"), 0, 0, 36, 22, 17, 9);
				assertEquals(37, o.get("width").getAsInt(), what);
				assertEquals(23, o.get("height").getAsInt(), what);
				assertEquals(8, o.get("bit_depth").getAsInt(), what);
				assertEquals(alpha ? 6 : 2, o.get("colour_type").getAsInt(), what);
				assertEquals(List.of("IHDR", "IDAT", "IEND"), PngOracle.chunks(o), what);
				assertEquals(PngOracle.sha256(r, alpha), o.get("sha256").getAsString(), what);
				final JsonArray rows = o.getAsJsonArray("filters");
				if (filter >= 0) assertEquals(23, rows.get(filter).getAsInt(), what);
				final JsonArray px = o.getAsJsonArray("pixels");
				final int[][] at = { { 0, 0 }, { 36, 22 }, { 17, 9 } };
				for (int i = 0; i < at.length; i++) {
					final int p = r.get(at[i][0], at[i][1]);
					final int[] expected = alpha ? new int[] { p >> 16 & 0xff, p >> 8 & 0xff, p & 0xff,
						p >>> 24 } : new int[] { p >> 16 & 0xff, p >> 8 & 0xff, p & 0xff };
					final int[] got = new int[expected.length];
					for (int c = 0; c < got.length; c++)
						got[c] = px.get(i).getAsJsonArray().get(c).getAsInt();
					assertArrayEquals(expected, got, what + " at " + at[i][0] + "," + at[i][1]);
				}
			}
		}
	}

	/** Incompressible data over 64 KiB is split over several consecutive IDAT chunks. */
	@Test
	void largeImageSpansSeveralIdatChunks() throws Exception {
		final Raster r = new Raster(300, 200);
		final Random rnd = new Random(7);
		for (int y = 0; y < 200; y++)
			for (int x = 0; x < 300; x++)
				r.set(x, y, rnd.nextInt() | 0xff000000);
		final Path p = tmp.resolve("large.png");
		Files.write(p, PngEncoder.encode(r));
		final JsonObject o = PngOracle.decode(p);
		final List<String> chunks = PngOracle.chunks(o);
		assertTrue(chunks.stream().filter("IDAT"::equals).count() >= 2, chunks.toString());
		assertEquals(2, o.get("colour_type").getAsInt());
		assertEquals(PngOracle.sha256(r, false), o.get("sha256").getAsString());
	}

	/** write() picks RGB for an opaque raster, RGBA otherwise, and leaves no temporary file. */
	@Test
	void writeChoosesColourTypeAndLeavesOnlyTheFile() throws Exception {
		final Raster opaque = new Raster(1, 1, Raster.rgb(1, 2, 3));
		final Path a = tmp.resolve("out/opaque.png");
		PngEncoder.write(opaque, a);
		JsonObject o = PngOracle.decode(a, 0, 0);
		assertEquals(2, o.get("colour_type").getAsInt());
		assertEquals("[[1,2,3]]", o.getAsJsonArray("pixels").toString());

		final Raster clear = new Raster(4, 3, Raster.TRANSPARENT);
		clear.set(3, 2, Raster.rgba(10, 20, 30, 40));
		final Path b = tmp.resolve("out/clear.png");
		PngEncoder.write(clear, b);
		o = PngOracle.decode(b, 3, 2, 0, 0);
		assertEquals(6, o.get("colour_type").getAsInt());
		assertEquals("[[10,20,30,40],[0,0,0,0]]", o.getAsJsonArray("pixels").toString());
		assertEquals(2, o.get("colours").getAsInt());

		PngEncoder.write(opaque, b); // overwrite
		assertEquals(2, PngOracle.decode(b).get("colour_type").getAsInt());
		try (Stream<Path> files = Files.list(tmp.resolve("out"))) {
			assertEquals(List.of("clear.png", "opaque.png"), files.map(f -> f.getFileName().toString())
				.sorted().collect(Collectors.toList()));
		}
	}

	/** The Paeth predictor of the PNG specification, worked by hand. */
	@Test
	void paethPredictor() {
		assertEquals(10, PngEncoder.paeth(10, 20, 20)); // p = 10: pa = 0
		assertEquals(20, PngEncoder.paeth(10, 20, 10)); // p = 20: pb = 0
		assertEquals(5, PngEncoder.paeth(5, 30, 40)); // p = -5: pa 10, pb 35, pc 45
		assertEquals(60, PngEncoder.paeth(100, 10, 60)); // p = 50: pa 50, pb 40, pc 10
		assertEquals(7, PngEncoder.paeth(7, 7, 7)); // all equal: a wins the tie
	}
}
