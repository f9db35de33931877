package sc.fiji.voxelseg.train;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Adam and SGD with PyTorch's update rules, written with NDArray operations so that the state
 * (step count, moments, momentum buffers) can be saved in checkpoints and restored exactly on
 * resume, which DJL's own optimisers do not allow.
 * <ul>
 * <li>Adam ({@code torch.optim.Adam}): {@code g = ∇ + wd·w; m = β1 m + (1-β1) g;
 * v = β2 v + (1-β2) g²; w -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)}, β = (0.9, 0.999),
 * ε = 1e-8 unless set.</li>
 * <li>SGD ({@code torch.optim.SGD}): {@code g = ∇ + wd·w; b = μ b + g} (b = g at the first step);
 * {@code w -= lr · b}.</li>
 * </ul>
 * Parameters are identified by their position in the list given to {@link #step}, which must be
 * the same list (same network configuration) every step and after {@link #load}. Each parameter
 * may have its own learning-rate factor; a factor of 0 freezes it: it is neither updated nor
 * counted, as a PyTorch parameter without {@code requires_grad}, so Adam's bias correction of a
 * parameter starts at its first update ({@code t} per parameter, as PyTorch keeps it per
 * parameter).
 * <p>
 * {@link #clipGlobalNorm} clips the gradients between the backward pass and the step, as
 * {@code torch.nn.utils.clip_grad_norm_} does.
 */
public final class Optimiser implements AutoCloseable {

	/** The ε that {@code clip_grad_norm_} adds to the total norm before dividing by it. */
	static final double CLIP_EPS = 1e-6;

	/** The update rule. */
	public enum Kind {
		ADAM, SGD;

		public static Kind parse(final String s) {
			try {
				return valueOf(s.trim().toUpperCase(Locale.ROOT));
			}
			catch (final IllegalArgumentException e) {
				throw new IllegalArgumentException("unknown optimiser '" + s + "': use adam or sgd");
			}
		}
	}

	private final Kind kind;
	private final float weightDecay, beta1, beta2, eps, momentum;
	private final NDManager manager;
	private final List<NDArray> first = new ArrayList<>(), second = new ArrayList<>();
	/** Updates of each parameter (Adam's t). */
	private final List<Long> counts = new ArrayList<>();
	private long t;

	private Optimiser(final Kind kind, final float weightDecay, final float beta1, final float beta2, final float eps,
		final float momentum, final NDManager parent) {
		this.kind = kind;
		this.weightDecay = weightDecay;
		this.beta1 = beta1;
		this.beta2 = beta2;
		this.eps = eps;
		this.momentum = momentum;
		this.manager = parent.newSubManager();
	}

	/** Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8. */
	public static Optimiser adam(final float weightDecay, final NDManager parent) {
		return new Optimiser(Kind.ADAM, weightDecay, 0.9f, 0.999f, 1e-8f, 0, parent);
	}

	/** Adam with explicit β1, β2 (a GAN discriminator uses β1 = 0.5). */
	public static Optimiser adam(final float weightDecay, final float beta1, final float beta2, final NDManager parent) {
		return new Optimiser(Kind.ADAM, weightDecay, beta1, beta2, 1e-8f, 0, parent);
	}

	/** SGD with momentum (0 for plain SGD). */
	public static Optimiser sgd(final float momentum, final float weightDecay, final NDManager parent) {
		return new Optimiser(Kind.SGD, weightDecay, 0, 0, 0, momentum, parent);
	}

	public Kind kind() {
		return kind;
	}

	/** Updates done so far. */
	public long steps() {
		return t;
	}

	/**
	 * Applies one update with learning rate {@code lr} to every parameter that has a gradient, then
	 * zeroes the gradients. Call outside any gradient collector.
	 */
	public void step(final List<Parameter> params, final float lr) {
		step(params, lr, null);
	}

	/**
	 * One update in which parameter {@code i} has learning rate {@code lr · factors[i]}; a factor of
	 * 0 leaves the parameter and its state as they are (its gradient is zeroed). Null factors are all 1.
	 */
	public void step(final List<Parameter> params, final float lr, final double[] factors) {
		if (factors != null && factors.length != params.size()) {
			throw new IllegalArgumentException(factors.length + " learning-rate factors for " + params.size() + " parameters");
		}
		t++;
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			for (int i = 0; i < params.size(); i++) {
				final Parameter p = params.get(i);
				if (!p.requiresGradient()) {
					ensureState(i, null);
					continue;
				}
				final NDArray w = p.getArray();
				if (factors != null && factors[i] == 0) {
					ensureState(i, null);
					if (w.hasGradient()) JniUtils.zeroGrad((PtNDArray) w);
					continue;
				}
				// a parameter outside every step's graph (a decoder that pretraining does not run) has no
				// gradient tensor at all: skipped, as torch.optim skips a None gradient (no update, no count)
				final NDArray grad = JniUtils.getGradient((PtNDArray) w);
				if (grad == null) {
					ensureState(i, null);
					continue;
				}
				final float rate = factors == null ? lr : (float) (lr * factors[i]);
				ensureState(i, w);
				final long ti = counts.get(i) + 1;
				counts.set(i, ti);
				// in place wherever PyTorch's single-tensor Adam is: each temporary is a pass over
				// memory the size of the weights, 61 MB for the seed's U-Net
				NDArray g = weightDecay != 0 ? w.mul(weightDecay).addi(grad) : grad;
				if (kind == Kind.ADAM) {
					final NDArray m = first.get(i), v = second.get(i);
					m.muli(beta1).addi(g.mul(1 - beta1));
					v.muli(beta2).addi(g.square().muli(1 - beta2));
					final double c1 = 1 - Math.pow(beta1, ti), c2 = 1 - Math.pow(beta2, ti);
					final NDArray denom = v.sqrt().divi((float) Math.sqrt(c2)).addi(eps);
					w.subi(m.div(denom).muli((float) (rate / c1)));
				}
				else {
					NDArray b = g;
					if (momentum != 0) {
						final NDArray buf = first.get(i);
						if (ti == 1) buf.muli(0).addi(g);
						else buf.muli(momentum).addi(g);
						b = buf;
					}
					w.subi(b.mul(rate));
				}
				JniUtils.zeroGrad((PtNDArray) w);
			}
		}
	}

	/**
	 * Global-norm gradient clipping, PyTorch's {@code torch.nn.utils.clip_grad_norm_(params,
	 * maxNorm)}: with {@code total = sqrt(Σ ||g||²)} over the gradients of all parameters that have
	 * one, every gradient is multiplied by {@code min(maxNorm / (total + 1e-6), 1)}. It scales the
	 * parameters' gradient tensors in place, so the next {@link #step} reads the clipped gradients;
	 * call it after the backward pass and before the step, outside any gradient collector.
	 * <p>
	 * As in PyTorch, the factor is below 1 as soon as {@code total > maxNorm - 1e-6}, so a total
	 * equal to {@code maxNorm} is still scaled, by {@code 1 - 1e-6/maxNorm} or so; gradients whose
	 * total is below that are left exactly as they were. The total is computed as PyTorch does, the
	 * 2-norm of the per-parameter 2-norms. A non-finite total is not an error here (PyTorch's
	 * default, {@code error_if_nonfinite=False}) and gets PyTorch's result: a NaN total makes every
	 * gradient NaN, an infinite one multiplies them by 0 (their infinite elements become NaN).
	 * Callers that must not step on such gradients check the returned total.
	 *
	 * @param params the parameters; those that take no gradient or have none yet are left out
	 * @param maxNorm the largest total norm kept, &gt; 0 (infinity: no clipping)
	 * @return the total norm before clipping (0 when no parameter has a gradient)
	 */
	public static double clipGlobalNorm(final List<Parameter> params, final double maxNorm) {
		if (!(maxNorm > 0)) throw new IllegalArgumentException("bad maximal gradient norm " + maxNorm);
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final List<NDArray> grads = new ArrayList<>();
			final NDList norms = new NDList();
			for (final Parameter p : params) {
				if (!p.requiresGradient()) continue;
				// the parameter's own gradient tensor (NDArray.getGradient would make zeros for a missing one)
				final NDArray g = JniUtils.getGradient((PtNDArray) p.getArray());
				if (g == null) continue;
				grads.add(g);
				norms.add(g.reshape(-1).norm(new int[] { 0 }, false));
			}
			if (grads.isEmpty()) return 0;
			final NDArray norm = NDArrays.stack(norms).norm(new int[] { 0 }, false);
			final double total = norm.toType(DataType.FLOAT64, false).getDouble();
			final double coef = Math.min(maxNorm / (total + CLIP_EPS), 1);
			// multiplying by 1 changes nothing, so skip it; NaN is not 1 and is applied, as PyTorch does
			if (coef != 1) for (final NDArray g : grads) g.muli((float) coef);
			return total;
		}
	}

	private void ensureState(final int i, final NDArray w) {
		while (first.size() <= i) {
			first.add(null);
			second.add(null);
			counts.add(0L);
		}
		if (w == null || first.get(i) != null) return;
		if (kind == Kind.ADAM || momentum != 0) {
			final NDArray m = manager.zeros(w.getShape(), w.getDataType(), w.getDevice());
			NDScope.unregister(m);
			first.set(i, m);
		}
		if (kind == Kind.ADAM) {
			final NDArray v = manager.zeros(w.getShape(), w.getDataType(), w.getDevice());
			NDScope.unregister(v);
			second.set(i, v);
		}
	}

	/**
	 * The state as bytes: the step count and every moment buffer, in parameter order, then the
	 * updates of each parameter.
	 */
	public byte[] save() {
		final NDList list = new NDList();
		final NDArray header = manager.create(new long[] { t, first.size(), kind.ordinal() });
		list.add(header);
		for (int i = 0; i < first.size(); i++) {
			list.add(first.get(i) == null ? manager.create(new float[0]) : first.get(i));
			list.add(second.get(i) == null ? manager.create(new float[0]) : second.get(i));
		}
		final long[] n = new long[counts.size()];
		for (int i = 0; i < n.length; i++) n[i] = counts.get(i);
		final NDArray perParameter = manager.create(n);
		list.add(perParameter);
		final byte[] bytes = list.encode();
		header.close();
		perParameter.close();
		return bytes;
	}

	/**
	 * Restores a state written by {@link #save} for the same parameters.
	 *
	 * @throws IOException if the state belongs to another optimiser or other parameters
	 */
	public void load(final byte[] bytes, final List<Parameter> params) throws IOException {
		final NDList list;
		try {
			list = NDList.decode(manager, new ByteArrayInputStream(bytes));
		}
		catch (final RuntimeException e) {
			throw new IOException("the optimiser state is damaged: " + e.getMessage(), e);
		}
		final long[] h = list.get(0).toLongArray();
		if (h[2] != kind.ordinal()) {
			throw new IOException("the optimiser state is for " + Kind.values()[(int) h[2]].name().toLowerCase(Locale.ROOT) +
				", not " + kind.name().toLowerCase(Locale.ROOT));
		}
		// states written before per-parameter counts end after the moments: every parameter then had t updates
		if (h[1] != params.size() || list.size() != 1 + 2 * h[1] && list.size() != 2 + 2 * h[1]) {
			throw new IOException("the optimiser state holds " + h[1] + " parameters, the network has " + params.size());
		}
		final long[] n = list.size() == 2 + 2 * h[1] ? list.get(1 + 2 * (int) h[1]).toLongArray() : null;
		if (n != null && n.length != params.size()) throw new IOException("the optimiser state's update counts do not match its parameters");
		first.clear();
		second.clear();
		counts.clear();
		for (int i = 0; i < params.size(); i++) {
			first.add(restore(list.get(1 + 2 * i), params.get(i), i));
			second.add(restore(list.get(2 + 2 * i), params.get(i), i));
			counts.add(n != null ? n[i] : first.get(i) != null || kind == Kind.SGD ? h[0] : 0L);
		}
		t = h[0];
	}

	private NDArray restore(final NDArray a, final Parameter p, final int i) throws IOException {
		if (a.size() == 0) return null;
		if (!a.getShape().equals(p.getShape())) {
			throw new IOException("optimiser state " + i + " has shape " + a.getShape() + ", parameter " + p.getName() + " has " +
				p.getShape());
		}
		return a.toDevice(p.getArray().getDevice(), false);
	}

	@Override
	public void close() {
		manager.close();
	}
}
