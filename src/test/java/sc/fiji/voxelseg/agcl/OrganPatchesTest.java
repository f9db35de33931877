package sc.fiji.voxelseg.agcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * Organ-centred patches and their views. Oracles: a coarse map painted by hand with known boxes and
 * voxel counts; an image whose voxels hold their own flat index {@code (z·ny + y)·nx + x} minus 5
 * (exact as floats, minimum -5), so a patch voxel's value names the volume voxel it was read from; a
 * direct crop written as a plain loop; and quarter turns, crops and scalings of small patches
 * worked out by hand.
 */
class OrganPatchesTest {

	/** The grid of {@link #coarse()}. */
	private static final int[] SIZE = { 12, 10, 8 };

	/**
	 * A 12×10×8 coarse map: class 1 a block x 2..4, y 3..6, z 1..2 (3·4·2 = 24 voxels); class 3 an L
	 * of two rods, x 7..10 at (y 1, z 5) and y 1..8 at (x 10, z 5), 4 + 8 - 1 = 11 voxels, box (7, 1,
	 * 5) to (10, 8, 5); class 7 the single voxel (11, 9, 7), in the corner.
	 */
	private static byte[] coarse() {
		final byte[] l = new byte[SIZE[0] * SIZE[1] * SIZE[2]];
		for (int z = 1; z <= 2; z++) for (int y = 3; y <= 6; y++) for (int x = 2; x <= 4; x++) l[index(x, y, z, SIZE)] = 1;
		for (int x = 7; x <= 10; x++) l[index(x, 1, 5, SIZE)] = 3;
		for (int y = 1; y <= 8; y++) l[index(10, y, 5, SIZE)] = 3;
		l[index(11, 9, 7, SIZE)] = 7;
		return l;
	}

	/** Voxel values are their flat indices minus 5: the minimum, the padding, is -5. */
	private static float[] indexImage(final int[] size) {
		final float[] v = new float[size[0] * size[1] * size[2]];
		for (int i = 0; i < v.length; i++) v[i] = i - 5;
		return v;
	}

	private static int index(final int x, final int y, final int z, final int[] size) {
		return (z * size[1] + y) * size[0] + x;
	}

	@Test
	void organsListsClassesWithTheirBoxes() {
		final List<OrganPatches.OrganBox> organs = OrganPatches.organs(coarse(), SIZE);
		assertEquals(3, organs.size());
		assertOrgan(organs.get(0), 1, new int[] { 2, 3, 1 }, new int[] { 4, 6, 2 }, 24);
		assertOrgan(organs.get(1), 3, new int[] { 7, 1, 5 }, new int[] { 10, 8, 5 }, 11);
		assertOrgan(organs.get(2), 7, new int[] { 11, 9, 7 }, new int[] { 11, 9, 7 }, 1);
		assertEquals(List.of(), OrganPatches.organs(new byte[8], new int[] { 2, 2, 2 }));
		// class 200 is stored as the byte -56 and still read as 200
		assertEquals(200, OrganPatches.organs(new byte[] { 0, (byte) 200 }, new int[] { 2, 1, 1 }).get(0).organ());
	}

	/**
	 * Over 2000 draws for each class the centre lies in the organ's box, at start + patch/2, and
	 * reaches both ends of the box along every axis (an end of a box at most 8 long is missed with
	 * probability below (7/8)²⁰⁰⁰). Class 3's box holds voxels outside the organ (the L's inside), and
	 * those are centres too: the box, not the organ, is drawn from.
	 */
	@Test
	void centreLiesInsideTheOrganBox() {
		final byte[] labels = coarse();
		final float[] image = indexImage(SIZE);
		final int[] patch = { 5, 4, 3 };
		final SplittableRandom rng = new SplittableRandom(20250310);
		boolean outsideTheOrgan = false;
		for (final OrganPatches.OrganBox box : OrganPatches.organs(labels, SIZE)) {
			final int[] lo = { Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE }, hi = { -1, -1, -1 };
			for (int k = 0; k < 2000; k++) {
				final OrganPatches.Patch p = OrganPatches.sample(image, labels, SIZE, box.organ(), patch, rng);
				if (!box.contains(p.centre()) || p.organ() != box.organ()) fail(p + " outside " + box);
				for (int d = 0; d < 3; d++) {
					if (p.centre()[d] != p.start()[d] + patch[d] / 2) fail("centre and start differ by other than patch/2: " + p);
					lo[d] = Math.min(lo[d], p.centre()[d]);
					hi[d] = Math.max(hi[d], p.centre()[d]);
				}
				if (labels[index(p.centre()[0], p.centre()[1], p.centre()[2], SIZE)] != box.organ()) outsideTheOrgan = true;
			}
			assertArrayEquals(box.min(), lo, box.toString());
			assertArrayEquals(box.max(), hi, box.toString());
		}
		assertTrue(outsideTheOrgan);
	}

	/**
	 * Channel 0 holds the image voxel at start + offset, or -5 (the minimum) outside the volume;
	 * channel 1 holds 1 exactly where the coarse map at the same volume voxel is the organ. The
	 * reference is a plain loop over the patch. Patches 5×4×3, 7×6×5 and 15×13×11 (larger than the
	 * volume, so always padded); class 7 in the corner makes every patch reach outside.
	 */
	@Test
	void channelsAreTheImageAndTheOrganMaskCutAtTheSameOffset() {
		final byte[] labels = coarse();
		final float[] image = indexImage(SIZE);
		final SplittableRandom rng = new SplittableRandom(5);
		for (final int[] patch : new int[][] { { 5, 4, 3 }, { 7, 6, 5 }, { 15, 13, 11 } }) {
			for (final int organ : new int[] { 1, 3, 7 }) {
				for (int k = 0; k < 50; k++) {
					final OrganPatches.Patch p = OrganPatches.sample(image, labels, SIZE, organ, patch, rng);
					assertEquals(-5f, p.padding());
					assertArrayEquals(patch, p.size());
					final int n = patch[0] * patch[1] * patch[2];
					assertEquals(2 * n, p.data().length);
					assertEquals(n, p.voxels());
					final float[] img = p.channel(0), mask = p.channel(1);
					for (int z = 0, i = 0; z < patch[2]; z++) for (int y = 0; y < patch[1]; y++) for (int x = 0; x < patch[0]; x++, i++) {
						final int vx = p.start()[0] + x, vy = p.start()[1] + y, vz = p.start()[2] + z;
						final boolean in = vx >= 0 && vx < SIZE[0] && vy >= 0 && vy < SIZE[1] && vz >= 0 && vz < SIZE[2];
						final float expectedImage = in ? index(vx, vy, vz, SIZE) - 5 : -5;
						final float expectedMask = in && labels[index(vx, vy, vz, SIZE)] == organ ? 1 : 0;
						if (img[i] != expectedImage || mask[i] != expectedMask) {
							throw new AssertionError("patch voxel (" + x + ", " + y + ", " + z + ") holds " + img[i] + ", " + mask[i] + " instead of " +
								expectedImage + ", " + expectedMask + ": " + p);
						}
					}
					// the boxes of classes 1 and 7 are all organ, so the centre voxel is; class 3's box is not
					final int centre = ((patch[2] / 2) * patch[1] + patch[1] / 2) * patch[0] + patch[0] / 2;
					if (organ != 3) assertEquals(1f, mask[centre], p.toString());
					if (organ == 7) assertTrue(p.start()[0] + patch[0] > SIZE[0], "the corner organ's patch reaches outside: " + p);
				}
			}
		}
	}

	/** The same seed gives the same patches and views; another seed other ones. */
	@Test
	void sameSeedSamePatchesAndViews() {
		final byte[] labels = coarse();
		final float[] image = indexImage(SIZE);
		final int[] patch = { 6, 6, 4 };
		final OrganPatches.Patch a = OrganPatches.sample(image, labels, SIZE, 3, patch, new SplittableRandom(42));
		final OrganPatches.Patch b = OrganPatches.sample(image, labels, SIZE, 3, patch, new SplittableRandom(42));
		assertArrayEquals(a.data(), b.data());
		assertArrayEquals(a.start(), b.start());
		assertArrayEquals(a.centre(), b.centre());
		// the overload with the box and the padding given draws the same
		final OrganPatches.OrganBox box = OrganPatches.organs(labels, SIZE).get(1);
		final OrganPatches.Patch c = OrganPatches.sample(image, labels, SIZE, box, OrganPatches.minimum(image), patch, new SplittableRandom(42));
		assertArrayEquals(a.data(), c.data());
		assertArrayEquals(a.centre(), c.centre());
		final OrganPatches.View va = OrganPatches.view(a, new SplittableRandom(9)), vb = OrganPatches.view(a, new SplittableRandom(9));
		assertArrayEquals(va.data(), vb.data());
		assertArrayEquals(va.cropStart(), vb.cropStart());
		assertArrayEquals(va.cropSize(), vb.cropSize());
		assertEquals(va.angleDegrees(), vb.angleDegrees());
		assertEquals(va.scale(), vb.scale());
		final OrganPatches.View other = OrganPatches.view(a, new SplittableRandom(10));
		assertFalse(Arrays.equals(va.data(), other.data()));
		boolean moved = false;
		for (int s = 43; s < 53 && !moved; s++) {
			moved = !Arrays.equals(a.centre(), OrganPatches.sample(image, labels, SIZE, 3, patch, new SplittableRandom(s)).centre());
		}
		assertTrue(moved);
	}

	/**
	 * A quarter turn (90°, turning +x towards +y about the centre (1.5, 1.5)) of a 4×4×2 patch, worked
	 * by hand: the inverse map reads output (x, y) at (1.5 + (y - 1.5), 1.5 - (x - 1.5)) = (y, 3 - x),
	 * so source (a, b) lands on (3 - b, a). The mask's L in z = 0 (top row x 0..2 and (0, 1)) becomes
	 * the right column y 0..2 and (2, 0); the single voxel (3, 3) in z = 1 lands on (0, 3). The image
	 * 10x + y + 100z becomes 10y + (3 - x) + 100z.
	 */
	@Test
	void quarterTurnMovesAnAsymmetricMaskAsWorkedByHand() {
		final int[] size = { 4, 4, 2 };
		final float[] mask = { //
			1, 1, 1, 0, //
			1, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 1 };
		final float[] turned = { //
			0, 0, 1, 1, //
			0, 0, 0, 1, //
			0, 0, 0, 1, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			0, 0, 0, 0, //
			1, 0, 0, 0 };
		final float[] data = new float[64];
		for (int z = 0, i = 0; z < 2; z++) for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++, i++) data[i] = 10 * x + y + 100 * z;
		System.arraycopy(mask, 0, data, 32, 32);
		final float[] out = OrganPatches.transform(data, size, -1, new int[3], size, Math.PI / 2, 1);
		assertArrayEquals(turned, Arrays.copyOfRange(out, 32, 64));
		for (int z = 0, i = 0; z < 2; z++) for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++, i++) {
			assertEquals(10 * y + (3 - x) + 100 * z, out[i], 1e-4, "(" + x + ", " + y + ", " + z + ")");
		}
		// four quarter turns of the mask come back to it
		float[] back = data;
		for (int k = 0; k < 4; k++) back = OrganPatches.transform(back, size, -1, new int[3], size, Math.PI / 2, 1);
		assertArrayEquals(mask, Arrays.copyOfRange(back, 32, 64));
	}

	/**
	 * Crop-and-resize and scaling along x of a 5×1×1 patch, image 0, 10, 20, 30, 40 and mask 0, 1, 1,
	 * 0, 0, padding -7, worked by hand (the centre is x = 2):
	 * <ul>
	 * <li>sub-box x 1..3 resized to 5: s = 1 + q·2/4 = 1, 1.5, 2, 2.5, 3 → image 10, 15, 20, 25, 30;
	 * mask at round(s) = 1, 2, 2, 3, 3 → 1, 1, 1, 0, 0;</li>
	 * <li>scale 2: q = (x - 2)/2 + 2 = 1, 1.5, 2, 2.5, 3 → the same image and mask;</li>
	 * <li>scale 0.5: q = 2(x - 2) + 2 = -2, 0, 2, 4, 6 → image -7, 0, 20, 40, -7; mask 0, 0, 1, 0, 0;</li>
	 * <li>sub-box x 1..3 then scale 2: s = 1 + q/2 = 1.5, 1.75, 2, 2.25, 2.5 → image 15, 17.5, 20, 22.5,
	 * 25; mask at 2, 2, 2, 2, 3 → 1, 1, 1, 1, 0;</li>
	 * <li>sub-box x 1..3 then scale 0.5: s = 1 + q/2 = 0, 1, 2, 3, 4, of which 0 and 4 lie outside the
	 * sub-box → image -7, 10, 20, 30, -7 (the patch's own 0 and 40 are not read); mask 0, 1, 1, 0, 0.</li>
	 * </ul>
	 */
	@Test
	void cropResizeAndScalingWorkedByHand() {
		final int[] size = { 5, 1, 1 };
		final float[] data = { 0, 10, 20, 30, 40, 0, 1, 1, 0, 0 };
		final int[] full = { 0, 0, 0 }, sub = { 1, 0, 0 }, subSize = { 3, 1, 1 };
		assertArrayEquals(new float[] { 10, 15, 20, 25, 30, 1, 1, 1, 0, 0 }, OrganPatches.transform(data, size, -7, sub, subSize, 0, 1));
		assertArrayEquals(new float[] { 10, 15, 20, 25, 30, 1, 1, 1, 0, 0 }, OrganPatches.transform(data, size, -7, full, size, 0, 2));
		assertArrayEquals(new float[] { -7, 0, 20, 40, -7, 0, 0, 1, 0, 0 }, OrganPatches.transform(data, size, -7, full, size, 0, 0.5));
		assertArrayEquals(new float[] { 15, 17.5f, 20, 22.5f, 25, 1, 1, 1, 1, 0 }, OrganPatches.transform(data, size, -7, sub, subSize, 0, 2));
		assertArrayEquals(new float[] { -7, 10, 20, 30, -7, 0, 1, 1, 0, 0 }, OrganPatches.transform(data, size, -7, sub, subSize, 0, 0.5));
	}

	/** Angle 0, scale 1 and the whole patch as sub-box give the patch back bit for bit, NaN included. */
	@Test
	void identityLeavesThePatchUnchanged() {
		final SplittableRandom rng = new SplittableRandom(3);
		for (final int[] size : new int[][] { { 7, 6, 5 }, { 8, 8, 4 }, { 1, 3, 2 }, { 1, 1, 1 } }) {
			final int n = size[0] * size[1] * size[2];
			final float[] data = new float[2 * n];
			for (int i = 0; i < n; i++) {
				data[i] = (float) (rng.nextDouble() * 2000 - 1000);
				data[n + i] = rng.nextBoolean() ? 1 : 0;
			}
			data[n / 2] = Float.NaN;
			assertArrayEquals(data, OrganPatches.transform(data, size, -1000, new int[3], size, 0, 1), Arrays.toString(size));
		}
		final byte[] labels = coarse();
		final OrganPatches.Patch p = OrganPatches.sample(indexImage(SIZE), labels, SIZE, 1, new int[] { 9, 8, 6 }, new SplittableRandom(8));
		assertArrayEquals(p.data(), OrganPatches.transform(p.data(), p.size(), p.padding(), new int[3], p.size(), 0, 1));
	}

	/**
	 * The draws stay in their ranges: edges from ⌈0.7·p⌉ to p (p = 10 → 7..10, p = 9 → 7..9 as 6.3
	 * rounds up, p = 3 → 3), every value reached in 400 views (a miss has probability below
	 * 4·(3/4)⁴⁰⁰); starts in [0, p - edge]; angles in ±30°, scales in [0.7, 1.3], both reaching within
	 * 5% of either end.
	 */
	@Test
	void viewDrawsStayInTheirRanges() {
		final int[] patch = { 10, 9, 3 };
		final OrganPatches.Patch p = OrganPatches.sample(indexImage(SIZE), coarse(), SIZE, 1, patch, new SplittableRandom(1));
		final SplittableRandom rng = new SplittableRandom(2);
		final List<TreeSet<Integer>> edges = List.of(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
		double minAngle = 90, maxAngle = -90, minScale = 9, maxScale = 0;
		for (int k = 0; k < 400; k++) {
			final OrganPatches.View v = OrganPatches.view(p, rng.split());
			assertEquals(p.data().length, v.data().length);
			for (int d = 0; d < 3; d++) {
				edges.get(d).add(v.cropSize()[d]);
				assertTrue(v.cropStart()[d] >= 0 && v.cropStart()[d] + v.cropSize()[d] <= patch[d], v.toString());
			}
			assertTrue(Math.abs(v.angleDegrees()) <= 30 && v.scale() >= 0.7 && v.scale() <= 1.3, v.toString());
			minAngle = Math.min(minAngle, v.angleDegrees());
			maxAngle = Math.max(maxAngle, v.angleDegrees());
			minScale = Math.min(minScale, v.scale());
			maxScale = Math.max(maxScale, v.scale());
		}
		assertEquals(new TreeSet<>(List.of(7, 8, 9, 10)), edges.get(0));
		assertEquals(new TreeSet<>(List.of(7, 8, 9)), edges.get(1));
		assertEquals(new TreeSet<>(List.of(3)), edges.get(2));
		assertTrue(minAngle < -27 && maxAngle > 27 && minScale < 0.73 && maxScale > 1.27, minAngle + ", " + maxAngle + ", " + minScale + ", " +
			maxScale);
	}

	/**
	 * Image and mask move together. The image is 100 where the coarse map holds the organ and 0 elsewhere
	 * (so the padding is 0 too). The mask takes the voxel nearest the sampling point, one of the 8 that
	 * the image interpolates, with weight at least ½ along each axis, so at least ⅛: where the mask is 1
	 * the image is at least 12.5, where it is 0 at most 87.5; an image of exactly 100 (all 8 neighbours
	 * in the organ) has mask 1, of exactly 0 mask 0. Most voxels of a view are of the latter kinds, and
	 * every view keeps some of the organ.
	 */
	@Test
	void imageAndMaskStayAlignedUnderRandomViews() {
		final byte[] labels = coarse();
		final float[] image = new float[labels.length];
		for (int i = 0; i < image.length; i++) image[i] = labels[i] == 1 ? 100 : 0;
		final SplittableRandom rng = new SplittableRandom(77);
		long exact = 0, total = 0;
		for (int k = 0; k < 200; k++) {
			final OrganPatches.Patch p = OrganPatches.sample(image, labels, SIZE, 1, new int[] { 8, 8, 4 }, rng);
			assertEquals(0f, p.padding());
			final OrganPatches.View v = OrganPatches.view(p, rng.split());
			final int n = p.voxels();
			int organ = 0;
			for (int i = 0; i < n; i++) {
				final float img = v.data()[i], mask = v.data()[n + i];
				final boolean bounded = mask == 1 ? img >= 12.5 - 1e-4 : mask == 0 && img <= 87.5 + 1e-4;
				final boolean whole = Math.abs(img - 100) < 1e-4 || Math.abs(img) < 1e-4;
				if (!bounded || whole && mask != (img > 50 ? 1 : 0)) fail("voxel " + i + ": image " + img + " under mask " + mask + ", " + v);
				if (whole) exact++;
				organ += (int) mask;
			}
			total += n;
			assertTrue(organ > 0, "the view lost the organ: " + v);
		}
		assertTrue(exact > total / 2, exact + " of " + total);
	}

	@Test
	void absentClassesAndMismatchedSizesAreRefused() {
		final byte[] labels = coarse();
		final float[] image = indexImage(SIZE);
		final int[] patch = { 4, 4, 4 };
		final SplittableRandom rng = new SplittableRandom(1);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(image, labels, SIZE, 2,
			patch, rng));
		assertEquals("class 2 is absent from the coarse label map (present: 1, 3, 7)", e.getMessage());
		assertEquals("class 1 is absent from the coarse label map (no organ present)", assertThrows(IllegalArgumentException.class,
			() -> OrganPatches.sample(new float[8], new byte[8], new int[] { 2, 2, 2 }, 1, patch, rng)).getMessage());
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(image, labels, SIZE, 0, patch, rng));
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(image, labels, SIZE, 256, patch, rng));
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(new float[10], labels, SIZE, 1, patch, rng));
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(image, new byte[10], SIZE, 1, patch, rng));
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.sample(image, labels, SIZE, 1, new int[] { 4, 0, 4 }, rng));
		final float[] data = new float[2 * 27];
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.transform(data, new int[] { 3, 3, 3 }, 0, new int[] { 1, 0, 0 },
			new int[] { 3, 3, 3 }, 0, 1));
		assertThrows(IllegalArgumentException.class, () -> OrganPatches.transform(data, new int[] { 3, 3, 3 }, 0, new int[3], new int[] { 3,
			3, 3 }, 0, 0));
	}

	private static void assertOrgan(final OrganPatches.OrganBox b, final int organ, final int[] min, final int[] max, final long voxels) {
		assertEquals(organ, b.organ(), b.toString());
		assertArrayEquals(min, b.min(), b.toString());
		assertArrayEquals(max, b.max(), b.toString());
		assertEquals(voxels, b.voxels(), b.toString());
	}
}
