package sc.fiji.voxelseg.infer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.model.BundleModel;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.report.Charts;
import sc.fiji.voxelseg.report.LinePlot;

/**
 * The feature-space picture of seed 000's Fig. 3: voxel vectors of one hidden feature map,
 * sampled per class (labels brought to the map's grid by nearest neighbour), projected onto their
 * first two principal components and drawn as a scatter coloured by class. Well separated clusters
 * mean the layer already tells the organs apart.
 */
public final class FeatureProjection {

	/**
	 * Projected voxels: coordinates on the first two principal axes, each voxel's class and, for a
	 * projection of two images, its domain (0 labeled, 1 unlabeled; null for one image).
	 */
	public record Points(double[] pc1, double[] pc2, int[] classes, int[] domains, double[] explained) {

		public Points(final double[] pc1, final double[] pc2, final int[] classes, final double[] explained) {
			this(pc1, pc2, classes, null, explained);
		}
	}

	/** Sampled voxel feature vectors (rows) of one encoder map and their classes. */
	record Sample(double[][] rows, int[] classes) {}

	private FeatureProjection() {}

	/**
	 * Samples up to {@code perClass} voxels of each class present from encoder map {@code depth} (1 =
	 * deepest) of {@code model} for {@code image} with its {@code labels}, and projects them.
	 */
	public static Points project(final BundleModel model, final Volume image, final Volume labels, final int depth, final int perClass,
		final long seed)
	{
		final Sample s = sample(model, image, labels, depth, perClass, seed);
		if (s.rows().length < 3) throw new IllegalArgumentException("the label map leaves fewer than 3 voxels on the feature map's grid");
		return pca(s.rows(), s.classes(), null, seed);
	}

	/**
	 * Seed 003's labeled against unlabeled voxels (its Fig. 7) from one sampling of each image:
	 * {@code points}, the voxels sampled as in {@link #project} from both images and projected on
	 * the principal axes of both sets together; and {@code gap}, per class present in both, the
	 * distance between the two sets' mean feature vectors in units of the class's pooled
	 * within-domain standard deviation (root mean square over the feature channels): 0 where the
	 * domains overlap, larger where the unlabeled features drift away, NaN for a class missing from
	 * either.
	 */
	public record DomainComparison(Points points, double[] gap) {}

	/**
	 * Compares a labeled and an unlabeled image's voxel features (see {@link DomainComparison}). The
	 * unlabeled image's classes are its {@code unlabeledClasses} where given (to judge the picture),
	 * otherwise the model's own prediction, as a semi-supervised run would see them.
	 */
	public static DomainComparison compareDomains(final BundleModel model, final Volume labeledImage, final Volume labels,
		final Volume unlabeledImage, final Volume unlabeledClasses, final int depth, final int perClass, final long seed)
	{
		final Sample[] ab = domains(model, labeledImage, labels, unlabeledImage, unlabeledClasses, depth, perClass, seed);
		final Sample a = ab[0], b = ab[1];
		final int n = a.rows().length + b.rows().length;
		if (a.rows().length == 0 || b.rows().length == 0 || n < 3) {
			throw new IllegalArgumentException("each image must leave voxels on the feature map's grid");
		}
		final double[][] rows = new double[n][];
		final int[] classes = new int[n], domains = new int[n];
		for (int i = 0; i < n; i++) {
			final boolean first = i < a.rows().length;
			final int j = first ? i : i - a.rows().length;
			rows[i] = first ? a.rows()[j] : b.rows()[j];
			classes[i] = first ? a.classes()[j] : b.classes()[j];
			domains[i] = first ? 0 : 1;
		}
		return new DomainComparison(pca(rows, classes, domains, seed), gap(a, b, model.classes().maxIndex() + 1));
	}

	/** The labeled image's sample and the unlabeled image's (classes given, or predicted by the model). */
	private static Sample[] domains(final BundleModel model, final Volume labeledImage, final Volume labels, final Volume unlabeledImage,
		final Volume unlabeledClasses, final int depth, final int perClass, final long seed)
	{
		// the predictor borrows the model: it is not closed here
		final Volume guess = unlabeledClasses != null ? unlabeledClasses
			: new Predictor(model).predict(unlabeledImage, PredictOptions.defaults(), null).labels();
		return new Sample[] { sample(model, labeledImage, labels, depth, perClass, seed), sample(model, unlabeledImage, guess, depth,
			perClass, seed + 1) };
	}

	static double[] gap(final Sample a, final Sample b, final int classes) {
		final double[] out = new double[classes];
		for (int k = 0; k < classes; k++) {
			final double[][] ma = moments(a, k), mb = moments(b, k);
			if (ma == null || mb == null) {
				out[k] = Double.NaN;
				continue;
			}
			double dist = 0, var = 0;
			final int c = ma[0].length;
			for (int ch = 0; ch < c; ch++) {
				final double d = ma[0][ch] - mb[0][ch];
				dist += d * d;
				var += (ma[1][ch] + mb[1][ch]) / 2;
			}
			out[k] = var > 0 ? Math.sqrt(dist / var) : dist == 0 ? 0 : Double.POSITIVE_INFINITY;
		}
		return out;
	}

	/** {mean, variance} per channel of class k's rows, or null with fewer than 2 rows. */
	private static double[][] moments(final Sample s, final int k) {
		int n = 0;
		double[] mean = null, sq = null;
		for (int i = 0; i < s.rows().length; i++) {
			if (s.classes()[i] != k) continue;
			final double[] r = s.rows()[i];
			if (mean == null) {
				mean = new double[r.length];
				sq = new double[r.length];
			}
			for (int ch = 0; ch < r.length; ch++) {
				mean[ch] += r[ch];
				sq[ch] += r[ch] * r[ch];
			}
			n++;
		}
		if (n < 2) return null;
		final double[] var = new double[mean.length];
		for (int ch = 0; ch < mean.length; ch++) {
			mean[ch] /= n;
			var[ch] = Math.max(0, (sq[ch] - n * mean[ch] * mean[ch]) / (n - 1));
		}
		return new double[][] { mean, var };
	}

	/** Up to {@code perClass} voxel feature vectors of each class of {@code labels} on encoder map {@code depth}. */
	static Sample sample(final BundleModel model, final Volume image, final Volume labels, final int depth, final int perClass,
		final long seed)
	{
		final int levels = model.bundle().network().levels();
		if (depth < 1 || depth > levels) throw new IllegalArgumentException("depth must be 1.." + levels + " (1 = deepest), not " + depth);
		final ClassTable table = model.classes();
		final PreprocessingPlan.Result r = model.plan().apply(image, LabelMaps.asLabelMap(labels, table, "label map"));
		final long[] d = r.image().dims();
		final int div = model.divisor();
		final int[] w = new int[3];
		for (int a = 0; a < 3; a++) w[a] = (int) ((d[a] + div - 1) / div * div);
		final float[] img = Voxels.floats(r.image().image()), lab = Voxels.floats(r.labels().image());
		final float[] buf = new float[w[0] * w[1] * w[2]];
		final float[] labBuf = new float[buf.length];
		java.util.Arrays.fill(labBuf, -1);
		for (int z = 0; z < d[2]; z++) for (int y = 0; y < d[1]; y++) {
			final int src = (int) ((z * d[1] + y) * d[0]), dst = (z * w[1] + y) * w[0];
			System.arraycopy(img, src, buf, dst, (int) d[0]);
			System.arraycopy(lab, src, labBuf, dst, (int) d[0]);
		}
		final float[] feats;
		final int c, fx, fy, fz;
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final NDArray x = model.manager().create(FloatBuffer.wrap(buf), new Shape(1, 1, w[2], w[1], w[0]));
			final NDList out = model.forward(x);
			final NDArray f = out.get(depth);
			final Shape s = f.getShape();
			c = (int) s.get(1);
			fz = (int) s.get(2);
			fy = (int) s.get(3);
			fx = (int) s.get(4);
			feats = f.toFloatArray();
		}
		// nearest-neighbour labels on the map's grid: the voxel at the centre of each map cell
		final int sx = w[0] / fx, sy = w[1] / fy, sz = w[2] / fz, nv = fx * fy * fz;
		final List<List<Integer>> byClass = new ArrayList<>();
		for (int k = 0; k <= table.maxIndex(); k++) byClass.add(new ArrayList<>());
		for (int z = 0, i = 0; z < fz; z++) for (int y = 0; y < fy; y++) for (int xx = 0; xx < fx; xx++, i++) {
			final int l = (int) labBuf[(xx * sx + sx / 2) + w[0] * ((y * sy + sy / 2) + w[1] * (z * sz + sz / 2))];
			if (l >= 0 && l < byClass.size()) byClass.get(l).add(i);
		}
		final SplittableRandom rng = new SplittableRandom(seed);
		final List<Integer> picked = new ArrayList<>(), cls = new ArrayList<>();
		for (int k = 0; k < byClass.size(); k++) {
			final List<Integer> v = new ArrayList<>(byClass.get(k));
			for (int i = v.size() - 1; i > 0; i--) java.util.Collections.swap(v, i, rng.nextInt(i + 1));
			for (int i = 0; i < Math.min(perClass, v.size()); i++) {
				picked.add(v.get(i));
				cls.add(k);
			}
		}
		final double[][] rows = new double[picked.size()][c];
		for (int i = 0; i < rows.length; i++) for (int ch = 0; ch < c; ch++) rows[i][ch] = feats[ch * nv + picked.get(i)];
		return new Sample(rows, cls.stream().mapToInt(Integer::intValue).toArray());
	}

	/** The rows projected on their first two principal axes (the rows are left as they are). */
	static Points pca(final double[][] rows, final int[] classes, final int[] domains, final long seed) {
		final int n = rows.length, c = rows[0].length;
		final double[][] m = new double[n][];
		final double[] mean = new double[c];
		for (int i = 0; i < n; i++) {
			m[i] = rows[i].clone();
			for (int ch = 0; ch < c; ch++) mean[ch] += m[i][ch] / n;
		}
		for (final double[] row : m) for (int ch = 0; ch < c; ch++) row[ch] -= mean[ch];
		final double[][] cov = new double[c][c];
		for (final double[] row : m) for (int a = 0; a < c; a++) {
			if (row[a] == 0) continue;
			for (int b = a; b < c; b++) cov[a][b] += row[a] * row[b];
		}
		double total = 0;
		for (int a = 0; a < c; a++) {
			total += cov[a][a];
			for (int b = 0; b < a; b++) cov[a][b] = cov[b][a];
		}
		final double[] e1 = principal(cov, null, seed), e2 = principal(cov, e1, seed + 1);
		final double[] p1 = new double[n], p2 = new double[n];
		for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) {
			p1[i] += m[i][ch] * e1[ch];
			p2[i] += m[i][ch] * e2[ch];
		}
		final double[] explained = { rayleigh(cov, e1) / total, rayleigh(cov, e2) / total };
		return new Points(p1, p2, classes, domains, explained);
	}

	/** The leading eigenvector of a symmetric matrix (orthogonal to {@code other} if given), by power iteration. */
	static double[] principal(final double[][] a, final double[] other, final long seed) {
		final int n = a.length;
		final SplittableRandom r = new SplittableRandom(seed);
		double[] v = new double[n];
		for (int i = 0; i < n; i++) v[i] = r.nextDouble() - 0.5;
		if (other != null) deflate(v, other);
		unit(v);
		// below this, A·v is rounding noise: the matrix has no variance left off the other axis
		double scale = 0;
		for (final double[] row : a) for (final double x : row) scale = Math.max(scale, Math.abs(x));
		final double tiny = 1e-12 * scale * n;
		for (int it = 0; it < 500; it++) {
			if (other != null) deflate(v, other);
			final double[] next = new double[n];
			for (int i = 0; i < n; i++) {
				double s = 0;
				for (int j = 0; j < n; j++) s += a[i][j] * v[j];
				next[i] = s;
			}
			if (other != null) deflate(next, other);
			double norm = 0;
			for (final double x : next) norm += x * x;
			norm = Math.sqrt(norm);
			if (norm <= tiny) break;
			for (int i = 0; i < n; i++) next[i] /= norm;
			double diff = 0;
			for (int i = 0; i < n; i++) diff += Math.abs(next[i] - v[i]);
			v = next;
			if (diff < 1e-10) break;
		}
		return v;
	}

	private static void unit(final double[] v) {
		double norm = 0;
		for (final double x : v) norm += x * x;
		norm = Math.sqrt(norm);
		if (norm > 0) for (int i = 0; i < v.length; i++) v[i] /= norm;
	}

	private static void deflate(final double[] v, final double[] u) {
		double d = 0;
		for (int i = 0; i < v.length; i++) d += v[i] * u[i];
		for (int i = 0; i < v.length; i++) v[i] -= d * u[i];
	}

	private static double rayleigh(final double[][] a, final double[] v) {
		double s = 0;
		for (int i = 0; i < v.length; i++) for (int j = 0; j < v.length; j++) s += v[i] * a[i][j] * v[j];
		return s;
	}

	/**
	 * A scatter of a two-domain projection: labeled voxels in blue, unlabeled ones in orange
	 * (background voxels left out, so the organs' features are what is compared).
	 */
	public static LinePlot plotDomains(final Points p, final String title) {
		if (p.domains() == null) throw new IllegalArgumentException("these points come from one image");
		final LinePlot plot = new LinePlot(title).xLabel(String.format(java.util.Locale.ROOT, "PC 1 (%.0f%%)", 100 * p.explained()[0]))
			.yLabel(String.format(java.util.Locale.ROOT, "PC 2 (%.0f%%)", 100 * p.explained()[1]));
		final String[] names = { "labeled", "unlabeled" };
		final int[] colours = { 0xff1f77b4, 0xffff7f0e };
		for (int d = 0; d < 2; d++) {
			final List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
			for (int i = 0; i < p.classes().length; i++) {
				if (p.domains()[i] != d || p.classes()[i] == 0) continue;
				xs.add(p.pc1()[i]);
				ys.add(p.pc2()[i]);
			}
			if (!xs.isEmpty()) plot.series(names[d], xs, ys).lines(false).markers(true).colour(colours[d]);
		}
		return plot;
	}

	/** A scatter of the points coloured by class (background in grey). */
	public static LinePlot plot(final Points p, final ClassTable table, final String title) {
		final LinePlot plot = new LinePlot(title).xLabel(String.format(java.util.Locale.ROOT, "PC 1 (%.0f%%)", 100 * p.explained()[0]))
			.yLabel(String.format(java.util.Locale.ROOT, "PC 2 (%.0f%%)", 100 * p.explained()[1]));
		for (int k = 0; k <= table.maxIndex(); k++) {
			final List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
			for (int i = 0; i < p.classes().length; i++) {
				if (p.classes()[i] != k) continue;
				xs.add(p.pc1()[i]);
				ys.add(p.pc2()[i]);
			}
			if (xs.isEmpty()) continue;
			final int rgb = k == 0 ? 0xffb0b0b0 : 0xff000000 | (table.contains(k) ? table.get(k).rgb() : ClassTable.distinctColour(k));
			plot.series(table.contains(k) ? table.get(k).name() : "class_" + k, xs, ys).lines(false).markers(true).colour(rgb);
		}
		return plot;
	}

	/** Writes the plots side by side into one PNG (atomically). */
	public static void writeSideBySide(final Path png, final List<LinePlot> plots) throws IOException {
		Charts.writePng(sideBySide(plots), png);
	}

	/** The plots rendered next to each other, left to right, in one picture. */
	public static BufferedImage sideBySide(final List<LinePlot> plots) {
		final List<BufferedImage> pictures = new ArrayList<>();
		for (final LinePlot p : plots) pictures.add(p.render());
		return Charts.sideBySide(pictures);
	}
}
