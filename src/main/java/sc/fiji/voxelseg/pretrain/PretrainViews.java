package sc.fiji.voxelseg.pretrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Two overlapping crops of one volume and the voxels they share, the input of dense self-supervised
 * pretraining (vox2vec, Goncharov et al. 2023): the contrastive loss pulls together the features of
 * the same voxel seen in two differently augmented views, so each positive is given as its flat
 * index in crop A and in crop B. The crops held here are clean; appearance augmentation
 * ({@link AppearanceAugmentation}) is applied to copies, and the clean crops remain the targets of
 * the restorative head (Models Genesis, Zhou et al. 2019).
 * <p>
 * Volumes and crops are flat arrays with x fastest, index {@code (z·ny + y)·nx + x}, which is the C
 * order of a D×H×W tensor. Sizes and offsets are {x, y, z} in voxels.
 * <p>
 * A pair is drawn as follows: a random anchor voxel of the volume; along each axis, independently
 * for each crop, a start such that the crop holds the anchor and, where the volume is at least as
 * long as the crop, stays inside it. Both crops then hold the anchor, so their overlap within the
 * volume is never empty, and the positives are drawn uniformly with replacement from that overlap.
 * Where the volume is shorter than the crop, the crop covers the whole line at a random offset and
 * the rest is padded with the volume's minimum (background, for CT and for data scaled to [0, 1]).
 */
public final class PretrainViews {

	private PretrainViews() {}

	/**
	 * Two clean crops of one volume and their shared voxels.
	 *
	 * @param cropA the first crop, {@code cropSize} voxels, x fastest
	 * @param cropB the second crop, same size and layout
	 * @param startA position in the volume of crop A's voxel (0, 0, 0), {x, y, z}; negative along an
	 *          axis where the volume is shorter than the crop
	 * @param startB the same for crop B
	 * @param anchor the volume voxel {x, y, z} that both crops contain
	 * @param cropSize {cx, cy, cz}
	 * @param positivesA flat indices into crop A of the positive voxels
	 * @param positivesB flat indices into crop B of the same volume voxels, element by element
	 */
	public record Pair(float[] cropA, float[] cropB, int[] startA, int[] startB, int[] anchor, int[] cropSize, int[] positivesA,
		int[] positivesB)
	{

		public Pair {
			if (positivesA.length != positivesB.length) {
				throw new IllegalArgumentException(positivesA.length + " positives in crop A but " + positivesB.length + " in crop B");
			}
		}

		/** Number of positive voxels. */
		public int positives() {
			return positivesA.length;
		}

		@Override
		public String toString() {
			return "Pair[crop " + cropSize[0] + "×" + cropSize[1] + "×" + cropSize[2] + ", A at " + Arrays.toString(startA) + ", B at " +
				Arrays.toString(startB) + ", anchor " + Arrays.toString(anchor) + ", " + positivesA.length + " positives]";
		}
	}

	/**
	 * One pair of crops from {@code volume}. Draws from {@code rng}, in this order: the anchor (x, y,
	 * z), crop A's start (x, y, z), crop B's start (x, y, z), then each positive (x, y, z).
	 *
	 * @param volume intensities, x fastest, {@code size[0]·size[1]·size[2]} values
	 * @param size {nx, ny, nz}
	 * @param crop {cx, cy, cz}, each at least 1
	 * @param voxelsPerPair positives to draw, at least 1
	 */
	public static Pair pair(final float[] volume, final int[] size, final int[] crop, final int voxelsPerPair, final SplittableRandom rng) {
		check(volume, size, crop, voxelsPerPair);
		return draw(volume, size, crop, voxelsPerPair, minimum(volume), rng);
	}

	/**
	 * {@code pairsPerVolume} pairs from one volume, drawn one after another from {@code rng}: the
	 * same pairs as as many calls of {@link #pair} with that stream, with the padding value computed
	 * once.
	 */
	public static List<Pair> pairs(final float[] volume, final int[] size, final int[] crop, final int pairsPerVolume,
		final int voxelsPerPair, final SplittableRandom rng)
	{
		check(volume, size, crop, voxelsPerPair);
		if (pairsPerVolume < 1) throw new IllegalArgumentException("pairs per volume must be at least 1, not " + pairsPerVolume);
		final float pad = minimum(volume);
		final List<Pair> list = new ArrayList<>(pairsPerVolume);
		for (int p = 0; p < pairsPerVolume; p++) list.add(draw(volume, size, crop, voxelsPerPair, pad, rng));
		return list;
	}

	private static Pair draw(final float[] volume, final int[] size, final int[] crop, final int n, final float pad,
		final SplittableRandom rng)
	{
		final int[] anchor = new int[3], a = new int[3], b = new int[3];
		for (int d = 0; d < 3; d++) anchor[d] = rng.nextInt(size[d]);
		for (int d = 0; d < 3; d++) a[d] = start(anchor[d], crop[d], size[d], rng);
		for (int d = 0; d < 3; d++) b[d] = start(anchor[d], crop[d], size[d], rng);
		// the overlap within the volume, inclusive bounds; it holds the anchor, so lo ≤ hi
		final int[] lo = new int[3], hi = new int[3];
		for (int d = 0; d < 3; d++) {
			lo[d] = Math.max(0, Math.max(a[d], b[d]));
			hi[d] = Math.min(size[d], Math.min(a[d], b[d]) + crop[d]) - 1;
		}
		final int[] pa = new int[n], pb = new int[n];
		for (int i = 0; i < n; i++) {
			final int x = lo[0] + rng.nextInt(hi[0] - lo[0] + 1);
			final int y = lo[1] + rng.nextInt(hi[1] - lo[1] + 1);
			final int z = lo[2] + rng.nextInt(hi[2] - lo[2] + 1);
			pa[i] = ((z - a[2]) * crop[1] + (y - a[1])) * crop[0] + (x - a[0]);
			pb[i] = ((z - b[2]) * crop[1] + (y - b[1])) * crop[0] + (x - b[0]);
		}
		return new Pair(crop(volume, size, a, crop, pad), crop(volume, size, b, crop, pad), a, b, anchor, crop.clone(), pa, pb);
	}

	/**
	 * A crop start along one axis for a crop of {@code c} voxels holding {@code anchor} in a line of
	 * {@code n}: uniform in [max(0, anchor-c+1), min(anchor, n-c)] when c ≤ n, so the crop stays
	 * inside; uniform in [n-c, 0] when c > n, so the crop covers the whole line and pads the rest.
	 */
	static int start(final int anchor, final int c, final int n, final SplittableRandom rng) {
		final int lo = c <= n ? Math.max(0, anchor - c + 1) : n - c;
		final int hi = c <= n ? Math.min(anchor, n - c) : 0;
		return lo + rng.nextInt(hi - lo + 1);
	}

	/** The {@code crop}-sized block of {@code volume} starting at {@code start}, {@code pad} outside the volume. */
	static float[] crop(final float[] volume, final int[] size, final int[] start, final int[] crop, final float pad) {
		final int cx = crop[0], cy = crop[1], cz = crop[2], nx = size[0], ny = size[1], nz = size[2];
		final float[] out = new float[cx * cy * cz];
		Arrays.fill(out, pad);
		// the x run that lies inside the volume is the same for every row
		final int x0 = Math.max(0, -start[0]), x1 = Math.min(cx, nx - start[0]);
		if (x1 <= x0) return out;
		for (int z = 0; z < cz; z++) {
			final int vz = start[2] + z;
			if (vz < 0 || vz >= nz) continue;
			for (int y = 0; y < cy; y++) {
				final int vy = start[1] + y;
				if (vy < 0 || vy >= ny) continue;
				System.arraycopy(volume, (vz * ny + vy) * nx + start[0] + x0, out, (z * cy + y) * cx + x0, x1 - x0);
			}
		}
		return out;
	}

	/** The smallest value, NaN ignored: the padding of crops that reach outside the volume. */
	static float minimum(final float[] volume) {
		float m = Float.POSITIVE_INFINITY;
		for (final float v : volume) if (v < m) m = v;
		return m == Float.POSITIVE_INFINITY ? 0 : m;
	}

	private static void check(final float[] volume, final int[] size, final int[] crop, final int n) {
		if (size.length != 3 || crop.length != 3) throw new IllegalArgumentException("sizes are {x, y, z}");
		for (int d = 0; d < 3; d++) {
			if (size[d] < 1 || crop[d] < 1) {
				throw new IllegalArgumentException("volume " + Arrays.toString(size) + " and crop " + Arrays.toString(crop) + " must be positive");
			}
		}
		if ((long) size[0] * size[1] * size[2] != volume.length) {
			throw new IllegalArgumentException(volume.length + " values for a " + size[0] + "×" + size[1] + "×" + size[2] + " volume");
		}
		if ((long) crop[0] * crop[1] * crop[2] > Integer.MAX_VALUE - 8) {
			throw new IllegalArgumentException("crop " + Arrays.toString(crop) + " is too large for one array");
		}
		if (n < 1) throw new IllegalArgumentException("voxels per pair must be at least 1, not " + n);
	}
}
