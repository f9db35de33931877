package sc.fiji.voxelseg.infer;

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
import sc.fiji.voxelseg.report.LinePlot;
import sc.fiji.voxelseg.report.PngEncoder;
import sc.fiji.voxelseg.report.Raster;

/**
 * The feature-space picture of seed 000's Fig. 3: voxel vectors of one hidden feature map,
 * sampled per class (labels brought to the map's grid by nearest neighbour), projected onto their
 * first two principal components and drawn as a scatter coloured by class. Well separated clusters
 * mean the layer already tells the organs apart.
 */
public final class FeatureProjection {

	/** Projected voxels: coordinates on the first two principal axes and each voxel's class. */
	public record Points(double[] pc1, double[] pc2, int[] classes, double[] explained) {}

	private FeatureProjection() {}

	/**
	 * Samples up to {@code perClass} voxels of each class present from encoder map {@code depth} (1 =
	 * deepest) of {@code model} for {@code image} with its {@code labels}, and projects them.
	 */
	public static Points project(final BundleModel model, final Volume image, final Volume labels, final int depth, final int perClass,
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
		if (picked.size() < 3) throw new IllegalArgumentException("the label map leaves fewer than 3 voxels on the feature map's grid");
		final int n = picked.size();
		final double[][] m = new double[n][c];
		final double[] mean = new double[c];
		for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) {
			m[i][ch] = feats[ch * nv + picked.get(i)];
			mean[ch] += m[i][ch] / n;
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
		return new Points(p1, p2, cls.stream().mapToInt(Integer::intValue).toArray(), explained);
	}

	/** The leading eigenvector of a symmetric matrix (orthogonal to {@code other} if given), by power iteration. */
	static double[] principal(final double[][] a, final double[] other, final long seed) {
		final int n = a.length;
		final SplittableRandom r = new SplittableRandom(seed);
		double[] v = new double[n];
		for (int i = 0; i < n; i++) v[i] = r.nextDouble() - 0.5;
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
			if (norm == 0) break;
			for (int i = 0; i < n; i++) next[i] /= norm;
			double diff = 0;
			for (int i = 0; i < n; i++) diff += Math.abs(next[i] - v[i]);
			v = next;
			if (diff < 1e-10) break;
		}
		return v;
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
		final List<Raster> rs = new ArrayList<>();
		int w = 0, h = 0;
		for (final LinePlot p : plots) {
			final Raster r = p.render();
			rs.add(r);
			w += r.width();
			h = Math.max(h, r.height());
		}
		final Raster all = new Raster(w, h);
		int ox = 0;
		for (final Raster r : rs) {
			for (int y = 0; y < r.height(); y++) for (int x = 0; x < r.width(); x++) all.set(ox + x, y, r.get(x, y));
			ox += r.width();
		}
		PngEncoder.write(all, png);
	}
}
