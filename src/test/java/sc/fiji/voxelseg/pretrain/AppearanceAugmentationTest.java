package sc.fiji.voxelseg.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The appearance augmentations one by one. Oracles worked by hand: Bézier curves whose x(t) and y(t)
 * have closed forms, block and box size bounds from integer division of the crop size, and crops
 * whose values name their voxel ({@code index + 0.5}, distinct and exact as floats) so that where a
 * value came from can be read off it.
 */
class AppearanceAugmentationTest {

	/** Crop values {@code index + 0.5}: distinct, so each names the voxel it started in. */
	private static float[] indexCrop(final int[] size) {
		final float[] c = new float[size[0] * size[1] * size[2]];
		for (int i = 0; i < c.length; i++) c[i] = i + 0.5f;
		return c;
	}

	/** Control points (1/3, 1/3), (2/3, 2/3): x(t) = t(1-t)² + 2t²(1-t) + t³ = t and y(t) = t, the identity. */
	@Test
	void bezierWithCollinearControlPointsIsTheIdentity() {
		final SplittableRandom rng = new SplittableRandom(3);
		final float[] crop = new float[500];
		for (int i = 0; i < crop.length; i++) crop[i] = (float) (rng.nextDouble() * 3 - 1);
		final float[] mapped = crop.clone();
		AppearanceAugmentation.bezier(mapped, 1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0);
		for (int i = 0; i < crop.length; i++) assertEquals(crop[i], mapped[i], 1e-6, "voxel " + i);
	}

	/**
	 * Control points (0, 1), (0, 1): x(t) = t³ and y(t) = 1 - (1-t)³. On a crop with range [2, 10],
	 * v = 3 is u = 1/8, t = 1/2, y = 7/8, so 2 + 8·7/8 = 9; v = 5.375 is u = 27/64, t = 3/4,
	 * y = 63/64, so 9.875; the ends 2 and 10 stay.
	 */
	@Test
	void bezierMatchesAClosedFormCurve() {
		final float[] crop = { 2, 3, 5.375f, 10 };
		AppearanceAugmentation.bezier(crop, 0, 1, 0, 1);
		assertArrayEquals(new float[] { 2, 9, 9.875f, 10 }, crop, 1e-4f);
	}

	/**
	 * Over a sorted ramp from -3 to 5 the map is non-decreasing and keeps -3 and 5 exactly, for 300
	 * random curves; and it is not the identity (some curve moves the middle of the ramp).
	 */
	@Test
	void bezierIsMonotoneWithFixedEnds() {
		final float[] ramp = new float[2001];
		for (int i = 0; i < ramp.length; i++) ramp[i] = -3 + 8f * i / (ramp.length - 1);
		double moved = 0;
		for (int seed = 0; seed < 300; seed++) {
			final float[] c = ramp.clone();
			AppearanceAugmentation.bezier(c, new SplittableRandom(seed));
			assertEquals(-3f, c[0], "seed " + seed);
			assertEquals(5f, c[c.length - 1], "seed " + seed);
			for (int i = 1; i < c.length; i++) {
				if (c[i] < c[i - 1]) throw new AssertionError("seed " + seed + ": " + c[i - 1] + " then " + c[i] + " at " + i);
			}
			moved = Math.max(moved, Math.abs(c[1000] - ramp[1000]));
		}
		assertTrue(moved > 1, "the curves left the ramp's middle within " + moved);
	}

	@Test
	void bezierLeavesAConstantCropUnchanged() {
		final float[] c = new float[27];
		Arrays.fill(c, 0.25f);
		AppearanceAugmentation.bezier(c, new SplittableRandom(1));
		for (final float v : c) assertEquals(0.25f, v);
	}

	/**
	 * One block at (2, 3, 1) of size 3×2×2 in an 8×7×5 crop: the 12 values inside are a permutation
	 * of the 12 before (and not all in place), every voxel outside is unchanged.
	 */
	@Test
	void shufflingOneBlockPermutesOnlyThatBlock() {
		final int[] size = { 8, 7, 5 };
		final float[] source = indexCrop(size), target = source.clone();
		final AppearanceAugmentation.Box box = new AppearanceAugmentation.Box(2, 3, 1, 3, 2, 2);
		AppearanceAugmentation.shuffleBlock(source, target, size, box, new float[12], new SplittableRandom(5));
		final float[] before = new float[12], after = new float[12];
		int n = 0, moved = 0;
		for (int z = 0; z < 5; z++) for (int y = 0; y < 7; y++) for (int x = 0; x < 8; x++) {
			final int i = (z * 7 + y) * 8 + x;
			if (box.contains(x, y, z)) {
				before[n] = source[i];
				after[n++] = target[i];
				if (target[i] != source[i]) moved++;
			}
			else assertEquals(source[i], target[i], "outside the block at " + x + "," + y + "," + z);
		}
		assertEquals(12, n);
		Arrays.sort(before);
		Arrays.sort(after);
		assertArrayEquals(before, after);
		assertTrue(moved > 0, "the block was left in place");
	}

	/**
	 * A 40×10×10 crop allows blocks of at most 40/20 = 2 voxels along x and 1 along y and z, so each
	 * value moves at most one voxel along x, within its row; that holds only because every block is
	 * read from the unshuffled crop (5000 blocks read from the shuffled one would carry values
	 * further). A 16³ crop allows only 1-voxel blocks, so shuffling changes nothing.
	 */
	@Test
	void shufflingMovesValuesWithinOneBlockWidth() {
		final int[] size = { 40, 10, 10 };
		final float[] in = indexCrop(size), out = in.clone();
		AppearanceAugmentation.shuffle(out, size, 5000, new SplittableRandom(8));
		int moved = 0;
		for (int i = 0; i < out.length; i++) {
			final int from = (int) out[i];
			assertEquals(from + 0.5f, out[i], "voxel " + i + " holds a value that was not in the crop");
			assertEquals(i / 40, from / 40, "voxel " + i + " took a value from another row");
			assertTrue(Math.abs(from - i) <= 1, "voxel " + i + " took the value of voxel " + from);
			if (from != i) moved++;
		}
		assertTrue(moved > 100, moved + " voxels moved");

		final int[] small = { 16, 16, 16 };
		final float[] s = indexCrop(small);
		AppearanceAugmentation.shuffle(s, small, 5000, new SplittableRandom(8));
		assertArrayEquals(indexCrop(small), s);
	}

	/** The default 5000 blocks on a 64×64×32 crop: every output value is one of the input values. */
	@Test
	void shufflingOnlyRearrangesInputValues() {
		final int[] size = { 64, 64, 32 };
		final float[] in = indexCrop(size), out = in.clone();
		AppearanceAugmentation.shuffle(out, size, 5000, new SplittableRandom(13));
		final Set<Float> values = new HashSet<>();
		for (final float v : in) values.add(v);
		int moved = 0;
		for (int i = 0; i < out.length; i++) {
			assertTrue(values.contains(out[i]), "voxel " + i + " holds " + out[i]);
			if (out[i] != in[i]) moved++;
		}
		assertTrue(moved > 1000, moved + " voxels moved");
	}

	/**
	 * In a 40×20×10 crop of values in [-2, 3] (both ends present), boxes measure [4, 8]×[2, 4]×[1, 2]
	 * (c/10 to c/5), lie inside the crop, number at most 30, hold noise within [-2, 3] that spans most
	 * of it (so not U(0, 1)), and every voxel outside all boxes is unchanged.
	 */
	@Test
	void inpaintingChangesOnlyItsBoxes() {
		final int[] size = { 40, 20, 10 };
		final SplittableRandom values = new SplittableRandom(2);
		final float[] in = new float[40 * 20 * 10];
		for (int i = 0; i < in.length; i++) in[i] = (float) (-2 + 5 * values.nextDouble());
		in[0] = -2;
		in[1] = 3;
		int total = 0;
		float lowest = Float.POSITIVE_INFINITY, highest = Float.NEGATIVE_INFINITY;
		for (int seed = 0; seed < 10; seed++) {
			final float[] out = in.clone();
			final List<AppearanceAugmentation.Box> boxes = AppearanceAugmentation.inpaint(out, size, 30, 0.95, new SplittableRandom(seed));
			assertTrue(boxes.size() <= 30);
			total += boxes.size();
			for (final AppearanceAugmentation.Box b : boxes) {
				assertTrue(b.sx() >= 4 && b.sx() <= 8 && b.sy() >= 2 && b.sy() <= 4 && b.sz() >= 1 && b.sz() <= 2, b.toString());
				assertTrue(b.x() >= 0 && b.x() + b.sx() <= 40 && b.y() >= 0 && b.y() + b.sy() <= 20 && b.z() >= 0 && b.z() + b.sz() <= 10,
					b.toString());
			}
			int changed = 0;
			for (int z = 0; z < 10; z++) for (int y = 0; y < 20; y++) for (int x = 0; x < 40; x++) {
				final int i = (z * 20 + y) * 40 + x;
				boolean inBox = false;
				for (final AppearanceAugmentation.Box b : boxes) inBox |= b.contains(x, y, z);
				if (inBox) {
					assertTrue(out[i] >= -2 && out[i] <= 3, "noise " + out[i] + " at " + x + "," + y + "," + z);
					lowest = Math.min(lowest, out[i]);
					highest = Math.max(highest, out[i]);
					if (out[i] != in[i]) changed++;
				}
				else assertEquals(in[i], out[i], "outside every box at " + x + "," + y + "," + z + ", seed " + seed);
			}
			assertEquals(boxes.isEmpty(), changed == 0, "seed " + seed);
		}
		assertTrue(total > 10, total + " boxes in 10 crops");
		assertTrue(lowest < -1.5 && highest > 2.5, "noise spans [" + lowest + ", " + highest + "]");
	}

	/** Certain continuation draws exactly the most boxes (the loop counts 30 down to 0); none draws none. */
	@Test
	void inpaintingBoxCountFollowsTheLoop() {
		final int[] size = { 20, 20, 20 };
		final float[] c = indexCrop(size);
		assertEquals(30, AppearanceAugmentation.inpaint(c.clone(), size, 30, 1.0, new SplittableRandom(4)).size());
		final float[] d = c.clone();
		assertEquals(0, AppearanceAugmentation.inpaint(d, size, 30, 0.0, new SplittableRandom(4)).size());
		assertArrayEquals(c, d);
	}

	/**
	 * The same seed gives the same augmented crop, the input is left as it is, another seed gives
	 * another crop, and {@code none()} returns an equal copy.
	 */
	@Test
	void sameSeedSameOutput() {
		final int[] size = { 48, 40, 24 };
		final float[] crop = new float[48 * 40 * 24];
		final SplittableRandom v = new SplittableRandom(1);
		for (int i = 0; i < crop.length; i++) crop[i] = (float) v.nextDouble();
		final float[] copy = crop.clone();
		final AppearanceAugmentation aug = new AppearanceAugmentation(AppearanceAugmentation.Settings.defaults());
		final float[] a = aug.apply(crop, size, new SplittableRandom(42)), b = aug.apply(crop, size, new SplittableRandom(42));
		assertArrayEquals(a, b);
		assertArrayEquals(copy, crop);
		assertFalse(Arrays.equals(a, aug.apply(crop, size, new SplittableRandom(43))));
		assertFalse(Arrays.equals(a, crop));

		final AppearanceAugmentation none = new AppearanceAugmentation(AppearanceAugmentation.Settings.none());
		assertTrue(none.settings().isNone());
		assertFalse(aug.settings().isNone());
		final float[] same = none.apply(crop, size, new SplittableRandom(42));
		assertNotSame(crop, same);
		assertArrayEquals(crop, same);
	}

	@Test
	void rejectsBadSettingsAndSizes() {
		assertThrows(IllegalArgumentException.class, () -> new AppearanceAugmentation.Settings(1.5, 10, 0.5, 3, 0.5));
		assertThrows(IllegalArgumentException.class, () -> new AppearanceAugmentation.Settings(0.5, -1, 0.5, 3, 0.5));
		assertThrows(IllegalArgumentException.class, () -> new AppearanceAugmentation(AppearanceAugmentation.Settings.defaults())
			.apply(new float[7], new int[] { 2, 2, 2 }, new SplittableRandom(1)));
	}
}
