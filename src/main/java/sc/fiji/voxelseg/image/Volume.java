package sc.fiji.voxelseg.image;

import java.util.Arrays;
import java.util.Locale;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.array.FloatArray;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.real.FloatType;

/**
 * A 3D image with its place in the patient: an ImgLib2 image plus voxel spacing, origin and
 * direction cosines.
 * <p>
 * <b>Axis order, everywhere in VoxelSeg:</b> ImgLib2 dimensions 0, 1, 2 are x, y, z (NIfTI's i, j,
 * k; x varies fastest in memory, z is the slice index). Arrays named {@code dims}, {@code spacing}
 * or {@code origin} are always in that order. Tensors built from a volume are NCDHW, so D = z, H =
 * y, W = x.
 * <p>
 * <b>World coordinates</b> are millimetres in the RAS+ patient frame (NIfTI's and nibabel's): +x
 * points to the patient's Right, +y to Anterior, +z to Superior.
 * Formats stored in LPS (DICOM, NRRD, MetaImage) are converted on read. The voxel with index
 * {@code (i, j, k)} lies at {@code origin + direction · (spacing ∘ (i, j, k))}, where
 * {@code direction} is a 3×3 matrix, stored row-major, whose column {@code c} is the unit vector of
 * axis {@code c} in world space.
 * <p>
 * A volume with a {@link ClassTable} is a label map: its voxel values are class indices.
 * Volumes are immutable in their geometry; the pixel data of the wrapped image is shared, not
 * copied.
 */
public final class Volume {

	private final RandomAccessibleInterval<? extends RealType<?>> image;
	private final double[] spacing;
	private final double[] origin;
	private final double[] direction;
	private final ClassTable classes;
	private final VoxelType voxelType;

	public Volume(final RandomAccessibleInterval<? extends RealType<?>> image,
		final double[] spacing, final double[] origin, final double[] direction,
		final ClassTable classes, final VoxelType voxelType)
	{
		if (image.numDimensions() != 3) throw new IllegalArgumentException(
			"a volume has 3 dimensions (x, y, z), this image has " + image.numDimensions());
		for (int d = 0; d < 3; d++)
			if (image.min(d) != 0) throw new IllegalArgumentException(
				"volume images must start at index 0 (dimension " + d + " starts at " + image.min(d) + ")");
		this.image = image;
		this.spacing = check("spacing", spacing, 3).clone();
		for (final double s : spacing)
			if (!(s > 0) || !Double.isFinite(s)) throw new IllegalArgumentException(
				"voxel spacing must be positive and finite, got " + Arrays.toString(spacing));
		this.origin = check("origin", origin, 3).clone();
		for (final double o : origin)
			if (!Double.isFinite(o)) throw new IllegalArgumentException("origin must be finite, got " +
				Arrays.toString(origin));
		this.direction = check("direction", direction, 9).clone();
		checkPlausible(this.spacing, this.origin, this.direction);
		this.classes = classes;
		this.voxelType = voxelType;
	}

	/** A volume with unit spacing, zero origin and identity direction. */
	public static Volume of(final RandomAccessibleInterval<? extends RealType<?>> image) {
		return new Volume(image, new double[] { 1, 1, 1 }, new double[3], identity(), null,
			VoxelTypes.of(image));
	}

	/** A float32 volume over {@code data} (x fastest) with the given geometry. */
	public static Volume ofFloats(final float[] data, final long[] dims, final double[] spacing,
		final double[] origin, final double[] direction)
	{
		final ArrayImg<FloatType, FloatArray> img = ArrayImgs.floats(data, dims);
		return new Volume(img, spacing, origin, direction, null, VoxelType.FLOAT32);
	}

	/** The smallest and largest voxel spacing (mm) a volume may have: 1 nm and 1 km. */
	public static final double MIN_SPACING = 1e-6, MAX_SPACING = 1e6;

	/** How far the direction's columns may be from unit length and from perpendicular. */
	public static final double ORTHONORMAL_TOLERANCE = 1e-3;

	/**
	 * Geometry every later step can use: spacing between {@link #MIN_SPACING} and
	 * {@link #MAX_SPACING} (NIfTI stores it as float32; beyond that range it becomes 0 or infinite),
	 * an origin within 10^9 mm, and a direction of three perpendicular unit columns (a rotation
	 * or a reflection; never singular or sheared, which no resampling here could honour).
	 */
	private static void checkPlausible(final double[] spacing, final double[] origin, final double[] dir) {
		for (final double s : spacing)
			if (s < MIN_SPACING || s > MAX_SPACING) throw new IllegalArgumentException(
				"voxel spacing " + Arrays.toString(spacing) + " mm lies outside " + MIN_SPACING + " .. " +
					MAX_SPACING + " mm; the header's spacing is damaged or not in mm");
		for (final double o : origin)
			if (Math.abs(o) > 1e9) throw new IllegalArgumentException("origin " + Arrays.toString(
				origin) + " mm lies more than 1000 km from the scanner's centre; the header is damaged");
		for (final double v : dir)
			if (!Double.isFinite(v)) throw new IllegalArgumentException("direction " + Arrays.toString(dir) +
				" is not finite");
		for (int a = 0; a < 3; a++) {
			for (int b = a; b < 3; b++) {
				double dot = 0;
				for (int r = 0; r < 3; r++)
					dot += dir[3 * r + a] * dir[3 * r + b];
				if (Math.abs(dot - (a == b ? 1 : 0)) > ORTHONORMAL_TOLERANCE) throw new IllegalArgumentException(
					"direction " + Arrays.toString(dir) + (a == b ? " has an axis of length " + Math.sqrt(Math.abs(
						dot)) : " has axes " + a + " and " + b + " that are not perpendicular (cosine " + dot +
							")") + "; VoxelSeg needs perpendicular unit axes (a singular or sheared orientation is a damaged header, or a gantry-tilted scan to resample first)");
			}
		}
	}

	private static double[] check(final String what, final double[] a, final int n) {
		if (a == null || a.length != n) throw new IllegalArgumentException(what + " needs " + n +
			" values, got " + (a == null ? "none" : a.length));
		return a;
	}

	public static double[] identity() {
		return new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	}

	public RandomAccessibleInterval<? extends RealType<?>> image() {
		return image;
	}

	/** Dimensions {x, y, z}. */
	public long[] dims() {
		return image.dimensionsAsLongArray();
	}

	public int width() {
		return (int) image.dimension(0);
	}

	public int height() {
		return (int) image.dimension(1);
	}

	public int depth() {
		return (int) image.dimension(2);
	}

	public long voxelCount() {
		return image.dimension(0) * image.dimension(1) * image.dimension(2);
	}

	/** Spacing {x, y, z} in mm (a copy). */
	public double[] spacing() {
		return spacing.clone();
	}

	/** World position (RAS+, mm) of voxel (0, 0, 0) (a copy). */
	public double[] origin() {
		return origin.clone();
	}

	/** Direction cosines, row-major 3×3, column c = axis c (a copy). */
	public double[] direction() {
		return direction.clone();
	}

	/** The class table, or {@code null} for an intensity image. */
	public ClassTable classes() {
		return classes;
	}

	public boolean isLabelMap() {
		return classes != null;
	}

	/** The voxel type this volume was read as or is stored in. */
	public VoxelType voxelType() {
		return voxelType;
	}

	/** Same geometry, other pixels (of the same dimensions). */
	public Volume withImage(final RandomAccessibleInterval<? extends RealType<?>> other) {
		return withImage(other, VoxelTypes.of(other));
	}

	public Volume withImage(final RandomAccessibleInterval<? extends RealType<?>> other,
		final VoxelType type)
	{
		if (!Arrays.equals(other.dimensionsAsLongArray(), dims())) throw new IllegalArgumentException(
			"new image " + formatDims(other.dimensionsAsLongArray()) + " does not match volume " +
				formatDims(dims()));
		return new Volume(other, spacing, origin, direction, classes, type);
	}

	/** Other pixels and dimensions, with the given spacing and origin; direction kept. */
	public Volume withGrid(final RandomAccessibleInterval<? extends RealType<?>> other,
		final double[] newSpacing, final double[] newOrigin)
	{
		return new Volume(other, newSpacing, newOrigin, direction, classes, VoxelTypes.of(other));
	}

	public Volume withGeometry(final double[] newSpacing, final double[] newOrigin,
		final double[] newDirection)
	{
		return new Volume(image, newSpacing, newOrigin, newDirection, classes, voxelType);
	}

	public Volume withClasses(final ClassTable table) {
		return new Volume(image, spacing, origin, direction, table, voxelType);
	}

	/** World position (RAS+, mm) of a continuous voxel index {i, j, k}. */
	public double[] indexToWorld(final double[] ijk) {
		final double[] w = new double[3];
		for (int r = 0; r < 3; r++) {
			w[r] = origin[r];
			for (int c = 0; c < 3; c++)
				w[r] += direction[3 * r + c] * spacing[c] * ijk[c];
		}
		return w;
	}

	/** Continuous voxel index of a world position (RAS+, mm); the direction matrix is orthonormal. */
	public double[] worldToIndex(final double[] world) {
		final double[] ijk = new double[3];
		for (int c = 0; c < 3; c++) {
			double s = 0;
			for (int r = 0; r < 3; r++)
				s += direction[3 * r + c] * (world[r] - origin[r]);
			ijk[c] = s / spacing[c];
		}
		return ijk;
	}

	/**
	 * Whether {@code other} lies on the same voxel grid: same dimensions, and spacing, origin and
	 * direction equal within a relative tolerance of 1e-4 (of the spacing, for positions).
	 */
	public boolean sameGrid(final Volume other) {
		if (!Arrays.equals(dims(), other.dims())) return false;
		final double tol = 1e-4 * Math.max(1, Math.max(spacing[0], Math.max(spacing[1], spacing[2])));
		for (int i = 0; i < 3; i++) {
			if (Math.abs(spacing[i] - other.spacing[i]) > 1e-4 * spacing[i]) return false;
			if (Math.abs(origin[i] - other.origin[i]) > Math.max(tol, 1e-3)) return false;
		}
		for (int i = 0; i < 9; i++)
			if (Math.abs(direction[i] - other.direction[i]) > 1e-4) return false;
		return true;
	}

	/**
	 * Throws an {@link IllegalArgumentException} naming both grids if {@code other} does not lie on
	 * this volume's grid.
	 *
	 * @param thisName what this volume is, e.g. "image case_001.nii.gz"
	 * @param otherName what the other one is, e.g. "label map case_001.nii.gz"
	 */
	public void requireSameGrid(final Volume other, final String thisName, final String otherName) {
		if (sameGrid(other)) return;
		throw new IllegalArgumentException(otherName + " " + other.describeGrid() +
			" does not match " + thisName + " " + describeGrid());
	}

	/** E.g. {@code 128×128×64 at 0.800×0.800×2.500 mm, origin (0.0, 0.0, 0.0)}. */
	public String describeGrid() {
		return formatDims(dims()) + String.format(Locale.ROOT,
			" at %.3f×%.3f×%.3f mm, origin (%.1f, %.1f, %.1f)", spacing[0], spacing[1], spacing[2],
			origin[0], origin[1], origin[2]);
	}

	public static String formatDims(final long[] d) {
		final StringBuilder sb = new StringBuilder();
		for (int i = 0; i < d.length; i++)
			sb.append(i == 0 ? "" : "×").append(d[i]);
		return sb.toString();
	}

	@Override
	public String toString() {
		return (isLabelMap() ? "label map " : "volume ") + describeGrid() + " " +
			(voxelType == null ? "" : voxelType.label());
	}
}
