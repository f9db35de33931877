package sc.fiji.voxelseg.phantom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;

public class PhantomGeneratorTest {

	/** Tiny grids (about 40..80 voxels in-plane) so that tests stay fast. */
	static final PhantomConfig TINY = new PhantomConfig(4, 7, 0.125, 1);

	/** Intended organ volume ranges in mL (whole organs; the scan may cut the liver top). */
	static final Map<String, double[]> ML = Map.of("spleen", new double[] { 50, 500 }, "left_kidney",
		new double[] { 50, 300 }, "gallbladder", new double[] { 10, 80 }, "esophagus", new double[] { 2,
			45 }, "liver", new double[] { 1000, 2500 }, "stomach", new double[] { 150, 900 }, "pancreas",
		new double[] { 20, 130 }, "duodenum", new double[] { 25, 200 });

	static short[] shorts(final Volume v) {
		return (short[]) Voxels.backingArray(v.image());
	}

	static byte[] bytes(final Volume v) {
		return (byte[]) Voxels.backingArray(v.image());
	}

	@Test
	public void sameSeedSameCaseDifferentSeedDifferentCase() {
		final PhantomCase a = new PhantomGenerator(TINY).generate(1);
		final PhantomCase b = new PhantomGenerator(TINY.withCases(9)).generate(1);
		assertArrayEquals(shorts(a.image()), shorts(b.image()));
		assertArrayEquals(bytes(a.labels()), bytes(b.labels()));
		assertTrue(a.image().sameGrid(b.image()));
		final PhantomCase c = new PhantomGenerator(TINY.withSeed(8)).generate(1);
		assertFalse(Arrays.equals(shorts(a.image()), shorts(c.image())) && a.image().sameGrid(c
			.image()));
		final PhantomCase d = new PhantomGenerator(TINY).generate(2);
		assertFalse(a.image().sameGrid(d.image()) && Arrays.equals(shorts(a.image()), shorts(d
			.image())));
	}

	@Test
	public void typesAndGeometry() {
		final PhantomGenerator g = new PhantomGenerator(TINY);
		final PhantomCase c = g.generate(0);
		assertEquals(VoxelType.INT16, c.image().voxelType());
		assertEquals(VoxelType.UINT8, c.labels().voxelType());
		assertEquals(ClassTable.abdomen(), c.labels().classes());
		assertTrue(c.image().sameGrid(c.labels()));
		final PhantomGenerator.Grid grid = g.grid(0);
		assertArrayEquals(grid.dims(), c.image().dims());
		assertArrayEquals(grid.spacing(), c.image().spacing(), 0);
		assertArrayEquals(grid.origin(), c.image().origin(), 0);
		assertArrayEquals(new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, c.image().direction(), 0);
		for (final byte l : bytes(c.labels()))
			assertTrue(l >= 0 && l <= 8);
	}

	@Test
	public void spacingAndFieldOfViewPerCase() {
		final PhantomGenerator full = new PhantomGenerator(PhantomConfig.defaults().withCases(12));
		boolean dimsVary = false;
		long firstDim = -1;
		for (int i = 0; i < 12; i++) {
			final PhantomGenerator.Grid g = full.grid(i);
			final double[] s = g.spacing();
			assertTrue(s[0] >= 0.6 && s[0] <= 1.0 && s[1] == s[0], Arrays.toString(s));
			assertTrue(s[2] >= 1.0 && s[2] <= 5.0, Arrays.toString(s));
			final double fovX = g.dims()[0] * s[0], fovZ = g.dims()[2] * s[2];
			assertTrue(fovX > 330 && fovX < 390, "in-plane field of view " + fovX);
			assertTrue(fovZ > 140 && fovZ < 260, "craniocaudal field of view " + fovZ);
			if (firstDim < 0) firstDim = g.dims()[0];
			dimsVary |= g.dims()[0] != firstDim;
		}
		assertTrue(dimsVary);
		final PhantomGenerator.Grid small = new PhantomGenerator(PhantomConfig.ofGrid(1, 3, 128)).grid(
			0);
		assertTrue(small.spacing()[0] >= 2.4 && small.spacing()[0] <= 4.0);
		assertTrue(small.dims()[0] > 80 && small.dims()[0] < 165, "" + small.dims()[0]);
	}

	static double[] organMl(final PhantomCase c) {
		final double[] s = c.labels().spacing();
		final double voxelMl = s[0] * s[1] * s[2] / 1000;
		final double[] ml = new double[9];
		for (final byte l : bytes(c.labels()))
			ml[l] += voxelMl;
		return ml;
	}

	static void checkVolumes(final PhantomCase c) {
		final double[] ml = organMl(c);
		for (int l = 1; l <= 8; l++) {
			final String name = ClassTable.abdomen().get(l).name();
			final double[] r = ML.get(name);
			assertTrue(ml[l] >= r[0] && ml[l] <= r[1], String.format(Locale.ROOT,
				"%s of %s: %.1f mL, expected %.0f..%.0f (%s)", name, c.id(), ml[l], r[0], r[1], c.image()
					.describeGrid()));
		}
	}

	@Test
	public void organVolumesTinyScale() {
		final PhantomGenerator g = new PhantomGenerator(TINY.withCases(6));
		for (int i = 0; i < 6; i++)
			checkVolumes(g.generate(i));
	}

	@Test
	public void organVolumesFullScale() {
		// spacing of case 0 of seed 7 at full scale; one case only, it has ~10^7 voxels
		checkVolumes(new PhantomGenerator(PhantomConfig.defaults().withSeed(7)).generate(0));
	}

	@Test
	public void intensitiesAndAnatomy() {
		final PhantomGenerator g = new PhantomGenerator(new PhantomConfig(3, 11, 0.25, 1));
		for (int n = 0; n < 3; n++) {
			final PhantomCase c = g.generate(n);
			final short[] hu = shorts(c.image());
			final byte[] lab = bytes(c.labels());
			final int nx = c.image().width(), ny = c.image().height(), nz = c.image().depth();
			// mean HU of organ interiors (all 6 neighbours in the organ), away from partial volume
			final double[] sum = new double[9];
			final long[] cnt = new long[9];
			final double[][] centroid = new double[9][3];
			final long[] all = new long[9];
			for (int k = 0; k < nz; k++)
				for (int j = 0; j < ny; j++)
					for (int i = 0; i < nx; i++) {
						final int p = (k * ny + j) * nx + i;
						final int l = lab[p];
						all[l]++;
						centroid[l][0] += i;
						centroid[l][1] += j;
						centroid[l][2] += k;
						if (l == 0 || i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1)
							continue;
						if (lab[p - 1] != l || lab[p + 1] != l || lab[p - nx] != l || lab[p + nx] != l ||
							lab[p - nx * ny] != l || lab[p + nx * ny] != l) continue;
						sum[l] += hu[p];
						cnt[l]++;
					}
			final double tol = 10;
			for (final String organ : new String[] { "liver", "spleen", "gallbladder" }) {
				final int l = index(organ);
				assertTrue(cnt[l] > 20, organ + " has interior voxels");
				final double mean = sum[l] / cnt[l];
				assertEquals(c.organHu().get(organ), mean, tol + 3 * c.noiseSd() / Math.sqrt(cnt[l]),
					organ + " mean HU in " + c.id());
			}
			// liver and spleen are not separable by intensity alone
			assertTrue(Math.abs(c.organHu().get("liver") - c.organHu().get("spleen")) <= 15);
			// air outside the body: a corner column of the image
			double air = 0;
			int na = 0;
			for (int k = 0; k < nz; k++)
				for (int j = 0; j < 5; j++)
					for (int i = 0; i < 5; i++) {
						air += hu[(k * ny + j) * nx + i];
						na++;
					}
			assertEquals(-1000, air / na, 3, "air outside the body");
			// world positions: liver on the patient's right (+x) of the spleen, kidney left, spleen
			// posterior of the liver's centre
			final double[] liver = world(c, centroid[index("liver")], all[index("liver")]);
			final double[] spleen = world(c, centroid[index("spleen")], all[index("spleen")]);
			final double[] kidney = world(c, centroid[index("left_kidney")], all[index("left_kidney")]);
			final double[] stomach = world(c, centroid[index("stomach")], all[index("stomach")]);
			final double[] eso = world(c, centroid[index("esophagus")], all[index("esophagus")]);
			final double[] duo = world(c, centroid[index("duodenum")], all[index("duodenum")]);
			assertTrue(liver[0] > spleen[0] + 80, "liver right of spleen");
			assertTrue(liver[0] > 0 && spleen[0] < 0 && kidney[0] < 0 && stomach[0] < 0);
			assertTrue(spleen[1] < liver[1], "spleen posterior of liver centre");
			assertTrue(eso[2] > duo[2] + 40, "esophagus above duodenum");
			// in the image the patient's right (liver) is on the left: smaller x index
			assertTrue(centroid[index("liver")][0] / all[index("liver")] < nx / 2.0);
		}
	}

	static int index(final String organ) {
		return ClassTable.ABDOMEN_ORGANS.indexOf(organ) + 1;
	}

	static double[] world(final PhantomCase c, final double[] sum, final long n) {
		return c.image().indexToWorld(new double[] { sum[0] / n, sum[1] / n, sum[2] / n });
	}

	@Test
	public void rejectsBadConfig() {
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
			() -> new PhantomConfig(0, 1, 1, 1));
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
			() -> new PhantomConfig(1, 1, 0, 1));
		org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
			() -> new PhantomConfig(1, 1, 1.5, 1));
	}
}
