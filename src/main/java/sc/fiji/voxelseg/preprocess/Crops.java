package sc.fiji.voxelseg.preprocess;

import java.util.Arrays;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;

/**
 * Crops and pads. A box is {@code min} (inclusive) and {@code max} (exclusive) voxel indices per
 * axis {x, y, z}; it may reach beyond the volume, which pads with a fill value. The origin moves
 * with the box so world positions are kept.
 */
public final class Crops {

	private Crops() {}

	/** A box of voxel indices, {@code min} inclusive, {@code max} exclusive. */
	public record Box(long[] min, long[] max) {

		public long[] size() {
			return new long[] { max[0] - min[0], max[1] - min[1], max[2] - min[2] };
		}

		@Override
		public String toString() {
			return Arrays.toString(min) + ".." + Arrays.toString(max);
		}
	}

	/**
	 * The smallest box holding every voxel above {@code threshold} (the body: -500 HU as in seed
	 * 004), grown by {@code margin} voxels and clipped to the volume. Throws if no voxel is above.
	 */
	public static Box foregroundBox(final Volume v, final double threshold, final int margin) {
		final float[] f = Voxels.floats(v.image());
		final int w = v.width(), h = v.height(), d = v.depth();
		long x0 = Long.MAX_VALUE, y0 = Long.MAX_VALUE, z0 = Long.MAX_VALUE, x1 = -1, y1 = -1, z1 = -1;
		int i = 0;
		for (int z = 0; z < d; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++, i++)
					if (f[i] > threshold) {
						if (x < x0) x0 = x;
						if (x > x1) x1 = x;
						if (y < y0) y0 = y;
						if (y > y1) y1 = y;
						if (z < z0) z0 = z;
						if (z > z1) z1 = z;
					}
		if (x1 < 0) throw new IllegalArgumentException("no voxel above " + threshold +
			" to crop to (is this a CT in Hounsfield units?)");
		return new Box(new long[] { Math.max(0, x0 - margin), Math.max(0, y0 - margin), Math.max(0, z0 -
			margin) }, new long[] { Math.min(w, x1 + 1 + margin), Math.min(h, y1 + 1 + margin), Math.min(
				d, z1 + 1 + margin) });
	}

	/** The centred box of {@code shape} voxels: a crop where the volume is larger, a pad where smaller. */
	public static Box centredBox(final Volume v, final long[] shape) {
		final long[] d = v.dims(), min = new long[3], max = new long[3];
		for (int c = 0; c < 3; c++) {
			if (shape[c] < 1) throw new IllegalArgumentException("box shape needs positive sizes, got " +
				Volume.formatDims(shape));
			min[c] = (d[c] - shape[c]) / 2;
			max[c] = min[c] + shape[c];
		}
		return new Box(min, max);
	}

	/** The part of {@code v} inside {@code box}, padded with {@code fill} where the box leaves it. */
	public static Volume crop(final Volume v, final Box box, final double fill) {
		final long[] size = box.size();
		for (int c = 0; c < 3; c++)
			if (size[c] < 1) throw new IllegalArgumentException("empty crop box " + box);
		final Grid g = Grid.of(v).subGrid(box.min(), size);
		// Nearest-neighbour resampling onto the shifted grid is an exact copy with padding.
		return Resampler.resample(v, g, Interpolation.NEAREST, fill, null);
	}
}
