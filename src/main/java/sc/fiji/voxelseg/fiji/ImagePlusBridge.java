package sc.fiji.voxelseg.fiji;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import ij.ImagePlus;
import ij.ImageStack;
import ij.VirtualStack;
import ij.measure.Calibration;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.converter.Converters;
import net.imglib2.img.basictypeaccess.array.ByteArray;
import net.imglib2.img.basictypeaccess.array.FloatArray;
import net.imglib2.img.basictypeaccess.array.ShortArray;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.ShortType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.util.Fraction;
import net.imglib2.view.Views;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.util.Json;

/**
 * Converts between ImageJ 1.x {@link ImagePlus} stacks and VoxelSeg {@link Volume}s.
 * <p>
 * <b>Axes:</b> ImagePlus width, height and slice are the volume's x, y and z (slice 1 is z = 0).
 * No axis is flipped: the bridge does not reorient, it only carries geometry.
 * <p>
 * <b>Pixels are shared, not copied</b>, in {@link #toVolume}: the stack's plane arrays become the
 * planes of an ImgLib2 {@link PlanarImg}, so writing a voxel through the volume changes the
 * ImagePlus and vice versa. Exceptions: a {@link VirtualStack} is read plane by plane once (its
 * planes live on disk; writes do not go back), and calibrated 16-bit images are exposed through a
 * read-only converting view (see below) over the shared planes.
 * <p>
 * <b>Signed 16-bit and linear calibrations.</b> ImageJ stores signed 16-bit data (DICOM, NIfTI
 * int16) as unsigned raw values {@code raw = value + 32768} and attaches the calibration function
 * {@code STRAIGHT_LINE} with coefficients {@code [-32768, 1]} ({@link Calibration#isSigned16Bit()}).
 * For such images the volume holds the calibrated values: a {@link ShortType} view
 * ({@code raw - 32768}, voxel type int16). Any other straight-line calibration {@code a + b·raw} on
 * an 8- or 16-bit image (DICOM CT rescale slope/intercept, giving HU) becomes a {@link FloatType}
 * view (voxel type float32). Both views are made with {@link Converters#convert} and do not copy;
 * they are read-only.
 * <p>
 * <b>Spacing</b> comes from {@link Calibration#pixelWidth}, {@code pixelHeight} and
 * {@code pixelDepth}, converted to mm from each axis' unit: nm, µm (also "um", "micron"), mm, cm,
 * m, inch. An uncalibrated image (unit "pixel", "pixels" or empty) is taken as 1 unit = 1 mm, so
 * an uncalibrated stack gets 1×1×1 mm voxels. Other units are refused with a message.
 * <p>
 * <b>Origin</b>: ImageJ's {@code xOrigin}, {@code yOrigin}, {@code zOrigin} are in pixels, with the
 * opposite sign: the world origin (mm) is {@code -xOrigin · pixelWidth} (and so on). The direction
 * is the identity, unless the ImagePlus carries the property {@value #GEOMETRY_PROPERTY} written by
 * {@link #toImagePlus}: then origin and direction come from it, so oblique geometry survives a
 * round trip. The property is ignored when the calibration's spacing or the dimensions no longer
 * match it (the image was resampled or recalibrated in ImageJ since).
 * <p>
 * <b>Label maps</b>: {@link #toImagePlus} writes the class table into the property
 * {@value #CLASSES_PROPERTY}; {@link #toVolume} gives back a label map with that table.
 */
public final class ImagePlusBridge {

	/** ImagePlus property holding origin, direction and spacing as JSON. */
	public static final String GEOMETRY_PROPERTY = "voxelseg.geometry";
	/** ImagePlus property holding the class table of a label map as JSON. */
	public static final String CLASSES_PROPERTY = "voxelseg.classes";

	private static final double SIGNED_16_OFFSET = -32768;

	private ImagePlusBridge() {}

	// -- ImagePlus -> Volume --

	/**
	 * Wraps {@code imp} as a volume without copying (see the class documentation).
	 *
	 * @throws IllegalArgumentException for RGB images, hyperstacks with several channels or time
	 *           frames, and spatial units the bridge cannot convert to mm
	 */
	public static Volume toVolume(final ImagePlus imp) {
		final String name = "image '" + imp.getTitle() + "'";
		final int channels = imp.getNChannels(), frames = imp.getNFrames();
		if (channels > 1 || frames > 1) throw new IllegalArgumentException(name + " has " +
			channels + " channel" + (channels == 1 ? "" : "s") + " and " + frames + " time frame" +
			(frames == 1 ? "" : "s") + "; VoxelSeg takes one 3D volume: split the channels " +
			"(Image > Color > Split Channels) or duplicate one channel and frame " +
			"(Image > Duplicate...) first, or fix the dimensions in Image > Properties");
		final int bitDepth = imp.getBitDepth();
		if (bitDepth == 24) throw new IllegalArgumentException(name +
			" is an RGB image; VoxelSeg needs a greyscale volume: convert it with " +
			"Image > Type > 8-bit or 32-bit, or split the colour channels first");
		final ImageStack stack = imp.getStack();
		final int w = imp.getWidth(), h = imp.getHeight(), d = stack.getSize();
		final long[] dims = { w, h, d };
		final Object[] planes = new Object[d];
		for (int z = 0; z < d; z++)
			planes[z] = stack.getPixels(z + 1); // a VirtualStack reads the plane here, once

		final Calibration cal = imp.getCalibration();
		final RandomAccessibleInterval<? extends RealType<?>> img;
		final VoxelType type;
		switch (bitDepth) {
			case 8: {
				final List<ByteArray> list = new ArrayList<>(d);
				for (final Object p : planes)
					list.add(new ByteArray((byte[]) p));
				final PlanarImg<UnsignedByteType, ByteArray> raw = new PlanarImg<>(list, dims,
					new Fraction());
				raw.setLinkedType(new UnsignedByteType(raw));
				final double[] ab = linearCalibration(cal);
				if (ab == null) {
					img = raw;
					type = VoxelType.UINT8;
				}
				else {
					img = linearView(raw, ab[0], ab[1]);
					type = VoxelType.FLOAT32;
				}
				break;
			}
			case 16: {
				final List<ShortArray> list = new ArrayList<>(d);
				for (final Object p : planes)
					list.add(new ShortArray((short[]) p));
				final PlanarImg<UnsignedShortType, ShortArray> raw = new PlanarImg<>(list, dims,
					new Fraction());
				raw.setLinkedType(new UnsignedShortType(raw));
				final double[] ab = linearCalibration(cal);
				if (ab == null) {
					img = raw;
					type = VoxelType.UINT16;
				}
				else if (ab[0] == SIGNED_16_OFFSET && ab[1] == 1) {
					// raw - 32768 always fits a short: the exact int16 values, no float rounding
					img = Converters.convert((RandomAccessibleInterval<UnsignedShortType>) raw, (a,
						b) -> b.set((short) (a.get() - 32768)), new ShortType());
					type = VoxelType.INT16;
				}
				else {
					img = linearView(raw, ab[0], ab[1]);
					type = VoxelType.FLOAT32;
				}
				break;
			}
			case 32: {
				final List<FloatArray> list = new ArrayList<>(d);
				for (final Object p : planes)
					list.add(new FloatArray((float[]) p));
				final PlanarImg<FloatType, FloatArray> raw = new PlanarImg<>(list, dims, new Fraction());
				raw.setLinkedType(new FloatType(raw));
				img = raw;
				type = VoxelType.FLOAT32;
				break;
			}
			default:
				throw new IllegalArgumentException(name + " has an unsupported bit depth " + bitDepth);
		}

		final double[] spacing = { cal.pixelWidth * mmPerUnit(cal.getXUnit(), name),
			cal.pixelHeight * mmPerUnit(cal.getYUnit(), name), cal.pixelDepth * mmPerUnit(cal
				.getZUnit(), name) };
		double[] origin = { -cal.xOrigin * spacing[0], -cal.yOrigin * spacing[1], -cal.zOrigin *
			spacing[2] };
		double[] direction = Volume.identity();
		final Geometry g = readGeometry(imp);
		if (g != null && g.matches(dims, spacing)) {
			origin = g.origin.clone();
			direction = g.direction.clone();
		}
		final ClassTable classes = readClasses(imp);
		return new Volume(img, spacing, origin, direction, classes, type);
	}

	/**
	 * The straight-line calibration {a, b} (value = a + b·raw) of an 8- or 16-bit image, or
	 * {@code null} when the values are the raw values.
	 */
	private static double[] linearCalibration(final Calibration cal) {
		if (cal.isSigned16Bit()) return new double[] { SIGNED_16_OFFSET, 1 };
		if (cal.getFunction() != Calibration.STRAIGHT_LINE) return null;
		final double[] c = cal.getCoefficients();
		if (c == null || c.length < 2 || (c[0] == 0 && c[1] == 1)) return null;
		return new double[] { c[0], c[1] };
	}

	private static <T extends RealType<T>> RandomAccessibleInterval<FloatType> linearView(
		final RandomAccessibleInterval<T> raw, final double a, final double b)
	{
		return Converters.convert(raw, (s, t) -> t.setReal(a + b * s.getRealDouble()),
			new FloatType());
	}

	/**
	 * Millimetres per one {@code unit}; "pixel", "pixels" and an empty unit count as 1 mm.
	 *
	 * @throws IllegalArgumentException for a unit the bridge does not know
	 */
	public static double mmPerUnit(final String unit, final String what) {
		final String u = unit == null ? "" : unit.trim().toLowerCase(Locale.ROOT);
		switch (u) {
			case "":
			case "pixel":
			case "pixels":
			case "mm":
			case "millimeter":
			case "millimetre":
			case "millimeters":
			case "millimetres":
				return 1;
			case "nm":
			case "nanometer":
			case "nanometre":
				return 1e-6;
			case "µm": // U+00B5, ImageJ's own spelling
			case "μm": // U+03BC
			case "um":
			case "micron":
			case "microns":
			case "micrometer":
			case "micrometre":
				return 1e-3;
			case "cm":
				return 10;
			case "m":
			case "meter":
			case "metre":
				return 1000;
			case "inch":
			case "inches":
			case "in":
				return 25.4;
			default:
				throw new IllegalArgumentException((what == null ? "" : what + ": ") +
					"unknown spatial unit '" + unit + "'; use nm, µm, mm, cm, m or inch " +
					"(Image > Properties)");
		}
	}

	// -- Volume -> ImagePlus --

	/**
	 * An ImagePlus showing {@code v}, calibrated in mm.
	 * <ul>
	 * <li>uint8 -> 8-bit, uint16 -> 16-bit, float32 -> 32-bit; int16 -> 16-bit with ImageJ's
	 * signed-16 calibration (stored raw = value + 32768); any other type -> 32-bit.</li>
	 * <li>A {@link PlanarImg} whose planes already are ImageJ's arrays (uint8, uint16, float32) is
	 * shared without copying. Everything else is copied plane by plane: an ImgLib2
	 * {@code ArrayImg} keeps all planes in one array, which an ImageStack cannot share.</li>
	 * <li>Label maps (with a class table) become 8-bit (class indices up to 255) or 16-bit images
	 * with {@link LabelLuts} applied and the table in the property {@value #CLASSES_PROPERTY}.</li>
	 * <li>Origin and direction go into the property {@value #GEOMETRY_PROPERTY}; the calibration's
	 * origin holds {@code -origin / spacing} (exact only for the identity direction).</li>
	 * </ul>
	 */
	public static ImagePlus toImagePlus(final Volume v, final String title) {
		final RandomAccessibleInterval<? extends RealType<?>> img = v.image();
		final int w = v.width(), h = v.height(), d = v.depth();
		Voxels.count(img);
		final ImageStack stack = new ImageStack(w, h);
		boolean signed16 = false;
		final VoxelType type = v.voxelType() == null ? VoxelType.FLOAT32 : v.voxelType();
		if (v.isLabelMap()) {
			final int max = v.classes().maxIndex();
			if (max > 65535) throw new IllegalArgumentException("label map with class index " + max +
				" does not fit a 16-bit ImageJ image");
			if (max <= 255) addPlanes(stack, img, 8);
			else addPlanes(stack, img, 16);
		}
		else if (type == VoxelType.UINT8) addPlanes(stack, img, 8);
		else if (type == VoxelType.UINT16) addPlanes(stack, img, 16);
		else if (type == VoxelType.INT16) {
			addSigned16Planes(stack, img);
			signed16 = true;
		}
		else addPlanes(stack, img, 32);

		final ImagePlus imp = new ImagePlus(title, stack);
		imp.setDimensions(1, d, 1);
		final Calibration cal = imp.getCalibration();
		final double[] s = v.spacing(), o = v.origin();
		cal.setUnit("mm");
		cal.pixelWidth = s[0];
		cal.pixelHeight = s[1];
		cal.pixelDepth = s[2];
		cal.xOrigin = -o[0] / s[0];
		cal.yOrigin = -o[1] / s[1];
		cal.zOrigin = -o[2] / s[2];
		if (signed16) cal.setSigned16BitCalibration();
		imp.setProp(GEOMETRY_PROPERTY, new Geometry(v.dims(), s, o, v.direction()).toJson());
		if (v.isLabelMap()) {
			imp.setProp(CLASSES_PROPERTY, classesToJson(v.classes()));
			LabelLuts.apply(imp, v.classes());
		}
		else if (signed16 || type == VoxelType.FLOAT32 || bitDepth(stack) == 32) {
			final Voxels.Stats st = Voxels.stats(img);
			if (Double.isFinite(st.min()) && st.max() > st.min()) {
				// display range in calibrated units; for signed 16-bit ImageJ expects raw values
				final double off = signed16 ? 32768 : 0;
				imp.setDisplayRange(st.min() + off, st.max() + off);
			}
		}
		else imp.resetDisplayRange();
		return imp;
	}

	private static int bitDepth(final ImageStack stack) {
		return stack.getBitDepth();
	}

	/** Adds the planes of {@code img} as 8-, 16- or 32-bit pixel arrays, sharing them if it can. */
	private static void addPlanes(final ImageStack stack,
		final RandomAccessibleInterval<? extends RealType<?>> img, final int bits)
	{
		final int w = (int) img.dimension(0), h = (int) img.dimension(1), d = (int) img
			.dimension(2);
		if (img instanceof PlanarImg<?, ?> p && sharesAsIs(p, bits)) {
			for (int z = 0; z < d; z++)
				stack.addSlice(null, p.getPlane(z).getCurrentStorageArray());
			return;
		}
		final int n = w * h;
		final Object arr = Voxels.backingArray(img);
		for (int z = 0; z < d; z++) {
			final Object plane;
			if (bits == 32 && arr instanceof float[] f) {
				final float[] q = new float[n];
				System.arraycopy(f, z * n, q, 0, n);
				plane = q;
			}
			else {
				final Cursor<? extends RealType<?>> c = Views.flatIterable(Views.hyperSlice(img, 2, z))
					.cursor();
				if (bits == 8) {
					final byte[] q = new byte[n];
					for (int i = 0; i < n; i++)
						q[i] = (byte) Math.round(c.next().getRealDouble());
					plane = q;
				}
				else if (bits == 16) {
					final short[] q = new short[n];
					for (int i = 0; i < n; i++)
						q[i] = (short) Math.round(c.next().getRealDouble());
					plane = q;
				}
				else {
					final float[] q = new float[n];
					for (int i = 0; i < n; i++)
						q[i] = c.next().getRealFloat();
					plane = q;
				}
			}
			stack.addSlice(null, plane);
		}
	}

	private static boolean sharesAsIs(final PlanarImg<?, ?> p, final int bits) {
		final Object t = p.firstElement();
		final Object a = p.getPlane(0).getCurrentStorageArray();
		return bits == 8 && t instanceof UnsignedByteType && a instanceof byte[] ||
			bits == 16 && t instanceof UnsignedShortType && a instanceof short[] ||
			bits == 32 && t instanceof FloatType && a instanceof float[];
	}

	private static void addSigned16Planes(final ImageStack stack,
		final RandomAccessibleInterval<? extends RealType<?>> img)
	{
		final int n = (int) (img.dimension(0) * img.dimension(1));
		for (int z = 0; z < img.dimension(2); z++) {
			final short[] q = new short[n];
			final Cursor<? extends RealType<?>> c = Views.flatIterable(Views.hyperSlice(img, 2, z))
				.cursor();
			for (int i = 0; i < n; i++)
				q[i] = (short) ((int) Math.round(c.next().getRealDouble()) + 32768);
			stack.addSlice(null, q);
		}
	}

	// -- properties --

	/** Origin, direction and the spacing and dimensions they were written for. */
	static final class Geometry {

		long[] dims;
		double[] spacing;
		double[] origin;
		double[] direction;

		Geometry(final long[] dims, final double[] spacing, final double[] origin,
			final double[] direction)
		{
			this.dims = dims;
			this.spacing = spacing;
			this.origin = origin;
			this.direction = direction;
		}

		String toJson() {
			return Json.gson().toJson(this).replaceAll("\\s+", "");
		}

		boolean matches(final long[] d, final double[] s) {
			if (dims == null || spacing == null || origin == null || direction == null) return false;
			if (origin.length != 3 || direction.length != 9 || !Arrays.equals(dims, d)) return false;
			for (int i = 0; i < 3; i++)
				if (Math.abs(spacing[i] - s[i]) > 1e-6 * Math.max(1, Math.abs(s[i]))) return false;
			return true;
		}
	}

	private static Geometry readGeometry(final ImagePlus imp) {
		final String s = imp.getProp(GEOMETRY_PROPERTY);
		if (s == null || s.isBlank()) return null;
		try {
			return Json.fromJson(s, Geometry.class);
		}
		catch (final RuntimeException e) {
			return null; // a damaged property: fall back to the calibration
		}
	}

	private static final class ClassEntry {

		int index;
		String name;
		String colour;
	}

	static String classesToJson(final ClassTable table) {
		final List<ClassEntry> list = new ArrayList<>();
		for (final LabelClass c : table.classes()) {
			final ClassEntry e = new ClassEntry();
			e.index = c.index();
			e.name = c.name();
			e.colour = c.hexColour();
			list.add(e);
		}
		return Json.gson().toJson(list).replaceAll("\\s*\n\\s*", "");
	}

	/** The class table stored in {@code imp}'s {@value #CLASSES_PROPERTY}, or {@code null}. */
	public static ClassTable readClasses(final ImagePlus imp) {
		final String s = imp.getProp(CLASSES_PROPERTY);
		if (s == null || s.isBlank()) return null;
		final ClassEntry[] entries;
		try {
			entries = Json.fromJson(s, ClassEntry[].class);
		}
		catch (final RuntimeException e) {
			throw new IllegalArgumentException("image '" + imp.getTitle() + "': property " +
				CLASSES_PROPERTY + " is not a valid class table (" + e.getMessage() + ")", e);
		}
		final List<LabelClass> list = new ArrayList<>();
		for (final ClassEntry e : entries)
			list.add(new LabelClass(e.index, e.name, Integer.parseInt(e.colour.substring(1), 16)));
		return new ClassTable(list);
	}
}
