package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Trilinear resizing of NCDHW tensors, PyTorch's
 * {@code F.interpolate(x, size=(D,H,W), mode="trilinear", align_corners=False)}, which the DJL
 * PyTorch engine refuses (it forces anti-aliasing). Separable: along each axis the tensor is
 * multiplied by an interpolation matrix whose rows hold the two linear weights of
 * {@code src = (dst + 0.5) · in/out - 0.5}, clamped at 0 and at the last sample as PyTorch does.
 * Matrix products keep it differentiable and fast for the small feature maps it serves.
 */
public final class Upsample {

	private Upsample() {}

	/** Resizes the three spatial axes of {@code x} (N, C, D, H, W) to {@code d × h × w}. */
	public static NDArray trilinear(final NDArray x, final long d, final long h, final long w) {
		final Shape s = x.getShape();
		if (s.dimension() != 5) throw new IllegalArgumentException("trilinear resize needs NCDHW, got " + s);
		NDArray y = x;
		// W: (…, W) @ (W, w)
		if (s.get(4) != w) y = y.matMul(matrix(x.getManager(), s.get(4), w).toDevice(x.getDevice(), false));
		// H: swap H to the end, multiply, swap back
		if (s.get(3) != h) y = y.swapAxes(3, 4).matMul(matrix(x.getManager(), s.get(3), h).toDevice(x.getDevice(), false)).swapAxes(3, 4);
		if (s.get(2) != d) y = y.swapAxes(2, 4).matMul(matrix(x.getManager(), s.get(2), d).toDevice(x.getDevice(), false)).swapAxes(2, 4);
		return y;
	}

	/**
	 * Nearest-neighbour upsampling of the three spatial axes of {@code x} (N, C, D, H, W) by
	 * {@code factor}, PyTorch's {@code nn.Upsample(scale_factor=factor, mode="nearest")}: every
	 * voxel becomes a factor³ block of copies. Differentiable (the gradient of a voxel is the sum over
	 * its block).
	 */
	public static NDArray nearest(final NDArray x, final int factor) {
		if (x.getShape().dimension() != 5) throw new IllegalArgumentException("nearest upsampling needs NCDHW, got " + x.getShape());
		if (factor == 1) return x;
		final NDArray d = x.repeat(2, factor), h = d.repeat(3, factor);
		d.close();
		final NDArray w = h.repeat(4, factor);
		h.close();
		return w;
	}

	/** Resizes {@code x} to the spatial size of {@code like}. */
	public static NDArray trilinearLike(final NDArray x, final NDArray like) {
		final Shape t = like.getShape();
		final int n = t.dimension();
		return trilinear(x, t.get(n - 3), t.get(n - 2), t.get(n - 1));
	}

	/** The (in × out) matrix M with {@code y = x · M} interpolating a line of {@code in} samples to {@code out}. */
	static NDArray matrix(final NDManager manager, final long in, final long out) {
		final float[] m = new float[(int) (in * out)];
		final double scale = (double) in / out;
		for (int o = 0; o < out; o++) {
			double src = (o + 0.5) * scale - 0.5;
			if (src < 0) src = 0;
			int i0 = (int) Math.floor(src);
			if (i0 > in - 1) i0 = (int) in - 1;
			final int i1 = i0 < in - 1 ? i0 + 1 : i0;
			final double f = src - i0;
			m[(int) (i0 * out + o)] += (float) (1 - f);
			m[(int) (i1 * out + o)] += (float) f;
		}
		return manager.create(m, new Shape(in, out));
	}
}
