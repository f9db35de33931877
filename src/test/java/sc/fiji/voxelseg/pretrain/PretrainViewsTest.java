package sc.fiji.voxelseg.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * The two crops of a pair and their positives. Oracle: a volume whose every voxel holds its own
 * flat index {@code (z·ny + y)·nx + x} (exact as a float below 2²⁴), so a crop voxel's value names
 * the volume voxel it was read from, and the start ranges worked by hand from the rule
 * [max(0, anchor-c+1), min(anchor, n-c)] (c ≤ n) or [n-c, 0] (c > n).
 */
class PretrainViewsTest {

	/** A volume whose voxel values are their own flat indices. */
	private static float[] indexVolume(final int[] size) {
		final float[] v = new float[size[0] * size[1] * size[2]];
		for (int i = 0; i < v.length; i++) v[i] = i;
		return v;
	}

	/**
	 * Every crop voxel holds the index of volume voxel start + offset, or the volume's minimum (0)
	 * where that lies outside; every positive reads the same volume voxel in A and in B, inside the
	 * volume; both crops hold the anchor and start within the allowed ranges. Shapes: a volume larger
	 * than the crop, one shorter than the crop along y, one shorter along every axis, and crops equal
	 * to the volume (whose starts can only be 0).
	 */
	@Test
	void positivesReadTheSameVolumeVoxelInBothCrops() {
		final int[][][] cases = { //
			{ { 13, 11, 9 }, { 6, 5, 4 } }, //
			{ { 12, 3, 10 }, { 5, 6, 4 } }, //
			{ { 2, 3, 4 }, { 5, 6, 7 } }, //
			{ { 7, 6, 5 }, { 7, 6, 5 } } };
		final SplittableRandom rng = new SplittableRandom(20240917);
		for (final int[][] c : cases) {
			final int[] size = c[0], crop = c[1];
			final float[] volume = indexVolume(size);
			for (final PretrainViews.Pair p : PretrainViews.pairs(volume, size, crop, 300, 17, rng)) {
				final String where = Arrays.toString(size) + " crop " + Arrays.toString(crop) + ": " + p;
				assertEquals(17, p.positives(), where);
				for (int d = 0; d < 3; d++) {
					final int a = p.anchor()[d];
					assertTrue(a >= 0 && a < size[d], where);
					// the hand rule for the start range
					final int lo = crop[d] <= size[d] ? Math.max(0, a - crop[d] + 1) : size[d] - crop[d];
					final int hi = crop[d] <= size[d] ? Math.min(a, size[d] - crop[d]) : 0;
					for (final int s : new int[] { p.startA()[d], p.startB()[d] }) {
						assertTrue(s >= lo && s <= hi, "start " + s + " outside [" + lo + ", " + hi + "] on axis " + d + " for " + where);
						assertTrue(s <= a && a < s + crop[d], "crop misses the anchor on axis " + d + " for " + where);
					}
					if (crop[d] == size[d]) {
						assertEquals(0, p.startA()[d], where);
						assertEquals(0, p.startB()[d], where);
					}
				}
				assertCropReads(p.cropA(), p.startA(), size, crop, where);
				assertCropReads(p.cropB(), p.startB(), size, crop, where);
				for (int i = 0; i < p.positives(); i++) {
					final int[] va = volumeVoxel(p.positivesA()[i], p.startA(), crop);
					final int[] vb = volumeVoxel(p.positivesB()[i], p.startB(), crop);
					assertArrayEquals(va, vb, "positive " + i + " of " + where);
					for (int d = 0; d < 3; d++) assertTrue(va[d] >= 0 && va[d] < size[d], "positive " + i + " outside the volume: " + where);
					final float index = (va[2] * size[1] + va[1]) * size[0] + va[0];
					assertEquals(index, p.cropA()[p.positivesA()[i]], "positive " + i + " of " + where);
					assertEquals(index, p.cropB()[p.positivesB()[i]], "positive " + i + " of " + where);
				}
			}
		}
	}

	/**
	 * The positives cover the whole overlap, not part of it: with crops 6×5×4 of a 13×11×9 volume and
	 * 5000 positives, every volume voxel in both crops is drawn (an overlap of at most 120 voxels
	 * misses one with probability below 120·(1-1/120)⁵⁰⁰⁰ ≈ 10⁻¹⁶), and none outside.
	 */
	@Test
	void positivesCoverTheOverlap() {
		final int[] size = { 13, 11, 9 }, crop = { 6, 5, 4 };
		final float[] volume = indexVolume(size);
		final SplittableRandom rng = new SplittableRandom(7);
		for (int k = 0; k < 5; k++) {
			final PretrainViews.Pair p = PretrainViews.pair(volume, size, crop, 5000, rng);
			final TreeSet<Integer> expected = new TreeSet<>(), drawn = new TreeSet<>();
			for (int z = 0; z < size[2]; z++) for (int y = 0; y < size[1]; y++) for (int x = 0; x < size[0]; x++) {
				if (inside(x, y, z, p.startA(), crop) && inside(x, y, z, p.startB(), crop)) expected.add((z * size[1] + y) * size[0] + x);
			}
			for (final int i : p.positivesA()) drawn.add((int) p.cropA()[i]);
			assertEquals(expected, drawn, p.toString());
		}
	}

	/**
	 * Start ranges worked by hand: anchor 5, crop 4, line 10 → [2, 5]; anchor 0 → [0, 0]; anchor 9 →
	 * [6, 6]; crop 5 on a line of 3 → [-2, 0] whatever the anchor; crop equal to the line → [0, 0].
	 * 400 draws see every value of a range of at most 4 (a miss has probability below 4·(3/4)⁴⁰⁰).
	 */
	@Test
	void startRangesWorkedByHand() {
		final SplittableRandom rng = new SplittableRandom(11);
		assertEquals(new TreeSet<>(List.of(2, 3, 4, 5)), starts(5, 4, 10, rng));
		assertEquals(new TreeSet<>(List.of(0)), starts(0, 4, 10, rng));
		assertEquals(new TreeSet<>(List.of(6)), starts(9, 4, 10, rng));
		assertEquals(new TreeSet<>(List.of(-2, -1, 0)), starts(0, 5, 3, rng));
		assertEquals(new TreeSet<>(List.of(-2, -1, 0)), starts(2, 5, 3, rng));
		assertEquals(new TreeSet<>(List.of(0)), starts(3, 7, 7, rng));
	}

	/**
	 * Padding is the volume's minimum: a 2×2×2 volume of values 5..12 cropped 4×2×2 at x = -1 holds
	 * 5 (the minimum) in columns 0 and 3 and the volume's rows in columns 1-2. Worked by hand.
	 */
	@Test
	void paddingIsTheVolumeMinimum() {
		final float[] volume = new float[8];
		for (int i = 0; i < 8; i++) volume[i] = 5 + i;
		final float[] c = PretrainViews.crop(volume, new int[] { 2, 2, 2 }, new int[] { -1, 0, 0 }, new int[] { 4, 2, 2 }, 5f);
		assertArrayEquals(new float[] { 5, 5, 6, 5, 5, 7, 8, 5, 5, 9, 10, 5, 5, 11, 12, 5 }, c);
		assertEquals(-3f, PretrainViews.minimum(new float[] { 2, Float.NaN, -3, 7 }));
	}

	/** The same seed gives the same pairs; {@code pairs} equals as many {@code pair} calls on one stream. */
	@Test
	void sameSeedSamePairs() {
		final int[] size = { 9, 8, 7 }, crop = { 4, 4, 4 };
		final float[] volume = indexVolume(size);
		final List<PretrainViews.Pair> a = PretrainViews.pairs(volume, size, crop, 3, 10, new SplittableRandom(99));
		final SplittableRandom r = new SplittableRandom(99);
		for (int k = 0; k < 3; k++) {
			final PretrainViews.Pair q = PretrainViews.pair(volume, size, crop, 10, r), p = a.get(k);
			assertArrayEquals(p.cropA(), q.cropA());
			assertArrayEquals(p.cropB(), q.cropB());
			assertArrayEquals(p.startA(), q.startA());
			assertArrayEquals(p.startB(), q.startB());
			assertArrayEquals(p.positivesA(), q.positivesA());
			assertArrayEquals(p.positivesB(), q.positivesB());
		}
		final PretrainViews.Pair other = PretrainViews.pair(volume, size, crop, 10, new SplittableRandom(100));
		assertFalse(Arrays.equals(a.get(0).positivesA(), other.positivesA()) && Arrays.equals(a.get(0).startA(), other.startA()));
	}

	@Test
	void rejectsMismatchedSizes() {
		assertThrows(IllegalArgumentException.class, () -> PretrainViews.pair(new float[10], new int[] { 2, 2, 2 }, new int[] { 1, 1, 1 }, 1,
			new SplittableRandom(1)));
		assertThrows(IllegalArgumentException.class, () -> PretrainViews.pair(new float[8], new int[] { 2, 2, 2 }, new int[] { 0, 1, 1 }, 1,
			new SplittableRandom(1)));
		assertThrows(IllegalArgumentException.class, () -> PretrainViews.pair(new float[8], new int[] { 2, 2, 2 }, new int[] { 1, 1, 1 }, 0,
			new SplittableRandom(1)));
	}

	private static TreeSet<Integer> starts(final int anchor, final int c, final int n, final SplittableRandom rng) {
		final TreeSet<Integer> seen = new TreeSet<>();
		for (int k = 0; k < 400; k++) seen.add(PretrainViews.start(anchor, c, n, rng));
		return seen;
	}

	private static boolean inside(final int x, final int y, final int z, final int[] start, final int[] crop) {
		return x >= start[0] && x < start[0] + crop[0] && y >= start[1] && y < start[1] + crop[1] && z >= start[2] && z < start[2] + crop[2];
	}

	/** Volume coordinates {x, y, z} of flat crop index {@code i}. */
	private static int[] volumeVoxel(final int i, final int[] start, final int[] crop) {
		return new int[] { start[0] + i % crop[0], start[1] + (i / crop[0]) % crop[1], start[2] + i / (crop[0] * crop[1]) };
	}

	/** Each crop voxel holds the index of the volume voxel under it, or 0 (the minimum) outside the volume. */
	private static void assertCropReads(final float[] c, final int[] start, final int[] size, final int[] crop, final String where) {
		assertEquals(crop[0] * crop[1] * crop[2], c.length, where);
		for (int i = 0; i < c.length; i++) {
			final int[] v = volumeVoxel(i, start, crop);
			final boolean in = v[0] >= 0 && v[0] < size[0] && v[1] >= 0 && v[1] < size[1] && v[2] >= 0 && v[2] < size[2];
			final float expected = in ? (v[2] * size[1] + v[1]) * size[0] + v[0] : 0;
			if (c[i] != expected) throw new AssertionError("crop voxel " + i + " holds " + c[i] + ", not " + expected + ": " + where);
		}
	}
}
