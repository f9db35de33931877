package sc.fiji.voxelseg.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * Encodes a {@link Raster} as a PNG file: 8 bits per channel, RGB or RGBA, not interlaced. Each
 * row gets the filter (None, Sub, Up, Average or Paeth) whose output has the smallest sum of
 * absolute values, the usual heuristic; the filtered rows are deflated with
 * {@link Deflater} into IDAT chunks of at most 64 KiB.
 */
public final class PngEncoder {

	private static final byte[] SIGNATURE = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	private static final int IDAT_MAX = 1 << 16;

	/** Per-row filter choice (package-private for the tests, which force each filter type). */
	static final int ADAPTIVE = -1;

	private PngEncoder() {}

	/** The PNG bytes of {@code raster}: RGBA when some pixel is not opaque, RGB otherwise. */
	public static byte[] encode(final Raster raster) {
		return encode(raster, !raster.isOpaque());
	}

	/** The PNG bytes of {@code raster}, RGBA when {@code alpha}, RGB (alpha dropped) otherwise. */
	public static byte[] encode(final Raster raster, final boolean alpha) {
		final ByteArrayOutputStream out = new ByteArrayOutputStream();
		try {
			encode(raster, alpha, ADAPTIVE, out);
		}
		catch (final IOException e) {
			throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
		}
		return out.toByteArray();
	}

	/** Writes {@code raster} to {@code png} atomically, RGBA when some pixel is not opaque. */
	public static void write(final Raster raster, final Path png) throws IOException {
		final boolean alpha = !raster.isOpaque();
		AtomicFiles.write(png, out -> encode(raster, alpha, ADAPTIVE, out));
	}

	/** Writes the PNG to {@code out}; {@code filter} 0..4 forces that filter on every row. */
	static void encode(final Raster raster, final boolean alpha, final int filter,
		final OutputStream out) throws IOException
	{
		if (filter < ADAPTIVE || filter > 4) throw new IllegalArgumentException("PNG filter type " +
			filter);
		final int w = raster.width(), h = raster.height(), bpp = alpha ? 4 : 3;
		out.write(SIGNATURE);
		final byte[] ihdr = new byte[13];
		putInt(ihdr, 0, w);
		putInt(ihdr, 4, h);
		ihdr[8] = 8; // bit depth
		ihdr[9] = (byte) (alpha ? 6 : 2); // colour type: RGBA or RGB
		// compression 0 (deflate), filter method 0, interlace 0 (none)
		chunk(out, "IHDR", ihdr, ihdr.length);

		final int[] px = raster.pixels();
		final int stride = w * bpp;
		byte[] prev = new byte[stride], cur = new byte[stride];
		final byte[][] candidates = new byte[5][stride];
		final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
		try {
			final IdatStream idat = new IdatStream(out);
			final DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16);
			for (int y = 0; y < h; y++) {
				for (int x = 0, i = 0; x < w; x++) {
					final int p = px[y * w + x];
					cur[i++] = (byte) (p >> 16);
					cur[i++] = (byte) (p >> 8);
					cur[i++] = (byte) p;
					if (alpha) cur[i++] = (byte) (p >>> 24);
				}
				final int type = filter == ADAPTIVE ? bestFilter(cur, prev, bpp, candidates) : filter;
				filterRow(type, cur, prev, bpp, candidates[type]);
				z.write(type);
				z.write(candidates[type], 0, stride);
				final byte[] t = prev;
				prev = cur;
				cur = t;
			}
			z.finish();
			idat.flushChunk();
		}
		finally {
			deflater.end();
		}
		chunk(out, "IEND", new byte[0], 0);
	}

	private static int bestFilter(final byte[] cur, final byte[] prev, final int bpp,
		final byte[][] candidates)
	{
		int best = 0;
		long bestSum = Long.MAX_VALUE;
		for (int type = 0; type < 5; type++) {
			filterRow(type, cur, prev, bpp, candidates[type]);
			long sum = 0;
			for (final byte b : candidates[type])
				sum += Math.abs(b);
			if (sum < bestSum) {
				bestSum = sum;
				best = type;
			}
		}
		return best;
	}

	/**
	 * Filters one row as the PNG specification (section 9.2) defines; {@code prev} is the previous
	 * unfiltered row, all zero above the first.
	 */
	static void filterRow(final int type, final byte[] cur, final byte[] prev, final int bpp,
		final byte[] dst)
	{
		for (int i = 0; i < cur.length; i++) {
			final int x = cur[i] & 0xff;
			final int a = i >= bpp ? cur[i - bpp] & 0xff : 0;
			final int b = prev[i] & 0xff;
			final int c = i >= bpp ? prev[i - bpp] & 0xff : 0;
			final int pred;
			switch (type) {
				case 0:
					pred = 0;
					break;
				case 1:
					pred = a;
					break;
				case 2:
					pred = b;
					break;
				case 3:
					pred = (a + b) >>> 1;
					break;
				case 4:
					pred = paeth(a, b, c);
					break;
				default:
					throw new IllegalArgumentException("PNG filter type " + type);
			}
			dst[i] = (byte) (x - pred);
		}
	}

	static int paeth(final int a, final int b, final int c) {
		final int p = a + b - c;
		final int pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
		if (pa <= pb && pa <= pc) return a;
		return pb <= pc ? b : c;
	}

	private static void putInt(final byte[] b, final int off, final int v) {
		b[off] = (byte) (v >>> 24);
		b[off + 1] = (byte) (v >>> 16);
		b[off + 2] = (byte) (v >>> 8);
		b[off + 3] = (byte) v;
	}

	private static void chunk(final OutputStream out, final String type, final byte[] data,
		final int len) throws IOException
	{
		final byte[] head = new byte[8];
		putInt(head, 0, len);
		final byte[] t = type.getBytes(StandardCharsets.US_ASCII);
		System.arraycopy(t, 0, head, 4, 4);
		final CRC32 crc = new CRC32();
		crc.update(t);
		crc.update(data, 0, len);
		final byte[] tail = new byte[4];
		putInt(tail, 0, (int) crc.getValue());
		out.write(head);
		out.write(data, 0, len);
		out.write(tail);
	}

	/** Collects the zlib stream and writes it out as IDAT chunks of at most 64 KiB. */
	private static final class IdatStream extends OutputStream {

		private final OutputStream out;
		private final byte[] buf = new byte[IDAT_MAX];
		private int n;

		IdatStream(final OutputStream out) {
			this.out = out;
		}

		@Override
		public void write(final int b) throws IOException {
			if (n == buf.length) flushChunk();
			buf[n++] = (byte) b;
		}

		@Override
		public void write(final byte[] b, int off, int len) throws IOException {
			while (len > 0) {
				if (n == buf.length) flushChunk();
				final int k = Math.min(len, buf.length - n);
				System.arraycopy(b, off, buf, n, k);
				n += k;
				off += k;
				len -= k;
			}
		}

		void flushChunk() throws IOException {
			if (n == 0) return;
			chunk(out, "IDAT", buf, n);
			n = 0;
		}
	}
}
