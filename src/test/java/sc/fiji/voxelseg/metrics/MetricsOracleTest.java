package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Collectors;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.testutil.Python;

/**
 * The metrics against an oracle: {@code src/test/python/metrics_oracle.py}, MedPy's definitions
 * ({@code medpy.metric.binary.dc, jc, hd, hd95, assd}) written with numpy and scipy.ndimage
 * (surfaces by {@code binary_erosion} with {@code generate_binary_structure(3, 1)}, distances by
 * {@code distance_transform_edt(~surface_B, sampling=spacing)}, HD95 by
 * {@code np.percentile(np.hstack((d_ab, d_ba)), 95)}, ASSD as the mean of the two means) and
 * MONAI's HD95 and ASSD, run by Debian's {@code /usr/bin/python3} on the same masks, passed as raw
 * uint8 files. Dice and Jaccard must agree to 1e-9, distances to 1e-6 mm. A missing oracle module
 * fails the test.
 */
class MetricsOracleTest {

	@TempDir
	Path tmp;

	/** A labelled grid being painted, x fastest. */
	static final class Canvas {

		final int nx, ny, nz;
		final byte[] b;

		Canvas(final int nx, final int ny, final int nz) {
			this.nx = nx;
			this.ny = ny;
			this.nz = nz;
			b = new byte[nx * ny * nz];
		}

		void set(final int x, final int y, final int z, final int label) {
			if (x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz) b[x + nx * (y + ny * z)] =
				(byte) label;
		}

		/** An ellipsoid with semi-axes in voxels, clipped to the grid. */
		void ellipsoid(final double cx, final double cy, final double cz, final double rx,
			final double ry, final double rz, final int label)
		{
			for (int z = 0; z < nz; z++)
				for (int y = 0; y < ny; y++)
					for (int x = 0; x < nx; x++) {
						final double dx = (x - cx) / rx, dy = (y - cy) / ry, dz = (z - cz) / rz;
						if (dx * dx + dy * dy + dz * dz <= 1) set(x, y, z, label);
					}
		}

		void box(final int x0, final int x1, final int y0, final int y1, final int z0, final int z1,
			final int label)
		{
			for (int z = z0; z <= z1; z++)
				for (int y = y0; y <= y1; y++)
					for (int x = x0; x <= x1; x++)
						set(x, y, z, label);
		}

		/** Flips the label of a fraction of the voxels of {@code label} that touch another label. */
		void roughen(final Random r, final int label, final double p) {
			final byte[] copy = b.clone();
			for (int z = 0; z < nz; z++)
				for (int y = 0; y < ny; y++)
					for (int x = 0; x < nx; x++) {
						final int i = x + nx * (y + ny * z);
						if (copy[i] != label) continue;
						final boolean edge = x == 0 || copy[i - 1] != label || x == nx - 1 || copy[i + 1] !=
							label || y == 0 || copy[i - nx] != label || y == ny - 1 || copy[i + nx] != label;
						if (edge && r.nextDouble() < p) b[i] = 0;
					}
		}

		Volume volume(final double[] spacing) {
			return SegmentationMetricsTest.labels(b, new int[] { nx, ny, nz }, spacing, null);
		}
	}

	private JsonObject oracle(final Canvas pred, final Canvas truth, final double[] spacing,
		final List<Integer> classes) throws Exception
	{
		final Path p = tmp.resolve("pred.raw"), t = tmp.resolve("truth.raw"), spec = tmp.resolve(
			"spec.json");
		Files.write(p, pred.b);
		Files.write(t, truth.b);
		Files.writeString(spec, String.format(Locale.ROOT,
			"{\"dims\": [%d, %d, %d], \"spacing\": [%s, %s, %s], \"pred\": \"%s\", \"truth\": \"%s\", " +
				"\"classes\": [%s]}", truth.nx, truth.ny, truth.nz, Double.toString(spacing[0]), Double
					.toString(spacing[1]), Double.toString(spacing[2]), p, t, classes.stream().map(
						String::valueOf).collect(Collectors.joining(", "))));
		return Python.json("metrics_oracle.py", "metrics", spec.toString()).getAsJsonObject();
	}

	private static void assertClose(final double expected, final double actual, final double tol,
		final String what)
	{
		if (Double.isNaN(expected)) assertTrue(Double.isNaN(actual), what + ": expected NaN, got " +
			actual);
		else assertEquals(expected, actual, tol, what);
	}

	/** Compares both conventions, with 1 and all threads, class by class. */
	private void check(final String name, final Canvas pred, final Canvas truth,
		final double[] spacing, final List<Integer> classes) throws Exception
	{
		final JsonObject o = oracle(pred, truth, spacing, classes);
		final Volume pv = pred.volume(spacing), tv = truth.volume(spacing);
		int distances = 0;
		for (final SurfaceConvention conv : SurfaceConvention.values())
			for (final int threads : new int[] { 1, 0 }) {
				final CaseMetrics c = SegmentationMetrics.evaluate(name, pv, tv, MetricOptions.defaults()
					.withConvention(conv).withClasses(classes).withThreads(threads));
				for (final int k : classes) {
					final JsonObject e = o.getAsJsonObject(Integer.toString(k));
					final ClassMetrics m = c.get(k);
					final String what = name + " class " + k + " " + conv;
					assertEquals(e.get("status").getAsString(), m.status().name(), what);
					assertEquals(e.get("pred").getAsLong(), m.predVoxels(), what);
					assertEquals(e.get("truth").getAsLong(), m.truthVoxels(), what);
					assertClose(e.get("dice").getAsDouble(), m.dice(), 1e-9, what + " dice");
					assertClose(e.get("jaccard").getAsDouble(), m.jaccard(), 1e-9, what + " jaccard");
					assertClose(e.get("hd").getAsDouble(), m.hd(), 1e-6, what + " hd");
					final String sfx = conv == SurfaceConvention.MONAI ? "_monai" : "";
					assertClose(e.get("hd95" + sfx).getAsDouble(), m.hd95(), 1e-6, what + " hd95");
					assertClose(e.get("assd" + sfx).getAsDouble(), m.assd(), 1e-6, what + " assd");
					if (m.status() == MetricStatus.OK && m.hd() > 0) distances++;
				}
			}
		assertTrue(distances > 0, name + ": some class has non-trivial distances");
	}

	/**
	 * Ellipsoids, a box on the grid border, ragged edges, a far false-positive island, a single
	 * voxel, one class missed by the prediction, one only in the prediction and one in neither, at
	 * 0.7×0.9×2.5 mm.
	 */
	@Test
	void organsWithAnisotropicSpacing() throws Exception {
		final Random r = new Random(2024);
		final Canvas t = new Canvas(48, 40, 22), p = new Canvas(48, 40, 22);
		t.ellipsoid(20, 18, 10, 12, 9, 5, 1);
		p.ellipsoid(22, 17, 11, 11, 10, 5, 1);
		p.roughen(r, 1, 0.3);
		p.box(44, 46, 35, 37, 19, 20, 1); // a far island: large HD
		t.box(0, 6, 0, 10, 0, 21, 2); // touches the x, y and z borders
		p.box(0, 5, 1, 11, 0, 20, 2);
		t.ellipsoid(35, 28, 6, 6, 4, 3, 3);
		t.roughen(r, 3, 0.4);
		p.ellipsoid(34, 29, 7, 5, 5, 3, 3);
		t.set(40, 5, 15, 4); // a single voxel the prediction misses
		p.box(10, 12, 30, 33, 2, 3, 5); // only in the prediction
		check("organs", p, t, new double[] { 0.7, 0.9, 2.5 }, List.of(1, 2, 3, 4, 5, 6));
	}

	/** Salt-and-pepper labels: many surface voxels, many ties, at 1.3×0.6×0.8 mm. */
	@Test
	void noisyLabels() throws Exception {
		final Random r = new Random(99);
		final Canvas t = new Canvas(30, 27, 19), p = new Canvas(30, 27, 19);
		for (int i = 0; i < t.b.length; i++) {
			t.b[i] = (byte) (r.nextDouble() < 0.6 ? 0 : 1 + r.nextInt(3));
			p.b[i] = r.nextDouble() < 0.8 ? t.b[i] : (byte) r.nextInt(4);
		}
		check("noisy", p, t, new double[] { 1.3, 0.6, 0.8 }, List.of(1, 2, 3));
	}

	/** One-voxel-thick sheets and lines, a 2-slice grid and unit spacing. */
	@Test
	void thinStructures() throws Exception {
		final Canvas t = new Canvas(25, 21, 2), p = new Canvas(25, 21, 2);
		t.box(2, 20, 10, 10, 0, 1, 1);
		p.box(3, 22, 11, 11, 1, 1, 1);
		t.box(5, 5, 2, 18, 0, 0, 2);
		p.box(5, 6, 2, 15, 0, 1, 2);
		p.set(24, 0, 1, 2);
		check("thin", p, t, new double[] { 1, 1, 1 }, List.of(1, 2));
		check("thin-aniso", p, t, new double[] { 0.5, 2, 4.5 }, List.of(1, 2));
	}
}
