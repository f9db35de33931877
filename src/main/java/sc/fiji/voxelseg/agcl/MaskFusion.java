package sc.fiji.voxelseg.agcl;

import java.util.Arrays;

/**
 * Fusion of per-organ predictions into one label map, the last step of AGCL's second stage: each
 * organ is segmented as a binary problem in its own patches ({@link OrganPatches}), the patch
 * probabilities are pasted back into the whole grid, and every voxel takes the organ that claims it
 * with the highest probability.
 * <p>
 * Probability maps and label maps are flat arrays with x fastest, index {@code (z·ny + y)·nx + x}, on
 * the grid {nx, ny, nz}; patches likewise on {px, py, pz}, placed at a start {x, y, z} in the grid. A
 * map holds the probability of its organ, in [0, 1]; NaN means no patch of that organ covered the
 * voxel and counts as 0, so a map may start zero-filled ({@code new float[n]}) or NaN-filled.
 */
public final class MaskFusion {

	/** A voxel belongs to an organ only where its probability is strictly above this. */
	public static final float THRESHOLD = 0.5f;

	private MaskFusion() {}

	/**
	 * The label map of per-organ probability maps: at each voxel, the organ with the highest
	 * probability among those above {@value #THRESHOLD} (strictly: exactly 0.5 is not enough), else
	 * background 0. Where organs tie on the highest probability, the lowest class wins, so the result
	 * does not depend on anything but the maps. NaN counts as 0.
	 *
	 * @param maps {@code maps[k]} is organ k's map, {@code size[0]·size[1]·size[2]} values, or null for
	 *          an organ without one; {@code maps[0]} is background and must be null; at most 256 entries
	 *          (classes 0..255)
	 * @param size {nx, ny, nz}
	 * @return class per voxel (unsigned bytes), x fastest
	 */
	public static byte[] fuse(final float[][] maps, final int[] size) {
		final int n = voxels(size);
		if (maps.length > 256) throw new IllegalArgumentException(maps.length + " maps for classes 0..255");
		if (maps.length > 0 && maps[0] != null) throw new IllegalArgumentException("maps[0] is background and must be null");
		for (int k = 1; k < maps.length; k++) {
			if (maps[k] != null && maps[k].length != n) {
				throw new IllegalArgumentException("organ " + k + ": " + maps[k].length + " values for a " + size[0] + "×" + size[1] + "×" +
					size[2] + " grid");
			}
		}
		final byte[] labels = new byte[n];
		final float[] best = new float[n];
		Arrays.fill(best, THRESHOLD);
		// classes in increasing order, replacing only on a strictly higher probability: ties keep the lower class
		for (int k = 1; k < maps.length; k++) {
			final float[] p = maps[k];
			if (p == null) continue;
			for (int i = 0; i < n; i++) {
				// false for NaN, as for 0
				if (p[i] > best[i]) {
					best[i] = p[i];
					labels[i] = (byte) k;
				}
			}
		}
		return labels;
	}

	/**
	 * Pastes a patch's probabilities into an organ's map over the whole grid, keeping the maximum where
	 * they meet a value already there (an earlier, overlapping patch of the same organ). A NaN in the
	 * map is replaced by the patch's value; a NaN in the patch leaves the map as it was. The part of the
	 * patch outside the grid is dropped, as patches may reach outside the volume.
	 *
	 * @param map the organ's map, x fastest, {@code size[0]·size[1]·size[2]} values, changed in place
	 * @param size {nx, ny, nz}
	 * @param patch probabilities, x fastest, {@code patchSize[0]·patchSize[1]·patchSize[2]} values
	 * @param patchSize {px, py, pz}
	 * @param start position in the grid of the patch's voxel (0, 0, 0), {x, y, z}; may be negative
	 */
	public static void paste(final float[] map, final int[] size, final float[] patch, final int[] patchSize, final int[] start) {
		if (map.length != voxels(size)) throw new IllegalArgumentException(map.length + " values for a " + Arrays.toString(size) + " grid");
		if (patch.length != voxels(patchSize)) {
			throw new IllegalArgumentException(patch.length + " values for a " + Arrays.toString(patchSize) + " patch");
		}
		if (start.length != 3) throw new IllegalArgumentException("the start is {x, y, z}");
		final int nx = size[0], ny = size[1], nz = size[2], px = patchSize[0], py = patchSize[1], pz = patchSize[2];
		// the x run that lies inside the grid is the same for every row (long: a start far outside must not overflow)
		final int xa = (int) Math.max(0, Math.min(px, -(long) start[0])), xb = (int) Math.max(0, Math.min(px, (long) nx - start[0]));
		for (int z = 0; z < pz; z++) {
			final long vz = (long) start[2] + z;
			if (vz < 0 || vz >= nz) continue;
			for (int y = 0; y < py; y++) {
				final long vy = (long) start[1] + y;
				if (vy < 0 || vy >= ny) continue;
				final int from = (z * py + y) * px, to = (int) ((vz * ny + vy) * nx + start[0]);
				for (int x = xa; x < xb; x++) {
					final float v = patch[from + x];
					final int i = to + x;
					if (v > map[i] || Float.isNaN(map[i]) && !Float.isNaN(v)) map[i] = v;
				}
			}
		}
	}

	private static int voxels(final int[] size) {
		if (size.length != 3) throw new IllegalArgumentException("sizes are {x, y, z}");
		for (int d = 0; d < 3; d++) if (size[d] < 1) throw new IllegalArgumentException("size " + Arrays.toString(size) + " must be positive");
		final long n = (long) size[0] * size[1] * size[2];
		if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("size " + Arrays.toString(size) + " is too large for one array");
		return (int) n;
	}
}
