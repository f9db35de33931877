package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Caps, false-negative oversampling, class coverage and determinism of the voxel sampler. */
class VoxelSamplerTest {

	/** Labels of 4 classes in proportions 85 / 10 / 4.9 / 0.1 % over {@code n} voxels, shuffled. */
	private static byte[] labels(final int n, final long seed) {
		final byte[] l = new byte[n];
		final Random r = new Random(seed);
		for (int i = 0; i < n; i++) {
			final double u = r.nextDouble();
			l[i] = (byte) (u < 0.85 ? 0 : u < 0.95 ? 1 : u < 0.999 ? 2 : 3);
		}
		return l;
	}

	/** A prediction that gets each voxel wrong with probability {@code error}. */
	private static byte[] predict(final byte[] labels, final double error, final long seed) {
		final byte[] p = labels.clone();
		final Random r = new Random(seed);
		for (int i = 0; i < p.length; i++) if (r.nextDouble() < error) p[i] = (byte) ((p[i] + 1 + r.nextInt(3)) % 4);
		return p;
	}

	/** Every sample is valid: indices distinct and ascending, labels and false-negative flags read from the grid. */
	private static void assertConsistent(final VoxelSampler.Sample s, final byte[] labels, final byte[] pred) {
		for (int i = 0; i < s.size(); i++) {
			if (i > 0) assertTrue(s.index()[i] > s.index()[i - 1], "ascending, distinct indices");
			assertEquals(labels[s.index()[i]], s.label()[i]);
			assertEquals(pred != null && pred[s.index()[i]] != labels[s.index()[i]], s.falseNegative()[i], "false-negative flag");
		}
		final long[] counts = new long[s.gridCounts().length];
		for (final byte b : labels) counts[b]++;
		assertArrayEquals(counts, s.gridCounts());
	}

	/**
	 * 2 volumes of 16³ voxels with a 30 % error rate: exactly 1700 voxels, exactly 1000 of them false
	 * negatives, and every class present, the 0.1 % class (a handful of voxels) entirely.
	 */
	@Test
	void capsAndFalseNegativeShareHoldAndEveryClassContributes() {
		final byte[] l = labels(2 * 16 * 16 * 16, 1), p = predict(l, 0.3, 2);
		final VoxelSampler.Sample s = new VoxelSampler().sample(l, p, 4, 7);
		assertConsistent(s, l, p);
		assertEquals(VoxelSampler.MAX_SAMPLES, s.size());
		assertEquals(VoxelSampler.MAX_FALSE_NEGATIVES, s.falseNegatives());
		final int[] c = s.counts();
		for (int k = 0; k < 4; k++) assertTrue(c[k] > 0, "class " + k + " contributes");
		// classes 2 (about 400 voxels) and 3 (about 8) are smaller than an equal share and sampled
		// whole; classes 0 and 1 split the rest evenly
		assertEquals(s.gridCounts()[3], c[3], "the rare class is sampled whole");
		assertEquals(s.gridCounts()[2], c[2], "the small class is sampled whole");
		assertTrue(Math.abs(c[0] - c[1]) <= 1 && c[0] > c[2], "equal shares of the large classes: " + Arrays.toString(c));
	}

	/** Few errors: every false negative is taken (oversampled well above its 1 % share), the rest correct voxels. */
	@Test
	void takesEveryFalseNegativeWhenThereAreFewerThanTheCap() {
		final byte[] l = labels(2 * 16 * 16 * 16, 3), p = predict(l, 0.01, 4);
		int hard = 0;
		for (int i = 0; i < l.length; i++) if (l[i] != p[i]) hard++;
		assertTrue(hard > 20 && hard < 200, "hard voxels " + hard);
		final VoxelSampler.Sample s = new VoxelSampler().sample(l, p, 4, 5);
		assertConsistent(s, l, p);
		assertEquals(VoxelSampler.MAX_SAMPLES, s.size());
		// a class's false negatives are all taken unless they exceed its share
		assertEquals(hard, s.falseNegatives());
	}

	/** A grid smaller than the cap is sampled whole; more hard voxels than the cap are capped even then. */
	@Test
	void smallGrids() {
		final byte[] l = labels(2 * 8 * 8 * 4, 5), p = predict(l, 0.2, 6);
		final VoxelSampler.Sample s = new VoxelSampler().sample(l, p, 4, 1);
		assertConsistent(s, l, p);
		assertEquals(l.length, s.size());
		final byte[] wrong = predict(l, 1, 7);
		final VoxelSampler.Sample capped = new VoxelSampler(400, 100).sample(l, wrong, 4, 1);
		assertConsistent(capped, l, wrong);
		assertEquals(100, capped.falseNegatives(), "every voxel is wrong, only 100 may be taken");
		assertEquals(100, capped.size(), "and no correct voxels exist to fill the budget");
		// without a prediction every voxel counts as correct
		final VoxelSampler.Sample none = new VoxelSampler(100, 50).sample(l, null, 4, 1);
		assertConsistent(none, l, null);
		assertEquals(100, none.size());
		assertEquals(0, none.falseNegatives());
	}

	/** Budget a class cannot fill with correct voxels (its false negatives being capped) goes to the other classes. */
	@Test
	void unfilledSharesGoToOtherClasses() {
		// class 1 entirely wrong, class 0 entirely right; caps 100 samples, 20 false negatives
		final byte[] l = new byte[1000], p = new byte[1000];
		for (int i = 0; i < 1000; i++) {
			l[i] = (byte) (i % 2);
			p[i] = 0;
		}
		final VoxelSampler.Sample s = new VoxelSampler(100, 20).sample(l, p, 2, 9);
		assertConsistent(s, l, p);
		assertEquals(100, s.size());
		assertArrayEquals(new int[] { 80, 20 }, s.counts());
		assertEquals(20, s.falseNegatives());
	}

	/** The same inputs and seed give the same sample; another seed another one; a changed voxel leaves the rest in place. */
	@Test
	void deterministicPerSeedAndStableUnderSmallChanges() {
		final byte[] l = labels(2 * 16 * 16 * 16, 8), p = predict(l, 0.05, 9);
		final VoxelSampler v = new VoxelSampler();
		final VoxelSampler.Sample a = v.sample(l, p, 4, 11), b = v.sample(l, p, 4, 11), c = v.sample(l, p, 4, 12);
		assertArrayEquals(a.index(), b.index());
		assertFalse(Arrays.equals(a.index(), c.index()));
		// flip one sampled false negative to correct: the sample changes by at most a few voxels
		int flip = -1;
		for (int i = 0; i < a.size(); i++) if (a.falseNegative()[i] && a.label()[i] == 0) flip = a.index()[i];
		final byte[] p2 = p.clone();
		p2[flip] = l[flip];
		final VoxelSampler.Sample d = v.sample(l, p2, 4, 11);
		final Set<Integer> sa = new HashSet<>(), sd = new HashSet<>();
		for (final int i : a.index()) sa.add(i);
		for (final int i : d.index()) sd.add(i);
		sa.removeAll(sd);
		assertTrue(sa.size() <= 2, "voxels that left the sample: " + sa.size());
	}

	/** Water-filling: equal shares capped by capacity, leftovers to the others, remainders to the lowest slots. */
	@Test
	void waterfill() {
		assertArrayEquals(new long[] { 4, 3, 3 }, VoxelSampler.waterfill(10, new long[] { 100, 100, 100 }));
		assertArrayEquals(new long[] { 2, 4, 4 }, VoxelSampler.waterfill(10, new long[] { 2, 100, 100 }));
		assertArrayEquals(new long[] { 2, 0, 3 }, VoxelSampler.waterfill(10, new long[] { 2, 0, 3 }));
		assertArrayEquals(new long[] { 0, 0 }, VoxelSampler.waterfill(0, new long[] { 5, 5 }));
	}

	@Test
	void refusesLabelsOutsideTheClasses() {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VoxelSampler().sample(new byte[] { 0,
			3 }, null, 3, 1));
		assertTrue(e.getMessage().contains("label 3"), e.getMessage());
	}
}
