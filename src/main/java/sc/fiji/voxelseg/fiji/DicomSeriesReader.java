package sc.fiji.voxelseg.fiji;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import ij.ImagePlus;
import ij.Prefs;
import ij.io.FileInfo;
import ij.plugin.DICOM;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.PatientFrames;
import sc.fiji.voxelseg.io.ReadOptions;
import sc.fiji.voxelseg.io.VolumeFormatException;
import sc.fiji.voxelseg.io.VolumeReader;

/**
 * Reads a DICOM series folder (one slice per file) as a float32 volume, decoding each file with
 * ImageJ's {@link DICOM}.
 * <p>
 * <b>What it takes:</b> a folder whose DICOM files (name ending in {@code .dcm}, or the
 * {@code DICM} marker at byte 128) all belong to one series; other files and {@code DICOMDIR} are
 * ignored. A single DICOM file is read as a one-slice volume (its folder is <em>not</em> searched
 * for the rest of the series: pass the folder for that).
 * <p>
 * <b>Values</b> are {@code stored * RescaleSlope + RescaleIntercept} (Hounsfield units for CT),
 * applied per slice to the stored integers. ImageJ shifts signed 16-bit data by 32768 (undone
 * here), and its own rescaling to 32-bit is switched off while a slice is decoded.
 * <p>
 * <b>Geometry:</b> x runs along a row (increasing column index, the row cosine of
 * ImageOrientationPatient), y down the columns (the column cosine), z along the slice normal
 * {@code row × column}. Slices are sorted by ImagePositionPatient projected on that normal, so z
 * increases with that projection whatever the file names or InstanceNumbers. Spacing is
 * {@code PixelSpacing[1]} (between columns) for x, {@code PixelSpacing[0]} (between rows) for y,
 * and the median distance between consecutive slices for z (SpacingBetweenSlices, else
 * SliceThickness, else 1 mm for one slice). Origin is the first sorted slice's position. DICOM's
 * LPS+ is converted to RAS+.
 * <p>
 * <b>Refused</b> with a message naming the problem: several series in one folder, slices with
 * other sizes, orientations or pixel spacings, duplicate positions, missing slices (a step more
 * than 10% off the median), slices stacked obliquely to their normal (gantry tilt), multi-frame
 * and colour files.
 */
public final class DicomSeriesReader implements VolumeReader {

	/** Relative deviation of a slice step from the median step that counts as a missing slice. */
	static final double GAP_TOLERANCE = 0.10;

	/** Guards the ImageJ preferences changed while a slice is decoded. */
	private static final Object PREFS_LOCK = new Object();

	@Override
	public String name() {
		return "DICOM";
	}

	@Override
	public boolean accepts(final Path path, final byte[] head) {
		if (Files.isDirectory(path)) {
			try (Stream<Path> s = Files.list(path)) {
				return s.filter(Files::isRegularFile).limit(64).anyMatch(DicomSeriesReader::isDicomFile);
			}
			catch (final IOException e) {
				return false;
			}
		}
		return hasDicomName(path) || hasMarker(head);
	}

	private static boolean hasDicomName(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		return n.endsWith(".dcm") || n.endsWith(".dicom");
	}

	private static boolean hasMarker(final byte[] head) {
		return head != null && head.length >= 132 && new String(head, 128, 4,
			StandardCharsets.ISO_8859_1).equals("DICM");
	}

	/** A slice file: a DICOM name or the DICM marker; DICOMDIR and hidden files are not slices. */
	static boolean isDicomFile(final Path p) {
		final String n = p.getFileName().toString();
		if (n.startsWith(".") || n.equalsIgnoreCase("DICOMDIR")) return false;
		if (hasDicomName(p)) return true;
		try (InputStream in = Files.newInputStream(p)) {
			return hasMarker(in.readNBytes(132));
		}
		catch (final IOException e) {
			return false;
		}
	}

	/** The header fields of one slice file that the series needs. */
	private static final class Slice {

		Path file;
		String series;
		int rows, cols, frames;
		double[] position, orientation, pixelSpacing;
		double slope = 1, intercept, thickness, between;
		double along; // position projected on the slice normal (mm)
	}

	/**
	 * Reads a series folder (or one DICOM file as one slice) as float32 values
	 * ({@code stored * slope + intercept}, HU for CT), x fastest, with spacing in mm and origin
	 * and direction in RAS+.
	 */
	@Override
	public Volume read(final Path path, final ReadOptions opt) throws IOException {
		final List<Path> files;
		if (Files.isDirectory(path)) {
			try (Stream<Path> s = Files.list(path)) {
				files = s.filter(Files::isRegularFile).filter(DicomSeriesReader::isDicomFile).sorted()
					.collect(Collectors.toList());
			}
			if (files.isEmpty()) throw new VolumeFormatException(path,
				"holds no DICOM files (names ending in .dcm, or files with the DICM marker)");
		}
		else if (Files.isRegularFile(path)) files = List.of(path);
		else throw new VolumeFormatException(path, "no such file or folder");

		final List<Slice> slices = new ArrayList<>();
		for (final Path f : files)
			slices.add(header(f));
		checkOneSeries(path, slices);
		final Slice ref = slices.get(0);
		for (final Slice s : slices) {
			if (s.frames > 1) throw new VolumeFormatException(s.file, "holds " + s.frames +
				" frames (an enhanced multi-frame file); VoxelSeg reads series of single-frame files: convert it (e.g. with dcm2niix) first");
			if (s.rows != ref.rows || s.cols != ref.cols) throw new VolumeFormatException(path,
				"slices differ in size: " + ref.file.getFileName() + " has " + ref.cols + "×" + ref.rows +
					" pixels but " + s.file.getFileName() + " has " + s.cols + "×" + s.rows +
					"; remove the files that do not belong to the series");
			for (int i = 0; i < 6; i++)
				if (Math.abs(s.orientation[i] - ref.orientation[i]) > 1e-4) throw new VolumeFormatException(
					path, "slices differ in orientation: " + ref.file.getFileName() + " has " + Arrays
						.toString(ref.orientation) + " but " + s.file.getFileName() + " has " + Arrays
							.toString(s.orientation) +
						" (a localizer or a radial acquisition?); keep only the parallel slices of one stack");
			for (int i = 0; i < 2; i++)
				if (Math.abs(s.pixelSpacing[i] - ref.pixelSpacing[i]) > 1e-4 * ref.pixelSpacing[i])
					throw new VolumeFormatException(path, "slices differ in pixel spacing: " + ref.file
						.getFileName() + " has " + Arrays.toString(ref.pixelSpacing) + " mm but " + s.file
							.getFileName() + " has " + Arrays.toString(s.pixelSpacing) + " mm");
		}

		// Axes in LPS: x along a row, y along a column, z the slice normal.
		final double[] row = Arrays.copyOfRange(ref.orientation, 0, 3);
		final double[] col = Arrays.copyOfRange(ref.orientation, 3, 6);
		final double[] normal = PatientFrames.cross(row, col);
		final double nn = PatientFrames.norm(normal);
		if (!(nn > 0.5)) throw new VolumeFormatException(ref.file, "ImageOrientationPatient " + Arrays
			.toString(ref.orientation) + " does not hold two perpendicular unit vectors");
		for (int r = 0; r < 3; r++)
			normal[r] /= nn;
		for (final Slice s : slices)
			s.along = dot(normal, s.position);
		slices.sort(Comparator.comparingDouble(s -> s.along));
		final double dz = sliceSpacing(path, slices, normal);

		final int w = ref.cols, h = ref.rows, d = slices.size();
		final long[] dims = { w, h, d };
		final long n = (long) w * h * d;
		opt.checkFits(path, dims, n, 4);
		final float[] data = new float[(int) n];
		for (int z = 0; z < d; z++)
			pixels(slices.get(z), data, (long) z * w * h);
		if (!opt.allowNonFinite()) for (int i = 0; i < data.length; i++)
			if (!Float.isFinite(data[i])) throw new VolumeFormatException(slices.get(i / (w * h)).file,
				"holds NaN or infinite values after rescaling; check RescaleSlope and RescaleIntercept");

		final double[] dir = new double[9];
		for (int r = 0; r < 3; r++) {
			dir[3 * r] = row[r];
			dir[3 * r + 1] = col[r];
			dir[3 * r + 2] = normal[r];
		}
		final double[] origin = slices.get(0).position.clone();
		PatientFrames.lpsToRas(dir, origin);
		final double[] spacing = { ref.pixelSpacing[1], ref.pixelSpacing[0], dz };
		return sc.fiji.voxelseg.io.RawData.volume(path, net.imglib2.img.array.ArrayImgs.floats(data, dims), spacing,
			origin, dir, null, sc.fiji.voxelseg.image.VoxelType.FLOAT32);
	}

	private static double dot(final double[] a, final double[] b) {
		return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
	}

	private static void checkOneSeries(final Path folder, final List<Slice> slices)
		throws VolumeFormatException
	{
		final Map<String, Integer> count = new LinkedHashMap<>();
		for (final Slice s : slices)
			count.merge(s.series, 1, Integer::sum);
		if (count.size() <= 1) return;
		final String list = count.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() +
			(e.getValue() == 1 ? " file)" : " files)")).collect(Collectors.joining(", "));
		throw new VolumeFormatException(folder, "holds " + count.size() +
			" series (SeriesInstanceUID " + list +
			"); put each series in its own folder and read one folder per series");
	}

	/**
	 * The slice spacing (mm): the median step between sorted positions. Fails on duplicate
	 * positions, on a step more than {@link #GAP_TOLERANCE} off the median (missing slices) and on
	 * steps that are not along the normal (gantry tilt).
	 */
	private static double sliceSpacing(final Path folder, final List<Slice> s, final double[] normal)
		throws VolumeFormatException
	{
		if (s.size() == 1) {
			final Slice a = s.get(0);
			return a.between > 0 ? a.between : a.thickness > 0 ? a.thickness : 1;
		}
		final double[] steps = new double[s.size() - 1];
		for (int i = 0; i < steps.length; i++) {
			steps[i] = s.get(i + 1).along - s.get(i).along;
			if (steps[i] < 1e-3) throw new VolumeFormatException(folder, String.format(Locale.ROOT,
				"%s and %s lie at the same position (%.3f mm along the slice normal); the folder holds duplicate slices or two acquisitions of one series: keep one",
				s.get(i).file.getFileName(), s.get(i + 1).file.getFileName(), s.get(i).along));
		}
		final double[] sorted = steps.clone();
		Arrays.sort(sorted);
		final double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2] : 0.5 *
			(sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]);
		for (int i = 0; i < steps.length; i++)
			if (Math.abs(steps[i] - median) > GAP_TOLERANCE * median) throw new VolumeFormatException(
				folder, String.format(Locale.ROOT,
					"slices are not evenly spaced: %s (at %.3f mm) and %s (at %.3f mm) are %.3f mm apart where the series steps %.3f mm%s; the series is incomplete or mixes stacks",
					s.get(i).file.getFileName(), s.get(i).along, s.get(i + 1).file.getFileName(), s.get(
						i + 1).along, steps[i], median, steps[i] > median ? " (" + (Math.round(steps[i] /
							median) - 1) + " slice(s) missing?)" : ""));
		// Stack direction must be the normal: a sheared (gantry-tilted) stack has no orthonormal grid.
		final Slice first = s.get(0), last = s.get(s.size() - 1);
		final double[] delta = new double[3];
		for (int r = 0; r < 3; r++)
			delta[r] = last.position[r] - first.position[r];
		final double along = dot(delta, normal);
		final double[] lateral = new double[3];
		for (int r = 0; r < 3; r++)
			lateral[r] = delta[r] - along * normal[r];
		if (PatientFrames.norm(lateral) > Math.max(0.02 * Math.abs(along), 0.1 * Math.min(
			first.pixelSpacing[0], first.pixelSpacing[1]))) throw new VolumeFormatException(folder,
				"the slices are stacked obliquely to their own plane (gantry tilt or a sheared acquisition); resample the series to a regular grid first (e.g. with dcm2niix)");
		return median;
	}

	/** Value representations ImageJ reads with a 4-byte length after 2 reserved bytes. */
	private static final java.util.Set<String> LONG_VR = java.util.Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC",
		"UN", "UR", "UT", "UV");

	/** Value representations ImageJ reads with a 2-byte length; any other pair of bytes means implicit VR. */
	private static final java.util.Set<String> SHORT_VR = java.util.Set.of("??", "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD",
		"FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US");

	/**
	 * Walks the file's data elements the way ImageJ's DICOM decoder will (element by element from
	 * byte 132 or 0, the value representation recognised per element, into sequences and items,
	 * little endian until a big-endian transfer syntax's first group 0008, up to the pixel data),
	 * and refuses a file where an element claims more bytes than remain, before that decoder
	 * allocates what the length claims: a few damaged bytes can claim gigabytes. Reads at most
	 * the file itself.
	 */
	static void checkElementLengths(final Path f) throws VolumeFormatException {
		final byte[] b;
		try {
			b = Files.readAllBytes(f);
		}
		catch (final IOException e) {
			throw new VolumeFormatException(f, "cannot be read (" + e.getMessage() + ")", e);
		}
		int pos = b.length >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M' ? 132 : 0;
		boolean big = false, bigSyntax = false, odd = false;
		while (pos + 8 <= b.length) {
			if (!big && bigSyntax && u16(b, pos, false) == 0x0800) big = true;
			final int group = u16(b, pos, big), elem = u16(b, pos + 2, big);
			final String written = new String(b, pos + 4, 2, StandardCharsets.ISO_8859_1);
			final int header;
			long len;
			final String vr;
			if (LONG_VR.contains(written) || SHORT_VR.contains(written)) vr = written;
			else { // implicit VR: ImageJ takes it from its dictionary, "--" for a tag it does not know
				final String d = dictionaryVr(group << 16 | elem);
				vr = d != null ? d : "--";
			}
			if (LONG_VR.contains(written)) {
				if (pos + 12 > b.length) throw tooLong(f, group, elem, 12, b.length - pos - 8);
				header = 12;
				len = u32(b, pos + 8, big);
			}
			else if (SHORT_VR.contains(written)) {
				header = 8;
				len = u16(b, pos + 6, big);
			}
			else {
				header = 8;
				len = u32(b, pos + 4, big);
			}
			if (len == 13 && !odd) len = 10; // as ImageJ reads it
			checkValueLength(f, group, elem, vr, len);
			if (((pos + header) & 1) != 0) odd = true;
			final boolean undefined = len == 0xFFFFFFFFL;
			if (!undefined && len > (long) b.length - pos - header) throw tooLong(f, group, elem, len, (long) b.length - pos -
				header);
			if (group == 0x0002 && elem == 0x0010) {
				final String syntax = new String(b, pos + header, (int) len, StandardCharsets.ISO_8859_1).replace("\0", "").trim();
				bigSyntax = syntax.equals("1.2.840.10008.1.2.2");
				if (syntax.equals("1.2.840.10008.1.2.1.99")) throw new VolumeFormatException(f,
					"uses the deflated transfer syntax, which ImageJ cannot read; decompress the series first (e.g. gdcmconv --raw)");
			}
			if (group == 0x7FE0 && elem == 0x0010 && undefined) throw new VolumeFormatException(f,
				"holds compressed (encapsulated) pixel data, which ImageJ cannot read; decompress the series first (e.g. gdcmconv --raw, or dcmdjpeg)");
			if (group == 0x7FE0 && elem == 0x0010 && len != 0) return; // ImageJ stops decoding here
			// As ImageJ goes on: into items, into undefined lengths and into public sequences (a
			// private one, and the icon image sequence, it skips), over every other value.
			final boolean into = undefined || group == 0xFFFE || vr.equals("SQ") && (group & 1) == 0 && (group << 16 | elem) != 0x00880200;
			pos += header + (into ? 0 : (int) len);
		}
	}

	private static java.util.Properties imagejDictionary;

	/** The value representation ImageJ's DICOM dictionary gives a tag, or null (and null where it cannot be read). */
	private static synchronized String dictionaryVr(final int tag) {
		if (imagejDictionary == null) {
			try {
				final Class<?> c = Class.forName("ij.plugin.DicomDictionary");
				final var k = c.getDeclaredConstructor();
				k.setAccessible(true);
				final var m = c.getDeclaredMethod("getDictionary");
				m.setAccessible(true);
				imagejDictionary = (java.util.Properties) m.invoke(k.newInstance());
			}
			catch (final ReflectiveOperationException | RuntimeException e) {
				imagejDictionary = new java.util.Properties();
			}
		}
		final Object v = imagejDictionary.get(String.format(Locale.ROOT, "%08X", tag));
		return v instanceof String str && str.length() >= 2 ? str.substring(0, 2) : null;
	}

	/**
	 * The lengths the standard fixes: binary values come in whole numbers of their size, and the
	 * image attributes ImageJ reads as one 16-bit number hold exactly one. A damaged length here
	 * would make ImageJ read fewer bytes than the element holds and lose its place in the file.
	 */
	private static void checkValueLength(final Path f, final int group, final int elem, final String vr, final long len)
		throws VolumeFormatException
	{
		if (len == 0xFFFFFFFFL || group == 0xFFFE) return;
		final int unit = switch (vr) {
			case "US", "SS" -> 2;
			case "UL", "SL", "FL", "AT" -> 4;
			case "FD" -> 8;
			default -> 1;
		};
		final boolean oneShort = group == 0x0028 && (elem == 0x0002 || elem == 0x0006 || elem == 0x0010 || elem == 0x0011 ||
			elem == 0x0100 || elem == 0x0103);
		if (len % unit != 0 || (oneShort && len != 2)) throw new VolumeFormatException(f, String.format(Locale.ROOT,
			"damaged: element (%04X,%04X)%s has a value of %d bytes, where the DICOM standard needs %s", group, elem, SHORT_VR.contains(
				vr) || LONG_VR.contains(vr) ? " " + vr : "", len, oneShort ? "exactly 2" : "a multiple of " + unit));
	}

	private static VolumeFormatException tooLong(final Path f, final int group, final int elem, final long len, final long left) {
		return new VolumeFormatException(f, String.format(Locale.ROOT,
			"truncated or damaged: element (%04X,%04X) claims %d bytes but the file holds only %d more", group, elem, len, Math.max(0,
				left)));
	}

	private static int u16(final byte[] b, final int at, final boolean big) {
		return big ? (b[at] & 0xff) << 8 | b[at + 1] & 0xff : b[at] & 0xff | (b[at + 1] & 0xff) << 8;
	}

	private static long u32(final byte[] b, final int at, final boolean big) {
		return big ? (long) u16(b, at, true) << 16 | u16(b, at + 2, true) : u16(b, at, false) | (long) u16(b, at + 2, false) << 16;
	}

	private static Slice header(final Path f) throws VolumeFormatException {
		checkElementLengths(f);
		final String info;
		try {
			info = new DICOM().getInfo(f.toString());
		}
		catch (final RuntimeException e) {
			throw new VolumeFormatException(f, "ImageJ cannot parse this DICOM header (" + e + ")", e);
		}
		if (info == null || info.isEmpty()) throw new VolumeFormatException(f,
			"ImageJ cannot parse this DICOM header; the file is damaged or not DICOM");
		final Map<String, String> tags = tags(info);
		final Slice s = new Slice();
		s.file = f;
		s.series = tags.getOrDefault("0020,000E", "(no SeriesInstanceUID)");
		final String syntax = tags.getOrDefault("0002,0010", "1.2.840.10008.1.2").trim();
		if (!tags.containsKey("0028,0010") && !NATIVE_SYNTAXES.contains(syntax)) throw new VolumeFormatException(f,
			"ImageJ cannot read this file's compressed transfer syntax " + syntax +
				"; decompress the series first (e.g. gdcmconv --raw, or dcmdjpeg)");
		s.rows = (int) number(f, tags, "0028,0010", "Rows", Double.NaN);
		s.cols = (int) number(f, tags, "0028,0011", "Columns", Double.NaN);
		s.frames = (int) number(f, tags, "0028,0008", "NumberOfFrames", 1);
		s.position = numbers(f, tags, "0020,0032", "ImagePositionPatient", 3);
		s.orientation = numbers(f, tags, "0020,0037", "ImageOrientationPatient", 6);
		s.pixelSpacing = numbers(f, tags, "0028,0030", "PixelSpacing", 2);
		for (final double p : s.pixelSpacing)
			if (!(p > 0)) throw new VolumeFormatException(f, "PixelSpacing " + Arrays.toString(
				s.pixelSpacing) + " is not positive");
		s.slope = number(f, tags, "0028,1053", "RescaleSlope", 1);
		s.intercept = number(f, tags, "0028,1052", "RescaleIntercept", 0);
		if (s.slope == 0) s.slope = 1; // an empty or zero slope is a writer bug, not "all zero"
		s.thickness = number(f, tags, "0018,0050", "SliceThickness", 0);
		s.between = number(f, tags, "0018,0088", "SpacingBetweenSlices", 0);
		if (s.rows < 1 || s.cols < 1) throw new VolumeFormatException(f, "Rows " + s.rows + " and Columns " +
			s.cols + " must both be at least 1");
		if (s.frames < 1) s.frames = 1;
		checkPixelDataLength(f, tags, s);
		return s;
	}

	/** Transfer syntaxes whose pixel data are stored uncompressed, byte for byte. */
	private static final java.util.Set<String> NATIVE_SYNTAXES = java.util.Set.of("1.2.840.10008.1.2",
		"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2");

	/**
	 * Refuses, before any pixel is decoded or allocated, a file whose uncompressed pixel data are
	 * shorter than Rows × Columns × frames × samples × bytes: ImageJ would fill the rest with zeros.
	 */
	private static void checkPixelDataLength(final Path f, final Map<String, String> tags, final Slice s)
		throws VolumeFormatException
	{
		final String offset = tags.get("7FE0,0010");
		if (offset == null) throw new VolumeFormatException(f,
			"has no Pixel Data (7FE0,0010); it is not an image (a structured report, a presentation state?)");
		final String syntax = tags.getOrDefault("0002,0010", "1.2.840.10008.1.2").trim();
		if (!NATIVE_SYNTAXES.contains(syntax)) return; // compressed: the decoder sees the stream's end
		final long at;
		try {
			at = Long.parseLong(offset.trim());
		}
		catch (final NumberFormatException e) {
			return; // ImageJ gave no offset: nothing to check against
		}
		final long bits = (long) number(f, tags, "0028,0100", "BitsAllocated", 16);
		final long samples = (long) number(f, tags, "0028,0002", "SamplesPerPixel", 1);
		if (bits < 1 || bits > 64 || samples < 1 || samples > 4) throw new VolumeFormatException(f,
			"BitsAllocated " + bits + " and SamplesPerPixel " + samples + " are not a pixel format");
		final long need = (long) s.rows * s.cols * s.frames * samples * ((bits + 7) / 8);
		final long have;
		try {
			have = Files.size(f) - at;
		}
		catch (final IOException e) {
			throw new VolumeFormatException(f, "cannot be read (" + e.getMessage() + ")", e);
		}
		if (have < need) throw new VolumeFormatException(f, String.format(Locale.ROOT,
			"truncated: Rows %d × Columns %d%s × %d bytes promise %d bytes of pixel data but the file holds %d after the Pixel Data tag; the file is incomplete or its header lies about the image size",
			s.rows, s.cols, s.frames > 1 ? " × " + s.frames + " frames" : "", samples * ((bits + 7) / 8), need,
			Math.max(0, have)));
	}

	/** Top-level tags of ImageJ's info text: lines {@code "GGGG,EEEE  Name: value"}. */
	static Map<String, String> tags(final String info) {
		final Map<String, String> m = new LinkedHashMap<>();
		for (final String line : info.split("\n")) {
			if (line.length() < 11 || line.charAt(4) != ',') continue;
			final String tag = line.substring(0, 9).toUpperCase(Locale.ROOT);
			if (!tag.matches("[0-9A-F]{4},[0-9A-F]{4}")) continue;
			final int colon = line.indexOf(": ", 9);
			m.putIfAbsent(tag, colon < 0 ? "" : line.substring(colon + 2).trim());
		}
		return m;
	}

	private static double number(final Path f, final Map<String, String> tags, final String tag,
		final String name, final double fallback) throws VolumeFormatException
	{
		final String v = tags.get(tag);
		if (v == null || v.isEmpty()) {
			if (Double.isNaN(fallback)) throw new VolumeFormatException(f, "has no " + name + " (" + tag +
				")");
			return fallback;
		}
		try {
			return Double.parseDouble(v.split("\\\\")[0].trim());
		}
		catch (final NumberFormatException e) {
			throw new VolumeFormatException(f, name + " (" + tag + ") is '" + v + "', not a number");
		}
	}

	private static double[] numbers(final Path f, final Map<String, String> tags, final String tag,
		final String name, final int n) throws VolumeFormatException
	{
		final String v = tags.get(tag);
		if (v == null || v.isEmpty()) throw new VolumeFormatException(f, "has no " + name + " (" + tag +
			"); VoxelSeg needs it to place the slice in the patient (a secondary capture or a scout image?)");
		final String[] parts = v.split("\\\\");
		if (parts.length != n) throw new VolumeFormatException(f, name + " (" + tag + ") is '" + v +
			"'; it needs " + n + " values");
		final double[] out = new double[n];
		for (int i = 0; i < n; i++) {
			try {
				out[i] = Double.parseDouble(parts[i].trim());
			}
			catch (final NumberFormatException e) {
				throw new VolumeFormatException(f, name + " (" + tag + ") is '" + v + "', not numbers");
			}
			if (!Double.isFinite(out[i])) throw new VolumeFormatException(f, name + " (" + tag + ") is '" +
				v + "', not finite");
		}
		return out;
	}

	/** Decodes one slice with ImageJ and writes {@code stored * slope + intercept} into {@code out}. */
	private static void pixels(final Slice s, final float[] out, final long offset)
		throws VolumeFormatException
	{
		final DICOM dicom = new DICOM();
		// With a slope other than 1 (or "open as float"), ImageJ converts to 32-bit and rescales
		// through IJ.run, which throws HeadlessException in headless runs and mixes its
		// rescaling with ours. These preferences keep the stored values; ours come after.
		synchronized (PREFS_LOCK) {
			final boolean ignore = Prefs.ignoreRescaleSlope, asFloat = Prefs.openDicomsAsFloat;
			try {
				Prefs.ignoreRescaleSlope = true;
				Prefs.openDicomsAsFloat = false;
				dicom.open(s.file.toString());
			}
			catch (final RuntimeException e) {
				throw new VolumeFormatException(s.file, "ImageJ cannot decode this DICOM file (" + e + "); the file is damaged", e);
			}
			finally {
				Prefs.ignoreRescaleSlope = ignore;
				Prefs.openDicomsAsFloat = asFloat;
			}
		}
		if (dicom.getWidth() == 0 || dicom.getProcessor() == null) throw new VolumeFormatException(
			s.file,
			"ImageJ cannot decode the pixels of this DICOM file (a compressed transfer syntax such as JPEG 2000?); decompress the series first (e.g. gdcmconv --raw)");
		if (dicom.getWidth() != s.cols || dicom.getHeight() != s.rows) throw new VolumeFormatException(
			s.file, "ImageJ decoded " + dicom.getWidth() + "×" + dicom.getHeight() +
				" pixels but the header says " + s.cols + "×" + s.rows);
		if (dicom.getStackSize() > 1) throw new VolumeFormatException(s.file, "holds " + dicom
			.getStackSize() + " frames; VoxelSeg reads series of single-frame files");
		final ImageProcessor ip = dicom.getProcessor();
		final FileInfo fi = dicom.getOriginalFileInfo();
		final int n = s.rows * s.cols;
		final int o = (int) offset;
		if (ip instanceof ShortProcessor sp) {
			// ImageJ stores signed 16-bit data shifted by +32768 (file type GRAY16_SIGNED).
			final int shift = fi != null && fi.fileType == FileInfo.GRAY16_SIGNED ? 32768 : 0;
			final short[] px = (short[]) sp.getPixels();
			for (int i = 0; i < n; i++)
				out[o + i] = (float) (((px[i] & 0xffff) - shift) * s.slope + s.intercept);
		}
		else if (ip instanceof ByteProcessor bp) {
			final byte[] px = (byte[]) bp.getPixels();
			for (int i = 0; i < n; i++)
				out[o + i] = (float) ((px[i] & 0xff) * s.slope + s.intercept);
		}
		else if (ip instanceof FloatProcessor fp) { // 32-bit integer or float stored values
			final float[] px = (float[]) fp.getPixels();
			for (int i = 0; i < n; i++)
				out[o + i] = (float) (px[i] * s.slope + s.intercept);
		}
		else throw new VolumeFormatException(s.file, "holds colour pixels (" + dicom.getBitDepth() +
			"-bit RGB); VoxelSeg reads greyscale CT and MR series");
	}
}
