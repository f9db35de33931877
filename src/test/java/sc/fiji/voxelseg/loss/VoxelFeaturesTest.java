package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.nn.Upsample;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** Label resizing and the gathering of sampled voxels' feature vectors. */
class VoxelFeaturesTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "representation_oracle.py");
	}

	/** Oracle python3-torch: {@code F.interpolate(mode="nearest")} of 2 volumes 8×6×10 to 4×3×5 and to 3×5×4. */
	@Test
	void nearestMatchesTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final byte[] vol = t.get("volume").toType(DataType.UINT8, false).toByteArray();
			for (final String name : new String[] { "nearest_half", "nearest_odd" }) {
				final long[] s = t.get(name).getShape().getShape();
				final byte[] got = VoxelFeatures.nearest(vol, 2, new int[] { 8, 6, 10 }, new int[] { (int) s[1], (int) s[2], (int) s[3] });
				assertArrayEquals(t.get(name).toType(DataType.UINT8, false).toByteArray(), got, name);
			}
		}
	}

	/** Rows read at flat indices equal {@code features[n, :, v]}, and gradients flow back to those voxels only. */
	@Test
	void gatherReadsTheVoxelsAndKeepsAutograd() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.randomNormal(new Shape(2, 3, 2, 3, 4));
			x.setRequiresGradient(true);
			final int[] idx = { 0, 5, 23, 24, 47, 30 };
			final float[] all = x.toFloatArray();
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray rows = VoxelFeatures.gather(x, idx);
				final float[] expected = new float[idx.length * 3];
				for (int i = 0; i < idx.length; i++) {
					final int n = idx[i] / 24, v = idx[i] % 24;
					for (int c = 0; c < 3; c++) expected[i * 3 + c] = all[(n * 3 + c) * 24 + v];
				}
				assertClose(expected, rows, 0, "gathered rows");
				gc.backward(rows.sum());
			}
			final float[] g = x.getGradient().toFloatArray();
			int ones = 0;
			for (final float v : g) if (v == 1) ones++;
			assertTrue(ones == idx.length * 3, "gradient 1 at the gathered voxels, 0 elsewhere");
		}
	}

	/**
	 * Interpolating the sampled voxels only equals upsampling the whole map with
	 * {@link Upsample#trilinear} and gathering, for doubling grids, an uneven one, the map's own grid
	 * and one axis alone, and its gradient equals that of the full route.
	 */
	@Test
	void gatherUpsampledEqualsUpsamplingThenGathering() {
		final int[][][] cases = { { { 2, 3, 4 }, { 4, 6, 8 } }, { { 2, 2, 2 }, { 8, 8, 8 } }, { { 3, 4, 5 }, { 7, 4, 11 } }, { { 3, 4, 5 }, { 3, 4, 5 } },
			{ { 3, 4, 5 }, { 3, 4, 10 } } };
		final Random r = new Random(1);
		try (NDManager m = NDManager.newBaseManager()) {
			for (final int[][] c : cases) {
				final int[] from = c[0], to = c[1];
				final int tv = to[0] * to[1] * to[2];
				final int[] idx = new int[40];
				for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(2 * tv);
				java.util.Arrays.sort(idx);
				final NDArray x = m.randomNormal(new Shape(2, 3, from[0], from[1], from[2]));
				final NDArray w = m.randomNormal(new Shape(idx.length, 3));
				final NDArray a = x.duplicate(), b = x.duplicate();
				a.setRequiresGradient(true);
				b.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray expected = VoxelFeatures.gather(Upsample.trilinear(a, to[0], to[1], to[2]), idx);
					final NDArray got = VoxelFeatures.gatherUpsampled(b, idx, to);
					assertClose(expected, got, 1e-5, 1e-5, "upsampled rows " + java.util.Arrays.toString(to));
					gc.backward(expected.mul(w).sum().add(got.mul(w).sum()));
				}
				assertClose(a.getGradient(), b.getGradient(), 1e-5, 1e-5, "gradient " + java.util.Arrays.toString(to));
			}
		}
	}
}
