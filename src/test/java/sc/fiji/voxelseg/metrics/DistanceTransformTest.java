package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.testutil.Python;

/** The distance transform against brute force, hand values and scipy.ndimage. */
class DistanceTransformTest {

	@TempDir
	Path tmp;

	static boolean[] randomMask(final Random r, final int n, final double density) {
		final boolean[] m = new boolean[n];
		for (int i = 0; i < n; i++)
			m[i] = r.nextDouble() < density;
		return m;
	}

	/** min over feature voxels of the anisotropic Euclidean distance, by enumeration. */
	static double[] bruteForce(final boolean[] f, final int[] d, final double[] s) {
		final double[] out = new double[f.length];
		for (int i = 0; i < f.length; i++) {
			final int x = i % d[0], y = (i / d[0]) % d[1], z = i / (d[0] * d[1]);
			double best = Double.POSITIVE_INFINITY;
			for (int j = 0; j < f.length; j++) {
				if (!f[j]) continue;
				final double dx = s[0] * (x - j % d[0]), dy = s[1] * (y - (j / d[0]) % d[1]), dz = s[2] *
					(z - j / (d[0] * d[1]));
				best = Math.min(best, dx * dx + dy * dy + dz * dz);
			}
			out[i] = Math.sqrt(best);
		}
		return out;
	}

	/** Random masks of several densities and shapes, anisotropic spacing, 1 and 3 threads. */
	@Test
	void matchesBruteForceOnRandomMasks() {
		final Random r = new Random(7);
		final int[][] shapes = { { 13, 9, 7 }, { 1, 11, 6 }, { 10, 1, 1 }, { 5, 17, 1 }, { 20, 3,
			9 }, { 33, 18, 2 } };
		final double[][] spacings = { { 0.7, 0.9, 2.5 }, { 1, 1, 1 }, { 3.1, 0.25, 0.6 } };
		for (final int[] d : shapes)
			for (final double[] s : spacings)
				for (final double density : new double[] { 0.002, 0.03, 0.3, 0.9 }) {
					final boolean[] m = randomMask(r, d[0] * d[1] * d[2], density);
					final double[] expected = bruteForce(m, d, s);
					for (final int threads : new int[] { 1, 3 }) {
						final double[] got = DistanceTransform.distances(m, d, s, threads);
						for (int i = 0; i < m.length; i++)
							assertEquals(expected[i], got[i], 1e-9, () -> String.format(Locale.ROOT,
								"dims %d×%d×%d spacing %s density %s", d[0], d[1], d[2], java.util.Arrays
									.toString(s), density));
					}
				}
	}

	/** No feature voxel: every distance is +Infinity (scipy returns garbage there). */
	@Test
	void noFeatureIsInfinite() {
		final double[] d = DistanceTransform.squared(new boolean[4 * 5 * 6], new int[] { 4, 5, 6 },
			new double[] { 1, 2, 3 });
		for (final double v : d)
			assertEquals(Double.POSITIVE_INFINITY, v);
	}

	/**
	 * Worked by hand: one feature at (1, 2, 0) in a 3×4×2 grid at 0.5×2×3 mm; voxel (2, 0, 1) is
	 * at offset (1, -2, 1) voxels = (0.5, -4, 3) mm, squared 0.25 + 16 + 9 = 25.25 mm².
	 */
	@Test
	void singleFeatureByHand() {
		final int[] dims = { 3, 4, 2 };
		final boolean[] m = new boolean[24];
		m[1 + 3 * 2] = true;
		final double[] sq = DistanceTransform.squared(m, dims, new double[] { 0.5, 2, 3 }, 2);
		assertEquals(0, sq[1 + 3 * 2]);
		assertEquals(25.25, sq[2 + 3 * (0 + 4 * 1)], 1e-12);
		assertEquals(4 * 4, sq[1 + 3 * 0], 1e-12); // (1, 0, 0): two rows away at 2 mm
	}

	/** Only the query voxels' distances, in index order, equal the full transform's. */
	@Test
	void distancesAtQueryVoxelsMatchFullTransform() {
		final Random r = new Random(11);
		final int[] dims = { 23, 19, 15 };
		final double[] s = { 0.7, 0.9, 2.5 };
		final boolean[] f = randomMask(r, 23 * 19 * 15, 0.01);
		final boolean[] q = randomMask(r, f.length, 0.05);
		int nq = 0;
		for (final boolean b : q)
			if (b) nq++;
		final double[] full = DistanceTransform.distances(f, dims, s, 1);
		final double[] at;
		try (Parallel par = new Parallel(2)) {
			at = DistanceTransform.distancesAt(f, q, nq, dims, s, null, par);
		}
		assertEquals(nq, at.length);
		int k = 0;
		for (int i = 0; i < f.length; i++)
			if (q[i]) assertEquals(full[i], at[k++], 0);
	}

	@Test
	void refusesBadArguments() {
		assertThrows(IllegalArgumentException.class, () -> DistanceTransform.squared(new boolean[10],
			new int[] { 2, 2, 2 }, new double[] { 1, 1, 1 }));
		assertThrows(IllegalArgumentException.class, () -> DistanceTransform.squared(new boolean[8],
			new int[] { 2, 2, 2 }, new double[] { 1, 0, 1 }));
	}

	/** Oracle: scipy.ndimage.distance_transform_edt(~mask, sampling=(0.7, 0.9, 2.5)). */
	@Test
	void matchesScipy() throws Exception {
		final int[] dims = { 41, 30, 17 };
		final double[] s = { 0.7, 0.9, 2.5 };
		final boolean[] m = randomMask(new Random(5), 41 * 30 * 17, 0.004);
		final byte[] raw = new byte[m.length];
		for (int i = 0; i < m.length; i++)
			raw[i] = (byte) (m[i] ? 1 : 0);
		Files.write(tmp.resolve("mask.raw"), raw);
		Files.writeString(tmp.resolve("spec.json"), String.format(Locale.ROOT,
			"{\"dims\": [41, 30, 17], \"spacing\": [%s, %s, %s], \"mask\": \"%s\"}", s[0], s[1], s[2],
			tmp.resolve("mask.raw")));
		Python.run("metrics_oracle.py", "edt", tmp.resolve("spec.json").toString(), tmp.resolve(
			"edt.raw").toString());
		final byte[] b = Files.readAllBytes(tmp.resolve("edt.raw"));
		final double[] expected = new double[m.length];
		ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(expected);
		final double[] got = DistanceTransform.distances(m, dims, s, 0);
		assertArrayEquals(expected, got, 1e-9);
		assertTrue(expected[0] > 0);
	}
}
