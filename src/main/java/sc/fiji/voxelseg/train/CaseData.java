package sc.fiji.voxelseg.train;

/**
 * One preprocessed training case held in memory on its model grid: image intensities and class
 * indices, both x fastest then y then z (which is the C order of a D×H×W tensor).
 *
 * @param id the case identifier
 * @param image intensities after the preprocessing plan
 * @param labels class indices 0..K-1 (unsigned bytes)
 * @param nx voxels along x (W)
 * @param ny voxels along y (H)
 * @param nz voxels along z (D)
 */
public record CaseData(String id, float[] image, byte[] labels, int nx, int ny, int nz) {

	public CaseData {
		if ((long) nx * ny * nz != image.length || image.length != labels.length) {
			throw new IllegalArgumentException("case " + id + ": " + image.length + " intensities and " + labels.length +
				" labels for a " + nx + "×" + ny + "×" + nz + " grid");
		}
	}

	public int voxels() {
		return image.length;
	}

	/** Voxels of each class 0..classes-1. */
	public long[] histogram(final int classes) {
		final long[] h = new long[classes];
		for (final byte b : labels) h[b & 0xff]++;
		return h;
	}

	/** "128×128×64" (x×y×z). */
	public String shape() {
		return nx + "×" + ny + "×" + nz;
	}
}
