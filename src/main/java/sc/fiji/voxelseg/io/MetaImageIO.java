package sc.fiji.voxelseg.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/**
 * MetaImage volumes (ITK's format): {@code .mha} with the data after the header
 * ({@code ElementDataFile = LOCAL}) and {@code .mhd} with a separate data file ({@code .raw},
 * {@code .zraw}), zlib-compressed or not.
 * <p>
 * Axes: the first axis of {@code DimSize} varies fastest and becomes x, then y, then z. A 2D image
 * becomes one slice (z size 1).
 * <p>
 * Geometry as ITK reads it: {@code ElementSpacing} (else {@code ElementSize}) in mm;
 * {@code Offset} (or {@code Position}, {@code Origin}) is the centre of voxel (0, 0, 0);
 * {@code TransformMatrix} (or {@code Rotation}, {@code Orientation}) lists the axis directions one
 * after another: its first {@code NDims} values are the unit vector of the first axis, and so on.
 * All of it is in LPS+ (ITK ignores {@code AnatomicalOrientation} and so does VoxelSeg), converted
 * here to RAS+ by negating x and y.
 * <p>
 * {@code HeaderSize} skips that many bytes of a separate data file; {@code -1} means the data are
 * its last bytes. Not supported (refused with a message): several channels per voxel, data split
 * over a list of files, 64-bit unsigned integers.
 */
public final class MetaImageIO {

	private MetaImageIO() {}

	public static boolean isMetaImage(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		return n.endsWith(".mha") || n.endsWith(".mhd");
	}

	public static Volume read(final Path file) throws IOException {
		return read(file, ReadOptions.defaults());
	}

	/**
	 * Reads a MetaImage volume into an image of its stored type (x fastest), with spacing in mm and
	 * origin and direction in RAS+.
	 *
	 * @throws VolumeFormatException naming the file and the problem
	 */
	public static Volume read(final Path file, final ReadOptions opt) throws IOException {
		if (!Files.isRegularFile(file)) throw new VolumeFormatException(file, "no such file");
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			final Map<String, String> f = new LinkedHashMap<>();
			final long[] count = { 0 };
			String line;
			while ((line = TextHeaders.readLine(in, file, count)) != null) {
				if (line.isBlank()) continue;
				final int eq = line.indexOf('=');
				if (eq < 0) throw new VolumeFormatException(file, "header line '" + line.strip() +
					"' is not 'Key = Value'; this is not a MetaImage header");
				final String key = TextHeaders.lower(line.substring(0, eq));
				f.put(key, line.substring(eq + 1).trim());
				if (key.equals("elementdatafile")) break; // always the last field: data follow
			}
			final String dataFile = f.get("elementdatafile");
			if (dataFile == null) throw new VolumeFormatException(file,
				"the header has no ElementDataFile field (it must be the last header line); the file is truncated or not MetaImage");
			final Header h = parse(f, file);
			if (dataFile.equalsIgnoreCase("LOCAL")) return readData(in, file, file, h, opt);
			if (dataFile.startsWith("LIST") || dataFile.contains("%") || dataFile.trim().split("\\s+").length > 1)
				throw new VolumeFormatException(file, "ElementDataFile = " + dataFile +
					" splits the data over several files; VoxelSeg reads one data file: re-save the image as one .mha");
			final Path data = opt.dataFile(file, dataFile.trim(), "ElementDataFile");
			try (InputStream din = new BufferedInputStream(Files.newInputStream(data), 1 << 16)) {
				if (h.headerSize == -1) {
					if (h.compressed) throw new VolumeFormatException(file,
						"HeaderSize = -1 (data at the end of the file) cannot be used with compressed data");
					final long size = Files.size(data);
					final long need = h.dims[0] * h.dims[1] * h.dims[2] * h.type.bytes;
					if (size < need) throw new VolumeFormatException(data, String.format(Locale.ROOT,
						"truncated: the header %s promises %d bytes of voxel data but the file holds %d",
						file.getFileName(), need, size));
					TextHeaders.skipFully(din, size - need, data, "HeaderSize = -1");
				}
				else TextHeaders.skipFully(din, h.headerSize, data, "HeaderSize");
				return readData(din, data, file, h, opt);
			}
		}
	}

	private static final class Header {

		VoxelType type;
		ByteOrder order = ByteOrder.LITTLE_ENDIAN;
		boolean compressed;
		long headerSize;
		long[] dims;
		double[] spacing, origin, direction;
	}

	private static Header parse(final Map<String, String> f, final Path file)
		throws VolumeFormatException
	{
		final Header h = new Header();
		final String ot = f.get("objecttype");
		if (ot != null && !ot.equalsIgnoreCase("Image")) throw new VolumeFormatException(file,
			"ObjectType = " + ot + "; VoxelSeg reads MetaImage objects of type Image");
		final String ndString = f.get("ndims");
		if (ndString == null) throw new VolumeFormatException(file, "the header has no NDims field");
		final int nd = (int) Math.min(64, TextHeaders.singleSize(ndString, file, "NDims"));
		final String ds = f.get("dimsize");
		if (ds == null) throw new VolumeFormatException(file, "the header has no DimSize field");
		final long[] sizes = TextHeaders.sizes(ds, file, "DimSize");
		if (sizes.length != nd) throw new VolumeFormatException(file, "DimSize lists " +
			sizes.length + " sizes but NDims is " + nd);
		if (nd > 3) {
			for (int a = 3; a < nd; a++)
				if (sizes[a] > 1) throw new VolumeFormatException(file, "has " + nd +
					" dimensions (DimSize " + ds +
					"); VoxelSeg reads one 3D volume per file: split the series first");
		}
		final String ch = f.get("elementnumberofchannels");
		if (ch != null && !ch.trim().equals("1")) throw new VolumeFormatException(file, "has " + ch
			.trim() + " channels per voxel; VoxelSeg reads scalar volumes: split the channels first");
		final String et = f.get("elementtype");
		if (et == null) throw new VolumeFormatException(file, "the header has no ElementType field");
		h.type = type(et.trim(), file);
		final String msb = f.containsKey("binarydatabyteordermsb") ? f.get("binarydatabyteordermsb") : f
			.get("elementbyteordermsb");
		if (msb != null && isTrue(msb)) h.order = ByteOrder.BIG_ENDIAN;
		final String bin = f.get("binarydata");
		if (bin != null && !isTrue(bin)) throw new VolumeFormatException(file,
			"BinaryData = False (ASCII voxel data) is not supported; re-save the image as binary");
		h.compressed = f.containsKey("compresseddata") && isTrue(f.get("compresseddata"));
		if (f.containsKey("headersize")) {
			final double hs = TextHeaders.single(f.get("headersize"), file, "HeaderSize");
			if (hs != -1 && (hs < 0 || hs != Math.rint(hs))) throw new VolumeFormatException(file,
				"HeaderSize = " + f.get("headersize") + " is neither -1 nor a byte count");
			h.headerSize = (long) hs;
		}

		final int n = Math.min(nd, 3);
		h.dims = new long[] { 1, 1, 1 };
		for (int a = 0; a < n; a++)
			h.dims[a] = sizes[a];
		h.spacing = new double[] { 1, 1, 1 };
		final String sp = f.containsKey("elementspacing") ? f.get("elementspacing") : f.get(
			"elementsize");
		if (sp != null) {
			final double[] s = TextHeaders.numbers(sp, file, "ElementSpacing");
			if (s.length < n) throw new VolumeFormatException(file, "ElementSpacing lists " + s.length +
				" values for " + nd + " dimensions");
			for (int a = 0; a < n; a++) {
				if (!(s[a] > 0) || !Double.isFinite(s[a])) throw new VolumeFormatException(file,
					"ElementSpacing = " + sp + "; the voxel spacing must be positive");
				h.spacing[a] = s[a];
			}
		}
		h.origin = new double[3];
		final String o = first(f, "offset", "position", "origin");
		if (o != null) {
			final double[] v = TextHeaders.numbers(o, file, "Offset");
			if (v.length < n) throw new VolumeFormatException(file, "Offset lists " + v.length +
				" values for " + nd + " dimensions");
			for (int a = 0; a < n; a++)
				h.origin[a] = v[a];
			for (final double x : h.origin)
				if (!Double.isFinite(x)) throw new VolumeFormatException(file, "Offset = " + o +
					" is not finite");
		}
		h.direction = new double[9];
		final String tm = first(f, "transformmatrix", "rotation", "orientation");
		if (tm != null) {
			final double[] t = TextHeaders.numbers(tm, file, "TransformMatrix");
			if (t.length != nd * nd) throw new VolumeFormatException(file, "TransformMatrix lists " +
				t.length + " values; " + nd + " dimensions need " + nd * nd);
			// Values a*nd .. a*nd+nd-1 are axis a's direction: column a of our matrix.
			for (int a = 0; a < n; a++)
				for (int r = 0; r < n; r++)
					h.direction[3 * r + a] = t[a * nd + r];
			for (int a = 0; a < n; a++) {
				final double len = Math.sqrt(h.direction[a] * h.direction[a] + h.direction[3 + a] *
					h.direction[3 + a] + h.direction[6 + a] * h.direction[6 + a]);
				if (!(Math.abs(len - 1) < 1e-3)) throw new VolumeFormatException(file,
					"TransformMatrix = " + tm + " is not a rotation (axis " + a + " has length " + len +
						"); the spacing belongs in ElementSpacing");
			}
		}
		else for (int a = 0; a < n; a++)
			h.direction[3 * a + a] = 1;
		for (int a = n; a < 3; a++)
			if (a == 2) PatientFrames.completeThirdAxis(h.direction);
			else h.direction[3 * a + a] = 1;
		PatientFrames.lpsToRas(h.direction, h.origin);
		return h;
	}

	private static String first(final Map<String, String> f, final String... keys) {
		for (final String k : keys)
			if (f.containsKey(k)) return f.get(k);
		return null;
	}

	private static boolean isTrue(final String v) {
		final String s = TextHeaders.lower(v);
		return s.equals("true") || s.equals("1") || s.equals("yes");
	}

	/** MetaIO's element types; MET_LONG and MET_ULONG are 4 bytes in MetaIO. */
	static VoxelType type(final String name, final Path file) throws VolumeFormatException {
		switch (name.toUpperCase(Locale.ROOT)) {
			case "MET_UCHAR":
				return VoxelType.UINT8;
			case "MET_CHAR":
				return VoxelType.INT8;
			case "MET_SHORT":
				return VoxelType.INT16;
			case "MET_USHORT":
				return VoxelType.UINT16;
			case "MET_INT", "MET_LONG":
				return VoxelType.INT32;
			case "MET_UINT", "MET_ULONG":
				return VoxelType.UINT32;
			case "MET_LONG_LONG":
				return VoxelType.INT64;
			case "MET_FLOAT":
				return VoxelType.FLOAT32;
			case "MET_DOUBLE":
				return VoxelType.FLOAT64;
			case "MET_ULONG_LONG":
				throw new VolumeFormatException(file,
					"ElementType MET_ULONG_LONG (unsigned 64-bit) is not supported; convert the image to MET_LONG_LONG, MET_INT or MET_FLOAT");
			default:
				throw new VolumeFormatException(file, "ElementType " + name +
					" is not supported (supported: MET_UCHAR, MET_CHAR, MET_SHORT, MET_USHORT, MET_INT, MET_UINT, MET_LONG, MET_ULONG, MET_LONG_LONG, MET_FLOAT, MET_DOUBLE)" +
					(name.toUpperCase(Locale.ROOT).endsWith("_ARRAY") ? "; vector images must be split into channels first" : ""));
		}
	}

	private static Volume readData(final InputStream raw, final Path dataFile, final Path header,
		final Header h, final ReadOptions opt) throws IOException
	{
		InputStream in = raw;
		// An upper bound on the bytes the data can deliver, checked before anything is allocated.
		final long fileBytes = Files.size(dataFile);
		final long available = h.compressed ? RawData.decompressedBound(fileBytes) : fileBytes;
		if (h.compressed) {
			// MetaIO writes zlib streams and reads gzip ones too.
			raw.mark(2);
			final int b0 = raw.read(), b1 = raw.read();
			raw.reset();
			try {
				in = new BufferedInputStream(b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16)
					: new InflaterInputStream(raw, new java.util.zip.Inflater(), 1 << 16), 1 << 16);
			}
			catch (final java.util.zip.ZipException e) {
				throw new VolumeFormatException(dataFile, "CompressedData = True but the data is not zlib or gzip (" +
					e.getMessage() + ")", e);
			}
		}
		final RandomAccessibleInterval<? extends RealType<?>> img;
		try {
			img = RawData.read(in, dataFile, h.type, h.order, h.dims, 1, 0, opt, available, h.compressed);
			if (h.compressed) RawData.verifyCompressedEnd(in, dataFile);
		}
		catch (final java.util.zip.ZipException e) {
			throw new VolumeFormatException(dataFile, "corrupt compressed data (" + e.getMessage() + ")",
				e);
		}
		return RawData.volume(header, img, h.spacing, h.origin, h.direction, null, h.type);
	}
}
