package sc.fiji.voxelseg.agcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The cascade's array logic with hand-made patch models whose answers are known. Oracles: patch
 * starts worked by hand and checked for covering; a model that returns the mask channel, which must
 * give the coarse map back exactly (organs larger than a patch, organs touching the border); a model
 * whose probabilities are written out per region, fused by hand.
 */
class CascadeTest {

	/** p = the mask channel: the cascade must reproduce the coarse map. */
	static final Cascade.PatchModel MASK = (x, n, size) -> {
		final int pv = size[0] * size[1] * size[2];
		final float[] out = new float[n * pv];
		for (int i = 0; i < n; i++) System.arraycopy(x, (2 * i + 1) * pv, out, i * pv, pv);
		return out;
	};

	@Test
	void axisStartsWorkedByHand() {
		// fits: the box in the middle, the odd voxel of slack above it
		assertArrayEquals(new int[] { 1 }, Cascade.axisStarts(3, 6, 8, 0.5));
		assertArrayEquals(new int[] { 0 }, Cascade.axisStarts(0, 7, 8, 0.5));
		assertArrayEquals(new int[] { 0 }, Cascade.axisStarts(2, 2, 5, 0.5));
		assertArrayEquals(new int[] { -3 }, Cascade.axisStarts(0, 1, 8, 0.5), "reaches below the volume, as in training");
		// larger than the patch: the first at the box's start, the last ending at its end, step ≤ p·(1 - overlap)
		assertArrayEquals(new int[] { 0, 4, 8, 12 }, Cascade.axisStarts(0, 19, 8, 0.5));
		assertArrayEquals(new int[] { 5, 7 }, Cascade.axisStarts(5, 14, 8, 0.5));
		assertArrayEquals(new int[] { 0, 3, 6 }, Cascade.axisStarts(0, 9, 4, 0));
		assertThrows(IllegalArgumentException.class, () -> Cascade.axisStarts(0, 9, 4, 1));
	}

	@Test
	void startsCoverEveryBox() {
		final Random r = new Random(2);
		for (int t = 0; t < 2000; t++) {
			final int p = 1 + r.nextInt(40), min = r.nextInt(50) - 10, max = min + r.nextInt(120);
			final double overlap = r.nextInt(4) * 0.25;
			final int[] s = Cascade.axisStarts(min, max, p, overlap);
			final String what = min + ".." + max + ", patch " + p + ", overlap " + overlap + ": " + Arrays.toString(s);
			assertTrue(s[0] <= min && s[s.length - 1] + p - 1 >= max, what);
			final int step = Math.max(1, (int) Math.floor(p * (1 - overlap)));
			for (int i = 1; i < s.length; i++) assertTrue(s[i] > s[i - 1] && s[i] - s[i - 1] <= step, what);
			if (max - min + 1 > p) assertTrue(s[0] == min && s[s.length - 1] + p - 1 == max, "tiles stay on the box: " + what);
		}
	}

	@Test
	void batchSizeWorkedByHand() {
		// half the grid's voxels: 4 patches of an eighth of the grid
		assertEquals(4, Cascade.batchFor(new int[] { 128, 128, 64 }, new int[] { 64, 64, 32 }));
		assertEquals(Cascade.MAX_BATCH, Cascade.batchFor(new int[] { 128, 128, 64 }, new int[] { 16, 16, 8 }));
		assertEquals(2, Cascade.batchFor(new int[] { 64, 64, 32 }, new int[] { 16, 64, 32 }));
		assertEquals(1, Cascade.batchFor(new int[] { 64, 64, 32 }, new int[] { 32, 64, 32 }));
		assertEquals(1, Cascade.batchFor(new int[] { 32, 32, 16 }, new int[] { 64, 64, 32 }));
	}

	/**
	 * A 30×24×12 grid, patches 8×8×4: organ 1 an ellipsoid larger than a patch (tiled, its box full of
	 * other organs' voxels), organ 2 in the corner at the origin, organ 3 in the opposite corner, organ 5
	 * present but not one of the model's organs, organ 4 one of its organs but absent.
	 */
	@Test
	void aMaskModelGivesTheCoarseMapBack() {
		final int[] size = { 30, 24, 12 }, patch = { 8, 8, 4 };
		final byte[] coarse = new byte[size[0] * size[1] * size[2]];
		final float[] image = new float[coarse.length];
		for (int z = 0, i = 0; z < size[2]; z++) for (int y = 0; y < size[1]; y++) for (int x = 0; x < size[0]; x++, i++) {
			image[i] = (float) Math.sin(0.3 * x + 0.2 * y - z);
			final double dx = (x - 16) / 11.0, dy = (y - 12) / 9.0, dz = (z - 6) / 5.0;
			if (dx * dx + dy * dy + dz * dz < 1) coarse[i] = 1;
			if (x < 4 && y < 6 && z < 3) coarse[i] = 2;
			if (x >= 26 && y >= 20 && z >= 9) coarse[i] = 3;
			if (x == 15 && y == 12 && z == 6) coarse[i] = 5;
		}
		final List<Integer> counts = new ArrayList<>();
		final Cascade.PatchModel model = (x, n, s) -> {
			counts.add(n);
			return MASK.organProbabilities(x, n, s);
		};
		final Cascade.OrganMaps m = Cascade.organMaps(image, coarse, size, new int[] { 1, 2, 3, 4 }, patch, 0.5, 3, model, null);
		int expected = 0;
		for (final OrganPatches.OrganBox b : OrganPatches.organs(coarse, size)) {
			if (b.organ() <= 4) expected += Cascade.starts(b, patch, 0.5).size();
		}
		assertTrue(Cascade.starts(OrganPatches.organs(coarse, size).get(0), patch, 0.5).size() > 8, "organ 1 is tiled");
		assertEquals(expected, m.patches());
		assertEquals((expected + 2) / 3, m.batches());
		assertEquals(m.batches(), counts.size());
		for (int i = 0; i < counts.size(); i++) assertEquals(i < counts.size() - 1 ? 3 : expected - 3 * i, counts.get(i));
		assertEquals(5, m.maps().length);
		assertNull(m.maps()[0]);
		assertNull(m.maps()[4], "an organ the coarse map lacks has no map");
		final byte[] want = coarse.clone();
		for (int i = 0; i < want.length; i++) if (want[i] == 5) want[i] = 0;
		assertArrayEquals(want, MaskFusion.fuse(m.maps(), size));
	}

	/**
	 * A scattered coarse segmentation: organ 1 is two voxels at opposite corners of a 40×40×20 grid,
	 * so its box is the whole grid (5×5×5 tiles of 8×8×4), but only the two tiles that hold one of
	 * them go through the network; both voxels come back.
	 */
	@Test
	void onlyTilesHoldingTheOrganAreRun() {
		final int[] size = { 40, 40, 20 }, patch = { 8, 8, 4 };
		final byte[] coarse = new byte[size[0] * size[1] * size[2]];
		coarse[0] = 1;
		coarse[coarse.length - 1] = 1;
		final OrganPatches.OrganBox box = OrganPatches.organs(coarse, size).get(0);
		assertEquals(125, Cascade.starts(box, patch, 0).size());
		final Cascade.OrganMaps m = Cascade.organMaps(new float[coarse.length], coarse, size, new int[] { 1 }, patch, 0, 8, MASK, null);
		assertEquals(2, m.patches());
		assertArrayEquals(coarse, MaskFusion.fuse(m.maps(), size));
	}

	/**
	 * Two organs side by side in a bright region; the model is sure (0.9) inside an organ's mask and
	 * half-sure (0.6) of bright voxels outside it, so both organs claim the bright voxels. Along x on a
	 * 16×12×6 grid: organ A at x 2..6, organ B at x 7..11, more bright tissue at x 12..13, dark
	 * elsewhere; y 3..8 and z 1..4 for all. Patches of 32×32×16 cover the whole grid for each organ.
	 * By hand: A's voxels → A (0.9 against 0.6), B's → B (0.9 against 0.6, whichever class is lower),
	 * the bright rest → the lower class (0.6 each), dark → background.
	 */
	@Test
	void overlappingOrgansAreResolvedByProbability() {
		final int[] size = { 16, 12, 6 }, patch = { 32, 32, 16 };
		final Cascade.PatchModel model = (x, n, s) -> {
			final int pv = s[0] * s[1] * s[2];
			final float[] out = new float[n * pv];
			for (int i = 0; i < n; i++) {
				for (int v = 0; v < pv; v++) {
					final boolean mask = x[(2 * i + 1) * pv + v] == 1, bright = x[2 * i * pv + v] > 0.5f;
					out[i * pv + v] = mask ? 0.9f : bright ? 0.6f : 0;
				}
			}
			return out;
		};
		for (final int[] classes : new int[][] { { 1, 2 }, { 2, 1 } }) {
			final int a = classes[0], b = classes[1];
			final byte[] coarse = new byte[size[0] * size[1] * size[2]], want = coarse.clone();
			final float[] image = new float[coarse.length];
			for (int z = 0, i = 0; z < size[2]; z++) for (int y = 0; y < size[1]; y++) for (int x = 0; x < size[0]; x++, i++) {
				if (y < 3 || y > 8 || z < 1 || z > 4 || x < 2 || x > 13) continue;
				image[i] = 1;
				coarse[i] = (byte) (x <= 6 ? a : x <= 11 ? b : 0);
				want[i] = (byte) (x <= 6 ? a : x <= 11 ? b : 1);
			}
			for (final OrganPatches.OrganBox box : OrganPatches.organs(coarse, size)) {
				final int[] s = Cascade.starts(box, patch, 0.5).get(0);
				for (int d = 0; d < 3; d++) assertTrue(s[d] <= 0 && s[d] + patch[d] >= size[d], "the patch covers the grid: " + box);
			}
			final Cascade.OrganMaps m = Cascade.organMaps(image, coarse, size, new int[] { 1, 2 }, patch, 0.5, 4, model, null);
			assertEquals(2, m.patches());
			assertEquals(1, m.batches());
			final int inB = 9 + size[0] * (5 + size[1] * 2);
			assertEquals(0.9f, m.maps()[b][inB]);
			assertEquals(0.6f, m.maps()[a][inB], "organ " + a + " claims organ " + b + "'s voxel too");
			assertArrayEquals(want, MaskFusion.fuse(m.maps(), size), "A = " + a + ", B = " + b);
		}
	}

	/** Background is 1 - the highest organ probability, NaN counting as 0 (and replaced by 0). */
	@Test
	void backgroundWorkedByHand() {
		final float nan = Float.NaN;
		final float[][] maps = { null, { 0.9f, nan, 0.2f, 0.5f }, null, { 0.1f, 0.7f, nan, 0.5f } };
		final float[] reuse = { 7, 7, 7, 7 };
		final float[] bg = Cascade.background(maps, 4, reuse);
		assertTrue(bg == reuse);
		assertArrayEquals(new float[] { 1 - 0.9f, 1 - 0.7f, 1 - 0.2f, 0.5f }, bg);
		assertArrayEquals(new float[] { 0.9f, 0, 0.2f, 0.5f }, maps[1]);
		assertArrayEquals(new float[] { 0.1f, 0.7f, 0, 0.5f }, maps[3]);
	}

	@Test
	void refusesAModelThatReturnsTheWrongNumberOfValues() {
		final int[] size = { 4, 4, 4 };
		final byte[] coarse = new byte[64];
		coarse[21] = 1;
		final IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cascade.organMaps(new float[64], coarse, size,
			new int[] { 1 }, new int[] { 2, 2, 2 }, 0.5, 2, (x, n, s) -> new float[3], null));
		assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("1 patches of 8 voxels"), e.getMessage());
	}
}
