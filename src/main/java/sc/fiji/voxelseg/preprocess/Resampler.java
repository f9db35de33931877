package sc.fiji.voxelseg.preprocess;

import java.util.stream.IntStream;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.RawData;

/**
 * Resampling between grids that share their axes (same direction cosines): to a shape, to a
 * spacing, or onto any other grid, e.g. back onto the grid an image came from.
 * <p>
 * Positions are physical: a target voxel samples the source at its own world position. Resampling
 * to a shape keeps the field of view (voxel centres at {@code (i + 0.5)·n_in/n_out - 0.5} in source
 * voxels, as {@code scipy.ndimage.zoom(..., grid_mode=True, mode='nearest')}). Between the first
 * and last voxel centres and up to half a voxel beyond them the edge value is replicated; further
 * out the {@code outside} value is used (so a crop's inverse pads with background).
 * <p>
 * Trilinear output is float32; nearest-neighbour output keeps the source type and class table.
 * Work is split over z slices on the common fork-join pool.
 */
public final class Resampler {

	private static final double EPS = 1e-6;

	private Resampler() {}

	/** The grid of {@code shape} voxels covering the same field of view as {@code g}. */
	public static Grid shapeGrid(final Grid g, final long[] shape) {
		final double[] sp = new double[3], shift = new double[3];
		for (int c = 0; c < 3; c++) {
			if (shape[c] < 1) throw new IllegalArgumentException("target shape needs positive sizes, got " +
				Volume.formatDims(shape));
			sp[c] = g.spacing()[c] * g.dims()[c] / shape[c];
			shift[c] = 0.5 * (sp[c] - g.spacing()[c]);
		}
		return new Grid(shape.clone(), sp, shifted(g, shift), g.direction());
	}

	/** The grid of spacing {@code spacing} (mm) centred on the field of view of {@code g}. */
	public static Grid spacingGrid(final Grid g, final double[] spacing) {
		final long[] dims = new long[3];
		final double[] shift = new double[3];
		for (int c = 0; c < 3; c++) {
			if (!(spacing[c] > 0) || !Double.isFinite(spacing[c])) throw new IllegalArgumentException(
				"target spacing must be positive, got " + java.util.Arrays.toString(spacing));
			final double fov = g.dims()[c] * g.spacing()[c];
			dims[c] = Math.max(1, Math.round(fov / spacing[c]));
			shift[c] = 0.5 * (fov - dims[c] * spacing[c]) + 0.5 * (spacing[c] - g.spacing()[c]);
		}
		return new Grid(dims, spacing.clone(), shifted(g, shift), g.direction());
	}

	private static double[] shifted(final Grid g, final double[] shiftMm) {
		final double[] o = g.origin();
		final double[] out = o.clone();
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 3; c++)
				out[r] += g.direction()[3 * r + c] * shiftMm[c];
		return out;
	}

	public static Volume toShape(final Volume v, final long[] shape, final Interpolation interp) {
		return resample(v, shapeGrid(Grid.of(v), shape), interp, 0, null);
	}

	public static Volume toSpacing(final Volume v, final double[] spacing,
		final Interpolation interp)
	{
		return resample(v, spacingGrid(Grid.of(v), spacing), interp, 0, null);
	}

	public static Volume resample(final Volume v, final Grid target, final Interpolation interp) {
		return resample(v, target, interp, 0, null);
	}

	/**
	 * Resamples {@code v} onto {@code target}.
	 *
	 * @param outside the value of target voxels beyond the source's field of view
	 * @param window an HU window applied to each source voxel before interpolation (fused, so
	 *          identical to windowing first and resampling after), or {@code null}
	 */
	public static Volume resample(final Volume v, final Grid target, final Interpolation interp,
		final double outside, final HuWindow window)
	{
		final Grid src = Grid.of(v);
		if (!src.sameDirection(target)) throw new IllegalArgumentException(
			"resampling needs grids with the same axes; source direction " + java.util.Arrays.toString(src
				.direction()) + " differs from target " + java.util.Arrays.toString(target.direction()));
		final long n = target.voxelCount();
		if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("target grid " + target +
			" exceeds 2^31 voxels");
		final double[] a = target.originIndexIn(src);
		final AxisMap[] maps = new AxisMap[3];
		for (int c = 0; c < 3; c++)
			maps[c] = new AxisMap((int) target.dims()[c], (int) src.dims()[c], a[c], target.spacing()[c] /
				src.spacing()[c], interp);
		if (interp == Interpolation.NEAREST && window == null) return nearest(v, target, maps, outside);
		final float[] out = new float[(int) n];
		final Object backing = Voxels.backingArray(v.image());
		final VoxelType type = v.voxelType();
		if (backing instanceof short[] s && (type == VoxelType.INT16 || type == VoxelType.UINT16) &&
			s.length == v.voxelCount())
		{
			final float[] lut = new float[65536];
			for (int i = 0; i < 65536; i++) {
				final double raw = type == VoxelType.INT16 ? (short) i : i;
				lut[i] = window == null ? (float) raw : window.apply(raw);
			}
			linearShort(s, lut, (int) src.dims()[0], (int) src.dims()[1], maps, out, (float) outside);
		}
		else {
			final float[] f = Voxels.floats(v.image());
			if (window != null) IntStream.range(0, v.depth()).parallel().forEach(z -> {
				final int plane = v.width() * v.height();
				for (int i = z * plane, e = i + plane; i < e; i++)
					f[i] = window.apply(f[i]);
			});
			if (interp == Interpolation.NEAREST) return nearest(v.withImage(RawData.wrap(f,
				VoxelType.FLOAT32, v.dims()), VoxelType.FLOAT32), target, maps, outside);
			linearFloat(f, (int) src.dims()[0], (int) src.dims()[1], maps, out, (float) outside);
		}
		return new Volume(RawData.wrap(out, VoxelType.FLOAT32, target.dims()), target.spacing(), target
			.origin(), target.direction(), null, VoxelType.FLOAT32);
	}

	/**
	 * The arg-max class of trilinearly resampled class scores: for each voxel of {@code target}, the
	 * class {@code c} whose {@code scores[c]} (on {@code src}, x fastest), interpolated there, is
	 * largest; voxels beyond {@code src}'s field of view get class 0 (background). This is what
	 * resampling every probability map to {@code target} and taking the arg-max gives, bit for bit
	 * (the same interpolation arithmetic, x then y then z), without ever holding K full-size maps:
	 * memory is the byte result plus, per worker thread, two source planes of every class
	 * interpolated along x onto the target's columns (2·K·src y·target x floats: 4.7 MB for 9
	 * classes, 128 source rows and 512 target columns).
	 * <p>
	 * The interpolation along x is done once per source row and reused by every target row and
	 * slice that reads it, and the interpolation along y once per target row and run of target
	 * slices between the same two source planes (about 3 when 64 slices go to 200), so a target
	 * voxel costs about 2 reads and 1.7 interpolations per class instead of 8 scattered reads and 7
	 * interpolations.
	 */
	public static byte[] linearArgmax(final float[][] scores, final Grid src, final Grid target) {
		if (!src.sameDirection(target)) throw new IllegalArgumentException(
			"resampling needs grids with the same axes; source direction " + java.util.Arrays.toString(src
				.direction()) + " differs from target " + java.util.Arrays.toString(target.direction()));
		if (scores.length > 256) throw new IllegalArgumentException("at most 256 classes, got " + scores.length);
		final long n = target.voxelCount();
		if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("target grid " + target + " exceeds 2^31 voxels");
		final double[] a = target.originIndexIn(src);
		final AxisMap[] m = new AxisMap[3];
		for (int c = 0; c < 3; c++)
			m[c] = new AxisMap((int) target.dims()[c], (int) src.dims()[c], a[c], target.spacing()[c] / src.spacing()[c],
				Interpolation.LINEAR);
		final byte[] out = new byte[(int) n];
		final int sy = (int) src.dims()[1];
		final int nz = m[2].i0.length;
		// the source rows that some target row reads
		final boolean[] rows = new boolean[sy];
		for (int y = 0; y < m[1].i0.length; y++) {
			if (m[1].out[y]) continue;
			rows[m[1].i0[y]] = true;
			rows[m[1].i1[y]] = true;
		}
		// contiguous runs of target slices per task, so that consecutive slices reuse their source planes
		final int tasks = Math.min(nz, 4 * (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1));
		IntStream.range(0, tasks).parallel().forEach(t -> new ArgmaxSlices(scores, (int) src.dims()[0], sy, m, rows, out)
			.run(t * nz / tasks, (t + 1) * nz / tasks));
		return out;
	}

	/** One worker of {@link #linearArgmax}: target slices [z0, z1) and its two x-interpolated source planes. */
	private static final class ArgmaxSlices {

		private final float[][] scores;
		private final int sx, sy, k, nx, ny;
		private final AxisMap[] m;
		private final boolean[] rows;
		private final byte[] out;
		/** Per class, source plane {@code planeIndex[j]} interpolated along x: sy rows of nx target columns. */
		private final float[][][] planes = new float[2][][];
		private final int[] planeIndex = { -1, -1 };
		/** Per class, one target row interpolated along x and y in the two source planes. */
		private final float[][] row0, row1;
		private final float[] bestValue;
		private final byte[] best;

		ArgmaxSlices(final float[][] scores, final int sx, final int sy, final AxisMap[] m, final boolean[] rows, final byte[] out) {
			this.scores = scores;
			this.sx = sx;
			this.sy = sy;
			this.k = scores.length;
			this.m = m;
			this.rows = rows;
			this.out = out;
			nx = m[0].i0.length;
			ny = m[1].i0.length;
			row0 = new float[k][nx];
			row1 = new float[k][nx];
			bestValue = new float[nx];
			best = new byte[nx];
		}

		void run(final int from, final int to) {
			for (int z = from, end; z < to; z = end) {
				end = z + 1;
				if (m[2].out[z]) continue;
				// the following slices between the same two source planes differ only in their z weight
				while (end < to && !m[2].out[end] && m[2].i0[end] == m[2].i0[z] && m[2].i1[end] == m[2].i1[z])
					end++;
				final float[][] p0 = plane(m[2].i0[z], -1), p1 = plane(m[2].i1[z], m[2].i0[z]);
				for (int y = 0; y < ny; y++) {
					if (m[1].out[y]) continue;
					final int r0 = m[1].i0[y] * nx, r1 = m[1].i1[y] * nx;
					final float wy = m[1].w[y];
					for (int c = 0; c < k; c++) {
						final float[] q0 = p0[c], q1 = p1[c], a0 = row0[c], a1 = row1[c];
						for (int x = 0; x < nx; x++) {
							final float c00 = q0[r0 + x], c01 = q0[r1 + x], c10 = q1[r0 + x], c11 = q1[r1 + x];
							a0[x] = c00 + wy * (c01 - c00);
							a1[x] = c10 + wy * (c11 - c10);
						}
					}
					for (int zz = z; zz < end; zz++) {
						final float wz = m[2].w[zz];
						java.util.Arrays.fill(bestValue, Float.NEGATIVE_INFINITY);
						java.util.Arrays.fill(best, (byte) 0);
						for (int c = 0; c < k; c++) {
							final float[] a0 = row0[c], a1 = row1[c];
							final byte label = (byte) c;
							for (int x = 0; x < nx; x++) {
								final float c0 = a0[x], v = c0 + wz * (a1[x] - c0);
								if (v > bestValue[x]) {
									bestValue[x] = v;
									best[x] = label;
								}
							}
						}
						final int o = (zz * ny + y) * nx;
						for (int x = 0; x < nx; x++)
							out[o + x] = m[0].out[x] ? 0 : best[x];
					}
				}
			}
		}

		/**
		 * Source plane {@code zs} of every class, interpolated along x. Computed planes are kept while
		 * later slices read them; a new one replaces the lower cached plane (slices ascend), never
		 * plane {@code keep}.
		 */
		private float[][] plane(final int zs, final int keep) {
			for (int j = 0; j < 2; j++)
				if (planeIndex[j] == zs) return planes[j];
			final int j = planeIndex[0] == keep ? 1 : planeIndex[1] == keep ? 0 : planeIndex[0] < planeIndex[1] ? 0 : 1;
			if (planes[j] == null) planes[j] = new float[k][sy * nx];
			planeIndex[j] = zs;
			final int[] x0 = m[0].i0, x1 = m[0].i1;
			final float[] wx = m[0].w;
			final long base = (long) zs * sx * sy;
			for (int c = 0; c < k; c++) {
				final float[] s = scores[c], d = planes[j][c];
				for (int y = 0; y < sy; y++) {
					if (!rows[y]) continue;
					final int a = (int) (base + (long) y * sx), r = y * nx;
					for (int x = 0; x < nx; x++)
						d[r + x] = s[a + x0[x]] + wx[x] * (s[a + x1[x]] - s[a + x0[x]]);
				}
			}
			return planes[j];
		}
	}

	/** Per-axis source positions of the target voxels: two neighbours and a weight, or outside. */
	private static final class AxisMap {

		final int[] i0, i1;
		final float[] w;
		final boolean[] out;

		AxisMap(final int nOut, final int nIn, final double start, final double step,
			final Interpolation interp)
		{
			i0 = new int[nOut];
			i1 = new int[nOut];
			w = new float[nOut];
			out = new boolean[nOut];
			for (int i = 0; i < nOut; i++) {
				final double s = start + i * step;
				if (s < -0.5 - EPS || s > nIn - 0.5 + EPS) {
					out[i] = true;
					continue;
				}
				final double c = Math.max(0, Math.min(nIn - 1, s));
				if (interp == Interpolation.NEAREST) {
					i0[i] = i1[i] = (int) Math.min(nIn - 1, Math.floor(c + 0.5));
					continue;
				}
				final int f = (int) Math.floor(c);
				i0[i] = f;
				i1[i] = Math.min(f + 1, nIn - 1);
				w[i] = (float) (c - f);
			}
		}
	}

	private static void linearFloat(final float[] s, final int sx, final int sy,
		final AxisMap[] m, final float[] out, final float outside)
	{
		final int nx = m[0].i0.length, ny = m[1].i0.length, nz = m[2].i0.length;
		final long plane = (long) sx * sy;
		IntStream.range(0, nz).parallel().forEach(z -> {
			int o = z * nx * ny;
			if (m[2].out[z]) {
				java.util.Arrays.fill(out, o, o + nx * ny, outside);
				return;
			}
			final int z0 = (int) (m[2].i0[z] * plane), z1 = (int) (m[2].i1[z] * plane);
			final float wz = m[2].w[z];
			for (int y = 0; y < ny; y++) {
				if (m[1].out[y]) {
					java.util.Arrays.fill(out, o, o + nx, outside);
					o += nx;
					continue;
				}
				final int y0 = m[1].i0[y] * sx, y1 = m[1].i1[y] * sx;
				final float wy = m[1].w[y];
				final int a00 = z0 + y0, a01 = z0 + y1, a10 = z1 + y0, a11 = z1 + y1;
				for (int x = 0; x < nx; x++, o++) {
					if (m[0].out[x]) {
						out[o] = outside;
						continue;
					}
					final int x0 = m[0].i0[x], x1 = m[0].i1[x];
					final float wx = m[0].w[x];
					final float c00 = s[a00 + x0] + wx * (s[a00 + x1] - s[a00 + x0]);
					final float c01 = s[a01 + x0] + wx * (s[a01 + x1] - s[a01 + x0]);
					final float c10 = s[a10 + x0] + wx * (s[a10 + x1] - s[a10 + x0]);
					final float c11 = s[a11 + x0] + wx * (s[a11 + x1] - s[a11 + x0]);
					final float c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10);
					out[o] = c0 + wz * (c1 - c0);
				}
			}
		});
	}

	/**
	 * The same kernel as {@link #linearFloat} over an int16/uint16 source read through a lookup
	 * table (which also applies a fused window). Kept as a separate loop rather than behind an
	 * accessor interface: the inner loop is the hot path of preprocessing and must stay monomorphic.
	 */
	private static void linearShort(final short[] s, final float[] lut, final int sx, final int sy,
		final AxisMap[] m, final float[] out, final float outside)
	{
		final int nx = m[0].i0.length, ny = m[1].i0.length, nz = m[2].i0.length;
		final long plane = (long) sx * sy;
		IntStream.range(0, nz).parallel().forEach(z -> {
			int o = z * nx * ny;
			if (m[2].out[z]) {
				java.util.Arrays.fill(out, o, o + nx * ny, outside);
				return;
			}
			final int z0 = (int) (m[2].i0[z] * plane), z1 = (int) (m[2].i1[z] * plane);
			final float wz = m[2].w[z];
			for (int y = 0; y < ny; y++) {
				if (m[1].out[y]) {
					java.util.Arrays.fill(out, o, o + nx, outside);
					o += nx;
					continue;
				}
				final int y0 = m[1].i0[y] * sx, y1 = m[1].i1[y] * sx;
				final float wy = m[1].w[y];
				final int a00 = z0 + y0, a01 = z0 + y1, a10 = z1 + y0, a11 = z1 + y1;
				for (int x = 0; x < nx; x++, o++) {
					if (m[0].out[x]) {
						out[o] = outside;
						continue;
					}
					final int x0 = m[0].i0[x], x1 = m[0].i1[x];
					final float wx = m[0].w[x];
					final float v000 = lut[s[a00 + x0] & 0xffff], v001 = lut[s[a00 + x1] & 0xffff];
					final float v010 = lut[s[a01 + x0] & 0xffff], v011 = lut[s[a01 + x1] & 0xffff];
					final float v100 = lut[s[a10 + x0] & 0xffff], v101 = lut[s[a10 + x1] & 0xffff];
					final float v110 = lut[s[a11 + x0] & 0xffff], v111 = lut[s[a11 + x1] & 0xffff];
					final float c00 = v000 + wx * (v001 - v000), c01 = v010 + wx * (v011 - v010);
					final float c10 = v100 + wx * (v101 - v100), c11 = v110 + wx * (v111 - v110);
					final float c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10);
					out[o] = c0 + wz * (c1 - c0);
				}
			}
		});
	}

	/** Nearest neighbour, keeping the source's voxel type and class table. */
	private static Volume nearest(final Volume v, final Grid target, final AxisMap[] m,
		final double outside)
	{
		final VoxelType type = v.voxelType() == null ? VoxelType.FLOAT32 : v.voxelType();
		Object src = Voxels.backingArray(v.image());
		VoxelType srcType = type;
		if (src == null || java.lang.reflect.Array.getLength(src) != v.voxelCount() ||
			type == VoxelType.INT64 || type == VoxelType.FLOAT64)
		{
			src = Voxels.floats(v.image());
			srcType = VoxelType.FLOAT32;
		}
		final int sx = v.width();
		final long plane = (long) sx * v.height();
		final int nx = m[0].i0.length, ny = m[1].i0.length, nz = m[2].i0.length;
		final int n = nx * ny * nz;
		final Object dst = java.lang.reflect.Array.newInstance(src.getClass().getComponentType(), n);
		final Object srcArr = src;
		final VoxelType st = srcType;
		IntStream.range(0, nz).parallel().forEach(z -> {
			int o = z * nx * ny;
			for (int y = 0; y < ny; y++, o += nx) {
				if (m[2].out[z] || m[1].out[y]) {
					for (int x = 0; x < nx; x++)
						setOutside(dst, o + x, outside, st);
					continue;
				}
				final int row = (int) (m[2].i0[z] * plane + (long) m[1].i0[y] * sx);
				copyRow(srcArr, row, m[0], dst, o, outside, st);
			}
		});
		return new Volume(RawData.wrap(dst, srcType, target.dims()), target.spacing(), target.origin(),
			target.direction(), v.classes(), srcType);
	}

	/** One output row: {@code dst[o + x] = src[row + i0[x]]}, or the outside value. */
	private static void copyRow(final Object src, final int row, final AxisMap mx, final Object dst,
		final int o, final double outside, final VoxelType t)
	{
		final int nx = mx.i0.length;
		final int[] ix = mx.i0;
		final boolean[] out = mx.out;
		if (src instanceof byte[] s && dst instanceof byte[] d) {
			for (int x = 0; x < nx; x++)
				d[o + x] = out[x] ? (byte) outside : s[row + ix[x]];
		}
		else if (src instanceof short[] s && dst instanceof short[] d) {
			for (int x = 0; x < nx; x++)
				d[o + x] = out[x] ? (short) outside : s[row + ix[x]];
		}
		else if (src instanceof int[] s && dst instanceof int[] d) {
			for (int x = 0; x < nx; x++)
				d[o + x] = out[x] ? (int) outside : s[row + ix[x]];
		}
		else if (src instanceof float[] s && dst instanceof float[] d) {
			for (int x = 0; x < nx; x++)
				d[o + x] = out[x] ? (float) outside : s[row + ix[x]];
		}
		else throw new IllegalStateException("unsupported storage " + src.getClass());
	}

	private static void setOutside(final Object dst, final int o, final double v, final VoxelType t) {
		if (dst instanceof byte[] b) b[o] = (byte) v;
		else if (dst instanceof short[] s) s[o] = (short) v;
		else if (dst instanceof int[] i) i[o] = (int) v;
		else if (dst instanceof float[] f) f[o] = (float) v;
	}
}
