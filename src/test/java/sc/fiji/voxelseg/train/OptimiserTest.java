package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.testutil.Python;

/**
 * The optimisers against {@code torch.optim.Adam} and {@code torch.optim.SGD} from python3-torch
 * (src/test/python/optim_oracle.py) on the same weights and gradients, with a changing learning
 * rate; save/load of the state continues the same trajectory; global-norm gradient clipping against
 * values worked by hand and against {@code torch.nn.utils.clip_grad_norm_}; the schedules against
 * values worked by hand.
 */
class OptimiserTest {

	static final float[] W0 = { 0.5f, -1f, 2f, 0f, 3f, -0.25f };
	static final float[][] GRADS = { { 0.1f, -0.2f, 0.3f, 1f, 0f, -2f }, { -0.4f, 0.5f, 0f, 0.2f, 0.2f, 0.2f }, { 0.05f, 0.05f,
		-0.05f, -1f, 3f, 0.5f } };
	static final float[] LR = { 1f, 0.5f, 0.25f };
	static JsonObject oracle;

	@BeforeAll
	static void run() throws Exception {
		TorchEngine.engine();
		oracle = Python.json("optim_oracle.py").getAsJsonObject();
	}

	/** Runs 3 steps; with {@code reloadAfter} ≥ 0, saves the state after that step and continues with a fresh optimiser. */
	private static float[][] trajectory(final Function<NDManager, Optimiser> make, final float baseLr, final int reloadAfter)
		throws IOException
	{
		try (NDManager m = NDManager.newBaseManager()) {
			final Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
			p.setArray(m.create(W0, new Shape(2, 3)));
			p.getArray().setRequiresGradient(true);
			Optimiser opt = make.apply(m);
			final float[][] out = new float[3][];
			for (int s = 0; s < 3; s++) {
				// put the gradient in place: backward of sum(w * g)
				try (var gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray g = m.create(GRADS[s], new Shape(2, 3));
					gc.backward(p.getArray().mul(g).sum());
				}
				opt.step(List.of(p), baseLr * LR[s]);
				out[s] = p.getArray().toFloatArray();
				assertEquals(0f, JniUtils.getGradient((PtNDArray) p.getArray()).abs().sum().getFloat(), "gradient zeroed after the step");
				if (s == reloadAfter) {
					final byte[] state = opt.save();
					opt.close();
					opt = make.apply(m);
					opt.load(state, List.of(p));
				}
			}
			opt.close();
			return out;
		}
	}

	private static void assertMatches(final String key, final float[][] got) {
		final JsonArray steps = oracle.getAsJsonArray(key);
		for (int s = 0; s < 3; s++) {
			final JsonArray w = steps.get(s).getAsJsonArray();
			for (int i = 0; i < 6; i++) assertEquals(w.get(i).getAsDouble(), got[s][i], 2e-6, key + " step " + (s + 1) + " weight " + i);
		}
	}

	@Test
	void adamMatchesTorch() throws Exception {
		assertMatches("adam", trajectory(m -> Optimiser.adam(0.1f, m), 0.01f, -1));
		assertMatches("adam", trajectory(m -> Optimiser.adam(0.1f, m), 0.01f, 0));
		assertMatches("adam", trajectory(m -> Optimiser.adam(0.1f, m), 0.01f, 1));
	}

	@Test
	void sgdMatchesTorch() throws Exception {
		assertMatches("sgd_momentum", trajectory(m -> Optimiser.sgd(0.9f, 0.01f, m), 0.1f, -1));
		assertMatches("sgd_momentum", trajectory(m -> Optimiser.sgd(0.9f, 0.01f, m), 0.1f, 1));
		assertMatches("sgd", trajectory(m -> Optimiser.sgd(0f, 0f, m), 0.1f, -1));
	}

	@Test
	void refusesTheStateOfAnotherOptimiser() throws Exception {
		try (NDManager m = NDManager.newBaseManager(); Optimiser adam = Optimiser.adam(0, m); Optimiser sgd = Optimiser.sgd(0.9f, 0, m)) {
			final Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
			p.setArray(m.create(new float[] { 1, 2 }));
			final IOException e = assertThrows(IOException.class, () -> sgd.load(adam.save(), List.of(p)));
			assertTrue(e.getMessage().contains("adam"), e.getMessage());
			assertThrows(IOException.class, () -> adam.load(new byte[] { 1, 2, 3 }, List.of(p)));
		}
	}

	/** Parameters holding {@code values} in the given shapes, their gradients {@code grads} put in place by a backward pass. */
	private static List<Parameter> withGradients(final NDManager m, final float[][] values, final Shape[] shapes,
		final float[][] grads)
	{
		final List<Parameter> params = new ArrayList<>();
		for (int i = 0; i < values.length; i++) {
			final Parameter p = Parameter.builder().setName("w" + i).setType(Parameter.Type.WEIGHT).build();
			p.setArray(m.create(values[i], shapes[i]));
			p.getArray().setRequiresGradient(true);
			params.add(p);
		}
		// backward of Σ sum(w_i * g_i) leaves g_i as the gradient of w_i
		try (var gc = TorchEngine.engine().newGradientCollector()) {
			NDArray loss = null;
			for (int i = 0; i < values.length; i++) {
				final NDArray term = params.get(i).getArray().mul(m.create(grads[i], shapes[i])).sum();
				loss = loss == null ? term : loss.add(term);
			}
			gc.backward(loss);
		}
		return params;
	}

	private static float[] gradient(final Parameter p) {
		return p.getArray().getGradient().toFloatArray();
	}

	/**
	 * Hand, Adam (lr 0.1, no weight decay): a parameter frozen (factor 0) for two steps is not
	 * touched and gets no state; at its first update its bias correction starts at t = 1, so the step
	 * is {@code lr · factor · g/(|g| + ε)} whatever the optimiser's own step count: (2, -3) with
	 * gradient (0.5, -4) and factor 0.5 becomes (2 - 0.05, -3 + 0.05). The other parameter, updated
	 * all along, is at its third step. Saving and loading keeps the per-parameter counts: the next
	 * step is the same in the copy, bit for bit.
	 */
	@Test
	void aFrozenParameterStartsItsOwnAdamCountWhenReleased() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final Shape[] two = { new Shape(2), new Shape(2) };
			final Optimiser opt = Optimiser.adam(0, m);
			for (int step = 0; step < 2; step++) {
				final List<Parameter> p = withGradients(m, new float[][] { { 1, 1 }, { 2, -3 } }, two, new float[][] { { 1, 1 }, { 0.5f, -4 } });
				opt.step(p, 0.1f, new double[] { 1, 0 });
				assertArrayEquals(new float[] { 0.9f, 0.9f }, p.get(0).getArray().toFloatArray(), 1e-6f, "first Adam step of the free one");
				assertArrayEquals(new float[] { 2, -3 }, p.get(1).getArray().toFloatArray(), "frozen");
			}
			final List<Parameter> p = withGradients(m, new float[][] { { 1, 1 }, { 2, -3 } }, two, new float[][] { { 1, 1 }, { 0.5f, -4 } });
			final byte[] saved = opt.save();
			opt.step(p, 0.1f, new double[] { 1, 0.5 });
			assertEquals(3, opt.steps());
			final double e = 1e-8;
			assertArrayEquals(new float[] { (float) (2 - 0.05 * 0.5 / (0.5 + e)), (float) (-3 + 0.05 * 4 / (4 + e)) }, p.get(1).getArray()
				.toFloatArray(), 1e-6f, "released: its first bias-corrected step");
			final Optimiser copy = Optimiser.adam(0, m);
			final List<Parameter> q = withGradients(m, new float[][] { { 1, 1 }, { 2, -3 } }, two, new float[][] { { 1, 1 }, { 0.5f, -4 } });
			copy.load(saved, q);
			copy.step(q, 0.1f, new double[] { 1, 0.5 });
			for (int i = 0; i < 2; i++) assertArrayEquals(p.get(i).getArray().toFloatArray(), q.get(i).getArray().toFloatArray(), "after load " + i);
			assertArrayEquals(opt.save(), copy.save());
		}
	}

	/**
	 * Hand: gradients (3, 0) and (0, 4) have the total norm 5. Clipped to 1 they become
	 * {@code (3, 0)/(5 + 1e-6)} and {@code (0, 4)/(5 + 1e-6)}, about (0.6, 0) and (0, 0.8).
	 * PyTorch's ε shows at small norms: (3e-6, 0) and (0, 4e-6) clipped to 1e-6 are multiplied by
	 * {@code 1e-6/(5e-6 + 1e-6) = 1/6}, not 1/5: (5e-7, 0), (0, 6.667e-7). Clipped to 10, (3, 0) and
	 * (0, 4) stay exactly as they were. A parameter that takes no gradient is left out. Non-finite
	 * totals get what python3-torch's {@code clip_grad_norm_} gives: (NaN, 0), (0, 4) turn all NaN;
	 * (∞, 3), (0, 4) become (NaN, 0), (0, 0).
	 */
	@Test
	void clipGlobalNormByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final Shape[] two = { new Shape(2), new Shape(2) };
			final float[][] w = { { 1, 2 }, { 3, 4 } };
			List<Parameter> p = withGradients(m, w, two, new float[][] { { 3, 0 }, { 0, 4 } });
			final Parameter frozen = Parameter.builder().setName("frozen").setType(Parameter.Type.RUNNING_MEAN).optRequiresGrad(false)
				.build();
			frozen.setArray(m.create(new float[] { 100, 100 }));
			final List<Parameter> withFrozen = new ArrayList<>(p);
			withFrozen.add(frozen);
			assertEquals(5, Optimiser.clipGlobalNorm(withFrozen, 1), 1e-6, "the total norm before clipping");
			final double c = 1 / (5 + 1e-6);
			assertArrayEquals(new float[] { (float) (3 * c), 0 }, gradient(p.get(0)), 1e-7f);
			assertArrayEquals(new float[] { 0, (float) (4 * c) }, gradient(p.get(1)), 1e-7f);
			assertArrayEquals(new float[] { 100, 100 }, frozen.getArray().toFloatArray());
			// the clipped norm is just below 1
			assertEquals(5 * c, Optimiser.clipGlobalNorm(p, 1), 1e-6, "the norm after clipping");

			p = withGradients(m, w, two, new float[][] { { 3e-6f, 0 }, { 0, 4e-6f } });
			assertEquals(5e-6, Optimiser.clipGlobalNorm(p, 1e-6), 1e-12);
			assertArrayEquals(new float[] { 5e-7f, 0 }, gradient(p.get(0)), 1e-12f);
			assertArrayEquals(new float[] { 0, 4e-6f / 6 }, gradient(p.get(1)), 1e-12f);

			p = withGradients(m, w, two, new float[][] { { 3, 0 }, { 0, 4 } });
			assertEquals(5, Optimiser.clipGlobalNorm(p, 10), 1e-6);
			assertArrayEquals(new float[] { 3, 0 }, gradient(p.get(0)), "below the maximum: unchanged");
			assertArrayEquals(new float[] { 0, 4 }, gradient(p.get(1)), "below the maximum: unchanged");

			p = withGradients(m, w, two, new float[][] { { Float.NaN, 0 }, { 0, 4 } });
			assertTrue(Double.isNaN(Optimiser.clipGlobalNorm(p, 1)));
			assertArrayEquals(new float[] { Float.NaN, Float.NaN }, gradient(p.get(0)));
			assertArrayEquals(new float[] { Float.NaN, Float.NaN }, gradient(p.get(1)));
			p = withGradients(m, w, two, new float[][] { { Float.POSITIVE_INFINITY, 3 }, { 0, 4 } });
			assertEquals(Double.POSITIVE_INFINITY, Optimiser.clipGlobalNorm(p, 1));
			assertArrayEquals(new float[] { Float.NaN, 0 }, gradient(p.get(0)));
			assertArrayEquals(new float[] { 0, 0 }, gradient(p.get(1)));
			assertThrows(IllegalArgumentException.class, () -> Optimiser.clipGlobalNorm(List.of(frozen), 0));
			assertEquals(0, Optimiser.clipGlobalNorm(List.of(frozen), 1), "no gradient at all");
		}
	}

	/**
	 * Oracle {@code clip_grad_norm_(params, max_norm=1.0)} on random gradients of three parameters,
	 * with a total norm of 4.05 (clipped) and of 0.51 (left as they are): the returned total, the
	 * gradients after clipping, and the weights after one plain SGD step (lr 0.1), which show that
	 * the step reads the clipped gradients.
	 */
	@Test
	void clipGlobalNormMatchesTorch() throws Exception {
		final JsonObject clip = oracle.getAsJsonObject("clip");
		final JsonArray shapesJson = clip.getAsJsonArray("shapes");
		final Shape[] shapes = new Shape[shapesJson.size()];
		for (int i = 0; i < shapes.length; i++) {
			final JsonArray d = shapesJson.get(i).getAsJsonArray();
			final long[] dims = new long[d.size()];
			for (int k = 0; k < dims.length; k++) dims[k] = d.get(k).getAsLong();
			shapes[i] = new Shape(dims);
		}
		final float[][] w = floats(clip.getAsJsonArray("weights"));
		for (final String key : new String[] { "clipped", "unclipped" }) {
			final JsonObject c = clip.getAsJsonObject(key);
			try (NDManager m = NDManager.newBaseManager()) {
				final float[][] g = floats(c.getAsJsonArray("grads"));
				final List<Parameter> p = withGradients(m, w, shapes, g);
				final double total = c.get("total").getAsDouble();
				assertEquals(key.equals("clipped"), total > 1, key + ": the case clips");
				assertEquals(total, Optimiser.clipGlobalNorm(p, 1.0), 1e-6 * total, key + ": total norm");
				final float[][] after = floats(c.getAsJsonArray("after")), stepped = floats(c.getAsJsonArray("weights_after"));
				for (int i = 0; i < p.size(); i++) {
					if (key.equals("unclipped")) assertArrayEquals(g[i], gradient(p.get(i)), key + ": gradient " + i + " untouched");
					else assertArrayEquals(after[i], gradient(p.get(i)), 1e-7f, key + ": gradient " + i);
				}
				try (Optimiser sgd = Optimiser.sgd(0, 0, m)) {
					sgd.step(p, 0.1f);
				}
				for (int i = 0; i < p.size(); i++) {
					assertArrayEquals(stepped[i], p.get(i).getArray().toFloatArray(), 1e-6f, key + ": weight " + i + " after the step");
				}
			}
		}
	}

	private static float[][] floats(final JsonArray lists) {
		final float[][] out = new float[lists.size()][];
		for (int i = 0; i < out.length; i++) {
			final JsonArray l = lists.get(i).getAsJsonArray();
			out[i] = new float[l.size()];
			for (int k = 0; k < out[i].length; k++) out[i][k] = l.get(k).getAsFloat();
		}
		return out;
	}

	/** Poly: 1e-3·(1 - 50/100)^0.9 = 5.358867e-4; step: 0.01·0.1^2 at step 5000 with decays every 2500. */
	@Test
	void schedulesGiveWorkedValues() {
		final LearningRateSchedule poly = LearningRateSchedule.poly(1e-3, 100, 0.9);
		assertEquals(1e-3, poly.at(0), 1e-15);
		assertEquals(5.358867e-4, poly.at(50), 1e-9);
		assertEquals(0, poly.at(100), 0);
		final LearningRateSchedule step = LearningRateSchedule.step(0.01, 2500, 0.1);
		assertEquals(0.01, step.at(2499), 1e-15);
		assertEquals(0.001, step.at(2500), 1e-15);
		assertEquals(1e-4, step.at(5000), 1e-15);
		assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.poly(0, 10, 0.9));
	}
}
