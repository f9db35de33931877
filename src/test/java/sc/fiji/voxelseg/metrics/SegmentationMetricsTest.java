package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.planar.PlanarImgs;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.view.Views;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/** Metrics worked by hand on tiny masks, the empty cases and the argument checks. */
class SegmentationMetricsTest {

	static Volume labels(final byte[] b, final int[] dims, final double[] spacing,
		final ClassTable table)
	{
		return new Volume(ArrayImgs.unsignedBytes(b, dims[0], dims[1], dims[2]), spacing,
			new double[3], Volume.identity(), table, VoxelType.UINT8);
	}

	static void box(final byte[] b, final int[] dims, final int label, final int x0, final int x1,
		final int y0, final int y1, final int z0, final int z1)
	{
		for (int z = z0; z <= z1; z++)
			for (int y = y0; y <= y1; y++)
				for (int x = x0; x <= x1; x++)
					b[x + dims[0] * (y + dims[1] * z)] = (byte) label;
	}

	/**
	 * Two 3×3×3 cubes in an 8×8×8 grid, A (prediction) at x, y, z in [2, 4], B (truth) shifted by
	 * one voxel along x to x in [3, 5].
	 * <p>
	 * Overlap: x in [3, 4], 2·3·3 = 18 voxels. Dice = 2·18 / (27 + 27) = 2/3; Jaccard = 18 / (27 +
	 * 27 - 18) = 1/2.
	 * <p>
	 * Surfaces: a 3×3×3 cube loses only its centre to the erosion, so 26 surface voxels each; A's
	 * centre is (3, 3, 3), B's (4, 3, 3).
	 * <p>
	 * d(A→B), 26 values: A's x = 2 face (9 voxels) lies one step (sx mm) from B's x = 3 face, all
	 * of which is B surface: 9 × sx. A's x = 3 slab without its centre (8 voxels) lies on B's x = 3
	 * face: 8 × 0. A's x = 4 face: 8 voxels are on B's surface (0), but (4, 3, 3) is B's centre,
	 * whose nearest B surface voxels are one step away along any axis: the nearest is
	 * min(sx, sy, sz). So d(A→B) = 16 zeros, 9 × sx and 1 × min(s). By symmetry d(B→A) is the same
	 * (B's x = 5 face is sx from A's x = 4 face; A's centre (3, 3, 3) is B surface, min(s) from A's
	 * surface).
	 * <p>
	 * With spacing 1×1×1: 32 zeros and 20 ones pooled. HD = 1. HD95: virtual index 51 · 0.95 =
	 * 48.45 in the sorted 52 values, both neighbours 1: HD95 = 1. ASSD = (10/26 + 10/26) / 2 = 5/13.
	 * MONAI: directed 95th percentiles at index 25 · 0.95 = 23.75, both 1; pooled mean 20/52 = 5/13.
	 * <p>
	 * With spacing 2×1×1 (x 2 mm): each direction has 16 zeros, 9 × 2 mm, 1 × 1 mm. HD = 2. Pooled
	 * sorted: 32 zeros, 2 ones (indices 32, 33), 18 twos (34..51): HD95 at 48.45 = 2. ASSD = (19/26
	 * + 19/26) / 2 = 19/26.
	 */
	@Test
	void cubesOffsetByOneVoxel() {
		final int[] dims = { 8, 8, 8 };
		final byte[] p = new byte[512], t = new byte[512];
		box(p, dims, 1, 2, 4, 2, 4, 2, 4);
		box(t, dims, 1, 3, 5, 2, 4, 2, 4);
		for (final SurfaceConvention conv : SurfaceConvention.values()) {
			final ClassMetrics m = SegmentationMetrics.evaluate(labels(p, dims, new double[] { 1, 1, 1 },
				null), labels(t, dims, new double[] { 1, 1, 1 }, null), MetricOptions.defaults()
					.withConvention(conv)).get(1);
			assertEquals(MetricStatus.OK, m.status());
			assertEquals(2.0 / 3, m.dice(), 1e-12);
			assertEquals(0.5, m.jaccard(), 1e-12);
			assertEquals(1, m.hd(), 1e-12);
			assertEquals(1, m.hd95(), 1e-12);
			assertEquals(5.0 / 13, m.assd(), 1e-12);
			assertEquals(27, m.predVoxels());
			assertEquals(27, m.truthVoxels());
			assertEquals("class_1", m.className());
		}
		final double[] s = { 2, 1, 1 };
		final ClassMetrics m = SegmentationMetrics.evaluate(labels(p, dims, s, null), labels(t, dims,
			s, null), MetricOptions.defaults()).get(1);
		assertEquals(2, m.hd(), 1e-12);
		assertEquals(2, m.hd95(), 1e-12);
		assertEquals(19.0 / 26, m.assd(), 1e-12);
	}

	/**
	 * A 10×1×1 grid at 0.5×3×7 mm: every voxel lies on the grid border, so every mask voxel is
	 * surface, and only x distances matter. A (prediction) = {x = 0}, B (truth) = {x = 0..3}.
	 * <p>
	 * Dice = 2·1 / (1 + 4) = 0.4; Jaccard = 1/4. d(A→B) = [0]; d(B→A) = [0, 0.5, 1, 1.5] mm. HD =
	 * 1.5.
	 * <p>
	 * MedPy: pooled sorted [0, 0, 0.5, 1, 1.5], virtual index 4 · 0.95 = 3.8, so HD95 = 1 + 0.8 ·
	 * 0.5 = 1.4; ASSD = (0 + 0.75) / 2 = 0.375.
	 * <p>
	 * MONAI: HD95 = max(0, percentile of [0, 0.5, 1, 1.5] at 3 · 0.95 = 2.85 → 1 + 0.85 · 0.5 =
	 * 1.425) = 1.425; ASSD = pooled mean 3 / 5 = 0.6.
	 */
	@Test
	void medpyAndMonaiConventionsDiffer() {
		final int[] dims = { 10, 1, 1 };
		final double[] s = { 0.5, 3, 7 };
		final byte[] p = new byte[10], t = new byte[10];
		p[0] = 2;
		for (int x = 0; x < 4; x++)
			t[x] = 2;
		final Volume pv = labels(p, dims, s, null), tv = labels(t, dims, s, null);
		final ClassMetrics medpy = SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults()).get(
			2);
		assertEquals(0.4, medpy.dice(), 1e-12);
		assertEquals(0.25, medpy.jaccard(), 1e-12);
		assertEquals(1.5, medpy.hd(), 1e-12);
		assertEquals(1.4, medpy.hd95(), 1e-12);
		assertEquals(0.375, medpy.assd(), 1e-12);
		final CaseMetrics monaiCase = SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults()
			.withConvention(SurfaceConvention.MONAI));
		assertEquals(SurfaceConvention.MONAI, monaiCase.convention());
		final ClassMetrics monai = monaiCase.get(2);
		assertEquals(1.5, monai.hd(), 1e-12);
		assertEquals(1.425, monai.hd95(), 1e-12);
		assertEquals(0.6, monai.assd(), 1e-12);
		// the metrics are symmetric in MedPy's convention: swapping prediction and truth
		final ClassMetrics swapped = SegmentationMetrics.evaluate(tv, pv, MetricOptions.defaults())
			.get(2);
		assertEquals(medpy.hd95(), swapped.hd95(), 1e-12);
		assertEquals(medpy.assd(), swapped.assd(), 1e-12);
	}

	/**
	 * Truth has classes 1 (spleen) and 2 (left kidney) of the abdomen table; the prediction has 2
	 * and 3 (gallbladder). Class 1: prediction empty; class 3: truth empty; classes 4..8: both
	 * empty; class 2 identical (Dice 1, distances 0).
	 */
	@Test
	void emptyMasks() {
		final int[] dims = { 6, 5, 4 };
		final byte[] p = new byte[120], t = new byte[120];
		box(t, dims, 1, 0, 1, 0, 1, 0, 1);
		box(t, dims, 2, 3, 4, 2, 3, 1, 2);
		box(p, dims, 2, 3, 4, 2, 3, 1, 2);
		box(p, dims, 3, 0, 0, 4, 4, 3, 3);
		final double[] s = { 0.7, 0.9, 2.5 };
		final CaseMetrics c = SegmentationMetrics.evaluate("case_007", labels(p, dims, s, null),
			labels(t, dims, s, ClassTable.abdomen()), MetricOptions.defaults());
		assertEquals("case_007", c.caseId());
		assertEquals(8, c.classes().size());
		final ClassMetrics spleen = c.get(1);
		assertEquals("spleen", spleen.className());
		assertEquals(MetricStatus.PRED_EMPTY, spleen.status());
		assertEquals(0, spleen.dice());
		assertEquals(0, spleen.jaccard());
		assertTrue(Double.isNaN(spleen.hd()) && Double.isNaN(spleen.hd95()) && Double.isNaN(spleen
			.assd()), "a missed organ has undefined distances, never 0");
		assertEquals(0, spleen.predVoxels());
		assertEquals(8, spleen.truthVoxels());
		final ClassMetrics kidney = c.get(2);
		assertEquals(MetricStatus.OK, kidney.status());
		assertEquals(1, kidney.dice());
		assertEquals(1, kidney.jaccard());
		assertEquals(0, kidney.hd());
		assertEquals(0, kidney.hd95());
		assertEquals(0, kidney.assd());
		final ClassMetrics gall = c.get(3);
		assertEquals(MetricStatus.TRUTH_EMPTY, gall.status());
		assertEquals(0, gall.dice());
		assertTrue(Double.isNaN(gall.hd95()));
		assertEquals(1, gall.predVoxels());
		for (int k = 4; k <= 8; k++) {
			final ClassMetrics e = c.get(k);
			assertEquals(MetricStatus.BOTH_EMPTY, e.status());
			assertEquals(1, e.dice());
			assertEquals(1, e.jaccard());
			assertEquals(0, e.hd());
			assertEquals(0, e.hd95());
			assertEquals(0, e.assd());
			assertTrue(e.status().distancesDefined());
		}
		assertTrue(!spleen.status().distancesDefined() && !gall.status().distancesDefined());
	}

	/** Without a class table: the labels present in either volume; or an explicit list. */
	@Test
	void classSelection() {
		final int[] dims = { 6, 5, 4 };
		final byte[] p = new byte[120], t = new byte[120];
		box(t, dims, 4, 0, 1, 0, 1, 0, 1);
		box(p, dims, 9, 3, 4, 2, 3, 1, 2);
		final double[] s = { 1, 1, 1 };
		final Volume pv = labels(p, dims, s, null), tv = labels(t, dims, s, null);
		assertEquals(List.of(4, 9), SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults())
			.classes().stream().map(ClassMetrics::classIndex).toList());
		final CaseMetrics listed = SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults()
			.withClasses(7, 4));
		assertEquals(List.of(4, 7), listed.classes().stream().map(ClassMetrics::classIndex).toList());
		assertEquals(MetricStatus.BOTH_EMPTY, listed.get(7).status());
		// names come from the prediction's table when the truth has none
		final CaseMetrics named = SegmentationMetrics.evaluate(pv.withClasses(ClassTable.generic(9)),
			tv, MetricOptions.defaults());
		assertEquals("class_9", named.get(9).className());
		assertThrows(IllegalArgumentException.class, () -> MetricOptions.defaults().withClasses(0,
			1));
		assertThrows(IllegalArgumentException.class, () -> MetricOptions.defaults().withClasses(2,
			2));
		assertThrows(IllegalArgumentException.class, () -> MetricOptions.defaults().withThreads(-1));
	}

	/** Different grids are refused with a message that names both. */
	@Test
	void refusesDifferentGrids() {
		final byte[] b = new byte[120];
		final int[] dims = { 6, 5, 4 };
		final Volume truth = labels(b, dims, new double[] { 0.7, 0.9, 2.5 }, null);
		final Volume pred = labels(b, dims, new double[] { 0.7, 0.9, 3.0 }, null);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> SegmentationMetrics.evaluate("case_3", pred, truth, MetricOptions.defaults()));
		assertTrue(e.getMessage().contains(pred.describeGrid()), e.getMessage());
		assertTrue(e.getMessage().contains(truth.describeGrid()), e.getMessage());
		assertTrue(e.getMessage().contains("case_3 prediction") && e.getMessage().contains(
			"case_3 ground truth"), e.getMessage());
		final Volume smaller = labels(new byte[60], new int[] { 6, 5, 2 }, new double[] { 0.7, 0.9,
			2.5 }, null);
		assertThrows(IllegalArgumentException.class, () -> SegmentationMetrics.evaluate(smaller,
			truth, MetricOptions.defaults()));
	}

	/**
	 * Values that are not class indices are refused, naming the volume and the voxel; the message
	 * is the original even when a worker thread found the value.
	 */
	@Test
	void refusesNonLabels() {
		final float[] f = new float[120];
		f[7] = 1.5f;
		final Volume pred = Volume.ofFloats(f, new long[] { 6, 5, 4 }, new double[] { 1, 1, 1 },
			new double[3], Volume.identity());
		final Volume truth = labels(new byte[120], new int[] { 6, 5, 4 }, new double[] { 1, 1, 1 },
			null);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> SegmentationMetrics.evaluate(pred, truth, MetricOptions.defaults().withThreads(3)));
		assertTrue(e.getMessage().startsWith("prediction: voxel (1, 1, 0)") && e
			.getMessage().contains("1.5"), e.getMessage());
		f[7] = -2;
		assertThrows(IllegalArgumentException.class, () -> SegmentationMetrics.evaluate(pred, truth,
			MetricOptions.defaults()));
	}

	/**
	 * Plane-backed (ImageJ-style), int16, float and view-backed label images give the same values
	 * as array-backed uint8 ones; so do 1 and 3 threads.
	 */
	@Test
	void storageAndThreadsDoNotChangeValues() {
		final int[] dims = { 12, 9, 7 };
		final byte[] p = new byte[12 * 9 * 7], t = new byte[p.length];
		box(t, dims, 1, 2, 8, 1, 6, 1, 5);
		box(t, dims, 2, 0, 3, 0, 2, 0, 6);
		box(p, dims, 1, 3, 9, 2, 7, 1, 4);
		box(p, dims, 2, 0, 2, 0, 3, 0, 5);
		final double[] s = { 0.7, 0.9, 2.5 };
		final Volume pv = labels(p, dims, s, null), tv = labels(t, dims, s, null);
		final CaseMetrics ref = SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults()
			.withThreads(1));
		final var planar = PlanarImgs.unsignedBytes(12, 9, 7);
		final var c = Views.flatIterable(planar).cursor();
		int i = 0;
		while (c.hasNext())
			c.next().set(p[i++]);
		final short[] sh = new short[p.length];
		final float[] fl = new float[p.length];
		for (int k = 0; k < p.length; k++) {
			sh[k] = p[k];
			fl[k] = p[k];
		}
		final List<Volume> others = List.of(pv.withImage(planar), pv.withImage(ArrayImgs.shorts(sh,
			12, 9, 7)), Volume.ofFloats(fl, pv.dims(), s, new double[3], Volume.identity()), pv
				.withImage(Views.zeroMin(Views.interval(Views.extendZero(ArrayImgs.unsignedBytes(p, 12, 9,
					7)), new long[] { 0, 0, 0 }, new long[] { 11, 8, 6 }))));
		for (final Volume o : others)
			assertEquals(ref.classes(), SegmentationMetrics.evaluate(o, tv, MetricOptions.defaults())
				.classes(), o.image().getClass().getSimpleName());
		assertEquals(ref.classes(), SegmentationMetrics.evaluate(pv, tv, MetricOptions.defaults()
			.withThreads(3)).classes());
		assertTrue(ref.get(1).hd() > 0 && ref.get(2).hd() > 0);
		assertEquals(UnsignedByteType.class, planar.firstElement().getClass());
	}

	/** numpy.percentile(values, 95) values, worked by hand. */
	@Test
	void percentileIsNumpysLinear() {
		// [1, 2, 3, 4]: virtual index 3 · 0.95 = 2.85, 3 + 0.85 = 3.85
		assertEquals(3.85, Percentiles.linear(new double[] { 4, 2, 1, 3 }, 95), 1e-12);
		assertEquals(7, Percentiles.linear(new double[] { 7 }, 95));
		assertEquals(2.5, Percentiles.linear(new double[] { 1, 2, 3, 4 }, 50), 1e-12);
		assertEquals(4, Percentiles.linear(new double[] { 1, 2, 3, 4 }, 100));
		assertTrue(Double.isNaN(Percentiles.linear(new double[0], 95)));
	}
}
