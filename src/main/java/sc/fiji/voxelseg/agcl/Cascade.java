package sc.fiji.voxelseg.agcl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import sc.fiji.voxelseg.agcl.OrganPatches.OrganBox;
import sc.fiji.voxelseg.util.Progress;

/**
 * The second stage of a cascade at inference (seed 002, AGCL, in 3D): a coarse segmentation says
 * where each organ lies; a two-channel network that sees one organ at a time refines it in patches
 * around it; the organs' probability maps are fused into one label map ({@link MaskFusion}). This
 * class is the array logic on one grid (the cascade model's): which patches cover an organ, cutting
 * them as {@link OrganPatches} lays them out for training, running them through the network in
 * bounded batches, and pasting the organ's probability back. The network is a {@link PatchModel},
 * so any function of the patches can stand in for it.
 * <p>
 * Volumes are flat arrays with x fastest, index {@code (z·ny + y)·nx + x}, on the grid {nx, ny, nz};
 * patches are 2×pz×py×px, channel slowest (channel 0 the image, channel 1 the organ's binary mask in
 * the coarse map; outside the volume the image is the volume's minimum and the mask 0).
 * <p>
 * Patches per organ: the organ's bounding box in the coarse map is covered along each axis by one
 * patch centred on the box when the box fits ({@link #axisStarts}), else by evenly spaced patches
 * that overlap by at least the given share and whose first starts at the box's first voxel and last
 * ends at its last. Patches may reach outside the volume, as in training.
 * <p>
 * Memory: one float map per organ present (zero-filled, so a voxel no patch of an organ covered has
 * probability 0 for it) besides the image; one batch of patches and its probabilities at a time.
 */
public final class Cascade {

	/** The most patches that go through the network in one forward pass. */
	public static final int MAX_BATCH = 8;

	private Cascade() {}

	/** The cascade model as the cascade sees it: a batch of two-channel patches in, the organ's probability out. */
	@FunctionalInterface
	public interface PatchModel {

		/**
		 * The probability of the organ (the softmax's channel 1) at every voxel of every patch.
		 *
		 * @param patches {@code count} patches, each laid out as {@link OrganPatches.Patch#data}, one after
		 *          the other: the C order of a count×2×pz×py×px tensor (NCDHW)
		 * @param count the number of patches, at least 1
		 * @param size {px, py, pz}
		 * @return count×pz×py×px probabilities in [0, 1], x fastest
		 */
		float[] organProbabilities(float[] patches, int count, int[] size);
	}

	/**
	 * The organs' probability maps and what it took.
	 *
	 * @param maps {@code maps[k]} organ k's probability over the grid, null for background ({@code k = 0})
	 *          and for every class that was not refined (absent from the coarse map, or not asked for)
	 * @param patches patches run through the network
	 * @param batches forward passes
	 */
	public record OrganMaps(float[][] maps, int patches, int batches) {}

	/**
	 * One organ's patches: the starts {x, y, z} of patches of size {@code patch} that cover its box.
	 *
	 * @param overlap the least share of a patch that neighbouring patches share, in [0, 1), when one
	 *          patch does not fit the box
	 */
	public static List<int[]> starts(final OrganBox box, final int[] patch, final double overlap) {
		final int[][] s = new int[3][];
		for (int d = 0; d < 3; d++) s[d] = axisStarts(box.min()[d], box.max()[d], patch[d], overlap);
		final List<int[]> out = new ArrayList<>();
		for (final int z : s[2]) for (final int y : s[1]) for (final int x : s[0]) out.add(new int[] { x, y, z });
		return out;
	}

	/**
	 * The starts along one axis of patches of length {@code p} that cover the voxels {@code min..max}
	 * (inclusive). When the extent {@code e = max - min + 1} fits ({@code e ≤ p}), one patch with the
	 * box in its middle: start {@code min - ⌊(p - e)/2⌋}. Otherwise {@code n = ⌈(e - p)/step⌉ + 1}
	 * patches, {@code step = max(1, ⌊p·(1 - overlap)⌋)}, the i-th starting at
	 * {@code min + round(i·(e - p)/(n - 1))}: the first at {@code min}, the last ending at {@code max},
	 * neighbours at most {@code step} apart.
	 */
	public static int[] axisStarts(final int min, final int max, final int p, final double overlap) {
		if (p < 1) throw new IllegalArgumentException("patch length " + p + " must be positive");
		if (max < min) throw new IllegalArgumentException("empty range " + min + ".." + max);
		if (!(overlap >= 0 && overlap < 1)) throw new IllegalArgumentException("overlap must be in [0, 1), not " + overlap);
		final int e = max - min + 1;
		if (e <= p) return new int[] { min - (p - e) / 2 };
		final int step = Math.max(1, (int) Math.floor(p * (1 - overlap)));
		final int n = (e - p + step - 1) / step + 1;
		final int[] s = new int[n];
		for (int i = 0; i < n; i++) s[i] = min + (int) Math.round(i * (double) (e - p) / (n - 1));
		return s;
	}

	/**
	 * Patches per forward pass: as many as hold together no more than half the grid's voxels, so that
	 * the network's activations stay within half those of one whole-volume pass on the grid (leaving
	 * room for the organ maps), at least 1 and at most {@value #MAX_BATCH}.
	 *
	 * @param grid {nx, ny, nz}
	 * @param patch {px, py, pz}
	 */
	public static int batchFor(final int[] grid, final int[] patch) {
		final long g = (long) grid[0] * grid[1] * grid[2], p = (long) patch[0] * patch[1] * patch[2];
		return (int) Math.max(1, Math.min(MAX_BATCH, g / (2 * Math.max(1, p))));
	}

	/**
	 * Refines the organs of a coarse label map: for every class of {@code organs} present in
	 * {@code coarse}, the patches of {@link #starts} around its box that hold any of its voxels, cut as {@link OrganPatches} lays
	 * them out, run through {@code model} at most {@code batch} at a time (patches of several organs
	 * may share a pass), each patch's probabilities pasted into its organ's map with
	 * {@link MaskFusion#paste} (the maximum where patches of one organ overlap). Classes of the coarse
	 * map that are not in {@code organs} count as background in the mask channel.
	 *
	 * @param image intensities on the grid, x fastest (preprocessed as the model expects)
	 * @param coarse the coarse label map on the same grid (unsigned bytes, 0 background)
	 * @param size {nx, ny, nz}
	 * @param organs the classes the model was trained on (1..255); others are not refined
	 * @param patch the model's patch {px, py, pz}
	 * @param overlap see {@link #starts}
	 * @param batch the most patches per forward pass, at least 1
	 * @param progress status, patches done, and cancellation between passes; may be null
	 * @throws IllegalStateException if the model returns the wrong number of values
	 */
	public static OrganMaps organMaps(final float[] image, final byte[] coarse, final int[] size, final int[] organs, final int[] patch,
		final double overlap, final int batch, final PatchModel model, final Progress progress)
	{
		final Progress p = progress == null ? Progress.NONE : progress;
		if (image.length != coarse.length) {
			throw new IllegalArgumentException("the image has " + image.length + " voxels, the coarse label map " + coarse.length);
		}
		if (batch < 1) throw new IllegalArgumentException("a batch holds at least one patch, not " + batch);
		if (patch.length != 3) throw new IllegalArgumentException("the patch size is {x, y, z}");
		final boolean[] wanted = new boolean[256];
		int top = 0;
		for (final int k : organs) {
			if (k < 1 || k > 255) throw new IllegalArgumentException("organ classes are 1..255, not " + k);
			wanted[k] = true;
			top = Math.max(top, k);
		}
		final float[][] maps = new float[top + 1][];
		final List<OrganBox> boxes = new ArrayList<>();
		for (final OrganBox b : OrganPatches.organs(coarse, size)) if (wanted[b.organ()]) boxes.add(b);
		final List<int[]> tasks = new ArrayList<>();
		for (final OrganBox b : boxes) {
			// a tile of the box that holds none of the organ's voxels (the box of a scattered coarse
			// segmentation is mostly empty) has nothing to refine: the network would see an empty mask
			for (final int[] s : starts(b, patch, overlap)) if (holds(coarse, size, b.organ(), s, patch)) tasks.add(new int[] { b.organ(),
				s[0], s[1], s[2] });
		}
		final int n = image.length, pv = patch[0] * patch[1] * patch[2];
		final float padding = OrganPatches.minimum(image);
		int passes = 0;
		for (int from = 0; from < tasks.size(); from += batch) {
			p.checkCanceled();
			p.progress(from, tasks.size());
			final int count = Math.min(batch, tasks.size() - from);
			final float[] in = new float[count * 2 * pv];
			for (int i = 0; i < count; i++) {
				final int[] t = tasks.get(from + i);
				System.arraycopy(OrganPatches.cut(image, coarse, size, t[0], new int[] { t[1], t[2], t[3] }, patch, padding), 0, in, i * 2 * pv,
					2 * pv);
			}
			final float[] out = model.organProbabilities(in, count, patch.clone());
			passes++;
			if (out == null || out.length != count * pv) {
				throw new IllegalStateException("the cascade model returned " + (out == null ? "nothing" : out.length + " values") + " for " +
					count + " patches of " + pv + " voxels");
			}
			for (int i = 0; i < count; i++) {
				final int[] t = tasks.get(from + i);
				if (maps[t[0]] == null) maps[t[0]] = new float[n];
				MaskFusion.paste(maps[t[0]], size, Arrays.copyOfRange(out, i * pv, (i + 1) * pv), patch, new int[] { t[1], t[2], t[3] });
			}
		}
		p.progress(tasks.size(), tasks.size());
		return new OrganMaps(maps, tasks.size(), passes);
	}

	/** Whether the {@code patch}-sized block at {@code start} holds a voxel of {@code organ} in {@code labels}. */
	static boolean holds(final byte[] labels, final int[] size, final int organ, final int[] start, final int[] patch) {
		final int nx = size[0], ny = size[1], nz = size[2];
		final int x0 = Math.max(0, start[0]), x1 = Math.min(nx, start[0] + patch[0]);
		for (int z = Math.max(0, start[2]); z < Math.min(nz, start[2] + patch[2]); z++) {
			for (int y = Math.max(0, start[1]); y < Math.min(ny, start[1] + patch[1]); y++) {
				final int row = (z * ny + y) * nx;
				for (int x = x0; x < x1; x++) if ((labels[row + x] & 0xff) == organ) return true;
			}
		}
		return false;
	}

	/**
	 * The background's probability beside the organs' maps, for an arg-max over classes that gives
	 * what {@link MaskFusion#fuse} gives: {@code 1 - max_k p_k} (NaN counting as 0), so that an organ
	 * wins exactly where its probability is the highest and above 0.5 (a tie goes to the lower class,
	 * background first, when the arg-max keeps the first of equal values). NaN in the organs' maps is
	 * replaced by 0 in place, so that interpolating them never spreads a NaN.
	 *
	 * @param maps organ maps as {@link OrganMaps#maps}, nulls skipped
	 * @param into an array of the maps' length to fill (reusing memory no longer needed), or null for a
	 *          new one
	 * @param n voxels of the grid
	 */
	public static float[] background(final float[][] maps, final int n, final float[] into) {
		final float[] bg = into == null ? new float[n] : into;
		if (bg.length != n) throw new IllegalArgumentException(bg.length + " values for " + n + " voxels");
		Arrays.fill(bg, 0);
		for (final float[] m : maps) {
			if (m == null) continue;
			if (m.length != n) throw new IllegalArgumentException("an organ map has " + m.length + " values for " + n + " voxels");
			for (int i = 0; i < n; i++) {
				final float v = m[i];
				if (Float.isNaN(v)) m[i] = 0;
				else if (v > bg[i]) bg[i] = v;
			}
		}
		for (int i = 0; i < n; i++) bg[i] = 1 - bg[i];
		return bg;
	}
}
