package sc.fiji.voxelseg.train;

/**
 * A batch ready for the network: {@code n} samples of one channel, NCDHW order with D = nz, H = ny,
 * W = nx (x fastest), and their class indices (N × D × H × W).
 *
 * @param step the optimisation step it is for
 */
public record Batch(long step, float[] images, byte[] labels, int n, int nx, int ny, int nz) {}
