package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * NumPy's {@code .npy} format, version 1.0, for float32 arrays in C order: what bioimage.io
 * packages hold as test tensors. Reads little- and big-endian float32 and float64 (as float), C
 * order only.
 */
public final class Npy {

	private static final byte[] MAGIC = { (byte) 0x93, 'N', 'U', 'M', 'P', 'Y' };

	/** An array and its shape. */
	public record Array(float[] data, long[] shape) {

		public Array {
			long n = 1;
			for (final long s : shape) n *= s;
			if (n != data.length) throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
		}
	}

	private Npy() {}

	/** The file's bytes for {@code a}: header padded to a multiple of 64 bytes, then little-endian float32. */
	public static byte[] bytes(final Array a) {
		final StringBuilder shape = new StringBuilder("(");
		for (final long s : a.shape()) shape.append(s).append(", ");
		if (a.shape().length > 1) shape.setLength(shape.length() - 2);
		else if (a.shape().length == 1) shape.setLength(shape.length() - 1);
		shape.append(')');
		final String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
		final int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
		final int pad = (64 - unpadded % 64) % 64;
		final String header = dict + " ".repeat(pad) + "\n";
		final ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + 4 * a.data().length).order(ByteOrder.LITTLE_ENDIAN);
		b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
		b.asFloatBuffer().put(a.data());
		return b.array();
	}

	public static void write(final Array a, final Path file) throws IOException {
		AtomicFiles.write(file, out -> out.write(bytes(a)));
	}

	public static Array read(final Path file) throws IOException {
		return read(Files.readAllBytes(file), file.toString());
	}

	private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)(f4|f8)'"), FORTRAN = Pattern.compile(
		"'fortran_order'\\s*:\\s*(True|False)"), SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

	/** Parses {@code .npy} bytes; {@code name} names the source in messages. */
	public static Array read(final byte[] bytes, final String name) throws IOException {
		if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) throw new IOException(name + ": not a .npy file");
		final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
		final int major = bytes[6];
		b.position(8);
		final int len = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
		if (b.position() + len > bytes.length) throw new IOException(name + ": .npy header runs past the end of the file");
		final String header = new String(bytes, b.position(), len, StandardCharsets.ISO_8859_1);
		b.position(b.position() + len);
		final Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
		if (!d.find() || !s.find()) throw new IOException(name + ": .npy arrays of float32 or float64 only; header " + header.trim());
		if (f.find() && f.group(1).equals("True")) throw new IOException(name + ": Fortran-order .npy arrays are not supported; save in C order");
		final boolean big = d.group(1).equals(">"), f8 = d.group(2).equals("f8");
		final String[] parts = s.group(1).split(",");
		final long[] shape = Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty()).mapToLong(Long::parseLong).toArray();
		long n = 1;
		for (final long v : shape) n *= v;
		if (n > Integer.MAX_VALUE || b.remaining() < n * (f8 ? 8 : 4)) {
			throw new IOException(name + ": .npy data holds " + b.remaining() + " bytes for shape " + Arrays.toString(shape));
		}
		b.order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
		final float[] v = new float[(int) n];
		for (int i = 0; i < v.length; i++) v[i] = f8 ? (float) b.getDouble() : b.getFloat();
		return new Array(v, shape);
	}
}
