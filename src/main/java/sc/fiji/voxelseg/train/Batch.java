package sc.fiji.voxelseg.train;

/**
 * A batch ready for the network: {@code n} samples of one channel, NCDHW order with D = nz, H = ny,
 * W = nx (x fastest), and their class indices (N × D × H × W), or null for a batch without labels.
 *
 * @param step the optimisation step it is for
 * @param extra what the regime that drew the batch needs besides images and labels (the paired
 *          voxels and clean crops of pretraining views), or null
 */
public record Batch(long step, float[] images, byte[] labels, int n, int nx, int ny, int nz, Object extra) {

	/** A batch with labels and nothing else. */
	public Batch(final long step, final float[] images, final byte[] labels, final int n, final int nx, final int ny, final int nz) {
		this(step, images, labels, n, nx, ny, nz, null);
	}
}
