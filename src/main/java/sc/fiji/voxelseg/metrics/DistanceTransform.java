package sc.fiji.voxelseg.metrics;

import java.util.Arrays;

/**
 * Exact Euclidean distance transform on anisotropic 3D grids.
 * <p>
 * For every voxel, the distance in millimetres to the nearest <em>feature</em> voxel, where the
 * distance between voxels {@code (i, j, k)} and {@code (i', j', k')} is
 * {@code sqrt((sx (i - i'))² + (sy (j - j'))² + (sz (k - k'))²)} with the spacing
 * {@code (sx, sy, sz)} in mm. This is what {@code scipy.ndimage.distance_transform_edt(~feature,
 * sampling=(sx, sy, sz))} computes for an array indexed {@code [x, y, z]}.
 * <p>
 * The transform is separable (Felzenszwalb and Huttenlocher, <i>Distance Transforms of Sampled
 * Functions</i>, Theory of Computing 8, 2012): an exact 1D distance along x, then the lower
 * envelope of parabolas {@code (s (p - q))² + f(q)} along y and along z. Squared distances are
 * exact sums of squared spacing multiples (up to double rounding). The lines of each pass run in
 * parallel.
 * <p>
 * Arrays are flat, x fastest: voxel {@code (x, y, z)} is at {@code x + nx (y + ny z)}; dims and
 * spacing are {x, y, z}. Without any feature voxel every distance is {@code +Infinity}.
 */
public final class DistanceTransform {

	/** How many neighbouring lines the y and z passes gather together (for cache locality). */
	private static final int BLOCK = 16;

	private DistanceTransform() {}

	/**
	 * Squared distances (mm²) to the nearest feature voxel, using all available processors.
	 *
	 * @param feature flat mask, x fastest, of {@code dims[0] · dims[1] · dims[2]} voxels
	 * @param dims {nx, ny, nz}
	 * @param spacing {sx, sy, sz} in mm
	 */
	public static double[] squared(final boolean[] feature, final int[] dims,
		final double[] spacing)
	{
		return squared(feature, dims, spacing, 0);
	}

	/**
	 * Squared distances (mm²) to the nearest feature voxel; {@code +Infinity} everywhere if there
	 * is none.
	 *
	 * @param threads worker threads; 0 means all available processors
	 */
	public static double[] squared(final boolean[] feature, final int[] dims,
		final double[] spacing, final int threads)
	{
		check(feature, dims, spacing);
		final double[] out = new double[feature.length];
		try (Parallel par = new Parallel(threads)) {
			transform(feature, null, dims, spacing, out, par);
		}
		return out;
	}

	/**
	 * Distances (mm) to the nearest feature voxel; {@code +Infinity} everywhere if there is none.
	 *
	 * @param threads worker threads; 0 means all available processors
	 */
	public static double[] distances(final boolean[] feature, final int[] dims,
		final double[] spacing, final int threads)
	{
		final double[] d = squared(feature, dims, spacing, threads);
		for (int i = 0; i < d.length; i++)
			d[i] = Math.sqrt(d[i]);
		return d;
	}

	/**
	 * The distances (mm) from each {@code query} voxel, in index order, to the nearest
	 * {@code feature} voxel. Only the z lines holding a query voxel are finished, which saves part
	 * of the last pass.
	 *
	 * @param queries the number of {@code true} voxels in {@code query}
	 * @param work scratch of at least {@code feature.length} values, or {@code null}
	 */
	static double[] distancesAt(final boolean[] feature, final boolean[] query, final int queries,
		final int[] dims, final double[] spacing, final double[] work, final Parallel par)
	{
		final int n = feature.length;
		final double[] sq = work != null && work.length >= n ? work : new double[n];
		transform(feature, query, dims, spacing, sq, par);
		final double[] d = new double[queries];
		int k = 0;
		for (int i = 0; i < n; i++)
			if (query[i]) d[k++] = Math.sqrt(sq[i]);
		if (k != queries) throw new IllegalStateException("expected " + queries +
			" query voxels, found " + k);
		return d;
	}

	private static void check(final boolean[] feature, final int[] dims, final double[] spacing) {
		if (dims.length != 3 || spacing.length != 3) throw new IllegalArgumentException(
			"dims and spacing need 3 values {x, y, z}");
		if ((long) dims[0] * dims[1] * dims[2] != feature.length) throw new IllegalArgumentException(
			"mask of " + feature.length + " voxels does not match dims " + Arrays.toString(dims));
		for (final double s : spacing)
			if (!(s > 0) || !Double.isFinite(s)) throw new IllegalArgumentException(
				"spacing must be positive and finite, got " + Arrays.toString(spacing));
	}

	/**
	 * Squared EDT of {@code feature} into {@code out}; if {@code query} is not null, the z pass
	 * only finishes the (x, y) columns that hold a query voxel and leaves the others at their
	 * x-y distances.
	 */
	static void transform(final boolean[] feature, final boolean[] query, final int[] dims,
		final double[] spacing, final double[] out, final Parallel par)
	{
		final int nx = dims[0], ny = dims[1], nz = dims[2];
		final double wx = spacing[0], wy2 = spacing[1] * spacing[1], wz2 = spacing[2] *
			spacing[2];
		// pass x: the 1D distance to the nearest feature on the same x line, exactly
		par.forEach(ny * nz, row -> {
			final int base = row * nx;
			int last = -1;
			for (int x = 0; x < nx; x++) {
				if (feature[base + x]) last = x;
				out[base + x] = last < 0 ? Double.POSITIVE_INFINITY : x - last;
			}
			int next = -1;
			for (int x = nx - 1; x >= 0; x--) {
				if (feature[base + x]) next = x;
				double d = out[base + x];
				if (next >= 0 && next - x < d) d = next - x;
				out[base + x] = d == Double.POSITIVE_INFINITY ? d : (wx * d) * (wx * d);
			}
		});
		if (ny > 1) {
			// pass y: per z slice, blocks of neighbouring x lines
			par.forEach(nz, z -> {
				final Envelope env = new Envelope(ny, BLOCK);
				for (int x0 = 0; x0 < nx; x0 += BLOCK) {
					final int b = Math.min(BLOCK, nx - x0);
					final double[] f = env.lines;
					for (int y = 0; y < ny; y++) {
						final int base = x0 + nx * (y + ny * z);
						for (int j = 0; j < b; j++)
							f[j * ny + y] = out[base + j];
					}
					for (int j = 0; j < b; j++)
						env.apply(j * ny, wy2);
					for (int y = 0; y < ny; y++) {
						final int base = x0 + nx * (y + ny * z);
						for (int j = 0; j < b; j++)
							out[base + j] = f[j * ny + y];
					}
				}
			});
		}
		if (nz > 1) {
			final int plane = nx * ny;
			boolean[] columns = null;
			if (query != null) {
				columns = new boolean[plane];
				for (int i = 0; i < query.length; i++)
					if (query[i]) columns[i % plane] = true;
			}
			final boolean[] needed = columns;
			// pass z: per y row, blocks of neighbouring x columns
			par.forEach(ny, y -> {
				final Envelope env = new Envelope(nz, BLOCK);
				final boolean[] use = new boolean[BLOCK];
				for (int x0 = 0; x0 < nx; x0 += BLOCK) {
					final int b = Math.min(BLOCK, nx - x0);
					boolean any = false;
					for (int j = 0; j < b; j++) {
						use[j] = needed == null || needed[x0 + j + nx * y];
						any |= use[j];
					}
					if (!any) continue;
					final double[] f = env.lines;
					for (int z = 0; z < nz; z++) {
						final int base = x0 + nx * y + plane * z;
						for (int j = 0; j < b; j++)
							f[j * nz + z] = out[base + j];
					}
					for (int j = 0; j < b; j++)
						if (use[j]) env.apply(j * nz, wz2);
					for (int z = 0; z < nz; z++) {
						final int base = x0 + nx * y + plane * z;
						for (int j = 0; j < b; j++)
							if (use[j]) out[base + j] = f[j * nz + z];
					}
				}
			});
		}
	}

	/**
	 * The lower envelope of the parabolas {@code w² (p - q)² + f(q)} over a line of {@code n}
	 * samples (Felzenszwalb and Huttenlocher's algorithm), in place; infinite samples take no part.
	 */
	static final class Envelope {

		final double[] lines;
		private final int n;
		private final int[] v;
		private final double[] z;
		private final double[] d;
		private final double[] h;

		Envelope(final int n, final int block) {
			this.n = n;
			lines = new double[n * block];
			v = new int[n];
			z = new double[n + 1];
			d = new double[n];
			h = new double[n];
		}

		/**
		 * Replaces {@code lines[off .. off + n)} by its squared distances with weight {@code w2}.
		 * The envelope keeps each parabola's apex term {@code f(q) + w² q²} beside its position, so
		 * that the intersection test reads it instead of recomputing it.
		 */
		void apply(final int off, final double w2) {
			final double[] f = lines;
			final double twoW2 = 2 * w2;
			int k = -1;
			for (int q = 0; q < n; q++) {
				final double fq = f[off + q];
				if (fq == Double.POSITIVE_INFINITY) continue;
				final double hq = fq + w2 * q * q;
				if (k < 0) {
					k = 0;
					v[0] = q;
					h[0] = hq;
					z[0] = Double.NEGATIVE_INFINITY;
					z[1] = Double.POSITIVE_INFINITY;
					continue;
				}
				// the intersection with the top parabola, tested without dividing: s <= z[k] as num <= z[k] * den (den > 0)
				double s;
				while (true) {
					final double num = hq - h[k], den = twoW2 * (q - v[k]);
					if (num <= z[k] * den) k--;
					else {
						s = num / den;
						break;
					}
				}
				k++;
				v[k] = q;
				h[k] = hq;
				z[k] = s;
				z[k + 1] = Double.POSITIVE_INFINITY;
			}
			if (k < 0) return; // no finite sample: the line stays infinite
			int j = 0, vj = v[0];
			double fj = f[off + vj];
			for (int p = 0; p < n; p++) {
				if (z[j + 1] < p) {
					do j++;
					while (z[j + 1] < p);
					vj = v[j];
					fj = f[off + vj];
				}
				final int dq = p - vj;
				d[p] = w2 * dq * dq + fj;
			}
			System.arraycopy(d, 0, f, off, n);
		}
	}
}
