package sc.fiji.voxelseg.agcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * Fusion of per-organ probability maps and pasting of patches. Oracle: maps on a 4×3×2 grid written
 * out value by value, with every voxel's label and every pasted value worked by hand. Arrays are
 * listed x fastest, one row of 4 per line, rows y 0..2 of z = 0 then of z = 1.
 */
class MaskFusionTest {

	private static final int[] SIZE = { 4, 3, 2 };
	private static final float NAN = Float.NaN;

	/**
	 * Two overlapping organs. Voxel by voxel (organ 1, organ 2 → label): above 0.5 alone → that organ;
	 * both above, one higher → the higher (0.9/0.95 → 2, 0.95/0.96 → 2, 1.0/0.99 → 1); equal (0.6/0.6,
	 * 0.7/0.7) → 1, the lower class; exactly 0.5 is not above (0.5/0.5 → 0, 0.51/0.5 → 1, 0.5/0.6 →
	 * 2); NaN counts as 0 (NaN/0.55 → 2, 0/NaN → 0); nothing above 0.5 → 0.
	 */
	@Test
	void labelsOfTwoOverlappingOrgansWorkedByHand() {
		final float[] organ1 = { //
			0.9f, 0.9f, 0.6f, 0.0f, //
			0.7f, 0.5f, 0.8f, NAN, //
			0.2f, 0.51f, 0.0f, 0.0f, //
			0.0f, 0.0f, 0.0f, 0.0f, //
			0.95f, 0.6f, 0.3f, 0.0f, //
			1.0f, 0.5f, 0.5f, 0.0f };
		final float[] organ2 = { //
			0.1f, 0.95f, 0.6f, 0.7f, //
			0.7f, 0.5f, 0.4f, 0.55f, //
			0.3f, 0.5f, NAN, 0.0f, //
			0.0f, 0.0f, 0.0f, 0.0f, //
			0.96f, 0.4f, 0.9f, 0.5f, //
			0.99f, 0.6f, 0.5f, 0.2f };
		final byte[] expected = { //
			1, 2, 1, 2, //
			1, 0, 1, 2, //
			0, 1, 0, 0, //
			0, 0, 0, 0, //
			2, 1, 2, 0, //
			1, 2, 0, 0 };
		assertArrayEquals(expected, MaskFusion.fuse(new float[][] { null, organ1, organ2 }, SIZE));
		// swapping the classes swaps the labels except at the ties, which go to the lower class, now organ 2's map
		final byte[] swapped = { //
			2, 1, 1, 1, //
			1, 0, 2, 1, //
			0, 2, 0, 0, //
			0, 0, 0, 0, //
			1, 2, 1, 0, //
			2, 1, 0, 0 };
		assertArrayEquals(swapped, MaskFusion.fuse(new float[][] { null, organ2, organ1 }, SIZE));
	}

	/**
	 * Classes are the indices of the maps: organ 1's map at index 5 and organ 2's at index 200 label
	 * 5 and 200 (the byte -56); null entries are organs without a map; no map at all is all
	 * background.
	 */
	@Test
	void classesAreTheMapIndices() {
		final float[] a = new float[24], b = new float[24];
		a[0] = 0.8f;
		b[1] = 0.8f;
		a[2] = 0.7f;
		b[2] = 0.75f;
		final float[][] maps = new float[201][];
		maps[5] = a;
		maps[200] = b;
		final byte[] expected = new byte[24];
		expected[0] = 5;
		expected[1] = (byte) 200;
		expected[2] = (byte) 200;
		assertArrayEquals(expected, MaskFusion.fuse(maps, SIZE));
		assertArrayEquals(new byte[24], MaskFusion.fuse(new float[][] { null }, SIZE));
		assertArrayEquals(new byte[24], MaskFusion.fuse(new float[0][], SIZE));
	}

	/**
	 * Patches of one organ pasted into a zero-filled map:
	 * <ul>
	 * <li>A, 2×2×2 at (1, 1, 0), values 0.2 0.4 / 0.6 0.8 (z 0) and 0.1 0.3 / 0.5 0.7 (z 1), covers x
	 * 1..2, y 1..2, z 0..1;</li>
	 * <li>B, 2×2×1 at (2, 0, 0), values 0.9 0.1 / 0.3 0.5, covers x 2..3, y 0..1, z 0 and meets A at (2,
	 * 1, 0): A 0.4, B 0.3, the maximum 0.4 stays;</li>
	 * <li>C, 2×2×2 at (3, 2, 1), reaches outside but for its voxel (0, 0, 0), 0.45 at (3, 2, 1); its
	 * other values, 0.99, are dropped;</li>
	 * <li>D, 1×1×1 at (1, 1, 0), NaN, leaves A's 0.2.</li>
	 * </ul>
	 * The order of pasting does not matter.
	 */
	@Test
	void pasteKeepsTheMaximumWorkedByHand() {
		final float[] a = { 0.2f, 0.4f, 0.6f, 0.8f, 0.1f, 0.3f, 0.5f, 0.7f };
		final float[] b = { 0.9f, 0.1f, 0.3f, 0.5f };
		final float[] c = { 0.45f, 0.99f, 0.99f, 0.99f, 0.99f, 0.99f, 0.99f, 0.99f };
		final float[] d = { NAN };
		final float[] expected = { //
			0, 0, 0.9f, 0.1f, //
			0, 0.2f, 0.4f, 0.5f, //
			0, 0.6f, 0.8f, 0, //
			0, 0, 0, 0, //
			0, 0.1f, 0.3f, 0, //
			0, 0.5f, 0.7f, 0.45f };
		final float[] map = new float[24];
		MaskFusion.paste(map, SIZE, a, new int[] { 2, 2, 2 }, new int[] { 1, 1, 0 });
		MaskFusion.paste(map, SIZE, b, new int[] { 2, 2, 1 }, new int[] { 2, 0, 0 });
		MaskFusion.paste(map, SIZE, c, new int[] { 2, 2, 2 }, new int[] { 3, 2, 1 });
		MaskFusion.paste(map, SIZE, d, new int[] { 1, 1, 1 }, new int[] { 1, 1, 0 });
		assertArrayEquals(expected, map);
		final float[] reverse = new float[24];
		MaskFusion.paste(reverse, SIZE, d, new int[] { 1, 1, 1 }, new int[] { 1, 1, 0 });
		MaskFusion.paste(reverse, SIZE, c, new int[] { 2, 2, 2 }, new int[] { 3, 2, 1 });
		MaskFusion.paste(reverse, SIZE, b, new int[] { 2, 2, 1 }, new int[] { 2, 0, 0 });
		MaskFusion.paste(reverse, SIZE, a, new int[] { 2, 2, 2 }, new int[] { 1, 1, 0 });
		assertArrayEquals(expected, reverse);
	}

	/**
	 * A NaN-filled map (no patch yet) takes the patch's values and stays NaN elsewhere; a patch
	 * entirely outside the grid, or far outside (a start near the int range's ends), changes nothing.
	 * Fusing the NaN-filled maps of two organs: A (organ 1) pasted as above, and organ 2 a 1×1×2 patch
	 * 0.7 / 0.9 at (3, 0, 0) → organ 2 at (3, 0, 0) and (3, 0, 1); organ 1 where A is above 0.5: (1, 2,
	 * 0) 0.6, (2, 2, 0) 0.8, (2, 2, 1) 0.7; A's 0.5 at (1, 2, 1) is not above.
	 */
	@Test
	void nanMapsAreUncoveredVoxels() {
		final float[] organ1 = new float[24], organ2 = new float[24];
		Arrays.fill(organ1, NAN);
		Arrays.fill(organ2, NAN);
		MaskFusion.paste(organ1, SIZE, new float[] { 0.2f, 0.4f, 0.6f, 0.8f, 0.1f, 0.3f, 0.5f, 0.7f }, new int[] { 2, 2, 2 }, new int[] { 1, 1,
			0 });
		MaskFusion.paste(organ2, SIZE, new float[] { 0.7f, 0.9f }, new int[] { 1, 1, 2 }, new int[] { 3, 0, 0 });
		for (final int[] far : new int[][] { { 4, 0, 0 }, { 0, -3, 0 }, { 0, 0, 2 }, { Integer.MIN_VALUE, 0, 0 }, { Integer.MAX_VALUE, 0,
			0 } })
		{
			MaskFusion.paste(organ2, SIZE, new float[] { 1, 1, 1, 1, 1, 1, 1, 1 }, new int[] { 2, 2, 2 }, far);
		}
		assertArrayEquals(new float[] { //
			NAN, NAN, NAN, NAN, //
			NAN, 0.2f, 0.4f, NAN, //
			NAN, 0.6f, 0.8f, NAN, //
			NAN, NAN, NAN, NAN, //
			NAN, 0.1f, 0.3f, NAN, //
			NAN, 0.5f, 0.7f, NAN }, organ1);
		assertArrayEquals(new float[] { //
			NAN, NAN, NAN, 0.7f, //
			NAN, NAN, NAN, NAN, //
			NAN, NAN, NAN, NAN, //
			NAN, NAN, NAN, 0.9f, //
			NAN, NAN, NAN, NAN, //
			NAN, NAN, NAN, NAN }, organ2);
		assertArrayEquals(new byte[] { //
			0, 0, 0, 2, //
			0, 0, 0, 0, //
			0, 1, 1, 0, //
			0, 0, 0, 2, //
			0, 0, 0, 0, //
			0, 0, 1, 0 }, MaskFusion.fuse(new float[][] { null, organ1, organ2 }, SIZE));
	}

	@Test
	void mismatchedInputsAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.fuse(new float[][] { new float[24] }, SIZE));
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.fuse(new float[][] { null, new float[23] }, SIZE));
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.fuse(new float[257][], SIZE));
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.fuse(new float[][] { null }, new int[] { 4, 0, 2 }));
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.paste(new float[23], SIZE, new float[1], new int[] { 1, 1, 1 },
			new int[3]));
		assertThrows(IllegalArgumentException.class, () -> MaskFusion.paste(new float[24], SIZE, new float[2], new int[] { 1, 1, 1 },
			new int[3]));
	}
}
