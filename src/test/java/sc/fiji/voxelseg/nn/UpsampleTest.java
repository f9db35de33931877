package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** Trilinear resizing against values worked by hand and against python3-torch. */
class UpsampleTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "upsample");
	}

	/**
	 * Worked by hand, half-pixel centres: 2 → 4 samples take source positions -0.25 (clamped to 0),
	 * 0.25, 0.75 and 1.25 (clamped to the last sample), so (0, 1) becomes (0, 0.25, 0.75, 1); along
	 * each of the three axes alike.
	 */
	@Test
	void twoSamplesToFourAlongEachAxis() {
		try (NDManager m = NDManager.newBaseManager()) {
			final float[] line = { 0, 1 };
			final float[] expected = { 0, 0.25f, 0.75f, 1 };
			assertClose(expected, Upsample.trilinear(m.create(line, new Shape(1, 1, 1, 1, 2)), 1, 1, 4), 1e-7, "along x");
			assertClose(expected, Upsample.trilinear(m.create(line, new Shape(1, 1, 1, 2, 1)), 1, 4, 1), 1e-7, "along y");
			assertClose(expected, Upsample.trilinear(m.create(line, new Shape(1, 1, 2, 1, 1)), 4, 1, 1), 1e-7, "along z");
		}
	}

	/**
	 * Worked by hand: 4 → 2 samples sit at source positions 0.5 and 2.5, the means of neighbouring
	 * pairs; 3 → 1 sits on the middle sample; an axis kept at its size is left alone.
	 */
	@Test
	void downsizingAveragesNeighbours() {
		try (NDManager m = NDManager.newBaseManager()) {
			assertClose(new float[] { 0.5f, 2.5f }, Upsample.trilinear(m.create(new float[] { 0, 1, 2, 3 }, new Shape(1, 1, 1, 1,
				4)), 1, 1, 2), 1e-7, "4 → 2");
			assertClose(new float[] { 7 }, Upsample.trilinear(m.create(new float[] { 5, 7, 11 }, new Shape(1, 1, 3, 1, 1)), 1, 1,
				1), 1e-7, "3 → 1");
			final NDArray x = m.create(new float[] { 1, 2, 3, 4, 5, 6 }, new Shape(1, 1, 1, 2, 3));
			assertClose(x, Upsample.trilinear(x, 1, 2, 3), 0, 0, "same size");
		}
	}

	/** Worked by hand: every row of the interpolation matrix (one output sample) sums to 1. */
	@Test
	void interpolationWeightsSumToOne() {
		try (NDManager m = NDManager.newBaseManager()) {
			for (final long[] io : new long[][] { { 3, 7 }, { 5, 2 }, { 1, 4 }, { 4, 1 }, { 6, 6 }, { 13, 5 } }) {
				final float[] sums = Upsample.matrix(m, io[0], io[1]).sum(new int[] { 0 }).toFloatArray();
				for (final float s : sums) assertEquals(1, s, 1e-6, io[0] + " → " + io[1]);
			}
		}
	}

	/**
	 * Oracle python3-torch: F.interpolate(x, size, mode='trilinear', align_corners=False) from
	 * (2,3,3,4,5) to ×2 (6,8,10), to (7,4,2) (3 → 7, 4 kept, 5 → 2), to (5,9,3) and to (2,2,2), and from
	 * (1,2,1,2,3) to (4,3,7) and (1,1,1); trilinearLike agrees with trilinear.
	 */
	@Test
	void matchesTorchInterpolate() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			for (final String[] c : new String[][] { { "x", "4" }, { "s", "2" } }) {
				final NDArray x = t.get(c[0]);
				for (int i = 0; i < Integer.parseInt(c[1]); i++) {
					final long[] size = t.longs(c[0] + i + "_size");
					final NDArray expected = t.get(c[0] + i + "_y");
					final String what = x.getShape() + " → " + size[0] + "×" + size[1] + "×" + size[2];
					assertClose(expected, Upsample.trilinear(x, size[0], size[1], size[2]), 1e-6, 1e-6, what);
					assertClose(expected, Upsample.trilinearLike(x, expected), 1e-6, 1e-6, what + " (like)");
				}
			}
		}
	}
}
