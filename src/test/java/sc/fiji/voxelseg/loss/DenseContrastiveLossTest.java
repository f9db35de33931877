package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.testutil.TorchOracle;

/**
 * The symmetric InfoNCE loss of dense pretraining against a value worked by hand, its edge cases,
 * and python3-torch autograd on vox2vec's own formulation (-∞ diagonals, two concatenated
 * logsumexps; {@code dense_pretrain_oracle.py loss}).
 */
class DenseContrastiveLossTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "dense_pretrain_oracle.py", "loss");
	}

	private static float scalar(final NDArray a) {
		assertEquals(new Shape(), a.getShape(), "a loss is a scalar");
		return a.toFloatArray()[0];
	}

	/**
	 * Hand, τ = 1, S = 2, F = 2: e1 = (1,0), (0,1); e2 = (0.6,0.8), (0,1). Then
	 * {@code l12 = [[0.6, 0], [0.8, 1]]}, {@code l11 = [[-∞, 0], [0, -∞]]},
	 * {@code l22 = [[-∞, 0.8], [0.8, -∞]]}, and the rows of the two logsumexps are
	 * <ul>
	 * <li>[l11 | l12]: (-∞, 0, 0.6, 0) and (0, -∞, 0.8, 1), against the positives 0.6 and 1;</li>
	 * <li>[l12ᵀ | l22]: (0.6, 0.8, -∞, 0.8) and (0, 1, 0.8, -∞), against 0.6 and 1.</li>
	 * </ul>
	 * {@code loss = ¼ [log(2 + e^0.6) + log(e^0.6 + 2e^0.8) + 2 log(1 + e + e^0.8) - 2·(0.6 + 1)]}
	 * = ¼ (1.3408049 + 1.8362867 + 2·1.7823525 - 3.2) = 0.8854492. l12 is not symmetric here, so a
	 * transposed block would change the value.
	 */
	@Test
	void infoNceByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray e1 = m.create(new float[] { 1, 0, 0, 1 }, new Shape(2, 2));
			final NDArray e2 = m.create(new float[] { 0.6f, 0.8f, 0, 1 }, new Shape(2, 2));
			final double e06 = Math.exp(0.6), e08 = Math.exp(0.8);
			final double expected = (Math.log(2 + e06) + Math.log(e06 + 2 * e08) + 2 * Math.log(1 + Math.E + e08) - 3.2) / 4;
			assertEquals(0.8854492, expected, 1e-7, "the worked value");
			assertEquals(expected, scalar(DenseContrastiveLoss.infoNce(e1, e2, 1)), 1e-6);
			// τ divides every logit: τ = 0.5 is τ = 1 on rows scaled by √2
			final float r2 = (float) Math.sqrt(2);
			final float scaled = scalar(DenseContrastiveLoss.infoNce(e1.mul(r2), e2.mul(r2), 1));
			assertEquals(scaled, scalar(DenseContrastiveLoss.infoNce(e1, e2, 0.5)), 1e-6);
		}
	}

	/**
	 * One pair (S = 1): each row's only candidate besides its own masked similarity is its positive,
	 * so the loss is exactly 0 with a zero gradient, finite (no -∞ - (-∞)). Two identical pairs of
	 * identical views (every logit 1/τ = 10): each row has 3 candidates of equal logit, loss log 3.
	 */
	@Test
	void edgeCasesAreFinite() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray a = m.create(new float[] { 0.6f, 0.8f }, new Shape(1, 2));
			final NDArray b = m.create(new float[] { 0, 1 }, new Shape(1, 2));
			a.setRequiresGradient(true);
			b.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray loss = DenseContrastiveLoss.infoNce(a, b);
				assertEquals(0, scalar(loss), 1e-6);
				gc.backward(loss);
			}
			for (final NDArray x : new NDArray[] { a, b }) {
				for (final float g : x.getGradient().toFloatArray()) assertEquals(0, g, 1e-6, "gradient at S = 1");
			}
			final NDArray same = m.create(new float[] { 1, 0, 1, 0 }, new Shape(2, 2));
			assertEquals(Math.log(3), scalar(DenseContrastiveLoss.infoNce(same, same)), 1e-5);
			assertThrows(IllegalArgumentException.class, () -> DenseContrastiveLoss.infoNce(same, a));
			assertThrows(IllegalArgumentException.class, () -> DenseContrastiveLoss.infoNce(same, same, 0));
		}
	}

	/**
	 * Oracle python3-torch (float64 from the same float32 values): S = 64 unit rows of F = 16, view
	 * B a noisy copy of view A; the loss and its gradients with respect to both views at vox2vec's
	 * τ = 0.1 (through the default overload) and at τ = 0.5.
	 */
	@Test
	void matchesTorchAutograd() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			for (final String suffix : new String[] { "", "_t05" }) {
				final NDArray e1 = t.get("e1").duplicate(), e2 = t.get("e2").duplicate();
				e1.setRequiresGradient(true);
				e2.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray loss = suffix.isEmpty() ? DenseContrastiveLoss.infoNce(e1, e2)
						: DenseContrastiveLoss.infoNce(e1, e2, 0.5);
					assertEquals(scalar(t.get("loss" + suffix)), scalar(loss), 2e-6, "loss" + suffix);
					gc.backward(loss);
				}
				final NDArray g1 = t.get("grad_e1" + suffix), g2 = t.get("grad_e2" + suffix);
				assertTrue(g1.abs().max().getFloat() > 1e-3, "the oracle's gradient is not trivially zero");
				assertClose(g1, e1.getGradient(), 1e-7, 1e-5, "d loss" + suffix + " / d e1");
				assertClose(g2, e2.getGradient(), 1e-7, 1e-5, "d loss" + suffix + " / d e2");
			}
		}
	}
}
