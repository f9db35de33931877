package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.util.Progress;

/**
 * Cohort checks, batch sampling and augmentation. Oracles: values worked by hand (flip twice is
 * the identity, rotation by 0 and scaling by 1 change nothing, a 90° rotation maps (x, y) to the
 * expected voxel) and counts over the sampled batches.
 */
class TrainingDataTest {

	static Volume cube(final float[] data, final int n) {
		return Volume.ofFloats(data, new long[] { n, n, n }, new double[] { 1, 1, 1 }, new double[3], Volume.identity());
	}

	@Test
	void refusesBadCohorts(@TempDir final Path dir) throws IOException {
		final ClassTable t = ClassTable.of(List.of("organ"));
		final float[] img = new float[8 * 8 * 8];
		final float[] lab = new float[8 * 8 * 8];
		lab[100] = 1;
		final Volume image = cube(img, 8), labels = cube(lab, 8);
		final var plan = TinyCohort.PLAN;
		// label map on another grid
		final Volume other = Volume.ofFloats(new float[8 * 8 * 4], new long[] { 8, 8, 4 }, new double[] { 1, 1, 2 }, new double[3],
			Volume.identity());
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingData.of(List.of(new TrainingData.Pair("a",
			image, other)), t, plan, Progress.NONE));
		assertTrue(e.getMessage().contains("8×8×4") || e.getMessage().contains("8x8x4"), e.getMessage());
		// a label value the table does not name
		final float[] bad = lab.clone();
		bad[5] = 7;
		e = assertThrows(IllegalArgumentException.class, () -> TrainingData.of(List.of(new TrainingData.Pair("a", image, cube(bad, 8))), t,
			plan, Progress.NONE));
		assertTrue(e.getMessage().contains("[7]"), e.getMessage());
		// no foreground anywhere
		e = assertThrows(IllegalArgumentException.class, () -> TrainingData.of(List.of(new TrainingData.Pair("a", image, cube(new float[512],
			8))), t, plan, Progress.NONE));
		assertTrue(e.getMessage().contains("no foreground"), e.getMessage());
		// NaN voxels
		final float[] nan = img.clone();
		nan[3] = Float.NaN;
		e = assertThrows(IllegalArgumentException.class, () -> TrainingData.of(List.of(new TrainingData.Pair("a", cube(nan, 8), labels)),
			t, plan, Progress.NONE));
		assertTrue(e.getMessage().contains("NaN"), e.getMessage());
		// an empty dataset folder
		final IOException io = assertThrows(IOException.class, () -> TrainingDataset.read(Files.createDirectories(dir.resolve("empty"))));
		assertTrue(io.getMessage().contains("dataset.json"), io.getMessage());
		// and a good one passes
		assertEquals(1, TrainingData.of(List.of(new TrainingData.Pair("a", image, labels)), t, plan, Progress.NONE).cases().size());
		// one all-background case among good ones: accepted, with a warning that names it
		final List<String> said = new java.util.ArrayList<>();
		final Progress listening = said::add;
		assertEquals(3, TrainingData.of(List.of(new TrainingData.Pair("a", image, labels), new TrainingData.Pair("empty_case", image,
			cube(new float[512], 8)), new TrainingData.Pair("c", image, labels)), t, plan, listening).cases().size());
		assertEquals(1, said.stream().filter(m -> m.startsWith("Warning: 1 of 3 training label maps hold no foreground") && m.contains(
			"empty_case")).count(), said.toString());
		said.clear();
		TrainingData.of(List.of(new TrainingData.Pair("a", image, labels)), t, plan, listening);
		assertTrue(said.stream().noneMatch(m -> m.startsWith("Warning")), said.toString());
	}

	@Test
	void batchesAreAFunctionOfSeedAndStep() {
		final TrainingData d = TinyCohort.liver(3);
		final BatchSampler a = new BatchSampler(d.cases(), 2, Sampling.patches(16, 16, 8, 0.5), Augmentation.defaults(), 2, 9);
		final BatchSampler b = new BatchSampler(d.cases(), 2, Sampling.patches(16, 16, 8, 0.5), Augmentation.defaults(), 2, 9);
		assertArrayEquals(a.batch(7).images(), b.batch(7).images());
		assertArrayEquals(a.batch(7).labels(), b.batch(7).labels());
		assertNotEquals(java.util.Arrays.hashCode(a.batch(7).images()), java.util.Arrays.hashCode(a.batch(8).images()));
		// every case once per epoch in whole mode without augmentation
		final BatchSampler w = new BatchSampler(d.cases(), 2, Sampling.whole(), Augmentation.none(), 1, 3);
		final java.util.Set<Integer> seen = new java.util.HashSet<>();
		for (int s = 0; s < 3; s++) seen.add(java.util.Arrays.hashCode(w.batch(s).images()));
		assertEquals(3, seen.size());
	}

	@Test
	void foregroundOversamplingCentresPatchesOnOrgans() {
		final TrainingData d = TinyCohort.liver(2);
		int withLiver = 0, withLiverAlways = 0;
		final BatchSampler rare = new BatchSampler(d.cases(), 2, Sampling.patches(4, 4, 4, 0), Augmentation.none(), 1, 1);
		final BatchSampler always = new BatchSampler(d.cases(), 2, Sampling.patches(4, 4, 4, 1), Augmentation.none(), 1, 1);
		for (int s = 0; s < 200; s++) {
			if (has(rare.batch(s).labels())) withLiver++;
			if (has(always.batch(s).labels())) withLiverAlways++;
		}
		assertEquals(200, withLiverAlways);
		assertTrue(withLiver < 150, "uniform patches hit the liver " + withLiver + " times of 200");
	}

	private static boolean has(final byte[] l) {
		for (final byte b : l) if (b != 0) return true;
		return false;
	}

	@Test
	void augmentationGeometry() {
		final int n = 5;
		final float[] img = new float[n * n * n];
		final byte[] lab = new byte[n * n * n];
		for (int i = 0; i < img.length; i++) {
			img[i] = i;
			lab[i] = (byte) (i % 7);
		}
		for (int axis = 0; axis < 3; axis++) {
			final float[] a = img.clone();
			final byte[] l = lab.clone();
			Augmentation.flip(a, l, n, n, n, axis);
			assertNotEquals(a[0], img[0]);
			Augmentation.flip(a, l, n, n, n, axis);
			assertArrayEquals(img, a);
			assertArrayEquals(lab, l);
		}
		final float[] x = img.clone();
		Augmentation.flip(x, lab.clone(), n, n, n, 0);
		assertEquals(img[4], x[0]); // (0,0,0) <- (4,0,0)
		final float[] same = img.clone();
		final byte[] sameLab = lab.clone();
		Augmentation.rotateScale(same, sameLab, n, n, n, 0, 1);
		assertArrayEquals(img, same, 1e-5f);
		assertArrayEquals(lab, sameLab);
		// 90°: output (x, y) samples input (cx + (y - cy), cy - (x - cx)) = (y, 4 - x)
		final float[] rot = img.clone();
		final byte[] rotLab = lab.clone();
		Augmentation.rotateScale(rot, rotLab, n, n, n, Math.PI / 2, 1);
		for (int y = 0; y < n; y++) {
			for (int xx = 0; xx < n; xx++) {
				assertEquals(img[y + (4 - xx) * n + 2 * n * n], rot[xx + y * n + 2 * n * n], 1e-4, xx + "," + y);
				assertEquals(lab[y + (4 - xx) * n + 2 * n * n], rotLab[xx + y * n + 2 * n * n], "label " + xx + "," + y);
			}
		}
		// intensity jitter leaves labels alone
		final byte[] l = lab.clone();
		new Augmentation(false, 0, 0, 0, 0.2, 1, 0.1).apply(img.clone(), l, n, n, n, new SplittableRandom(1));
		assertArrayEquals(lab, l);
	}
}
