package sc.fiji.voxelseg.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/**
 * NRRD volumes: attached headers ({@code .nrrd}) and detached headers ({@code .nhdr} with a
 * {@code data file:} field), encodings {@code raw}, {@code gzip} and {@code ascii}.
 * <p>
 * Axes: the first NRRD axis varies fastest and becomes x, the second y, the third z (VoxelSeg's
 * order). A 2D image becomes one slice (z size 1); further axes are accepted only with size 1.
 * <p>
 * Geometry: {@code space directions} give one vector per axis (mm, in the named space); their
 * lengths are the spacing and their directions the columns of {@link Volume#direction()}.
 * {@code space origin} is the centre of voxel (0, 0, 0). Without space directions, {@code spacings}
 * (default 1 mm) and an identity direction are used. Positions in {@code left-posterior-superior}
 * space (and, as ITK does, in {@code scanner-xyz}, {@code 3D-right-handed} or an unnamed
 * {@code space dimension}) are converted to RAS+ by negating x and y; {@code left-anterior-superior}
 * by negating x; {@code right-anterior-superior} is kept.
 * <p>
 * Not supported (each refused with a message): {@code bzip2} and {@code hex} encodings, 64-bit
 * unsigned integers, {@code block} types, several components per voxel, data split over a list
 * of files.
 */
public final class NrrdIO {

	private static final Pattern VECTOR = Pattern.compile("\\(([^)]*)\\)|none", Pattern.CASE_INSENSITIVE);

	private NrrdIO() {}

	public static boolean isNrrd(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		return n.endsWith(".nrrd") || n.endsWith(".nhdr");
	}

	public static Volume read(final Path file) throws IOException {
		return read(file, ReadOptions.defaults());
	}

	/**
	 * Reads a NRRD volume into an image of its stored type (x fastest), with spacing in mm and
	 * origin and direction in RAS+.
	 *
	 * @throws VolumeFormatException naming the file and the problem when the header is not NRRD,
	 *           asks for something unsupported, or promises more data than the file holds
	 */
	public static Volume read(final Path file, final ReadOptions opt) throws IOException {
		if (!Files.isRegularFile(file)) throw new VolumeFormatException(file, "no such file");
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			final long[] count = { 0 };
			final String magic = TextHeaders.readLine(in, file, count);
			if (magic == null || !magic.startsWith("NRRD")) throw new VolumeFormatException(file,
				"not a NRRD file: it does not start with the 'NRRD000x' magic line");
			final Map<String, String> fields = new LinkedHashMap<>();
			String line;
			while ((line = TextHeaders.readLine(in, file, count)) != null && !line.isEmpty()) {
				if (line.startsWith("#")) continue;
				final int colon = line.indexOf(": ");
				if (line.contains(":=") && (colon < 0 || line.indexOf(":=") < colon)) continue; // key/value
				if (colon < 0) throw new VolumeFormatException(file, "header line '" + line +
					"' is neither 'field: value', 'key:=value' nor a comment");
				final String field = TextHeaders.lower(line.substring(0, colon));
				if (!FIELDS.contains(field)) throw new VolumeFormatException(file, "'" + field +
					"' is not a NRRD field (a misspelt or damaged header line: '" + line +
					"'); fix it, or turn it into a 'key:=value' pair or a '#' comment");
				fields.put(switch (field) {
					case "lineskip" -> "line skip";
					case "byteskip" -> "byte skip";
					default -> field;
				}, line.substring(colon + 2).trim());
			}
			final Header h = parse(fields, file);
			final String dataFile = fields.containsKey("data file") ? fields.get("data file") : fields
				.get("datafile");
			if (dataFile == null) {
				if (line == null) throw new VolumeFormatException(file,
					"truncated: the file ends inside its header (no blank line before the data, and no 'data file:' field)");
				return readData(in, file, file, h, opt);
			}
			final Path data = dataPath(file, dataFile, opt);
			try (InputStream din = new BufferedInputStream(Files.newInputStream(data), 1 << 16)) {
				return readData(din, data, file, h, opt);
			}
		}
	}

	private static Path dataPath(final Path header, final String dataFile, final ReadOptions opt)
		throws VolumeFormatException
	{
		final String v = dataFile.trim();
		if (v.startsWith("LIST") || v.split("\\s+").length > 1) throw new VolumeFormatException(header,
			"'data file: " + v +
				"' splits the data over several files; VoxelSeg reads one data file: rewrite the volume as one .nrrd");
		return opt.dataFile(header, v, "'data file:'");
	}

	/** The field identifiers of the NRRD format (NRRD0001-NRRD0005), with their old spellings. */
	private static final java.util.Set<String> FIELDS = java.util.Set.of("dimension", "type", "sizes",
		"endian", "encoding", "content", "min", "max", "oldmin", "old min", "oldmax", "old max",
		"spacings", "thicknesses", "axis mins", "axismins", "axis maxs", "axismaxs", "centers",
		"centerings", "labels", "units", "kinds", "space", "space dimension", "space units",
		"space origin", "space directions", "measurement frame", "sample units", "sampleunits",
		"data file", "datafile", "line skip", "lineskip", "byte skip", "byteskip", "number",
		"block size", "blocksize");

	private static final class Header {

		VoxelType type;
		ByteOrder order = ByteOrder.LITTLE_ENDIAN;
		String encoding;
		long[] dims;
		double[] spacing, origin, direction;
		long lineSkip, byteSkip;
	}

	private static Header parse(final Map<String, String> f, final Path file)
		throws VolumeFormatException
	{
		final Header h = new Header();
		final String typeName = require(f, "type", file);
		h.type = type(typeName, file);
		final int dimension = (int) Math.min(64, TextHeaders.singleSize(require(f, "dimension", file), file,
			"dimension"));
		final long[] sizes = TextHeaders.sizes(require(f, "sizes", file), file, "sizes");
		if (sizes.length != dimension) throw new VolumeFormatException(file, "'sizes' lists " +
			sizes.length + " values but 'dimension' is " + dimension);
		h.encoding = TextHeaders.lower(require(f, "encoding", file));
		switch (h.encoding) {
			case "raw", "gzip", "gz", "ascii", "text", "txt" -> {}
			case "bzip2", "bz2" -> throw new VolumeFormatException(file,
				"bzip2 encoding is not supported; re-save the NRRD with raw or gzip encoding (e.g. in 3D Slicer or with unu save -e gzip)");
			default -> throw new VolumeFormatException(file, "encoding '" + h.encoding +
				"' is not supported (supported: raw, gzip, ascii)");
		}
		final String endian = f.get("endian");
		if (endian != null) {
			switch (TextHeaders.lower(endian)) {
				case "little" -> h.order = ByteOrder.LITTLE_ENDIAN;
				case "big" -> h.order = ByteOrder.BIG_ENDIAN;
				default -> throw new VolumeFormatException(file, "'endian: " + endian +
					"' is neither little nor big");
			}
		}
		else if (h.type.bytes > 1 && !isAscii(h.encoding)) throw new VolumeFormatException(file,
			"the header has no 'endian:' field, which " + h.type.bytes +
				"-byte voxels need; add 'endian: little' (or big) to the header");
		if (f.containsKey("line skip")) h.lineSkip = skip(f.get("line skip"), file, "line skip");
		if (f.containsKey("byte skip")) h.byteSkip = f.get("byte skip").trim().equals("-1") ? -1 : skip(
			f.get("byte skip"), file, "byte skip");
		if (h.byteSkip == -1 && !h.encoding.equals("raw")) throw new VolumeFormatException(file,
			"'byte skip: -1' (data at the end of the file) only works with raw encoding");

		// Space: how many world dimensions, and the frame.
		int spaceDim = 0;
		boolean lps = true, flipXOnly = false;
		final String space = f.get("space");
		if (space != null) {
			final String s = TextHeaders.lower(space);
			switch (s) {
				case "right-anterior-superior", "ras" -> lps = false;
				case "left-anterior-superior", "las" -> {
					lps = false;
					flipXOnly = true;
				}
				case "left-posterior-superior", "lps", "scanner-xyz", "3d-right-handed", "3d-left-handed" -> {}
				default -> throw new VolumeFormatException(file, "space '" + space +
					"' is not a 3D patient space VoxelSeg knows (left-posterior-superior, right-anterior-superior, left-anterior-superior, scanner-xyz)");
			}
			spaceDim = 3;
		}
		if (f.containsKey("space dimension")) {
			final int sd = (int) Math.min(64, TextHeaders.singleSize(f.get("space dimension"), file, "space dimension"));
			if (space != null && sd != 3) throw new VolumeFormatException(file, "'space dimension: " + sd +
				"' contradicts 'space: " + space + "'");
			spaceDim = sd;
		}
		if (spaceDim > 3) throw new VolumeFormatException(file, "a " + spaceDim +
			"-dimensional world space is not supported; VoxelSeg reads 3D volumes");

		// Which axes are spatial: those with a vector in 'space directions' (others say 'none').
		final double[][] vectors = new double[dimension][];
		if (f.containsKey("space directions")) {
			if (spaceDim == 0) throw new VolumeFormatException(file,
				"'space directions' needs a 'space:' or 'space dimension:' field");
			final Matcher m = VECTOR.matcher(f.get("space directions"));
			int a = 0;
			while (m.find()) {
				if (a >= dimension) throw new VolumeFormatException(file,
					"'space directions' lists more vectors than the " + dimension + " axes");
				if (m.group(1) != null) {
					final double[] v = TextHeaders.numbers(m.group(1), file, "space directions");
					if (v.length != spaceDim) throw new VolumeFormatException(file, "space direction '(" + m
						.group(1) + ")' has " + v.length + " components but the space has " + spaceDim);
					vectors[a] = v;
				}
				a++;
			}
			if (a != dimension) throw new VolumeFormatException(file, "'space directions' lists " + a +
				" entries but 'dimension' is " + dimension);
		}
		final List<Integer> spatial = new ArrayList<>();
		final boolean haveVectors = f.containsKey("space directions");
		for (int a = 0; a < dimension; a++) {
			if (haveVectors ? vectors[a] != null : spatial.size() < 3) spatial.add(a);
			else if (sizes[a] > 1) throw new VolumeFormatException(file, "axis " + a + " (size " +
				sizes[a] + ") is not a spatial axis" + (f.containsKey("kinds") ? " (kinds: " + f.get(
					"kinds") + ")" : "") +
				"; VoxelSeg reads one scalar 3D volume: split the components or time points first");
		}
		if (spatial.size() > 3) throw new VolumeFormatException(file, "has " + spatial.size() +
			" spatial axes; VoxelSeg reads 3D volumes");
		h.dims = new long[] { 1, 1, 1 };
		for (int i = 0; i < spatial.size(); i++)
			h.dims[i] = sizes[spatial.get(i)];

		h.spacing = new double[] { 1, 1, 1 };
		h.direction = new double[9];
		h.origin = new double[3];
		if (haveVectors) {
			for (int i = 0; i < spatial.size(); i++) {
				final double[] v = vectors[spatial.get(i)];
				final double n = PatientFrames.norm(v);
				if (!(n > 0) || !Double.isFinite(n)) throw new VolumeFormatException(file,
					"the space direction of axis " + spatial.get(i) +
						" has zero or non-finite length; voxel spacing must be positive");
				h.spacing[i] = n;
				for (int r = 0; r < v.length; r++)
					h.direction[3 * r + i] = v[r] / n;
			}
			// A 2D image becomes one slice whose z axis is normal to it.
			for (int i = spatial.size(); i < 3; i++)
				if (i == 2) PatientFrames.completeThirdAxis(h.direction);
				else h.direction[3 * i + i] = 1;
		}
		else {
			h.direction = Volume.identity();
			if (f.containsKey("spacings")) {
				final String[] parts = f.get("spacings").trim().split("\\s+");
				if (parts.length != dimension) throw new VolumeFormatException(file, "'spacings: " + f.get(
					"spacings") + "' lists " + parts.length + " values but 'dimension' is " + dimension);
				for (int i = 0; i < spatial.size(); i++) {
					final double s;
					try {
						s = Double.parseDouble(parts[spatial.get(i)]);
					}
					catch (final NumberFormatException e) {
						throw new VolumeFormatException(file, "'spacings: " + f.get("spacings") +
							"' is not a list of numbers");
					}
					// The spec lets a spacing be NaN (unknown) or negative; neither places voxels in mm.
					if (!(s > 0) || !Double.isFinite(s)) throw new VolumeFormatException(file, "'spacings: " + f
						.get("spacings") + "' gives axis " + spatial.get(i) + " the spacing " + parts[spatial.get(
							i)] + "; every spatial axis needs a positive, finite spacing in mm");
					h.spacing[i] = s;
				}
			}
		}
		if (f.containsKey("space origin")) {
			final Matcher m = VECTOR.matcher(f.get("space origin"));
			if (!m.find() || m.group(1) == null) throw new VolumeFormatException(file, "'space origin: " +
				f.get("space origin") + "' is not a vector such as (0,0,0)");
			final double[] o = TextHeaders.numbers(m.group(1), file, "space origin");
			if (o.length != spaceDim) throw new VolumeFormatException(file, "'space origin' has " +
				o.length + " components but the space has " + spaceDim);
			for (int r = 0; r < o.length; r++)
				h.origin[r] = o[r];
			for (final double v : h.origin)
				if (!Double.isFinite(v)) throw new VolumeFormatException(file, "'space origin' is not finite: " +
					f.get("space origin"));
		}
		if (lps) PatientFrames.lpsToRas(h.direction, h.origin);
		else if (flipXOnly) {
			for (int c = 0; c < 3; c++)
				h.direction[c] = -h.direction[c];
			h.origin[0] = -h.origin[0];
		}
		return h;
	}

	private static boolean isAscii(final String encoding) {
		return encoding.equals("ascii") || encoding.equals("text") || encoding.equals("txt");
	}

	private static String require(final Map<String, String> f, final String key, final Path file)
		throws VolumeFormatException
	{
		final String v = f.get(key);
		if (v == null || v.isBlank()) throw new VolumeFormatException(file,
			"the NRRD header has no '" + key + ":' field, which every NRRD file needs");
		return v;
	}

	private static long skip(final String v, final Path file, final String field)
		throws VolumeFormatException
	{
		try {
			final long n = Long.parseLong(v.trim());
			if (n < 0) throw new NumberFormatException();
			return n;
		}
		catch (final NumberFormatException e) {
			throw new VolumeFormatException(file, "'" + field + ": " + v +
				"' is not a non-negative whole number");
		}
	}

	/** All NRRD spellings of the scalar types, see the NRRD format specification. */
	static VoxelType type(final String name, final Path file) throws VolumeFormatException {
		final String t = TextHeaders.lower(name).replaceAll("\\s+", " ");
		switch (t) {
			case "signed char", "int8", "int8_t":
				return VoxelType.INT8;
			case "uchar", "unsigned char", "uint8", "uint8_t":
				return VoxelType.UINT8;
			case "short", "short int", "signed short", "signed short int", "int16", "int16_t":
				return VoxelType.INT16;
			case "ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t":
				return VoxelType.UINT16;
			case "int", "signed int", "int32", "int32_t":
				return VoxelType.INT32;
			case "uint", "unsigned int", "uint32", "uint32_t":
				return VoxelType.UINT32;
			case "longlong", "long long", "long long int", "signed long long", "signed long long int",
				"int64", "int64_t":
				return VoxelType.INT64;
			case "float":
				return VoxelType.FLOAT32;
			case "double":
				return VoxelType.FLOAT64;
			case "ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t":
				throw new VolumeFormatException(file,
					"type '" + name + "' (unsigned 64-bit) is not supported; convert the volume to int64, int32 or float");
			case "block":
				throw new VolumeFormatException(file, "type 'block' holds opaque records, not voxel values");
			default:
				throw new VolumeFormatException(file, "type '" + name +
					"' is not a NRRD scalar type (e.g. uchar, short, ushort, int, float, double)");
		}
	}

	private static Volume readData(final InputStream raw, final Path dataFile, final Path header,
		final Header h, final ReadOptions opt) throws IOException
	{
		final long[] count = { 0 };
		for (long i = 0; i < h.lineSkip; i++)
			if (TextHeaders.readLine(raw, dataFile, count) == null) throw new VolumeFormatException(
				dataFile, "truncated: 'line skip: " + h.lineSkip + "' skips past the end of the file");
		InputStream in = raw;
		final long n = h.dims[0] * h.dims[1] * h.dims[2];
		final boolean gzip = h.encoding.equals("gzip") || h.encoding.equals("gz");
		// An upper bound on the bytes the data can deliver, checked before anything is allocated.
		final long fileBytes = Files.size(dataFile);
		final long available = gzip ? RawData.decompressedBound(fileBytes) : fileBytes;
		if (gzip) {
			try {
				in = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
			}
			catch (final java.util.zip.ZipException | java.io.EOFException e) {
				throw new VolumeFormatException(dataFile,
					"the header says gzip encoding but the data is not gzip-compressed (" + e.getMessage() +
						")", e);
			}
		}
		if (h.byteSkip == -1) {
			// The data are the last bytes of the (raw) data file, whatever precedes them.
			final long size = Files.size(dataFile);
			final long need = n * h.type.bytes;
			if (size < need) throw truncated(dataFile, need, size);
			in = new BufferedInputStream(Files.newInputStream(dataFile), 1 << 16);
			TextHeaders.skipFully(in, size - need, dataFile, "'byte skip: -1'");
		}
		else TextHeaders.skipFully(in, h.byteSkip, dataFile, "'byte skip'");
		if (isAscii(h.encoding)) {
			// Each value takes a digit and a separator, but for the last.
			if (n > (available + 1) / 2) throw new VolumeFormatException(dataFile, String.format(Locale.ROOT,
				"truncated: the header promises %d ASCII values (%s) but the file's %d bytes hold at most %d",
				n, Volume.formatDims(h.dims), available, (available + 1) / 2));
			in = asciiToBinary(in, dataFile, h, n, opt);
		}
		final RandomAccessibleInterval<? extends RealType<?>> img;
		try {
			img = RawData.read(in, dataFile, h.type, h.order, h.dims, 1, 0, opt, isAscii(h.encoding)
				? Long.MAX_VALUE : available, gzip);
			if (gzip) RawData.verifyCompressedEnd(in, dataFile);
		}
		catch (final java.util.zip.ZipException e) {
			throw new VolumeFormatException(dataFile, "corrupt gzip data (" + e.getMessage() + ")", e);
		}
		finally {
			if (in != raw && h.byteSkip == -1) in.close();
		}
		return RawData.volume(header, img, h.spacing, h.origin, h.direction, null, h.type);
	}

	private static VolumeFormatException truncated(final Path file, final long need,
		final long have)
	{
		return new VolumeFormatException(file, String.format(Locale.ROOT,
			"truncated: the header promises %d bytes of voxel data but the file holds %d; the file is incomplete or its header lies about the sizes or type",
			need, have));
	}

	/** Parses ASCII voxel values into the binary layout that {@link RawData} decodes. */
	private static InputStream asciiToBinary(final InputStream in, final Path file, final Header h,
		final long n, final ReadOptions opt) throws IOException
	{
		opt.checkFits(file, h.dims, n, 2 * h.type.bytes);
		if (n * h.type.bytes > Integer.MAX_VALUE - 8) throw new VolumeFormatException(file, "dimensions " + Volume
			.formatDims(h.dims) + " are too large for ASCII encoding (more than 2 GiB of " + h.type.label() +
			" values); re-save the volume with raw or gzip encoding");
		final ByteBuffer bb = ByteBuffer.allocate((int) (n * h.type.bytes)).order(h.order);
		final java.util.Scanner sc = new java.util.Scanner(in, "ISO-8859-1").useDelimiter("[\\s,]+")
			.useLocale(Locale.ROOT);
		for (long i = 0; i < n; i++) {
			if (!sc.hasNext()) throw new VolumeFormatException(file, "truncated: the header promises " + n +
				" ASCII values but the file holds " + i);
			final String tok = sc.next();
			final double v;
			try {
				v = Double.parseDouble(tok);
			}
			catch (final NumberFormatException e) {
				throw new VolumeFormatException(file, "ASCII value " + (i + 1) + " is '" + tok +
					"', not a number");
			}
			if (h.type != VoxelType.FLOAT32 && h.type != VoxelType.FLOAT64 && !(v == Math.rint(v) && v >= h.type
				.min() && v <= h.type.max())) throw new VolumeFormatException(file, "ASCII value " + (i + 1) +
					" is '" + tok + "', which type " + h.type.label() + " cannot hold (" + h.type.rangeText() +
					"); the header's type is wrong or the value is damaged");
			switch (h.type) {
				case UINT8, INT8 -> bb.put((byte) (long) v);
				case INT16, UINT16 -> bb.putShort((short) (long) v);
				case INT32, UINT32 -> bb.putInt((int) (long) v);
				case INT64 -> bb.putLong((long) v);
				case FLOAT32 -> bb.putFloat((float) v);
				case FLOAT64 -> bb.putDouble(v);
			}
		}
		return new ByteArrayInputStream(bb.array());
	}
}
