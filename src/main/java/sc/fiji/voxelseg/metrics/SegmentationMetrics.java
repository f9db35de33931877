package sc.fiji.voxelseg.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;

/**
 * Per-class overlap and surface-distance metrics of a predicted label map against a ground-truth
 * label map on the same voxel grid, following MedPy's {@code medpy.metric.binary} ({@code dc},
 * {@code jc}, {@code hd}, {@code hd95}, {@code assd}) exactly, or MONAI's HD95 and ASSD on request
 * ({@link SurfaceConvention}).
 * <p>
 * For a class c, A is the set of prediction voxels labelled c and B that of the ground truth:
 * <ul>
 * <li>Dice {@code 2|A∩B| / (|A| + |B|)}, Jaccard {@code |A∩B| / |A∪B|};</li>
 * <li>the surface of a mask is {@code mask xor erode(mask)} with the 6-connected structuring
 * element, voxels on the border of the grid counting as surface ({@link Surfaces});</li>
 * <li>d(A→B) is, for each surface voxel of A, the Euclidean distance in mm (with the volume's
 * anisotropic spacing, axes x, y, z) to the nearest surface voxel of B
 * ({@link DistanceTransform});</li>
 * <li>HD is the largest of d(A→B) and d(B→A); HD95 and ASSD as the convention says (MedPy: the
 * 95th percentile, numpy's linear interpolation, of d(A→B) and d(B→A) pooled; and
 * {@code (mean d(A→B) + mean d(B→A)) / 2}).</li>
 * </ul>
 * Empty masks, which MedPy refuses: both empty gives Dice and Jaccard 1 and distances 0
 * ({@link MetricStatus#BOTH_EMPTY}); exactly one empty gives Dice and Jaccard 0 and NaN distances
 * ({@link MetricStatus#PRED_EMPTY}, {@link MetricStatus#TRUTH_EMPTY}), never 0. Background (label
 * 0) is never evaluated.
 * <p>
 * Cost: one parallel pass over both volumes finds each class's voxel counts, overlap and bounding
 * box; each class's surfaces and distance transforms are then computed on the union of its two
 * boxes grown by one voxel, which gives the same values as the whole grid (the grown box has
 * background all round, or is cut by the grid border, where scipy's erosion sees background too).
 */
public final class SegmentationMetrics {

	private SegmentationMetrics() {}

	/**
	 * {@link #evaluate(String, Volume, Volume, MetricOptions)} with case id {@code "case"}, which
	 * error messages leave out.
	 */
	public static CaseMetrics evaluate(final Volume pred, final Volume truth,
		final MetricOptions opts)
	{
		return evaluate("case", "", pred, truth, opts);
	}

	/**
	 * Evaluates {@code pred} against {@code truth}.
	 *
	 * @param caseId the case's name in the result and in error messages
	 * @param pred predicted label map (whole-number voxel values 0..65535)
	 * @param truth ground-truth label map on the same grid as {@code pred}; its class table, if
	 *          any, names the classes and, unless {@code opts} lists them, chooses them
	 * @throws IllegalArgumentException if the grids differ (the message names both), or a voxel
	 *           is not a class index
	 */
	public static CaseMetrics evaluate(final String caseId, final Volume pred, final Volume truth,
		final MetricOptions opts)
	{
		return evaluate(caseId, caseId + " ", pred, truth, opts);
	}

	private static CaseMetrics evaluate(final String caseId, final String prefix,
		final Volume pred, final Volume truth, final MetricOptions opts)
	{
		truth.requireSameGrid(pred, prefix + "ground truth", prefix + "prediction");
		final LabelRows rp = LabelRows.of(pred, prefix + "prediction");
		final LabelRows rt = LabelRows.of(truth, prefix + "ground truth");
		final int[] dims = { truth.width(), truth.height(), truth.depth() };
		final double[] spacing = truth.spacing();
		try (Parallel par = new Parallel(opts.threads())) {
			final ClassStats stats = ClassStats.scan(rp, rt, dims, par);
			final List<Integer> classes = classes(opts, truth, stats);
			final List<ClassMetrics> out = new ArrayList<>();
			for (final int c : classes)
				out.add(evaluateClass(c, name(c, truth, pred), stats, rp, rt, dims, spacing, opts
					.convention(), par));
			return new CaseMetrics(caseId, opts.convention(), spacing, out);
		}
	}

	private static List<Integer> classes(final MetricOptions opts, final Volume truth,
		final ClassStats stats)
	{
		if (opts.classes() != null) return opts.classes().stream().sorted().toList();
		final TreeSet<Integer> set = new TreeSet<>();
		if (truth.classes() != null) truth.classes().classes().forEach(c -> set.add(c.index()));
		else for (int l = 0; l < stats.labels(); l++)
			if (stats.pred[l] > 0 || stats.truth[l] > 0) set.add(l);
		set.remove(0);
		return new ArrayList<>(set);
	}

	private static String name(final int c, final Volume truth, final Volume pred) {
		for (final ClassTable t : new ClassTable[] { truth.classes(), pred.classes() })
			if (t != null && t.contains(c)) return t.get(c).name();
		return "class_" + c;
	}

	private static ClassMetrics evaluateClass(final int c, final String name,
		final ClassStats stats, final LabelRows rp, final LabelRows rt, final int[] dims,
		final double[] spacing, final SurfaceConvention convention, final Parallel par)
	{
		final long a = stats.count(stats.pred, c), b = stats.count(stats.truth, c), ab = stats.count(
			stats.inter, c);
		if (a == 0 && b == 0) return new ClassMetrics(c, name, 1, 1, 0, 0, 0, 0, 0,
			MetricStatus.BOTH_EMPTY);
		if (a == 0 || b == 0) return new ClassMetrics(c, name, 0, 0, Double.NaN, Double.NaN,
			Double.NaN, a, b, a == 0 ? MetricStatus.PRED_EMPTY : MetricStatus.TRUTH_EMPTY);
		final double dice = 2.0 * ab / (a + b);
		final double jaccard = (double) ab / (a + b - ab);
		// the union of both boxes, one voxel larger all round, clipped to the grid
		final int[] lo = new int[3], hi = new int[3], bd = new int[3];
		for (int d = 0; d < 3; d++) {
			lo[d] = Math.max(0, Math.min(stats.boxMin(stats.predBox, c, d), stats.boxMin(
				stats.truthBox, c, d)) - 1);
			hi[d] = Math.min(dims[d] - 1, Math.max(stats.boxMax(stats.predBox, c, d), stats.boxMax(
				stats.truthBox, c, d)) + 1);
			bd[d] = hi[d] - lo[d] + 1;
		}
		final long boxVoxels = (long) bd[0] * bd[1] * bd[2];
		if (boxVoxels > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("class " + c +
			" spans " + Arrays.toString(bd) + " voxels, more than one array holds");
		final int n = (int) boxVoxels;
		final boolean[] ma = new boolean[n], mb = new boolean[n];
		par.forEach(bd[2], k -> {
			final int[] rowP = new int[bd[0]], rowT = new int[bd[0]];
			for (int j = 0; j < bd[1]; j++) {
				final int src = lo[0] + dims[0] * (lo[1] + j + dims[1] * (lo[2] + k));
				rp.row(src, bd[0], rowP);
				rt.row(src, bd[0], rowT);
				final int dst = bd[0] * (j + bd[1] * k);
				for (int i = 0; i < bd[0]; i++) {
					ma[dst + i] = rowP[i] == c;
					mb[dst + i] = rowT[i] == c;
				}
			}
		});
		final boolean[] sa = new boolean[n], sb = new boolean[n];
		final long na = Surfaces.surface(ma, bd, sa, par);
		final long nb = Surfaces.surface(mb, bd, sb, par);
		final double[] work = new double[n];
		final double[] dab = DistanceTransform.distancesAt(sb, sa, (int) na, bd, spacing, work, par);
		final double[] dba = DistanceTransform.distancesAt(sa, sb, (int) nb, bd, spacing, work, par);
		final double hd = Math.max(max(dab), max(dba));
		final double hd95, assd;
		if (convention == SurfaceConvention.MEDPY) {
			hd95 = Percentiles.linear(concat(dab, dba), 95);
			assd = (mean(dab) + mean(dba)) / 2;
		}
		else {
			hd95 = Math.max(Percentiles.linear(dab, 95), Percentiles.linear(dba, 95));
			assd = mean(concat(dab, dba));
		}
		return new ClassMetrics(c, name, dice, jaccard, hd, hd95, assd, a, b, MetricStatus.OK);
	}

	private static double[] concat(final double[] x, final double[] y) {
		final double[] r = Arrays.copyOf(x, x.length + y.length);
		System.arraycopy(y, 0, r, x.length, y.length);
		return r;
	}

	private static double max(final double[] x) {
		double m = Double.NEGATIVE_INFINITY;
		for (final double v : x)
			if (v > m) m = v;
		return m;
	}

	private static double mean(final double[] x) {
		double s = 0;
		for (final double v : x)
			s += v;
		return s / x.length;
	}

	/**
	 * Voxel counts, overlap and bounding boxes of every label in both volumes, from one pass over
	 * the z slices in parallel.
	 */
	static final class ClassStats {

		long[] pred = new long[0], truth = new long[0], inter = new long[0];
		/** Per label: min x, min y, min z, max x, max y, max z. */
		int[] predBox = new int[0], truthBox = new int[0];

		int labels() {
			return pred.length;
		}

		long count(final long[] a, final int c) {
			return c < a.length ? a[c] : 0;
		}

		int boxMin(final int[] box, final int c, final int d) {
			return box[6 * c + d];
		}

		int boxMax(final int[] box, final int c, final int d) {
			return box[6 * c + 3 + d];
		}

		private void grow(final int label) {
			if (label < pred.length) return;
			final int n = Math.max(label + 1, Math.min(LabelRows.MAX_LABEL + 1, 2 * pred.length));
			final int old = pred.length;
			pred = Arrays.copyOf(pred, n);
			truth = Arrays.copyOf(truth, n);
			inter = Arrays.copyOf(inter, n);
			predBox = Arrays.copyOf(predBox, 6 * n);
			truthBox = Arrays.copyOf(truthBox, 6 * n);
			for (int l = old; l < n; l++)
				for (int d = 0; d < 3; d++) {
					predBox[6 * l + d] = truthBox[6 * l + d] = Integer.MAX_VALUE;
					predBox[6 * l + 3 + d] = truthBox[6 * l + 3 + d] = Integer.MIN_VALUE;
				}
		}

		private static void mark(final int[] box, final int l, final int x, final int y,
			final int z)
		{
			final int o = 6 * l;
			if (x < box[o]) box[o] = x;
			if (y < box[o + 1]) box[o + 1] = y;
			if (z < box[o + 2]) box[o + 2] = z;
			if (x > box[o + 3]) box[o + 3] = x;
			if (y > box[o + 4]) box[o + 4] = y;
			if (z > box[o + 5]) box[o + 5] = z;
		}

		static ClassStats scan(final LabelRows rp, final LabelRows rt, final int[] dims,
			final Parallel par)
		{
			final int nx = dims[0], ny = dims[1], nz = dims[2];
			final int chunks = Math.min(nz, 4 * par.threads());
			final ClassStats[] parts = new ClassStats[chunks];
			par.forEach(chunks, ch -> {
				final ClassStats s = new ClassStats();
				s.grow(16);
				final int[] p = new int[nx], t = new int[nx];
				final int z0 = (int) ((long) nz * ch / chunks), z1 = (int) ((long) nz * (ch + 1) / chunks);
				for (int z = z0; z < z1; z++)
					for (int y = 0; y < ny; y++) {
						final int off = nx * (y + ny * z);
						rp.row(off, nx, p);
						rt.row(off, nx, t);
						// runs of one label along x update the box once
						int x = 0;
						while (x < nx) {
							final int lp = p[x], lt = t[x];
							int e = x + 1;
							while (e < nx && p[e] == lp && t[e] == lt)
								e++;
							s.grow(Math.max(lp, lt));
							s.pred[lp] += e - x;
							s.truth[lt] += e - x;
							if (lp == lt) s.inter[lp] += e - x;
							mark(s.predBox, lp, x, y, z);
							mark(s.predBox, lp, e - 1, y, z);
							mark(s.truthBox, lt, x, y, z);
							mark(s.truthBox, lt, e - 1, y, z);
							x = e;
						}
					}
				parts[ch] = s;
			});
			final ClassStats all = new ClassStats();
			for (final ClassStats s : parts) {
				all.grow(s.pred.length - 1);
				for (int l = 0; l < s.pred.length; l++) {
					all.pred[l] += s.pred[l];
					all.truth[l] += s.truth[l];
					all.inter[l] += s.inter[l];
					for (int d = 0; d < 3; d++) {
						all.predBox[6 * l + d] = Math.min(all.predBox[6 * l + d], s.predBox[6 * l + d]);
						all.truthBox[6 * l + d] = Math.min(all.truthBox[6 * l + d], s.truthBox[6 * l + d]);
						all.predBox[6 * l + 3 + d] = Math.max(all.predBox[6 * l + 3 + d], s.predBox[6 * l +
							3 + d]);
						all.truthBox[6 * l + 3 + d] = Math.max(all.truthBox[6 * l + 3 + d], s.truthBox[6 *
							l + 3 + d]);
					}
				}
			}
			return all;
		}
	}
}
