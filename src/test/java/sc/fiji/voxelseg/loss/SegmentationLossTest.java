package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** Soft Dice and cross-entropy against values worked by hand and against python3-torch. */
class SegmentationLossTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "loss_oracle.py");
	}

	private static float scalar(final NDArray a) {
		assertEquals(new Shape(), a.getShape(), "a loss is a scalar");
		return a.toFloatArray()[0];
	}

	/**
	 * Oracle python3-torch (float64): the documented soft Dice, F.cross_entropy, its weighted mean
	 * Σ w·ce / Σ w with about 30 % zero weights, and Dice + CE, on random logits N=2, K=3, 4×5×6; the
	 * labels given as int64, int32 and uint8 give the same values, and so do float64 logits.
	 */
	@Test
	void valuesMatchTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray logits = t.get("logits");
			for (final DataType type : new DataType[] { DataType.INT64, DataType.INT32, DataType.UINT8 }) {
				final NDArray labels = t.get("labels").toType(type, false);
				final String as = " (labels " + type + ")";
				assertEquals(scalar(t.get("dice")), scalar(SegmentationLoss.softDice(logits, labels)), 1e-6, "soft Dice" + as);
				assertEquals(scalar(t.get("ce")), scalar(SegmentationLoss.crossEntropy(logits, labels, null)), 1e-5, "CE" + as);
				assertEquals(scalar(t.get("ce_weighted")), scalar(SegmentationLoss.crossEntropy(logits, labels, t.get("weight"))), 1e-5,
					"weighted CE" + as);
				assertEquals(scalar(t.get("dice")), scalar(SegmentationLoss.DICE.compute(logits, labels)), 1e-6, "DICE" + as);
				assertEquals(scalar(t.get("ce")), scalar(SegmentationLoss.CE.compute(logits, labels)), 1e-5, "CE" + as);
				assertEquals(scalar(t.get("dice_ce")), scalar(SegmentationLoss.DICE_CE.compute(logits, labels)), 1e-5, "DICE_CE" + as);
			}
			final NDArray wide = logits.toType(DataType.FLOAT64, false);
			assertEquals(scalar(t.get("dice_ce")), scalar(SegmentationLoss.DICE_CE.compute(wide, t.get("labels")).toType(DataType.FLOAT32, false)), 1e-6, "float64 logits");
		}
	}

	/**
	 * Oracle python3-torch autograd (float64): gradients with respect to the logits of soft Dice,
	 * weighted CE and Dice + CE, for logits laid out N × K × D × H × W and, as the networks' last
	 * 1×1×1 convolution leaves them, with the classes innermost in memory.
	 */
	@Test
	void gradientsMatchTorchAutograd() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray labels = t.get("labels");
			for (final String loss : new String[] { "dice", "ce_weighted", "dice_ce", "dice classes-last", "dice_ce classes-last" }) {
				final NDArray logits = loss.endsWith("classes-last") ? classesLast(t.get("logits")) : t.get("logits").duplicate();
				final String kind = loss.split(" ")[0];
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					logits.setRequiresGradient(true);
					final NDArray value;
					if (kind.equals("dice")) value = SegmentationLoss.softDice(logits, labels);
					else if (kind.equals("ce_weighted")) value = SegmentationLoss.crossEntropy(logits, labels, t.get("weight"));
					else value = SegmentationLoss.DICE_CE.compute(logits, labels);
					gc.backward(value);
				}
				// the gradients are about 1e-3 per voxel: compare them absolutely at 1e-7 plus 1e-4 relative
				assertClose(t.get("grad_" + kind), logits.getGradient(), 1e-7, 1e-4, "d " + loss + " / d logits");
			}
		}
	}

	/** The same values, N × K × D × H × W, stored with the class index varying fastest. */
	private static NDArray classesLast(final NDArray logits) {
		final Shape s = logits.getShape();
		final long n = s.get(0), k = s.get(1), d = s.get(2), h = s.get(3), w = s.get(4);
		final NDArray rows = logits.transpose(0, 2, 3, 4, 1).reshape(n * d * h * w, k);
		// the transposed view cannot be read as rows, so reshape copies it into a fresh (V, K) matrix
		return rows.reshape(n, d, h, w, k).transpose(0, 4, 1, 2, 3);
	}

	/** One-hot-like logits: +50 for the voxel's label, -50 for the other classes. */
	private static NDArray confident(final NDManager m, final int[] labels, final int k, final Shape spatial) {
		final int v = labels.length / (int) spatial.get(0);
		final float[] z = new float[labels.length * k];
		for (int i = 0; i < labels.length; i++) {
			final int n = i / v, j = i % v;
			for (int c = 0; c < k; c++) z[(n * k + c) * v + j] = c == labels[i] ? 50 : -50;
		}
		return m.create(z, new Shape(spatial.get(0), k, spatial.get(1), spatial.get(2), spatial.get(3)));
	}

	/**
	 * Worked by hand: logits ±50 make softmax one-hot up to e⁻¹⁰⁰, so every class present has Dice 1,
	 * the class absent from both prediction and truth has (0 + ε)/(0 + ε) = 1, the Dice loss is 0, and
	 * each voxel's CE is ln(1 + 2e⁻¹⁰⁰) ≈ 0.
	 */
	@Test
	void confidentCorrectLogitsCostNothing() {
		try (NDManager m = NDManager.newBaseManager()) {
			final Shape spatial = new Shape(2, 3, 4, 5);
			final int[] lab = new int[(int) spatial.size()];
			final Random r = new Random(7);
			for (int i = 0; i < lab.length; i++) lab[i] = r.nextInt(2); // class 2 of 3 absent
			final NDArray labels = m.create(lab, spatial);
			final NDArray logits = confident(m, lab, 3, spatial);
			assertEquals(0, scalar(SegmentationLoss.softDice(logits, labels)), 1e-6, "Dice");
			assertEquals(0, scalar(SegmentationLoss.crossEntropy(logits, labels, null)), 1e-6, "CE");
			assertEquals(0, scalar(SegmentationLoss.DICE_CE.compute(logits, labels)), 1e-6, "Dice + CE");
			// and confidently wrong logits cost 100 nats per voxel
			final int[] wrong = new int[lab.length];
			for (int i = 0; i < lab.length; i++) wrong[i] = 1 - lab[i];
			assertEquals(100, scalar(SegmentationLoss.crossEntropy(confident(m, wrong, 3, spatial), labels, null)), 1e-3, "wrong CE");
		}
	}

	/**
	 * Worked by hand: uniform logits give p = 1/K, so CE = ln K (ln 3 here). With K = 2 and labels
	 * (0, 0, 0, 1), p = ½ gives class 0: (2·1.5 + ε)/(4·¼ + 3 + ε) and class 1: (2·0.5 + ε)/(4·¼ + 1 + ε),
	 * a Dice loss of 1 - (¾ + ½)/2 = 0.375 up to ε.
	 */
	@Test
	void uniformLogits() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray labels3 = m.randomInteger(0, 3, new Shape(2, 4, 5, 6), DataType.INT64);
			assertEquals(Math.log(3), scalar(SegmentationLoss.crossEntropy(m.zeros(new Shape(2, 3, 4, 5, 6)), labels3, null)), 1e-6,
				"ln 3");
			final NDArray labels2 = m.create(new long[] { 0, 0, 0, 1 }, new Shape(1, 1, 2, 2));
			final double e = SegmentationLoss.DICE_SMOOTH;
			final double dice = 1 - ((3 + e) / (4 + e) + (1 + e) / (2 + e)) / 2;
			assertEquals(dice, scalar(SegmentationLoss.softDice(m.zeros(new Shape(1, 2, 1, 2, 2)), labels2)), 1e-6, "Dice");
			assertEquals(0.375, dice, 1e-5);
		}
	}

	/**
	 * Worked by hand: an all-zero weight map gives 0 (and a zero gradient, not NaN); weights (1, 0)
	 * on two voxels keep only the first, whose logits (0, ln 3) and label 1 give p = ¾ and CE = ln(4/3).
	 */
	@Test
	void weightMaps() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray logits = m.randomNormal(new Shape(2, 3, 2, 3, 4));
			final NDArray labels = m.randomInteger(0, 3, new Shape(2, 2, 3, 4), DataType.INT64);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				logits.setRequiresGradient(true);
				final NDArray ce = SegmentationLoss.crossEntropy(logits, labels, m.zeros(new Shape(2, 2, 3, 4)));
				assertEquals(0, scalar(ce));
				gc.backward(ce);
			}
			assertClose(new float[(int) logits.size()], logits.getGradient(), 0, "gradient of a zero-weight CE");

			final NDArray two = m.create(new float[] { 0, 5, (float) Math.log(3), -2 }, new Shape(1, 2, 1, 1, 2));
			final NDArray lab = m.create(new byte[] { 1, 0 }, new Shape(1, 1, 1, 2));
			assertEquals(Math.log(4 / 3.0), scalar(SegmentationLoss.crossEntropy(two, lab, m.create(new float[] { 1, 0 }, new Shape(1, 1,
				1, 2)))), 1e-6, "first voxel only");
			// an integer 0/1 mask works as well
			assertEquals(Math.log(4 / 3.0), scalar(SegmentationLoss.crossEntropy(two, lab, m.create(new byte[] { 1, 0 }, new Shape(1, 1,
				1, 2)))), 1e-6, "uint8 mask");
		}
	}

	/** Worked by hand: the settings names. */
	@Test
	void names() {
		assertEquals("dice+ce", SegmentationLoss.DICE_CE.id());
		assertEquals(SegmentationLoss.DICE_CE, SegmentationLoss.parse(" Dice-CE "));
		assertEquals(SegmentationLoss.DICE_CE, SegmentationLoss.parse("DICE_CE"));
		assertEquals(SegmentationLoss.CE, SegmentationLoss.parse("ce"));
		assertEquals(SegmentationLoss.DICE, SegmentationLoss.parse("dice"));
		assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.parse("focal"));
	}

	/** A label outside 0..K-1 is refused by every loss, with the class and the class count named. */
	@Test
	void labelsOutsideTheClassesAreRefused() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray logits = m.zeros(new Shape(1, 3, 1, 2, 2));
			for (final int bad : new int[] { 3, -1 }) {
				final NDArray labels = m.create(new int[] { 0, 1, 2, bad }, new Shape(1, 1, 2, 2));
				for (final SegmentationLoss loss : SegmentationLoss.values()) {
					final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.compute(logits, labels),
						loss.id());
					assertTrue(e.getMessage().contains("class " + bad) && e.getMessage().contains("3 classes"), e.getMessage());
				}
				// the static forms, which other losses call directly, check too
				assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.softDice(logits, labels));
				assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.crossEntropy(logits, labels, null));
			}
		}
	}
}
