package sc.fiji.voxelseg.pretrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The appearance changes of restorative pretraining (Models Genesis, Zhou et al. 2019): local pixel
 * shuffling, in-painting and a monotone Bézier intensity curve, applied to a copy of a clean crop in
 * that order. The network restores the clean crop, so these change intensities only, never where
 * anatomy lies: the positives of a {@link PretrainViews.Pair} stay where they are.
 * <p>
 * Crops are flat arrays with x fastest, index {@code (z·cy + y)·cx + x}; sizes are {cx, cy, cz}.
 * Each view should get its own random stream (for instance {@code rng.split()}) so that the two
 * views of a pair are augmented independently.
 */
public final class AppearanceAugmentation {

	/** Samples of the Bézier curve's parameter t, as in the released Models Genesis code's {@code bezier_curve}. */
	static final int CURVE_SAMPLES = 1000;

	/**
	 * Which augmentations run and how often.
	 *
	 * @param shuffleProbability chance of local pixel shuffling
	 * @param shuffleBlocks blocks permuted when shuffling
	 * @param bezierProbability chance of the Bézier intensity curve
	 * @param maxInpaintBoxes most in-painted boxes; 0 switches in-painting off
	 * @param inpaintContinueProbability chance of each further box while fewer than the most were drawn
	 */
	public record Settings(double shuffleProbability, int shuffleBlocks, double bezierProbability, int maxInpaintBoxes,
		double inpaintContinueProbability)
	{

		public Settings {
			if (!(shuffleProbability >= 0 && shuffleProbability <= 1) || !(bezierProbability >= 0 && bezierProbability <= 1) ||
				!(inpaintContinueProbability >= 0 && inpaintContinueProbability <= 1))
			{
				throw new IllegalArgumentException("probabilities must lie in [0, 1]: shuffle " + shuffleProbability + ", Bézier " +
					bezierProbability + ", in-painting " + inpaintContinueProbability);
			}
			if (shuffleBlocks < 0 || maxInpaintBoxes < 0) {
				throw new IllegalArgumentException("block and box counts must not be negative: " + shuffleBlocks + ", " + maxInpaintBoxes);
			}
		}

		/** Shuffling on 80 % of crops with 5000 blocks, up to 30 in-painted boxes (each further one at 95 %), Bézier on 90 %. */
		public static Settings defaults() {
			return new Settings(0.8, 5000, 0.9, 30, 0.95);
		}

		/** Nothing changes. */
		public static Settings none() {
			return new Settings(0, 0, 0, 0, 0);
		}

		public boolean isNone() {
			return (shuffleProbability == 0 || shuffleBlocks == 0) && bezierProbability == 0 &&
				(maxInpaintBoxes == 0 || inpaintContinueProbability == 0);
		}
	}

	/**
	 * A box of voxels in a crop: voxels x..x+sx-1, y..y+sy-1, z..z+sz-1.
	 *
	 * @param x first voxel along x
	 * @param y first voxel along y
	 * @param z first voxel along z
	 * @param sx voxels along x, at least 1
	 * @param sy voxels along y, at least 1
	 * @param sz voxels along z, at least 1
	 */
	public record Box(int x, int y, int z, int sx, int sy, int sz) {

		public boolean contains(final int px, final int py, final int pz) {
			return px >= x && px < x + sx && py >= y && py < y + sy && pz >= z && pz < z + sz;
		}

		public int voxels() {
			return sx * sy * sz;
		}
	}

	private final Settings settings;

	public AppearanceAugmentation(final Settings settings) {
		this.settings = settings;
	}

	public Settings settings() {
		return settings;
	}

	/**
	 * An augmented copy of {@code crop}; {@code crop} is left as it is. Draws from {@code rng}, in
	 * this order: whether to shuffle and the shuffle itself, the in-painted boxes, whether to apply
	 * the Bézier curve and the curve itself. A probability of 0 draws nothing.
	 */
	public float[] apply(final float[] crop, final int[] cropSize, final SplittableRandom rng) {
		check(crop, cropSize);
		final float[] out = crop.clone();
		final Settings s = settings;
		if (s.shuffleProbability() > 0 && s.shuffleBlocks() > 0 && rng.nextDouble() < s.shuffleProbability()) {
			shuffle(out, cropSize, s.shuffleBlocks(), rng);
		}
		if (s.maxInpaintBoxes() > 0 && s.inpaintContinueProbability() > 0) {
			inpaint(out, cropSize, s.maxInpaintBoxes(), s.inpaintContinueProbability(), rng);
		}
		if (s.bezierProbability() > 0 && rng.nextDouble() < s.bezierProbability()) bezier(out, rng);
		return out;
	}

	/**
	 * Local pixel shuffling, in place: {@code blocks} boxes, each with a size per axis uniform in
	 * [1, max(1, c/20)] at a uniform position inside the crop, each box's values randomly permuted.
	 * As in Models Genesis' {@code local_pixel_shuffling}, every block is read from the crop as it was
	 * before shuffling, so overlapping blocks do not compound and every value stays within the block
	 * it was read from: the texture is scrambled, the shapes are kept.
	 */
	public static void shuffle(final float[] crop, final int[] cropSize, final int blocks, final SplittableRandom rng) {
		check(crop, cropSize);
		final float[] source = crop.clone();
		final int[] largest = new int[3];
		for (int d = 0; d < 3; d++) largest[d] = Math.max(1, cropSize[d] / 20);
		final float[] buffer = new float[largest[0] * largest[1] * largest[2]];
		for (int k = 0; k < blocks; k++) {
			final Box box = randomBox(cropSize, new int[] { 1, 1, 1 }, largest, rng);
			shuffleBlock(source, crop, cropSize, box, buffer, rng);
		}
	}

	/** Writes into {@code target} the values of {@code source} inside {@code box}, permuted by Fisher-Yates. */
	static void shuffleBlock(final float[] source, final float[] target, final int[] cropSize, final Box box, final float[] buffer,
		final SplittableRandom rng)
	{
		final int cx = cropSize[0], cy = cropSize[1];
		int n = 0;
		for (int z = box.z(); z < box.z() + box.sz(); z++) {
			for (int y = box.y(); y < box.y() + box.sy(); y++) {
				final int row = (z * cy + y) * cx;
				for (int x = box.x(); x < box.x() + box.sx(); x++) buffer[n++] = source[row + x];
			}
		}
		for (int i = n - 1; i > 0; i--) {
			final int j = rng.nextInt(i + 1);
			final float t = buffer[i];
			buffer[i] = buffer[j];
			buffer[j] = t;
		}
		n = 0;
		for (int z = box.z(); z < box.z() + box.sz(); z++) {
			for (int y = box.y(); y < box.y() + box.sy(); y++) {
				final int row = (z * cy + y) * cx;
				for (int x = box.x(); x < box.x() + box.sx(); x++) target[row + x] = buffer[n++];
			}
		}
	}

	/**
	 * In-painting, in place: while fewer than {@code maxBoxes} were drawn, another box with
	 * probability {@code continueProbability}; each box has a size per axis uniform in [c/10, c/5]
	 * (at least 1) at a uniform position inside the crop and is filled with independent uniform noise.
	 * The paper fills with U(0, 1) on crops scaled to [0, 1]; here the noise spans the crop's own range
	 * [min, max] as it was on entry, which is the same on such crops and keeps the boxes on the
	 * intensity scale of crops that are not (z-scored MRI, raw HU). A constant crop is filled with its
	 * constant.
	 *
	 * @return the boxes, in the order drawn (later ones overwrite earlier ones where they overlap)
	 */
	public static List<Box> inpaint(final float[] crop, final int[] cropSize, final int maxBoxes, final double continueProbability,
		final SplittableRandom rng)
	{
		check(crop, cropSize);
		float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
		for (final float v : crop) {
			if (v < lo) lo = v;
			if (v > hi) hi = v;
		}
		final double range = (double) hi - lo;
		final int[] smallest = new int[3], largest = new int[3];
		for (int d = 0; d < 3; d++) {
			smallest[d] = Math.max(1, cropSize[d] / 10);
			largest[d] = Math.max(smallest[d], cropSize[d] / 5);
		}
		final int cx = cropSize[0], cy = cropSize[1];
		final List<Box> boxes = new ArrayList<>();
		int count = maxBoxes;
		while (count > 0 && rng.nextDouble() < continueProbability) {
			final Box box = randomBox(cropSize, smallest, largest, rng);
			for (int z = box.z(); z < box.z() + box.sz(); z++) {
				for (int y = box.y(); y < box.y() + box.sy(); y++) {
					final int row = (z * cy + y) * cx;
					for (int x = box.x(); x < box.x() + box.sx(); x++) {
						// clamped: rounding to float must not step past the range
						crop[row + x] = Math.min(hi, Math.max(lo, (float) (lo + rng.nextDouble() * range)));
					}
				}
			}
			boxes.add(box);
			count--;
		}
		return boxes;
	}

	/**
	 * The Bézier intensity curve, in place, with control points x1, y1, x2, y2 drawn uniform in
	 * [0, 1] from {@code rng}; see {@link #bezier(float[], double, double, double, double)}.
	 */
	public static void bezier(final float[] crop, final SplittableRandom rng) {
		final double x1 = rng.nextDouble(), y1 = rng.nextDouble(), x2 = rng.nextDouble(), y2 = rng.nextDouble();
		bezier(crop, x1, y1, x2, y2);
	}

	/**
	 * Maps every intensity through the cubic Bézier curve with control points (0, 0), (x1, y1),
	 * (x2, y2), (1, 1), in place. The curve is sampled at {@value #CURVE_SAMPLES} evenly spaced t in
	 * [0, 1]; each value v becomes u = (v - lo)/(hi - lo) on the crop's range [lo, hi], then y(u) by
	 * linear interpolation between the samples (numpy.interp: below the first sample the first y,
	 * above the last the last), then lo + y·(hi - lo).
	 * <p>
	 * The map is monotone non-decreasing with lo → lo and hi → hi. Over t in [0, 1],
	 * x(t) = 3(1-t)²t·x1 + 3(1-t)t²·x2 + t³ has derivative 3·p(t), p the quadratic Bernstein
	 * polynomial with coefficients a = x1, b = x2 - x1, c = 1 - x2:
	 * p(t) = a(1-t)² + 2b(1-t)t + ct². With x1, x2 in [0, 1], a and c are not negative, and
	 * b ≥ -√(ac): trivially when x2 ≥ x1, and otherwise because x1 - x2 ≤ x1 and x1 - x2 ≤ 1 - x2 give
	 * (x1 - x2)² ≤ x1(1 - x2). Hence p(t) ≥ (√a(1-t) - √c·t)² ≥ 0, so x(t) never decreases, and y(t)
	 * likewise. The samples are therefore sorted along x, interpolating between them with
	 * non-decreasing y is non-decreasing in u, and x(0) = y(0) = 0, x(1) = y(1) = 1 fix the ends. (The
	 * released Models Genesis code also inverts the curve on half of the crops; here the map always
	 * keeps the order of intensities.) A constant crop (hi = lo) is left
	 * unchanged.
	 */
	static void bezier(final float[] crop, final double x1, final double y1, final double x2, final double y2) {
		float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
		for (final float v : crop) {
			if (v < lo) lo = v;
			if (v > hi) hi = v;
		}
		if (!(hi > lo)) return;
		final double[] xs = new double[CURVE_SAMPLES], ys = new double[CURVE_SAMPLES];
		for (int k = 0; k < CURVE_SAMPLES; k++) {
			final double t = k / (double) (CURVE_SAMPLES - 1), s = 1 - t;
			final double b1 = 3 * s * s * t, b2 = 3 * s * t * t, b3 = t * t * t;
			xs[k] = b1 * x1 + b2 * x2 + b3;
			ys[k] = b1 * y1 + b2 * y2 + b3;
		}
		// exact ends and a running maximum: rounding must not undo what holds exactly
		xs[0] = ys[0] = 0;
		xs[CURVE_SAMPLES - 1] = ys[CURVE_SAMPLES - 1] = 1;
		for (int k = 1; k < CURVE_SAMPLES; k++) {
			xs[k] = Math.min(1, Math.max(xs[k], xs[k - 1]));
			ys[k] = Math.min(1, Math.max(ys[k], ys[k - 1]));
		}
		final double range = (double) hi - lo;
		for (int i = 0; i < crop.length; i++) {
			final double u = (crop[i] - (double) lo) / range;
			crop[i] = Math.min(hi, Math.max(lo, (float) (lo + interp(u, xs, ys) * range)));
		}
	}

	/** numpy.interp on samples sorted by x: constant beyond the ends, equal abscissae never divided by. */
	static double interp(final double u, final double[] xs, final double[] ys) {
		final int n = xs.length;
		if (!(u > xs[0])) return ys[0];
		if (u >= xs[n - 1]) return ys[n - 1];
		// the last k with xs[k] ≤ u; then xs[k] ≤ u < xs[k + 1]
		int a = 0, b = n - 1;
		while (b - a > 1) {
			final int m = (a + b) >>> 1;
			if (xs[m] <= u) a = m;
			else b = m;
		}
		return ys[a] + (ys[a + 1] - ys[a]) * (u - xs[a]) / (xs[a + 1] - xs[a]);
	}

	/** A box with a size per axis uniform in [smallest, largest] (capped at the crop) at a uniform position inside the crop. */
	static Box randomBox(final int[] cropSize, final int[] smallest, final int[] largest, final SplittableRandom rng) {
		final int[] s = new int[3], p = new int[3];
		for (int d = 0; d < 3; d++) {
			final int hi = Math.min(largest[d], cropSize[d]), lo = Math.min(smallest[d], hi);
			s[d] = lo + rng.nextInt(hi - lo + 1);
		}
		for (int d = 0; d < 3; d++) p[d] = rng.nextInt(cropSize[d] - s[d] + 1);
		return new Box(p[0], p[1], p[2], s[0], s[1], s[2]);
	}

	private static void check(final float[] crop, final int[] cropSize) {
		if (cropSize.length != 3 || cropSize[0] < 1 || cropSize[1] < 1 || cropSize[2] < 1 ||
			(long) cropSize[0] * cropSize[1] * cropSize[2] != crop.length)
		{
			throw new IllegalArgumentException(crop.length + " values for a crop of " + Arrays.toString(cropSize));
		}
	}
}
