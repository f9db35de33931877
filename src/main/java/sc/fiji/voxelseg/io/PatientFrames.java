package sc.fiji.voxelseg.io;

/**
 * Conversions between the patient frames that volume formats use and VoxelSeg's RAS+ frame.
 * <p>
 * DICOM, MetaImage and (usually) NRRD store positions in LPS+: +x to the patient's Left, +y to
 * Posterior, +z to Superior. RAS+ differs by the sign of x and y, so a point or an axis vector
 * converts by negating its first two components: the first two rows of a direction matrix
 * (row-major 3×3, column c = axis c) and the first two origin components.
 */
public final class PatientFrames {

	private PatientFrames() {}

	/**
	 * Converts, in place, a direction matrix (row-major 3×3, column c = axis c) and an origin (mm)
	 * from LPS+ to RAS+. The same operation converts RAS+ back to LPS+.
	 */
	public static void lpsToRas(final double[] direction, final double[] origin) {
		for (int r = 0; r < 2; r++) {
			for (int c = 0; c < 3; c++)
				direction[3 * r + c] = -direction[3 * r + c];
			origin[r] = -origin[r];
		}
	}

	/** Cross product {@code a × b} of two 3-vectors. */
	public static double[] cross(final double[] a, final double[] b) {
		return new double[] { a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] -
			a[1] * b[0] };
	}

	/** Euclidean norm of a vector. */
	public static double norm(final double[] a) {
		double s = 0;
		for (final double v : a)
			s += v * v;
		return Math.sqrt(s);
	}

	/**
	 * Completes a direction matrix whose third column is zero (a 2D image read as one slice) with
	 * the cross product of the first two columns, so the matrix stays a rotation.
	 */
	static void completeThirdAxis(final double[] direction) {
		if (direction[2] != 0 || direction[5] != 0 || direction[8] != 0) return;
		final double[] a = { direction[0], direction[3], direction[6] };
		final double[] b = { direction[1], direction[4], direction[7] };
		final double[] n = cross(a, b);
		final double len = norm(n);
		if (!(len > 0)) {
			direction[8] = 1;
			return;
		}
		for (int r = 0; r < 3; r++)
			direction[3 * r + 2] = n[r] / len;
	}
}
