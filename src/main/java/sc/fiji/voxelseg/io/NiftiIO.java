package sc.fiji.voxelseg.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * NIfTI-1 and NIfTI-2 single-file volumes ({@code .nii}, {@code .nii.gz}), both byte orders.
 * <p>
 * Geometry follows nibabel's {@code get_best_affine}: the sform if {@code sform_code > 0}, else
 * the qform if {@code qform_code > 0}, else the Analyze-style base affine (x flipped, centred).
 * The affine is split into spacing (column norms) and direction (normalised columns); its frame is
 * RAS+, as {@link Volume} expects. {@code scl_slope}/{@code scl_inter} are applied on read (slope 0
 * or non-finite means no scaling); scaled data becomes float32.
 * <p>
 * Label maps are written with {@code intent_code} NIFTI_INTENT_LABEL and their class table in a
 * JSON comment extension (ecode 6), which {@link #read} restores.
 */
public final class NiftiIO {

	private static final int ECODE_COMMENT = 6;
	private static final int INTENT_LABEL = 1002;
	private static final String EXT_KEY = "voxelseg_classes";
	private static final long MAX_EXTENSION_BYTES = 64L << 20;

	private NiftiIO() {}

	public static boolean isNifti(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		return n.endsWith(".nii") || n.endsWith(".nii.gz");
	}

	public static Volume read(final Path file) throws IOException {
		return read(file, ReadOptions.defaults());
	}

	public static Volume read(final Path file, final ReadOptions opt) throws IOException {
		if (!Files.isRegularFile(file)) throw new VolumeFormatException(file, "no such file");
		final long fileSize = Files.size(file);
		try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			final InputStream in = maybeGunzip(raw, file);
			// The most bytes the stream can deliver: deflate expands at most 1032:1.
			final long available = in == raw ? fileSize : RawData.decompressedBound(fileSize);
			return read(in, file, opt, available, in != raw);
		}
		catch (final java.util.zip.ZipException e) {
			throw new VolumeFormatException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
		}
		catch (final java.io.EOFException e) {
			throw new VolumeFormatException(file, "truncated: the file ends inside its header", e);
		}
	}

	static InputStream maybeGunzip(final InputStream raw, final Path file) throws IOException {
		raw.mark(2);
		final int b0 = raw.read(), b1 = raw.read();
		raw.reset();
		if (b0 == 0x1f && b1 == 0x8b) return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16),
			1 << 16);
		return raw;
	}

	/** The parsed header: what {@code voxelseg info} and the reader need. */
	static final class Header {

		int version;
		ByteOrder order;
		long[] dim = new long[8];
		VoxelType type;
		int datatype, bitpix, intentCode;
		double[] pixdim = new double[8];
		long voxOffset;
		double slope, inter;
		int qformCode, sformCode;
		double qb, qc, qd, qx, qy, qz;
		double[][] srow = new double[3][4];
		int headerSize;
	}

	/**
	 * @param available an upper bound on the bytes {@code in} can deliver (exact for an
	 *          uncompressed file), so that a header claiming more data than the file can hold is
	 *          refused before anything is allocated
	 */
	private static Volume read(final InputStream in, final Path file, final ReadOptions opt,
		final long available, final boolean compressed) throws IOException
	{
		final byte[] first = readFully(in, file, 4, "header");
		int size = ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getInt();
		ByteOrder order = ByteOrder.LITTLE_ENDIAN;
		if (size != 348 && size != 540) {
			final int be = ByteBuffer.wrap(first).order(ByteOrder.BIG_ENDIAN).getInt();
			if (be != 348 && be != 540) throw new VolumeFormatException(file,
				"not a NIfTI file: the header size field is " + size +
					" (a NIfTI-1 header says 348, NIfTI-2 says 540)");
			size = be;
			order = ByteOrder.BIG_ENDIAN;
		}
		final byte[] hdrBytes = new byte[size];
		System.arraycopy(first, 0, hdrBytes, 0, 4);
		System.arraycopy(readFully(in, file, size - 4, "header"), 0, hdrBytes, 4, size - 4);
		final ByteBuffer h = ByteBuffer.wrap(hdrBytes).order(order);
		final Header hd = size == 348 ? parse1(h, file) : parse2(h, file);
		hd.order = order;
		hd.headerSize = size;
		validate(hd, file);

		// The bytes between the header and the voxel data: the extensions, if any.
		final long gap = hd.voxOffset - size;
		if (hd.voxOffset > available) throw new VolumeFormatException(file, "vox_offset " +
			hd.voxOffset + " lies beyond the end of the " + (compressed ? "decompressed " : "") +
			"file (" + (compressed ? "at most " : "") + available + " bytes)");
		ClassTable classes = null;
		if (gap > 0) {
			if (gap > MAX_EXTENSION_BYTES) throw new VolumeFormatException(file, "vox_offset " +
				hd.voxOffset + " is implausibly large (more than 64 MiB of extensions)");
			final byte[] ext = readFully(in, file, (int) gap, "header extensions");
			classes = parseExtensions(ext, order);
		}
		final long[] dims = { hd.dim[1], hd.dim[2], hd.dim[3] };
		// The geometry first: a broken transform is reported before the voxels are read.
		final Geometry g = geometry(hd, file);
		final var img = RawData.read(in, file, hd.type, order, dims, hd.slope, hd.inter, opt,
			available - hd.voxOffset, compressed);
		if (compressed) RawData.verifyCompressedEnd(in, file);
		final VoxelType outType = RawData.isScaling(hd.slope, hd.inter) ? (hd.type == VoxelType.FLOAT64
			? VoxelType.FLOAT64 : VoxelType.FLOAT32) : hd.type;
		try {
			return new Volume(img, g.spacing, g.origin, g.direction, classes, outType);
		}
		catch (final IllegalArgumentException e) {
			throw new VolumeFormatException(file, "invalid geometry: " + e.getMessage(), e);
		}
	}

	private static byte[] readFully(final InputStream in, final Path file, final int n,
		final String what) throws IOException
	{
		final byte[] b = in.readNBytes(n);
		if (b.length < n) throw new VolumeFormatException(file, "truncated: the file ends inside its " +
			what + " (" + b.length + " of " + n + " bytes)");
		return b;
	}

	private static Header parse1(final ByteBuffer h, final Path file) throws VolumeFormatException {
		final Header hd = new Header();
		hd.version = 1;
		final String magic = new String(h.array(), 344, 3, StandardCharsets.US_ASCII);
		if (magic.equals("ni1")) throw new VolumeFormatException(file,
			"is the header of a .hdr/.img pair; VoxelSeg reads single-file NIfTI (.nii, .nii.gz): convert the pair first");
		if (!magic.equals("n+1")) throw new VolumeFormatException(file,
			"no NIfTI-1 magic string (found '" + printable(magic) +
				"'); an Analyze 7.5 file or a corrupt header");
		for (int i = 0; i < 8; i++)
			hd.dim[i] = h.getShort(40 + 2 * i);
		hd.intentCode = h.getShort(68);
		hd.datatype = h.getShort(70);
		hd.bitpix = h.getShort(72);
		for (int i = 0; i < 8; i++)
			hd.pixdim[i] = h.getFloat(76 + 4 * i);
		final float vo = h.getFloat(108);
		if (!Float.isFinite(vo) || vo < 0 || vo > Integer.MAX_VALUE) throw new VolumeFormatException(
			file, "vox_offset " + vo + " is not a valid byte offset");
		hd.voxOffset = (long) vo;
		hd.slope = h.getFloat(112);
		hd.inter = h.getFloat(116);
		hd.qformCode = h.getShort(252);
		hd.sformCode = h.getShort(254);
		hd.qb = h.getFloat(256);
		hd.qc = h.getFloat(260);
		hd.qd = h.getFloat(264);
		hd.qx = h.getFloat(268);
		hd.qy = h.getFloat(272);
		hd.qz = h.getFloat(276);
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 4; c++)
				hd.srow[r][c] = h.getFloat(280 + 16 * r + 4 * c);
		return hd;
	}

	private static Header parse2(final ByteBuffer h, final Path file) throws VolumeFormatException {
		final Header hd = new Header();
		hd.version = 2;
		final String magic = new String(h.array(), 4, 3, StandardCharsets.US_ASCII);
		if (magic.equals("ni2")) throw new VolumeFormatException(file,
			"is the header of a NIfTI-2 .hdr/.img pair; VoxelSeg reads single-file NIfTI (.nii, .nii.gz)");
		if (!magic.equals("n+2")) throw new VolumeFormatException(file,
			"no NIfTI-2 magic string (found '" + printable(magic) + "')");
		hd.datatype = h.getShort(12);
		hd.bitpix = h.getShort(14);
		for (int i = 0; i < 8; i++)
			hd.dim[i] = h.getLong(16 + 8 * i);
		for (int i = 0; i < 8; i++)
			hd.pixdim[i] = h.getDouble(104 + 8 * i);
		hd.voxOffset = h.getLong(168);
		hd.slope = h.getDouble(176);
		hd.inter = h.getDouble(184);
		hd.qformCode = h.getInt(344);
		hd.sformCode = h.getInt(348);
		hd.qb = h.getDouble(352);
		hd.qc = h.getDouble(360);
		hd.qd = h.getDouble(368);
		hd.qx = h.getDouble(376);
		hd.qy = h.getDouble(384);
		hd.qz = h.getDouble(392);
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 4; c++)
				hd.srow[r][c] = h.getDouble(400 + 32 * r + 8 * c);
		hd.intentCode = h.getInt(504);
		return hd;
	}

	private static String printable(final String s) {
		return s.replaceAll("[^\\x20-\\x7e]", "?");
	}

	private static void validate(final Header hd, final Path file) throws VolumeFormatException {
		final long nd = hd.dim[0];
		if (nd < 1 || nd > 7) throw new VolumeFormatException(file, "dim[0] = " + nd +
			" is not a valid number of dimensions (1 to 7)");
		for (int i = 1; i <= nd; i++)
			if (hd.dim[i] < 1) throw new VolumeFormatException(file, "dimension " + i + " has size " +
				hd.dim[i] + "; every dimension needs at least one voxel");
		for (int i = (int) nd + 1; i < 8; i++)
			hd.dim[i] = 1;
		long extra = 1;
		for (int i = 4; i <= nd; i++)
			extra = multiplySaturated(extra, hd.dim[i]);
		if (extra > 1) throw new VolumeFormatException(file, "has " + extra +
			" volumes (a 4D or 5D image); VoxelSeg reads one 3D volume per file: split the series first");
		final long voxels = multiplySaturated(multiplySaturated(hd.dim[1], hd.dim[2]), hd.dim[3]);
		if (voxels == Long.MAX_VALUE) throw new VolumeFormatException(file, "dimensions " + hd.dim[1] +
			"×" + hd.dim[2] + "×" + hd.dim[3] + " are impossibly large; the header is corrupt");
		hd.type = VoxelType.fromNiftiCode(hd.datatype);
		if (hd.type == null) throw new VolumeFormatException(file, "datatype code " + hd.datatype +
			" is not supported (supported: uint8, int8, int16, uint16, int32, uint32, int64, float32, float64)");
		if (hd.bitpix != hd.type.bytes * 8) throw new VolumeFormatException(file,
			"the header contradicts itself: datatype " + hd.type.label() + " has " + hd.type.bytes * 8 +
				" bits per voxel but bitpix says " + hd.bitpix);
		if (hd.voxOffset < hd.headerSize) throw new VolumeFormatException(file, "vox_offset " +
			hd.voxOffset + " points inside the " + hd.headerSize + "-byte header");
		for (int i = 1; i <= 3; i++)
			if (!Double.isFinite(hd.pixdim[i])) throw new VolumeFormatException(file, "pixdim[" + i +
				"] is " + hd.pixdim[i] + "; the voxel spacing must be a finite number");
		if (!Double.isFinite(hd.slope)) hd.slope = 0;
		if (!Double.isFinite(hd.inter)) hd.inter = 0;
		if (hd.slope == 0) hd.inter = 0;
	}

	/** {@code a * b} for positive factors, or {@link Long#MAX_VALUE} where that overflows. */
	private static long multiplySaturated(final long a, final long b) {
		final long hi = Math.multiplyHigh(a, b), lo = a * b;
		return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
	}

	private record Geometry(double[] spacing, double[] origin, double[] direction) {}

	private static Geometry geometry(final Header hd, final Path file) throws VolumeFormatException {
		if (hd.sformCode > 0) {
			final double[] sp = new double[3], dir = new double[9];
			boolean ok = true;
			for (int c = 0; c < 3; c++) {
				double n = 0;
				for (int r = 0; r < 3; r++)
					n += hd.srow[r][c] * hd.srow[r][c];
				n = Math.sqrt(n);
				if (!(n > 0) || !Double.isFinite(n)) ok = false;
				sp[c] = n;
				for (int r = 0; r < 3; r++)
					dir[3 * r + c] = hd.srow[r][c] / n;
			}
			final double[] o = { hd.srow[0][3], hd.srow[1][3], hd.srow[2][3] };
			if (ok && finite(o) && (orthogonal(dir) || hd.qformCode <= 0)) return new Geometry(sp, o, dir);
			// A sheared sform with a qform beside it: the qform, as ITK reads such files.
			if (hd.qformCode <= 0) throw new VolumeFormatException(file,
				"the sform has a zero or non-finite column and there is no qform to fall back on");
		}
		if (hd.qformCode > 0) {
			double b = hd.qb, c = hd.qc, d = hd.qd;
			double a = 1 - (b * b + c * c + d * d);
			if (a < 1e-7) {
				final double s = 1 / Math.sqrt(b * b + c * c + d * d);
				b *= s;
				c *= s;
				d *= s;
				a = 0;
			}
			else a = Math.sqrt(a);
			final double qfac = hd.pixdim[0] < 0 ? -1 : 1;
			final double[] r = { a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
				2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b), 2 * (b * d - a * c),
				2 * (c * d + a * b), a * a + d * d - c * c - b * b };
			final double[] sp = new double[3];
			for (int i = 0; i < 3; i++) {
				sp[i] = Math.abs(hd.pixdim[i + 1]);
				if (sp[i] == 0) throw new VolumeFormatException(file, "pixdim[" + (i + 1) +
					"] is 0; the voxel spacing must be positive");
				final double sign = (hd.pixdim[i + 1] < 0 ? -1 : 1) * (i == 2 ? qfac : 1);
				for (int row = 0; row < 3; row++)
					r[3 * row + i] *= sign;
			}
			final double[] o = { hd.qx, hd.qy, hd.qz };
			if (!finite(o) || !finite(r)) throw new VolumeFormatException(file,
				"the qform holds non-finite values");
			return new Geometry(sp, o, r);
		}
		// nibabel's base affine: x flipped, centred on the volume.
		final double[] sp = new double[3];
		for (int i = 0; i < 3; i++) {
			sp[i] = Math.abs(hd.pixdim[i + 1]);
			if (sp[i] == 0) sp[i] = 1;
		}
		final double[] o = { (hd.dim[1] - 1) / 2.0 * sp[0], -(hd.dim[2] - 1) / 2.0 * sp[1], -(hd.dim[3] -
			1) / 2.0 * sp[2] };
		if (!finite(o) || !finite(sp)) throw new VolumeFormatException(file, "pixdim " + sp[0] + ", " +
			sp[1] + ", " + sp[2] + " is too large to place the volume in space");
		return new Geometry(sp, o, new double[] { -1, 0, 0, 0, 1, 0, 0, 0, 1 });
	}

	private static boolean orthogonal(final double[] dir) {
		for (int a = 0; a < 3; a++)
			for (int b = a + 1; b < 3; b++)
				if (Math.abs(dir[a] * dir[b] + dir[3 + a] * dir[3 + b] + dir[6 + a] * dir[6 + b]) >
					sc.fiji.voxelseg.image.Volume.ORTHONORMAL_TOLERANCE) return false;
		return true;
	}

	private static boolean finite(final double[] a) {
		for (final double v : a)
			if (!Double.isFinite(v)) return false;
		return true;
	}

	private static ClassTable parseExtensions(final byte[] ext, final ByteOrder order) {
		if (ext.length < 4 || ext[0] == 0) return null;
		final ByteBuffer b = ByteBuffer.wrap(ext).order(order);
		int pos = 4;
		while (pos + 8 <= ext.length) {
			final int esize = b.getInt(pos), ecode = b.getInt(pos + 4);
			if (esize < 8 || (long) pos + esize > ext.length) return null; // malformed: ignore them
			if (ecode == ECODE_COMMENT) {
				final String s = new String(ext, pos + 8, esize - 8, StandardCharsets.UTF_8).trim()
					.replace("\0", "");
				if (s.contains(EXT_KEY)) {
					try {
						return parseClassTable(JsonParser.parseString(s).getAsJsonObject());
					}
					catch (final RuntimeException | StackOverflowError e) {
						return null; // a foreign or damaged comment: the image stays readable
					}
				}
			}
			pos += esize;
		}
		return null;
	}

	private static ClassTable parseClassTable(final JsonObject o) {
		return ClassTable.fromJson(o.getAsJsonArray(EXT_KEY));
	}

	private static byte[] classTableExtension(final ClassTable t) {
		final JsonArray arr = t.toJson();
		final JsonObject root = new JsonObject();
		root.add(EXT_KEY, arr);
		final byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
		final int esize = (8 + json.length + 15) / 16 * 16;
		final ByteBuffer b = ByteBuffer.allocate(esize).order(ByteOrder.LITTLE_ENDIAN);
		b.putInt(esize).putInt(ECODE_COMMENT).put(json);
		return b.array();
	}

	/**
	 * Writes {@code v} as NIfTI ({@code .nii}, or gzip-compressed for {@code .nii.gz}) in the
	 * volume's voxel type, NIfTI-1 unless a dimension exceeds 32767. The file appears only once
	 * complete.
	 */
	public static void write(final Volume v, final Path file) throws IOException {
		write(v, file, v.voxelType() == null ? VoxelType.FLOAT32 : v.voxelType());
	}

	public static void write(final Volume v, final Path file, final VoxelType type)
		throws IOException
	{
		if (!isNifti(file)) throw new IOException(file +
			": a NIfTI file name ends in .nii or .nii.gz");
		final boolean gz = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
		final long[] d = v.dims();
		final boolean nifti2 = d[0] > Short.MAX_VALUE || d[1] > Short.MAX_VALUE || d[2] > Short.MAX_VALUE;
		final byte[] ext = v.isLabelMap() ? classTableExtension(v.classes()) : new byte[0];
		final int hsize = nifti2 ? 540 : 348;
		final long voxOffset = hsize + 4 + ext.length;
		final ByteBuffer h = ByteBuffer.allocate((int) voxOffset).order(ByteOrder.LITTLE_ENDIAN);
		final double[] sp = v.spacing(), o = v.origin(), dir = v.direction();
		final Quaternion q = Quaternion.of(dir);
		final int intent = v.isLabelMap() ? INTENT_LABEL : 0;
		final byte[] descrip = "VoxelSeg".getBytes(StandardCharsets.US_ASCII);
		if (!nifti2) {
			h.putInt(0, 348);
			h.put(39, (byte) 0);
			final short[] dim = { 3, (short) d[0], (short) d[1], (short) d[2], 1, 1, 1, 1 };
			for (int i = 0; i < 8; i++)
				h.putShort(40 + 2 * i, dim[i]);
			h.putShort(68, (short) intent);
			h.putShort(70, (short) type.niftiCode);
			h.putShort(72, (short) (type.bytes * 8));
			final float[] pd = { (float) q.qfac, (float) sp[0], (float) sp[1], (float) sp[2], 1, 0, 0, 0 };
			for (int i = 0; i < 8; i++)
				h.putFloat(76 + 4 * i, pd[i]);
			h.putFloat(108, voxOffset);
			h.putFloat(112, 1);
			h.putFloat(116, 0);
			h.put(123, (byte) 10); // mm, seconds
			h.put(148, descrip);
			h.putShort(252, (short) 1);
			h.putShort(254, (short) 1);
			h.putFloat(256, (float) q.b);
			h.putFloat(260, (float) q.c);
			h.putFloat(264, (float) q.d);
			for (int i = 0; i < 3; i++)
				h.putFloat(268 + 4 * i, (float) o[i]);
			for (int r = 0; r < 3; r++) {
				for (int c = 0; c < 3; c++)
					h.putFloat(280 + 16 * r + 4 * c, (float) (dir[3 * r + c] * sp[c]));
				h.putFloat(280 + 16 * r + 12, (float) o[r]);
			}
			h.put(344, "n+1\0".getBytes(StandardCharsets.US_ASCII));
		}
		else {
			h.putInt(0, 540);
			h.put(4, new byte[] { 'n', '+', '2', 0, '\r', '\n', 0x1a, '\n' });
			h.putShort(12, (short) type.niftiCode);
			h.putShort(14, (short) (type.bytes * 8));
			final long[] dim = { 3, d[0], d[1], d[2], 1, 1, 1, 1 };
			for (int i = 0; i < 8; i++)
				h.putLong(16 + 8 * i, dim[i]);
			final double[] pd = { q.qfac, sp[0], sp[1], sp[2], 1, 0, 0, 0 };
			for (int i = 0; i < 8; i++)
				h.putDouble(104 + 8 * i, pd[i]);
			h.putLong(168, voxOffset);
			h.putDouble(176, 1);
			h.putDouble(184, 0);
			h.put(240, descrip);
			h.putInt(344, 1);
			h.putInt(348, 1);
			h.putDouble(352, q.b);
			h.putDouble(360, q.c);
			h.putDouble(368, q.d);
			for (int i = 0; i < 3; i++)
				h.putDouble(376 + 8 * i, o[i]);
			for (int r = 0; r < 3; r++) {
				for (int c = 0; c < 3; c++)
					h.putDouble(400 + 32 * r + 8 * c, dir[3 * r + c] * sp[c]);
				h.putDouble(400 + 32 * r + 24, o[r]);
			}
			h.putInt(500, 10);
			h.putInt(504, intent);
		}
		if (ext.length > 0) {
			h.put(hsize, (byte) 1);
			h.put(hsize + 4, ext);
		}
		AtomicFiles.write(file, out -> {
			final OutputStream os = gz ? new ParallelGzipOutputStream(out, Deflater.BEST_SPEED) : out;
			os.write(h.array());
			RawData.write(os, v.image(), type, ByteOrder.LITTLE_ENDIAN);
			if (gz) ((ParallelGzipOutputStream) os).finish();
		});
	}

	/**
	 * A gzip stream deflated on all cores, as pigz does: the data is cut into blocks of
	 * {@link #BLOCK} bytes, each raw-deflated on its own and ended with a sync flush (the last one
	 * finished), so that their concatenation is one ordinary deflate stream in one gzip member,
	 * with gzip's header and CRC-32/size trailer. The writing thread deflates one block itself for
	 * every block it hands to the common pool's threads, and writes the results in order; memory is
	 * a block per thread. Each block starts without history, which costs well under 0.1% of
	 * compression at 4 MiB blocks.
	 */
	static final class ParallelGzipOutputStream extends OutputStream {

		static final int BLOCK = 1 << 22;
		/** java.util.zip.GZIPOutputStream's header: magic, deflate, no flags, no time, no extra flags, OS 0. */
		private static final byte[] HEADER = { 0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0 };

		private final OutputStream out;
		private final int level;
		private final int helpers = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
		private final java.util.ArrayDeque<java.util.concurrent.CompletableFuture<byte[]>> pending = new java.util.ArrayDeque<>();
		private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
		private byte[] block = new byte[BLOCK];
		private int fill;
		private long size;
		private boolean finished;

		ParallelGzipOutputStream(final OutputStream out, final int level) throws IOException {
			this.out = out;
			this.level = level;
			out.write(HEADER);
		}

		@Override
		public void write(final int b) throws IOException {
			write(new byte[] { (byte) b }, 0, 1);
		}

		@Override
		public void write(final byte[] b, int off, int len) throws IOException {
			if (finished) throw new IOException("write after finish");
			while (len > 0) {
				final int n = Math.min(len, BLOCK - fill);
				System.arraycopy(b, off, block, fill, n);
				fill += n;
				off += n;
				len -= n;
				if (fill == BLOCK) dispatch(false);
			}
		}

		/** Hands the full block to a free helper thread, or deflates it here and writes out every block so far. */
		private void dispatch(final boolean last) throws IOException {
			final byte[] data = block;
			final int n = fill;
			crc.update(data, 0, n);
			size += n;
			block = last ? null : new byte[BLOCK];
			fill = 0;
			if (!last && pending.size() < helpers) {
				pending.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> deflate(data, n, false, level),
					java.util.concurrent.ForkJoinPool.commonPool()));
				return;
			}
			final byte[] mine = deflate(data, n, last, level);
			while (!pending.isEmpty())
				out.write(pending.poll().join());
			out.write(mine);
		}

		/** Writes the last block and the gzip trailer; the underlying stream stays open. */
		void finish() throws IOException {
			if (finished) return;
			dispatch(true);
			finished = true;
			final ByteBuffer t = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			t.putInt((int) crc.getValue()).putInt((int) size);
			out.write(t.array());
		}

		/** Raw deflate of {@code data[0, n)}: ended by a sync flush (byte-aligned, not final), or finished. */
		static byte[] deflate(final byte[] data, final int n, final boolean last, final int level) {
			final Deflater d = new Deflater(level, true);
			try {
				d.setInput(data, 0, n);
				if (last) d.finish();
				byte[] o = new byte[n / 4 + 1024];
				int len = 0;
				while (true) {
					if (len == o.length) o = java.util.Arrays.copyOf(o, 2 * o.length);
					final int space = o.length - len;
					final int got = last ? d.deflate(o, len, space) : d.deflate(o, len, space, Deflater.SYNC_FLUSH);
					len += got;
					if (last ? d.finished() : got < space) break;
				}
				return java.util.Arrays.copyOf(o, len);
			}
			finally {
				d.end();
			}
		}
	}

	/** A unit quaternion (b, c, d) with qfac for a direction matrix, as nifti1_io computes it. */
	record Quaternion(double b, double c, double d, double qfac) {

		static Quaternion of(final double[] dirIn) {
			final double[] r = dirIn.clone();
			final double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
				r[2] * (r[3] * r[7] - r[4] * r[6]);
			double qfac = 1;
			if (det < 0) {
				qfac = -1;
				r[2] = -r[2];
				r[5] = -r[5];
				r[8] = -r[8];
			}
			final double r11 = r[0], r12 = r[1], r13 = r[2], r21 = r[3], r22 = r[4], r23 = r[5],
					r31 = r[6], r32 = r[7], r33 = r[8];
			double a = r11 + r22 + r33 + 1, b, c, d;
			if (a > 0.5) {
				a = 0.5 * Math.sqrt(a);
				b = 0.25 * (r32 - r23) / a;
				c = 0.25 * (r13 - r31) / a;
				d = 0.25 * (r21 - r12) / a;
			}
			else {
				final double xd = 1 + r11 - (r22 + r33), yd = 1 + r22 - (r11 + r33), zd = 1 + r33 - (r11 +
					r22);
				if (xd > 1) {
					b = 0.5 * Math.sqrt(xd);
					c = 0.25 * (r12 + r21) / b;
					d = 0.25 * (r13 + r31) / b;
					a = 0.25 * (r32 - r23) / b;
				}
				else if (yd > 1) {
					c = 0.5 * Math.sqrt(yd);
					b = 0.25 * (r12 + r21) / c;
					d = 0.25 * (r23 + r32) / c;
					a = 0.25 * (r13 - r31) / c;
				}
				else {
					d = 0.5 * Math.sqrt(zd);
					b = 0.25 * (r13 + r31) / d;
					c = 0.25 * (r23 + r32) / d;
					a = 0.25 * (r21 - r12) / d;
				}
				if (a < 0) {
					b = -b;
					c = -c;
					d = -d;
				}
			}
			return new Quaternion(b, c, d, qfac);
		}
	}
}
