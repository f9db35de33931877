package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** MedPy's surface (A xor 6-connected erosion, border voxels counted) worked by hand. */
class SurfacesTest {

	private static int count(final boolean[] b) {
		int n = 0;
		for (final boolean v : b)
			if (v) n++;
		return n;
	}

	private static boolean[] cube(final int[] dims, final int lo, final int hi) {
		final boolean[] m = new boolean[dims[0] * dims[1] * dims[2]];
		for (int z = lo; z <= hi; z++)
			for (int y = lo; y <= hi; y++)
				for (int x = lo; x <= hi; x++)
					m[x + dims[0] * (y + dims[1] * z)] = true;
		return m;
	}

	/**
	 * A 3×3×3 cube inside a 5×5×5 grid: the erosion keeps only its centre, so 26 surface voxels. A
	 * 5×5×5 cube in a 7×7×7 grid keeps its 3×3×3 core: 125 - 27 = 98.
	 */
	@Test
	void cubeInsideTheGrid() {
		final int[] d5 = { 5, 5, 5 };
		final boolean[] s = Surfaces.surface(cube(d5, 1, 3), d5);
		assertEquals(26, count(s));
		assertFalse(s[2 + 5 * (2 + 5 * 2)]);
		assertEquals(98, count(Surfaces.surface(cube(new int[] { 7, 7, 7 }, 1, 5), new int[] { 7, 7,
			7 })));
	}

	/**
	 * The same 3×3×3 cube filling a 3×3×3 grid: scipy's erosion sees background outside the array
	 * (border_value 0), so the centre's neighbours are all inside but the centre still survives;
	 * every other voxel touches the border: 26 surface voxels, centre not surface. A 3×3×1 slab in
	 * a 3×3×1 grid is all border: 9.
	 */
	@Test
	void gridBorderCountsAsBackground() {
		final int[] d3 = { 3, 3, 3 };
		final boolean[] full = new boolean[27];
		java.util.Arrays.fill(full, true);
		final boolean[] s = Surfaces.surface(full, d3);
		assertEquals(26, count(s));
		assertFalse(s[13]);
		final boolean[] slab = new boolean[9];
		java.util.Arrays.fill(slab, true);
		assertEquals(9, count(Surfaces.surface(slab, new int[] { 3, 3, 1 })));
		// 4×4×4 full grid: the 2×2×2 core survives, 64 - 8 = 56
		final boolean[] four = new boolean[64];
		java.util.Arrays.fill(four, true);
		assertEquals(56, count(Surfaces.surface(four, new int[] { 4, 4, 4 })));
	}

	/** Diagonal neighbours do not count (6-connectivity): a plus-shaped core survives erosion. */
	@Test
	void sixConnectedOnly() {
		final int[] d = { 5, 5, 5 };
		final boolean[] m = cube(d, 1, 3);
		m[1 + 5 * (1 + 5 * 1)] = false; // remove a corner: the centre's 6 neighbours remain
		final boolean[] s = Surfaces.surface(m, d);
		assertFalse(s[2 + 5 * (2 + 5 * 2)]);
		assertEquals(25, count(s));
		assertTrue(s[2 + 5 * (2 + 5 * 1)]);
	}
}
