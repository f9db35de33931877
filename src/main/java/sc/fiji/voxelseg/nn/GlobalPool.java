package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Global pooling of NCDHW feature maps to one vector per sample, as a patch-level contrastive loss
 * needs them (seed 002, AGCL: the encoder's last map of each patch, pooled, is the input of the
 * projection head).
 */
public final class GlobalPool {

	private GlobalPool() {}

	/**
	 * Global average pooling, N × C × D × H × W to N × C: each channel's mean over its D·H·W voxels,
	 * PyTorch's {@code F.adaptive_avg_pool3d(x, 1).flatten(1)}. Differentiable: every voxel of a
	 * channel gets that channel's upstream gradient divided by D·H·W. The result has rows, not
	 * 1 × 1 × 1 maps, because what follows (a projection head, a row normalisation) works on rows.
	 * The three spatial axes are flattened into one (N × C × D·H·W) and averaged along it, because
	 * the DJL PyTorch engine's {@code mean} takes a single axis.
	 */
	public static NDArray average(final NDArray x) {
		final Shape s = x.getShape();
		if (s.dimension() != 5 || s.size() == 0) {
			throw new IllegalArgumentException("global average pooling needs a non-empty NCDHW map, got " + s);
		}
		final NDArray flat = x.reshape(s.get(0), s.get(1), -1);
		final NDArray mean = flat.mean(new int[] { 2 });
		flat.close();
		return mean;
	}
}
