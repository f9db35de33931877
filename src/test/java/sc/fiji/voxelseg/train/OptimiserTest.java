package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
 * rate; save/load of the state continues the same trajectory; the schedules against values worked
 * by hand.
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
