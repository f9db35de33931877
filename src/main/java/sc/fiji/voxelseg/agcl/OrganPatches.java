package sc.fiji.voxelseg.agcl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * Organ-centred patches and their augmented views, the input of semantic-aware contrastive learning
 * (AGCL): a coarse segmentation says roughly where each organ lies, a patch is cut around it, and the
 * network refines the organ inside the patch from the image and the coarse mask together. Two views
 * of one patch, each transformed by its own random crop-and-resize, rotation and scaling, are the
 * positives of the contrastive loss.
 * <p>
 * Volumes are flat arrays with x fastest, index {@code (z·ny + y)·nx + x}, which is the C order of a
 * D×H×W tensor. Sizes, offsets and voxel positions are {x, y, z}. A patch holds two channels, channel
 * slowest, so {@code data} is the C order of a 2×pz×py×px tensor: channel 0 (the image) at
 * {@code (z·py + y)·px + x}, channel 1 (the organ's binary mask, 0 or 1) at
 * {@code px·py·pz + (z·py + y)·px + x}. The coarse label map holds one class per voxel as an unsigned
 * byte, 0 for background.
 * <p>
 * A patch is drawn as follows: its centre uniformly among the voxels of the organ's bounding box in
 * the coarse map (inclusive bounds, each axis independently), then its start at
 * {@code centre - patch/2} (integer division: the middle voxel for an odd size, the upper of the two
 * middle ones for an even size). The patch is not moved to stay inside the volume, so the centre
 * keeps its place; where it reaches outside, the image channel holds the volume's minimum
 * (background, for CT and for data scaled to [0, 1]) and the mask channel 0.
 * <p>
 * An organ absent from the coarse map cannot give a patch: {@link #sample} then throws an
 * {@link IllegalArgumentException} naming the classes present. A caller that expects absent organs
 * lists them first with {@link #organs}, which also saves a pass over the volume per patch.
 */
public final class OrganPatches {

	/** Crop-and-resize keeps at least this fraction of each edge of the patch. */
	public static final double MIN_CROP_FRACTION = 0.7;

	/** Rotations about the z axis are drawn uniformly from ± this many degrees. */
	public static final double MAX_ROTATION_DEGREES = 30;

	/** Smallest isotropic scaling factor. */
	public static final double MIN_SCALE = 0.7;

	/** Largest isotropic scaling factor. */
	public static final double MAX_SCALE = 1.3;

	private OrganPatches() {}

	/**
	 * One organ class present in a coarse label map.
	 *
	 * @param organ the class, 1..255
	 * @param min smallest {x, y, z} of its voxels (inclusive)
	 * @param max largest {x, y, z} of its voxels (inclusive)
	 * @param voxels number of its voxels
	 */
	public record OrganBox(int organ, int[] min, int[] max, long voxels) {

		/** Whether voxel {x, y, z} lies in the box, bounds included. */
		public boolean contains(final int[] voxel) {
			for (int d = 0; d < 3; d++) if (voxel[d] < min[d] || voxel[d] > max[d]) return false;
			return true;
		}

		@Override
		public String toString() {
			return "OrganBox[class " + organ + ", " + Arrays.toString(min) + " to " + Arrays.toString(max) + ", " + voxels + " voxels]";
		}
	}

	/**
	 * A two-channel organ-centred patch.
	 *
	 * @param organ the class whose mask channel 1 holds
	 * @param data channel 0 the image, channel 1 the mask (0 or 1); 2×pz×py×px, channel slowest then z,
	 *          y, x
	 * @param size {px, py, pz}
	 * @param start position in the volume of the patch's voxel (0, 0, 0), {x, y, z}; negative along an
	 *          axis where the patch reaches below the volume
	 * @param centre the drawn volume voxel {x, y, z}, at {@code start + size/2}
	 * @param padding the image value outside the volume (the volume's minimum), also the fill of views
	 */
	public record Patch(int organ, float[] data, int[] size, int[] start, int[] centre, float padding) {

		public Patch {
			if ((long) 2 * size[0] * size[1] * size[2] != data.length) {
				throw new IllegalArgumentException(data.length + " values for a 2-channel " + size[0] + "×" + size[1] + "×" + size[2] + " patch");
			}
		}

		/** Voxels per channel, px·py·pz. */
		public int voxels() {
			return data.length / 2;
		}

		/** A copy of channel 0 (image) or 1 (mask), x fastest. */
		public float[] channel(final int c) {
			if (c != 0 && c != 1) throw new IllegalArgumentException("a patch has channels 0 and 1, not " + c);
			return Arrays.copyOfRange(data, c * voxels(), (c + 1) * voxels());
		}

		@Override
		public String toString() {
			return "Patch[class " + organ + ", " + size[0] + "×" + size[1] + "×" + size[2] + " at " + Arrays.toString(start) + ", centre " +
				Arrays.toString(centre) + "]";
		}
	}

	/**
	 * One augmented view of a patch and the draws that made it.
	 *
	 * @param data the transformed patch, same layout as {@link Patch#data}
	 * @param cropStart start {x, y, z} of the sub-box within the patch
	 * @param cropSize size {x, y, z} of the sub-box
	 * @param angleDegrees rotation about the z axis, from +x towards +y
	 * @param scale isotropic scaling factor, above 1 enlarges
	 */
	public record View(float[] data, int[] cropStart, int[] cropSize, double angleDegrees, double scale) {

		@Override
		public String toString() {
			return "View[crop " + cropSize[0] + "×" + cropSize[1] + "×" + cropSize[2] + " at " + Arrays.toString(cropStart) + ", " +
				angleDegrees + "°, scale " + scale + "]";
		}
	}

	/**
	 * The organ classes present in {@code labels} with their bounding boxes, by increasing class.
	 *
	 * @param labels class per voxel (unsigned bytes, 0 background), x fastest
	 * @param size {nx, ny, nz}
	 */
	public static List<OrganBox> organs(final byte[] labels, final int[] size) {
		checkGrid(labels.length, size);
		final long[] count = new long[256];
		final int[][] box = sc.fiji.voxelseg.infer.Components.classBoxes(labels, size[0], size[1], size[2], count);
		final List<OrganBox> list = new ArrayList<>();
		for (int c = 1; c < 256; c++) {
			if (box[c] != null) list.add(new OrganBox(c, Arrays.copyOfRange(box[c], 0, 3), Arrays.copyOfRange(box[c], 3, 6), count[c]));
		}
		return list;
	}

	/**
	 * A patch centred in organ {@code organ}'s bounding box. Scans the volume for the box and the
	 * padding; {@link #sample(float[], byte[], int[], OrganBox, float, int[], SplittableRandom)} takes
	 * both precomputed. Draws from {@code rng} the centre's x, y and z, in this order.
	 *
	 * @param image intensities, x fastest, {@code size[0]·size[1]·size[2]} values
	 * @param labels the coarse label map on the same grid (unsigned bytes, 0 background)
	 * @param size {nx, ny, nz}
	 * @param organ the class, 1..255
	 * @param patch {px, py, pz}, each at least 1
	 * @throws IllegalArgumentException if {@code organ} is absent from {@code labels}, or on
	 *           mismatched sizes
	 */
	public static Patch sample(final float[] image, final byte[] labels, final int[] size, final int organ, final int[] patch,
		final SplittableRandom rng)
	{
		checkGrid(image.length, size);
		if (organ < 1 || organ > 255) throw new IllegalArgumentException("organ classes are 1..255, not " + organ);
		final List<OrganBox> present = organs(labels, size);
		for (final OrganBox b : present) if (b.organ() == organ) return sample(image, labels, size, b, minimum(image), patch, rng);
		final StringJoiner names = new StringJoiner(", ", "(present: ", ")").setEmptyValue("(no organ present)");
		for (final OrganBox b : present) names.add(Integer.toString(b.organ()));
		throw new IllegalArgumentException("class " + organ + " is absent from the coarse label map " + names);
	}

	/**
	 * A patch centred in {@code box}, one of {@link #organs}{@code (labels, size)}: the same patch as
	 * {@link #sample(float[], byte[], int[], int, int[], SplittableRandom)} with the same stream, when
	 * {@code padding} is {@link #minimum}{@code (image)}.
	 */
	public static Patch sample(final float[] image, final byte[] labels, final int[] size, final OrganBox box, final float padding,
		final int[] patch, final SplittableRandom rng)
	{
		checkGrid(image.length, size);
		checkGrid(labels.length, size);
		checkPatch(patch);
		final int[] centre = new int[3], start = new int[3];
		for (int d = 0; d < 3; d++) {
			if (box.min()[d] < 0 || box.max()[d] >= size[d] || box.min()[d] > box.max()[d]) {
				throw new IllegalArgumentException(box + " does not fit the " + Arrays.toString(size) + " grid");
			}
			centre[d] = box.min()[d] + rng.nextInt(box.max()[d] - box.min()[d] + 1);
		}
		for (int d = 0; d < 3; d++) start[d] = centre[d] - patch[d] / 2;
		return new Patch(box.organ(), cut(image, labels, size, box.organ(), start, patch, padding), patch.clone(), start, centre, padding);
	}

	/**
	 * One augmented view of {@code patch}: a random crop-and-resize, then a rotation about the z axis,
	 * then an isotropic scaling, done as one resampling so the image is interpolated once. Both channels
	 * follow the same map; the image is interpolated trilinearly, the mask by nearest neighbour, and
	 * what comes from outside the cropped sub-box is the padding (image) or 0 (mask). Each view should
	 * have its own stream ({@code rng.split()}). Draws from {@code rng}, in this order:
	 * <ol>
	 * <li>the sub-box's edge along x, y, z, each uniform among the integers from
	 * ⌈{@value #MIN_CROP_FRACTION}·p⌉ to p (independently, so the aspect ratio changes too);</li>
	 * <li>its start along x, y, z, each uniform in [0, p - edge];</li>
	 * <li>the angle, uniform in ±{@value #MAX_ROTATION_DEGREES}°, about the axis through the patch
	 * centre {@code (size - 1)/2} parallel to z, turning +x towards +y;</li>
	 * <li>the scaling factor, uniform in [{@value #MIN_SCALE}, {@value #MAX_SCALE}], about the patch
	 * centre along x, y and z alike; above 1 enlarges.</li>
	 * </ol>
	 * The AGCL paper gives the scaling as "(width 0.3, length 0.7)", which reads either as a range of
	 * length 0.3 starting at 0.7 ([0.7, 1.0]) or as 1 ± 0.3; the factor here is 1 ± 0.3, i.e. [0.7, 1.3],
	 * so the view zooms out as well as in, as its random resized crop already only zooms in.
	 */
	public static View view(final Patch patch, final SplittableRandom rng) {
		final int[] p = patch.size(), cropSize = new int[3], cropStart = new int[3];
		for (int d = 0; d < 3; d++) {
			// the double 0.7 lies just below 0.7, so the product never rounds up past a whole number (checked for p < 10⁶)
			final int lo = Math.max(1, (int) Math.ceil(MIN_CROP_FRACTION * p[d]));
			cropSize[d] = lo + rng.nextInt(p[d] - lo + 1);
		}
		for (int d = 0; d < 3; d++) cropStart[d] = rng.nextInt(p[d] - cropSize[d] + 1);
		final double degrees = (rng.nextDouble() * 2 - 1) * MAX_ROTATION_DEGREES;
		final double scale = MIN_SCALE + rng.nextDouble() * (MAX_SCALE - MIN_SCALE);
		return new View(transform(patch.data(), p, patch.padding(), cropStart, cropSize, Math.toRadians(degrees), scale), cropStart,
			cropSize, degrees, scale);
	}

	/**
	 * Resamples a 2-channel patch: crop the sub-box {@code cropStart}..{@code cropStart + cropSize - 1}
	 * and resize it to {@code size}, rotate by {@code angle} radians about the z axis and scale by
	 * {@code scale}, both about the centre {@code (size - 1)/2}. Output voxel o is read at the patch
	 * position reached by the inverse maps: {@code q = R(-angle)·(o - centre)/scale + centre} (z only
	 * scaled), then {@code s = cropStart + q·(cropSize - 1)/(size - 1)} per axis (corners aligned, so
	 * the sub-box's first and last voxels land on the patch's first and last; 0 where size is 1). The
	 * image channel is the trilinear interpolation at s, a neighbour outside the sub-box counting as
	 * {@code padding}; the mask channel is the sub-box voxel at s rounded (halves up), 0 outside it.
	 * With angle 0, scale 1 and the full patch as sub-box, s = o and the patch comes back unchanged.
	 *
	 * @param data 2×pz×py×px, channel slowest, as {@link Patch#data}
	 * @param size {px, py, pz}
	 */
	static float[] transform(final float[] data, final int[] size, final float padding, final int[] cropStart, final int[] cropSize,
		final double angle, final double scale)
	{
		checkPatch(size);
		final int px = size[0], py = size[1], pz = size[2], n = px * py * pz;
		if (data.length != 2 * n) throw new IllegalArgumentException(data.length + " values for a 2-channel " + Arrays.toString(size) + " patch");
		for (int d = 0; d < 3; d++) {
			if (cropSize[d] < 1 || cropStart[d] < 0 || cropStart[d] + cropSize[d] > size[d]) {
				throw new IllegalArgumentException("sub-box " + Arrays.toString(cropSize) + " at " + Arrays.toString(cropStart) +
					" is not inside the patch " + Arrays.toString(size));
			}
		}
		if (!(scale > 0) || !Double.isFinite(angle)) throw new IllegalArgumentException("angle " + angle + ", scale " + scale);
		final float[] out = new float[2 * n];
		final double cx = (px - 1) / 2.0, cy = (py - 1) / 2.0, cz = (pz - 1) / 2.0;
		final double cos = Math.cos(angle) / scale, sin = Math.sin(angle) / scale, inv = 1 / scale;
		final double rx = ratio(cropSize[0], px), ry = ratio(cropSize[1], py), rz = ratio(cropSize[2], pz);
		// the sub-box, inclusive bounds
		final int x0 = cropStart[0], y0 = cropStart[1], z0 = cropStart[2];
		final int x1 = x0 + cropSize[0] - 1, y1 = y0 + cropSize[1] - 1, z1 = z0 + cropSize[2] - 1;
		for (int z = 0, o = 0; z < pz; z++) {
			final double sz = z0 + ((z - cz) * inv + cz) * rz;
			for (int y = 0; y < py; y++) {
				final double dy = y - cy;
				for (int x = 0; x < px; x++, o++) {
					final double dx = x - cx;
					// inverse rotation and scaling, then the inverse of the resize
					final double sx = x0 + (cos * dx + sin * dy + cx) * rx, sy = y0 + (-sin * dx + cos * dy + cy) * ry;
					final int ix = (int) Math.floor(sx), iy = (int) Math.floor(sy), iz = (int) Math.floor(sz);
					final double fx = sx - ix, fy = sy - iy, fz = sz - iz;
					double v = 0;
					for (int c = 0; c < 8; c++) {
						final int xx = ix + (c & 1), yy = iy + ((c >> 1) & 1), zz = iz + (c >> 2);
						final double w = ((c & 1) == 1 ? fx : 1 - fx) * (((c >> 1) & 1) == 1 ? fy : 1 - fy) * ((c >> 2) == 1 ? fz : 1 - fz);
						// a zero weight adds nothing, not even a NaN from the neighbour
						if (w == 0) continue;
						final boolean in = xx >= x0 && xx <= x1 && yy >= y0 && yy <= y1 && zz >= z0 && zz <= z1;
						v += w * (in ? data[(zz * py + yy) * px + xx] : padding);
					}
					out[o] = (float) v;
					final long rx0 = Math.round(sx), ry0 = Math.round(sy), rz0 = Math.round(sz);
					final boolean in = rx0 >= x0 && rx0 <= x1 && ry0 >= y0 && ry0 <= y1 && rz0 >= z0 && rz0 <= z1;
					out[n + o] = in ? data[n + (int) ((rz0 * py + ry0) * px + rx0)] : 0;
				}
			}
		}
		return out;
	}

	/** The step in the patch per step in the view along an axis: (c-1)/(p-1), 0 for a patch one voxel long. */
	private static double ratio(final int c, final int p) {
		return p == 1 ? 0 : (c - 1) / (double) (p - 1);
	}

	/**
	 * The two channels of the {@code patch}-sized block starting at {@code start}: the image, or
	 * {@code padding} outside the volume; 1 where the coarse map holds {@code organ}, else 0.
	 */
	static float[] cut(final float[] image, final byte[] labels, final int[] size, final int organ, final int[] start, final int[] patch,
		final float padding)
	{
		final int px = patch[0], py = patch[1], pz = patch[2], nx = size[0], ny = size[1], nz = size[2], n = px * py * pz;
		final float[] out = new float[2 * n];
		Arrays.fill(out, 0, n, padding);
		// the x run that lies inside the volume is the same for every row
		final int xa = Math.max(0, -start[0]), xb = Math.min(px, nx - start[0]);
		if (xb <= xa) return out;
		for (int z = 0; z < pz; z++) {
			final int vz = start[2] + z;
			if (vz < 0 || vz >= nz) continue;
			for (int y = 0; y < py; y++) {
				final int vy = start[1] + y;
				if (vy < 0 || vy >= ny) continue;
				final int from = (vz * ny + vy) * nx + start[0], to = (z * py + y) * px;
				System.arraycopy(image, from + xa, out, to + xa, xb - xa);
				for (int x = xa; x < xb; x++) if ((labels[from + x] & 0xff) == organ) out[n + to + x] = 1;
			}
		}
		return out;
	}

	/**
	 * The binary mask of {@code organ} in a label map (for example the ground truth of a patch drawn
	 * from a coarse map) over the {@code patch}-sized block at {@code start}: 1 where {@code labels}
	 * holds the organ, 0 elsewhere and outside the volume; x fastest.
	 */
	public static byte[] mask(final byte[] labels, final int[] size, final int organ, final int[] start, final int[] patch) {
		checkGrid(labels.length, size);
		checkPatch(patch);
		final int px = patch[0], py = patch[1], pz = patch[2], nx = size[0], ny = size[1], nz = size[2];
		final byte[] out = new byte[px * py * pz];
		for (int z = 0; z < pz; z++) {
			final int vz = start[2] + z;
			if (vz < 0 || vz >= nz) continue;
			for (int y = 0; y < py; y++) {
				final int vy = start[1] + y;
				if (vy < 0 || vy >= ny) continue;
				for (int x = Math.max(0, -start[0]), to = Math.min(px, nx - start[0]); x < to; x++) {
					if ((labels[(vz * ny + vy) * nx + start[0] + x] & 0xff) == organ) out[(z * py + y) * px + x] = 1;
				}
			}
		}
		return out;
	}

	/** The smallest value, NaN ignored, 0 if there is none: the padding of patches that reach outside the volume. */
	public static float minimum(final float[] image) {
		float m = Float.POSITIVE_INFINITY;
		for (final float v : image) if (v < m) m = v;
		return m == Float.POSITIVE_INFINITY ? 0 : m;
	}

	private static void checkGrid(final int length, final int[] size) {
		if (size.length != 3) throw new IllegalArgumentException("sizes are {x, y, z}");
		for (int d = 0; d < 3; d++) if (size[d] < 1) throw new IllegalArgumentException("grid " + Arrays.toString(size) + " must be positive");
		if ((long) size[0] * size[1] * size[2] != length) {
			throw new IllegalArgumentException(length + " values for a " + size[0] + "×" + size[1] + "×" + size[2] + " grid");
		}
	}

	private static void checkPatch(final int[] patch) {
		if (patch.length != 3) throw new IllegalArgumentException("sizes are {x, y, z}");
		for (int d = 0; d < 3; d++) if (patch[d] < 1) throw new IllegalArgumentException("patch " + Arrays.toString(patch) + " must be positive");
		if (2L * patch[0] * patch[1] * patch[2] > Integer.MAX_VALUE - 8) {
			throw new IllegalArgumentException("patch " + Arrays.toString(patch) + " is too large for one array");
		}
	}
}
