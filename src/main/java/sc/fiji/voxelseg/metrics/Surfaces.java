package sc.fiji.voxelseg.metrics;

import java.util.Arrays;

/**
 * Surfaces of binary masks as MedPy defines them: {@code A xor binary_erosion(A, structure =
 * generate_binary_structure(3, 1))}, i.e. the mask voxels that an erosion with the 6-connected
 * structuring element removes. scipy's erosion treats everything outside the array as background
 * ({@code border_value = 0}), so mask voxels on the border of the grid are surface voxels.
 * <p>
 * Masks are flat, x fastest: voxel {@code (x, y, z)} is at {@code x + nx (y + ny z)}; dims are
 * {x, y, z}.
 */
public final class Surfaces {

	private Surfaces() {}

	/** The surface of {@code mask}: its voxels with a 6-neighbour outside the mask or the grid. */
	public static boolean[] surface(final boolean[] mask, final int[] dims) {
		if (dims.length != 3 || (long) dims[0] * dims[1] * dims[2] != mask.length)
			throw new IllegalArgumentException("mask of " + mask.length +
				" voxels does not match dims " + Arrays.toString(dims));
		final boolean[] out = new boolean[mask.length];
		try (Parallel par = new Parallel(0)) {
			surface(mask, dims, out, par);
		}
		return out;
	}

	/**
	 * Writes the surface of {@code mask} into {@code out} and returns its voxel count.
	 */
	static long surface(final boolean[] mask, final int[] dims, final boolean[] out,
		final Parallel par)
	{
		final int nx = dims[0], ny = dims[1], nz = dims[2];
		final int plane = nx * ny;
		final long[] counts = new long[nz];
		par.forEach(nz, z -> {
			long c = 0;
			for (int y = 0; y < ny; y++) {
				final int row = nx * (y + ny * z);
				final boolean rowEdge = y == 0 || y == ny - 1 || z == 0 || z == nz - 1;
				for (int x = 0; x < nx; x++) {
					final int i = row + x;
					if (!mask[i]) {
						out[i] = false;
						continue;
					}
					final boolean s = rowEdge || x == 0 || x == nx - 1 || !mask[i - 1] || !mask[i + 1] ||
						!mask[i - nx] || !mask[i + nx] || !mask[i - plane] || !mask[i + plane];
					out[i] = s;
					if (s) c++;
				}
			}
			counts[z] = c;
		});
		long total = 0;
		for (final long c : counts)
			total += c;
		return total;
	}
}
