package sc.fiji.voxelseg.preprocess;

import java.util.Arrays;

import sc.fiji.voxelseg.image.Volume;

/**
 * A voxel grid in patient space: dimensions {x, y, z}, spacing (mm), origin (RAS+, mm) and
 * direction (row-major 3×3, column c = axis c), as in {@link Volume}. Saved in preprocessing
 * traces so predictions can go back onto the grid an image came from.
 */
public record Grid(long[] dims, double[] spacing, double[] origin, double[] direction) {

	public static Grid of(final Volume v) {
		return new Grid(v.dims(), v.spacing(), v.origin(), v.direction());
	}

	public long voxelCount() {
		return dims[0] * dims[1] * dims[2];
	}

	/** Whether both grids share their axes (direction equal within 1e-4). */
	public boolean sameDirection(final Grid o) {
		for (int i = 0; i < 9; i++)
			if (Math.abs(direction[i] - o.direction[i]) > 1e-4) return false;
		return true;
	}

	/** This grid's origin seen from {@code o}'s axes, in {@code o}'s voxel units, per axis. */
	double[] originIndexIn(final Grid o) {
		final double[] r = new double[3];
		for (int c = 0; c < 3; c++) {
			double s = 0;
			for (int row = 0; row < 3; row++)
				s += o.direction[3 * row + c] * (origin[row] - o.origin[row]);
			r[c] = s / o.spacing[c];
		}
		return r;
	}

	/** Grid shifted by {@code offset} voxels along its own axes, with new dimensions. */
	public Grid subGrid(final long[] offset, final long[] newDims) {
		final double[] o = origin.clone();
		for (int r = 0; r < 3; r++)
			for (int c = 0; c < 3; c++)
				o[r] += direction[3 * r + c] * spacing[c] * offset[c];
		return new Grid(newDims.clone(), spacing.clone(), o, direction.clone());
	}

	@Override
	public boolean equals(final Object obj) {
		return obj instanceof Grid g && Arrays.equals(dims, g.dims) && Arrays.equals(spacing,
			g.spacing) && Arrays.equals(origin, g.origin) && Arrays.equals(direction, g.direction);
	}

	@Override
	public int hashCode() {
		return Arrays.hashCode(dims) * 31 + Arrays.hashCode(spacing);
	}

	@Override
	public String toString() {
		return Volume.formatDims(dims) + " at " + Arrays.toString(spacing) + " mm";
	}
}
