package sc.fiji.voxelseg.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Moving between a label grid and a hidden feature map's grid, and reading the feature vectors of
 * sampled voxels. Labels are flat byte arrays in the layout of an N × D × H × W tensor; feature
 * maps are N × C × d × h × w; the rows returned are S × C, one per sampled voxel, recorded for
 * autograd through the feature map.
 */
public final class VoxelFeatures {

	private VoxelFeatures() {}

	/**
	 * Nearest-neighbour resizing of N volumes of {@code from = {D, H, W}} labels to
	 * {@code to = {d, h, w}}, PyTorch's {@code F.interpolate(mode="nearest")}: output index o along an
	 * axis reads input index {@code floor(o · in / out)}. For a U-Net map (a power-of-two smaller per
	 * axis) that is the first voxel of each block.
	 */
	public static byte[] nearest(final byte[] labels, final int volumes, final int[] from, final int[] to) {
		final int fv = from[0] * from[1] * from[2], tv = to[0] * to[1] * to[2];
		if (labels.length != (long) volumes * fv) {
			throw new IllegalArgumentException(labels.length + " labels do not make " + volumes + " volumes of " + fv + " voxels");
		}
		if (fv == tv && from[0] == to[0] && from[1] == to[1]) return labels.clone();
		final int[] zs = sources(from[0], to[0]), ys = sources(from[1], to[1]), xs = sources(from[2], to[2]);
		final byte[] out = new byte[volumes * tv];
		int k = 0;
		for (int n = 0; n < volumes; n++) {
			for (int z = 0; z < to[0]; z++) {
				for (int y = 0; y < to[1]; y++) {
					final int row = n * fv + (zs[z] * from[1] + ys[y]) * from[2];
					for (int x = 0; x < to[2]; x++) out[k++] = labels[row + xs[x]];
				}
			}
		}
		return out;
	}

	private static int[] sources(final int in, final int out) {
		final int[] s = new int[out];
		for (int o = 0; o < out; o++) s[o] = (int) Math.min(in - 1, (long) o * in / out);
		return s;
	}

	/**
	 * The feature vectors at flat voxel indices {@code n·V + v} of the map's own grid
	 * ({@code V = d·h·w}): {@code features[n, :, v]} for each index, S × C. An advanced-indexing
	 * read, so the map is not copied.
	 */
	public static NDArray gather(final NDArray features, final int[] index) {
		final Shape s = features.getShape();
		final long n = s.get(0), c = s.get(1), v = s.get(2) * s.get(3) * s.get(4);
		final long[] vol = new long[index.length], vox = new long[index.length];
		for (int i = 0; i < index.length; i++) {
			vol[i] = index[i] / v;
			vox[i] = index[i] % v;
		}
		final NDManager m = features.getManager();
		final NDArray volumes = m.create(vol).toDevice(features.getDevice(), false);
		final NDArray voxels = m.create(vox).toDevice(features.getDevice(), false);
		return features.reshape(n, c, v).get(new NDIndex("{}, :, {}", volumes, voxels));
	}

	/**
	 * The feature vectors the trilinear upsampling of {@code features} to {@code to = {D, H, W}}
	 * would have at flat voxel indices {@code n·V + v} of that grid ({@code V = D·H·W}), S × C: for
	 * each voxel the eight neighbouring vectors of the coarse map, weighted as
	 * {@link sc.fiji.voxelseg.nn.Upsample#trilinear} weights them (PyTorch's
	 * {@code align_corners=False}). Equal to upsampling the whole map and then {@link #gather}, with
	 * memory for the sampled voxels only.
	 */
	public static NDArray gatherUpsampled(final NDArray features, final int[] index, final int[] to) {
		final Shape s = features.getShape();
		final int[] from = { (int) s.get(2), (int) s.get(3), (int) s.get(4) };
		// on the map's own grid the interpolation puts weight 1 on one vector
		if (from[0] == to[0] && from[1] == to[1] && from[2] == to[2]) return gather(features, index);
		final long n = s.get(0), c = s.get(1), cv = (long) from[0] * from[1] * from[2];
		final long tv = (long) to[0] * to[1] * to[2];
		final int count = index.length;
		final long[] vol = new long[8 * count], vox = new long[8 * count];
		final float[] weight = new float[8 * count];
		final int[] i0 = new int[3], i1 = new int[3];
		final double[] f = new double[3];
		for (int i = 0; i < count; i++) {
			final long v = index[i] % tv;
			final int[] o = { (int) (v / ((long) to[1] * to[2])), (int) (v / to[2] % to[1]), (int) (v % to[2]) };
			for (int a = 0; a < 3; a++) {
				double src = (o[a] + 0.5) * ((double) from[a] / to[a]) - 0.5;
				if (src < 0) src = 0;
				i0[a] = Math.min((int) Math.floor(src), from[a] - 1);
				i1[a] = i0[a] < from[a] - 1 ? i0[a] + 1 : i0[a];
				f[a] = src - i0[a];
			}
			for (int corner = 0; corner < 8; corner++) {
				final int z = (corner & 4) != 0 ? i1[0] : i0[0], y = (corner & 2) != 0 ? i1[1] : i0[1], x = (corner & 1) != 0 ? i1[2]
					: i0[2];
				final double w = ((corner & 4) != 0 ? f[0] : 1 - f[0]) * ((corner & 2) != 0 ? f[1] : 1 - f[1]) * ((corner & 1) != 0
					? f[2] : 1 - f[2]);
				final int k = corner * count + i;
				vol[k] = index[i] / tv;
				vox[k] = ((long) z * from[1] + y) * from[2] + x;
				weight[k] = (float) w;
			}
		}
		final NDManager m = features.getManager();
		final NDArray volumes = m.create(vol).toDevice(features.getDevice(), false);
		final NDArray voxels = m.create(vox).toDevice(features.getDevice(), false);
		final NDArray w = m.create(weight, new Shape(8, count, 1)).toDevice(features.getDevice(), false);
		final NDArray corners = features.reshape(n, c, cv).get(new NDIndex("{}, :, {}", volumes, voxels)).reshape(8, count, c);
		return corners.mul(w).sum(new int[] { 0 });
	}
}
