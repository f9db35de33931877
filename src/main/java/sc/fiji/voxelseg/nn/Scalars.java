package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic between an array and a constant that stays correct under autograd. Use these, never
 * {@code NDArray.mul(Number)}, {@code div(Number)}, {@code pow(Number)}, {@code maximum(Number)} or
 * {@code minimum(Number)}, wherever a gradient flows.
 * <p>
 * Why: on the PyTorch engine (DJL 0.35), those methods wrap the number in a tensor whose storage
 * is a Java direct buffer and close it as soon as the forward op returns. Autograd keeps that
 * tensor for the backward pass (the gradient of {@code x·c} is {@code c}). Once the garbage
 * collector has freed the buffer and the allocator has reused the memory, the backward pass
 * multiplies by whatever the memory now holds: gradients of 7 for {@code x·3}, 10^30 or NaN,
 * depending on timing. Here the constant is a tensor that torch allocates and owns (a 0-d
 * {@code full}), which the graph keeps alive for as long as it needs it.
 * <p>
 * The same holds for any array made from Java data ({@code NDManager.create(float[])}): it may be
 * closed only after the backward pass, which its manager's closing ensures.
 */
public final class Scalars {

	private Scalars() {}

	/** A 0-d tensor holding {@code v}, of {@code like}'s type and device, owned by torch. */
	public static NDArray constant(final NDArray like, final double v) {
		final NDArray c = like.getManager().full(new Shape(), (float) v, like.getDataType());
		if (c.getDevice().equals(like.getDevice())) return c;
		try (c) {
			return c.toDevice(like.getDevice(), false);
		}
	}

	/** {@code x · v}. */
	public static NDArray mul(final NDArray x, final double v) {
		try (NDArray c = constant(x, v)) {
			return x.mul(c);
		}
	}

	/** {@code x / v}. */
	public static NDArray div(final NDArray x, final double v) {
		try (NDArray c = constant(x, v)) {
			return x.div(c);
		}
	}

	/** {@code max(x, v)} elementwise. */
	public static NDArray maximum(final NDArray x, final double v) {
		try (NDArray c = constant(x, v)) {
			return x.maximum(c);
		}
	}

	/** {@code min(x, v)} elementwise. */
	public static NDArray minimum(final NDArray x, final double v) {
		try (NDArray c = constant(x, v)) {
			return x.minimum(c);
		}
	}
}
