package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;
import static sc.fiji.voxelseg.testutil.TorchOracle.setParameter;

import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParameterList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.loss.DenseContrastiveLoss;
import sc.fiji.voxelseg.testutil.TorchOracle;

/**
 * The projection head of dense pretraining against python3-torch autograd
 * ({@code dense_pretrain_oracle.py head}: vox2vec's {@code proj_head} in training mode, float64 from
 * the same float32 inputs and weights), with the weights copied from torch in
 * {@code parameters()} order:
 * <ul>
 * <li>at a small size with h ≠ in (12 → 10 → 6 on 24 rows) and at the defaults (160 → 160 → 128
 * on 64 rows): the unit-length output and the gradients of {@code Σ y·r} (random cotangents r)
 * with respect to the input and all ten parameters;</li>
 * <li>one pretraining step of the small head: two views through the head separately, the InfoNCE
 * loss, and its gradients with respect to both views and the parameters;</li>
 * <li>the positive control: {@link NetBlock#gradientFault} (every parameter gradient 1 % off) must
 * fail the check.</li>
 * </ul>
 * Tolerance for a gradient, as in {@link GradientOracleTest}: {@code 1e-4·max|g| + 1e-7·G +
 * 1e-3·|g|} per element, with G the largest gradient element of the check's parameters. The floor
 * is relative to G because the gradients of fc1's and fc2's biases are zero in exact arithmetic
 * (batch normalisation removes any constant they add) and what float32 leaves of them is rounding
 * of sums of terms of the size of G (3e-7 with G ≈ 10).
 */
class ProjectionHeadTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "dense_pretrain_oracle.py", "head");
	}

	@AfterEach
	void noFault() {
		NetBlock.gradientFault = 0;
	}

	/** vox2vec's head on 160 features: 160 → 160 → 128, and torch's parameter count. */
	@Test
	void defaultsAreVox2vecs() {
		final ProjectionHead h = new ProjectionHead(160);
		assertEquals(160, h.hiddenWidth());
		assertEquals(128, h.outFeatures());
		assertEquals(new Shape(64, 128), h.getOutputShapes(new Shape[] { new Shape(64, 160) })[0]);
		try (NDManager m = NDManager.newBaseManager()) {
			h.initialize(m, DataType.FLOAT32, new Shape(2, 160));
			// 2 × (160·160 + 160) + 2 × 2·160 + 160·128 + 128
			assertEquals(2 * (160 * 160 + 160) + 4 * 160 + 160 * 128 + 128, h.parameterCount());
		}
		assertThrows(IllegalArgumentException.class, () -> new ProjectionHead(0));
	}

	@Test
	void smallHeadMatchesTorch() throws Exception {
		check("small", new ProjectionHead(12, 10, 6));
	}

	@Test
	void defaultHeadMatchesTorch() throws Exception {
		check("default", new ProjectionHead(160));
	}

	/** Each view through the head on its own (batch statistics per view), then the InfoNCE loss. */
	@Test
	void pretrainingStepMatchesTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final ProjectionHead h = new ProjectionHead(12, 10, 6);
			final ParameterList params = load(m, t, "small", h);
			final NDArray x1 = t.get("pair.x1").duplicate(), x2 = t.get("pair.x2").duplicate();
			x1.setRequiresGradient(true);
			x2.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final ParameterStore ps = new ParameterStore(m, false);
				final NDArray loss = DenseContrastiveLoss.infoNce(h.project(ps, x1, true), h.project(ps, x2, true));
				assertEquals(t.get("pair.loss").getFloat(), loss.getFloat(), 2e-6, "loss");
				gc.backward(loss);
			}
			final double g = largest(t, "pair");
			assertGradient(t.get("pair.gx1"), x1.getGradient(), g, "pair d/dx1");
			assertGradient(t.get("pair.gx2"), x2.getGradient(), g, "pair d/dx2");
			for (int i = 0; i < params.size(); i++) {
				assertGradient(t.get(String.format(Locale.ROOT, "pair.g%02d", i)), params.get(i).getValue().getArray().getGradient(), g,
					"pair d/d" + params.get(i).getKey());
			}
		}
	}

	/** The positive control: a 1 % error in every parameter gradient is caught. */
	@Test
	void aBrokenGradientFails() {
		NetBlock.gradientFault = 0.01;
		assertThrows(AssertionFailedError.class, () -> check("small", new ProjectionHead(12, 10, 6)));
	}

	/** Loads NAME's input and weights, runs the head in training mode, back-propagates {@code Σ y·r} and compares. */
	private static void check(final String name, final ProjectionHead h) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final ParameterList params = load(m, t, name, h);
			final NDArray x = t.get(name + ".x").duplicate();
			x.setRequiresGradient(true);
			final NDArray y;
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				y = h.forward(new ParameterStore(m, false), new NDList(x), true).head();
				gc.backward(y.mul(t.get(name + ".r")).sum());
			}
			assertClose(t.get(name + ".y"), y, 1e-5, 1e-4, name + " output");
			final float[] norms = y.norm(new int[] { 1 }, false).toFloatArray();
			for (final float n : norms) assertEquals(1, n, 1e-5, name + ": output rows have unit length");
			final double g = largest(t, name);
			assertGradient(t.get(name + ".gx"), x.getGradient(), g, name + " d/dx");
			for (int i = 0; i < params.size(); i++) {
				assertGradient(t.get(String.format(Locale.ROOT, "%s.g%02d", name, i)), params.get(i).getValue().getArray().getGradient(), g,
					name + " d/d" + params.get(i).getKey());
			}
		}
	}

	/** Initialises the head and copies NAME.pNN into its parameters, in order (setParameter checks the shapes). */
	private static ParameterList load(final NDManager m, final TorchOracle.Arrays t, final String name, final ProjectionHead h) {
		h.initialize(m, DataType.FLOAT32, t.get(name + ".x").getShape());
		final ParameterList params = h.getParameters();
		assertEquals(10, params.size(), "fc1, bn1, fc2, bn2, fc3: a weight and a bias each");
		for (int i = 0; i < params.size(); i++) {
			setParameter(params.get(i).getValue(), t.get(String.format(Locale.ROOT, "%s.p%02d", name, i)));
		}
		assertFalse(t.contains(String.format(Locale.ROOT, "%s.p%02d", name, params.size())), "torch has more parameters");
		return params;
	}

	/** G: the largest element of the oracle's parameter gradients NAME.gNN. */
	private static double largest(final TorchOracle.Arrays t, final String name) {
		double g = 0;
		for (int i = 0; t.contains(String.format(Locale.ROOT, "%s.g%02d", name, i)); i++) {
			g = Math.max(g, maxAbs(t.get(String.format(Locale.ROOT, "%s.g%02d", name, i))));
		}
		return g;
	}

	/** Elementwise within {@code 1e-4·max|g| + 1e-7·G + 1e-3·|g|}. */
	private static void assertGradient(final NDArray expected, final NDArray actual, final double largest, final String what) {
		assertClose(expected, actual, 1e-4 * maxAbs(expected) + 1e-7 * largest, 1e-3, what);
	}

	private static double maxAbs(final NDArray a) {
		double m = 0;
		for (final float v : a.toFloatArray()) m = Math.max(m, Math.abs(v));
		return m;
	}
}
