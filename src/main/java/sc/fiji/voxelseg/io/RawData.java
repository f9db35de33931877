package sc.fiji.voxelseg.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;

import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;

/**
 * Decodes and encodes raw voxel data (x fastest) for the NIfTI, NRRD and MetaImage formats.
 */
public final class RawData {

	private static final int CHUNK = 1 << 20;

	private RawData() {}

	/** Deflate expands at most 1032:1, so a compressed stream decodes to at most this many bytes. */
	public static long decompressedBound(final long compressedBytes) {
		return compressedBytes > Long.MAX_VALUE / 2048 ? Long.MAX_VALUE : compressedBytes * 1032 + 4096;
	}

	/**
	 * Reads a gzip or zlib stream to its end, so that its checksum and length trailer are checked:
	 * a cut or damaged stream can otherwise decode to plausible voxels. Bytes after the voxel data
	 * are allowed; they are only checked.
	 */
	public static void verifyCompressedEnd(final InputStream in, final Path file) throws IOException {
		final byte[] buf = new byte[1 << 13];
		try {
			while (in.read(buf) >= 0) {
				// drained for the trailer check
			}
		}
		catch (final EOFException e) {
			throw new VolumeFormatException(file,
				"truncated: the compressed data end before their end marker; the file is incomplete", e);
		}
		catch (final java.util.zip.ZipException e) {
			throw new VolumeFormatException(file, "corrupt compressed data after the voxels (" + e
				.getMessage() + "); the file is damaged", e);
		}
	}

	/**
	 * A volume over {@code img}, or a {@link VolumeFormatException} naming {@code file} when the
	 * geometry its header gave is unusable (see {@link sc.fiji.voxelseg.image.Volume}).
	 */
	public static sc.fiji.voxelseg.image.Volume volume(final Path file,
		final RandomAccessibleInterval<? extends RealType<?>> img, final double[] spacing,
		final double[] origin, final double[] direction, final sc.fiji.voxelseg.image.ClassTable classes,
		final VoxelType type) throws VolumeFormatException
	{
		try {
			return new sc.fiji.voxelseg.image.Volume(img, spacing, origin, direction, classes, type);
		}
		catch (final IllegalArgumentException e) {
			throw new VolumeFormatException(file, "invalid geometry: " + e.getMessage(), e);
		}
	}

	/** Whether a slope/intercept pair changes values (slope 0 means "no scaling" in NIfTI). */
	public static boolean isScaling(final double slope, final double inter) {
		return slope != 0 && Double.isFinite(slope) && (slope != 1 || inter != 0);
	}

	/**
	 * Reads {@code prod(dims)} voxels of {@code type} from {@code in}. Without scaling the image keeps
	 * the stored type; with scaling it becomes float32 (float64 for float64 data) holding
	 * {@code stored * slope + inter}.
	 */
	public static RandomAccessibleInterval<? extends RealType<?>> read(final InputStream in,
		final Path file, final VoxelType type, final ByteOrder order, final long[] dims,
		final double slope, final double inter, final ReadOptions opt) throws IOException
	{
		return read(in, file, type, order, dims, slope, inter, opt, Long.MAX_VALUE, false);
	}

	/**
	 * As {@link #read(InputStream, Path, VoxelType, ByteOrder, long[], double, double, ReadOptions)},
	 * refusing before any allocation a volume larger than {@code available}, an upper bound on
	 * the bytes {@code in} can still deliver ({@code compressed}: a bound, not the exact size).
	 */
	public static RandomAccessibleInterval<? extends RealType<?>> read(final InputStream in,
		final Path file, final VoxelType type, final ByteOrder order, final long[] dims,
		final double slope, final double inter, final ReadOptions opt, final long available,
		final boolean compressed) throws IOException
	{
		long nl = 1;
		for (final long d : dims) {
			if (d < 1) throw new VolumeFormatException(file, "dimensions " +
				sc.fiji.voxelseg.image.Volume.formatDims(dims) + " must all be at least 1");
			nl = Math.multiplyHigh(nl, d) != 0 || nl * d < 0 ? Long.MAX_VALUE : nl * d;
		}
		final boolean scale = isScaling(slope, inter);
		// what the file can hold first: a lying header is a damaged file, not a memory problem
		if (nl > available / type.bytes) throw new VolumeFormatException(file, String.format(
			Locale.ROOT,
			"truncated: the header promises %s bytes of voxel data (%s %s) but the file %s only %d; the file is incomplete or its header lies about the dimensions or datatype",
			nl == Long.MAX_VALUE ? "more than 2^63" : java.math.BigInteger.valueOf(nl).multiply(java.math.BigInteger.valueOf(type.bytes)), sc.fiji.voxelseg.image.Volume.formatDims(dims), type.label(), compressed
				? "can decompress to at most" : "holds", Math.max(0, available)));
		opt.checkFits(file, dims, nl, scale ? Math.max(4, type.bytes) + type.bytes : type.bytes);
		final int n = (int) nl;
		final Object arr = switch (type) {
			case UINT8, INT8 -> new byte[n];
			case INT16, UINT16 -> new short[n];
			case INT32, UINT32 -> new int[n];
			case INT64 -> new long[n];
			case FLOAT32 -> new float[n];
			case FLOAT64 -> new double[n];
		};
		fill(in, file, arr, type, order, n);
		if (!scale) {
			if (!opt.allowNonFinite()) checkFinite(file, arr, dims);
			return wrap(arr, type, dims);
		}
		if (type == VoxelType.FLOAT64) {
			final double[] d = (double[]) arr;
			for (int i = 0; i < n; i++)
				d[i] = d[i] * slope + inter;
			if (!opt.allowNonFinite()) checkFinite(file, d, dims);
			return ArrayImgs.doubles(d, dims);
		}
		final float[] f = new float[n];
		final RandomAccessibleInterval<? extends RealType<?>> raw = wrap(arr, type, dims);
		if (arr instanceof short[] s && type == VoxelType.INT16) {
			for (int i = 0; i < n; i++)
				f[i] = (float) (s[i] * slope + inter);
		}
		else {
			int i = 0;
			for (final RealType<?> t : Views.flatIterable(raw))
				f[i++] = (float) (t.getRealDouble() * slope + inter);
		}
		if (!opt.allowNonFinite()) checkFinite(file, f, dims);
		return ArrayImgs.floats(f, dims);
	}

	private static void fill(final InputStream in, final Path file, final Object arr,
		final VoxelType type, final ByteOrder order, final int n) throws IOException
	{
		final int bpv = type.bytes;
		final byte[] chunk = new byte[CHUNK - CHUNK % bpv];
		final long total = (long) n * bpv;
		int done = 0; // voxels done
		while (done < n) {
			final int want = (int) Math.min(chunk.length, (long) (n - done) * bpv);
			int got = 0;
			while (got < want) {
				final int r;
				try {
					r = in.read(chunk, got, want - got);
				}
				catch (final EOFException e) {
					throw truncated(file, total, (long) done * bpv + got, e);
				}
				catch (final java.util.zip.ZipException e) {
					throw new VolumeFormatException(file, "corrupt compressed data (" + e.getMessage() + ")",
						e);
				}
				if (r < 0) throw truncated(file, total, (long) done * bpv + got, null);
				got += r;
			}
			final int cnt = want / bpv;
			if (bpv == 1) System.arraycopy(chunk, 0, arr, done, cnt);
			else {
				final ByteBuffer bb = ByteBuffer.wrap(chunk, 0, want).order(order);
				switch (type) {
					case INT16, UINT16 -> bb.asShortBuffer().get((short[]) arr, done, cnt);
					case INT32, UINT32 -> bb.asIntBuffer().get((int[]) arr, done, cnt);
					case INT64 -> bb.asLongBuffer().get((long[]) arr, done, cnt);
					case FLOAT32 -> bb.asFloatBuffer().get((float[]) arr, done, cnt);
					case FLOAT64 -> bb.asDoubleBuffer().get((double[]) arr, done, cnt);
					default -> throw new IllegalStateException(type.toString());
				}
			}
			done += cnt;
		}
	}

	private static VolumeFormatException truncated(final Path file, final long expected,
		final long got, final Throwable cause)
	{
		return new VolumeFormatException(file, String.format(Locale.ROOT,
			"truncated: the header promises %d bytes of voxel data but the file ends after %d; the file is incomplete or its header lies about the dimensions or datatype",
			expected, got), cause);
	}

	/** Wraps a primitive array as an ImgLib2 image of the given type, without copying. */
	public static RandomAccessibleInterval<? extends RealType<?>> wrap(final Object arr,
		final VoxelType type, final long[] dims)
	{
		return switch (type) {
			case UINT8 -> ArrayImgs.unsignedBytes((byte[]) arr, dims);
			case INT8 -> ArrayImgs.bytes((byte[]) arr, dims);
			case INT16 -> ArrayImgs.shorts((short[]) arr, dims);
			case UINT16 -> ArrayImgs.unsignedShorts((short[]) arr, dims);
			case INT32 -> ArrayImgs.ints((int[]) arr, dims);
			case UINT32 -> ArrayImgs.unsignedInts((int[]) arr, dims);
			case INT64 -> ArrayImgs.longs((long[]) arr, dims);
			case FLOAT32 -> ArrayImgs.floats((float[]) arr, dims);
			case FLOAT64 -> ArrayImgs.doubles((double[]) arr, dims);
		};
	}

	private static void checkFinite(final Path file, final Object arr, final long[] dims)
		throws VolumeFormatException
	{
		long bad = 0, first = -1;
		if (arr instanceof float[] f) {
			for (int i = 0; i < f.length; i++)
				if (!Float.isFinite(f[i]) && bad++ == 0) first = i;
		}
		else if (arr instanceof double[] d) {
			for (int i = 0; i < d.length; i++)
				if (!Double.isFinite(d[i]) && bad++ == 0) first = i;
		}
		if (bad == 0) return;
		final long x = first % dims[0], y = (first / dims[0]) % dims[1], z = first / (dims[0] *
			dims[1]);
		throw new VolumeFormatException(file, String.format(Locale.ROOT,
			"%d voxels are NaN or infinite (the first at x=%d, y=%d, z=%d); replace them (e.g. with the background value) before using this image",
			bad, x, y, z));
	}

	/** Writes the voxels of {@code img} (x fastest) as {@code type} in {@code order}. */
	public static void write(final OutputStream out, final RandomAccessibleInterval<? extends RealType<?>> img,
		final VoxelType type, final ByteOrder order) throws IOException
	{
		final long n = Voxels.count(img);
		final int bpv = type.bytes;
		final ByteBuffer bb = ByteBuffer.allocate(CHUNK - CHUNK % bpv).order(order);
		final Object backing = Voxels.backingArray(img);
		if (backing != null && sc.fiji.voxelseg.image.VoxelTypes.of(img) == type && sameStorage(
			backing, type) && java.lang.reflect.Array.getLength(backing) == n)
		{
			int done = 0;
			while (done < n) {
				final int cnt = (int) Math.min(bb.capacity() / bpv, n - done);
				bb.clear();
				switch (type) {
					case UINT8, INT8 -> bb.put((byte[]) backing, done, cnt);
					case INT16, UINT16 -> bb.asShortBuffer().put((short[]) backing, done, cnt);
					case INT32, UINT32 -> bb.asIntBuffer().put((int[]) backing, done, cnt);
					case INT64 -> bb.asLongBuffer().put((long[]) backing, done, cnt);
					case FLOAT32 -> bb.asFloatBuffer().put((float[]) backing, done, cnt);
					case FLOAT64 -> bb.asDoubleBuffer().put((double[]) backing, done, cnt);
				}
				out.write(bb.array(), 0, cnt * bpv);
				done += cnt;
			}
			return;
		}
		final Cursor<? extends RealType<?>> c = Views.flatIterable(img).cursor();
		bb.clear();
		while (c.hasNext()) {
			if (bb.remaining() < bpv) {
				out.write(bb.array(), 0, bb.position());
				bb.clear();
			}
			final double v = c.next().getRealDouble();
			switch (type) {
				case UINT8, INT8 -> bb.put((byte) clampRound(v, type));
				case INT16, UINT16 -> bb.putShort((short) clampRound(v, type));
				case INT32, UINT32 -> bb.putInt((int) clampRound(v, type));
				case INT64 -> bb.putLong(clampRound(v, type));
				case FLOAT32 -> bb.putFloat((float) v);
				case FLOAT64 -> bb.putDouble(v);
			}
		}
		out.write(bb.array(), 0, bb.position());
	}

	private static boolean sameStorage(final Object backing, final VoxelType type) {
		return switch (type) {
			case UINT8, INT8 -> backing instanceof byte[];
			case INT16, UINT16 -> backing instanceof short[];
			case INT32, UINT32 -> backing instanceof int[];
			case INT64 -> backing instanceof long[];
			case FLOAT32 -> backing instanceof float[];
			case FLOAT64 -> backing instanceof double[];
		};
	}

	private static long clampRound(final double v, final VoxelType t) {
		final double lo, hi;
		switch (t) {
			case UINT8 -> { lo = 0; hi = 255; }
			case INT8 -> { lo = -128; hi = 127; }
			case INT16 -> { lo = Short.MIN_VALUE; hi = Short.MAX_VALUE; }
			case UINT16 -> { lo = 0; hi = 65535; }
			case INT32 -> { lo = Integer.MIN_VALUE; hi = Integer.MAX_VALUE; }
			case UINT32 -> { lo = 0; hi = 4294967295.0; }
			default -> { lo = Long.MIN_VALUE; hi = Long.MAX_VALUE; }
		}
		return (long) Math.rint(Math.max(lo, Math.min(hi, v)));
	}
}
