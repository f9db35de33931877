package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;
import java.util.Arrays;

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
 * AGCL's multi-conditional SupCon and its labels against values worked by hand, against
 * python3-torch autograd on the methods' anchor-by-anchor definition
 * ({@code conditional_contrastive_oracle.py}), and against its special cases: organ-only SupCon
 * with one condition, SSCL (vox2vec's symmetric InfoNCE, and Khosla et al.'s unsupervised code path)
 * with the patch as label, and the class-weighted voxel SCL with weights that undo the class
 * weighting.
 */
class ConditionalContrastiveLossTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "conditional_contrastive_oracle.py");
	}

	private static float scalar(final NDArray a) {
		assertEquals(new Shape(), a.getShape(), "a loss is a scalar");
		return a.toFloatArray()[0];
	}

	/**
	 * Hand: the pairs (2,1), (2,0), (5,1), (2,1), (5,1), (0,1) are numbered in the order in which
	 * they first appear, 0, 1, 2, 0, 2, 3; organ 2 under two conditions is two labels. With one
	 * condition the labels follow the organs. Negative values are pairs like any other ((-1, 0) and
	 * (0, -1) differ). SSCL's labels for 3 patches are 0, 1, 2, 0, 1, 2.
	 */
	@Test
	void labelsNumberThePairsAndThePatches() {
		assertArrayEquals(new int[] { 0, 1, 2, 0, 2, 3 }, ConditionalContrastiveLoss.conditionLabels(new int[] { 2, 2, 5, 2, 5, 0 },
			new int[] { 1, 0, 1, 1, 1, 1 }));
		assertArrayEquals(new int[] { 0, 1, 0, 2 }, ConditionalContrastiveLoss.conditionLabels(new int[] { 3, 1, 3, 7 }, new int[4]));
		assertArrayEquals(new int[] { 0, 1, 2, 0 }, ConditionalContrastiveLoss.conditionLabels(new int[] { -1, 0, 0, -1 },
			new int[] { 0, -1, 0, 0 }));
		assertArrayEquals(new int[0], ConditionalContrastiveLoss.conditionLabels(new int[0], new int[0]));
		assertThrows(IllegalArgumentException.class, () -> ConditionalContrastiveLoss.conditionLabels(new int[2], new int[3]));
		assertArrayEquals(new int[] { 0, 1, 2, 0, 1, 2 }, ConditionalContrastiveLoss.twinLabels(3));
		assertArrayEquals(new int[] { 0, 0 }, ConditionalContrastiveLoss.twinLabels(1));
		assertThrows(IllegalArgumentException.class, () -> ConditionalContrastiveLoss.twinLabels(0));
	}

	/**
	 * Hand, τ = 1, S = 4, F = 2: z = (1,0), (0,1), (-1,0), (0.6,0.8), organs 0, 0, 0, 1, conditions
	 * 0, 0, 1, 0. The similarities are s01 = 0, s02 = -1, s03 = 0.6, s12 = 0, s13 = 0.8,
	 * s23 = -0.6, and the denominators {@code D0 = 1 + e^-1 + e^0.6 = 3.1899982},
	 * {@code D1 = 2 + e^0.8 = 4.2255409}, {@code D2 = e^-1 + 1 + e^-0.6 = 1.9166911}.
	 * <ul>
	 * <li>(organ, condition): rows 0 and 1 share (0,0) and are each other's only positive; row 2
	 * (0,1) and row 3 (1,0) have none and are left out as anchors, but stay in the denominators. So
	 * {@code ℓ0 = log D0 - s01 = 1.1600204}, {@code ℓ1 = log D1 - s10 = 1.4411473},
	 * {@code L = (ℓ0 + ℓ1)/2 = 1.3005838}.</li>
	 * <li>Row 2's gradient comes from the denominators only:
	 * {@code ½ (e^s02/D0 · z0 + e^s12/D1 · z1) = (0.0576614, 0.1183280)}.</li>
	 * <li>Organs only (one condition): rows 0, 1, 2 are anchors with two positives each:
	 * {@code ℓ0 = log D0 - (0 - 1)/2}, {@code ℓ1 = log D1 - (0 + 0)/2},
	 * {@code ℓ2 = log D2 - (-1 + 0)/2 = 1.1506003}, {@code L = 1.4172560}.</li>
	 * <li>τ divides every logit: τ = 0.5 gives the value of τ = 1 on rows scaled by √2.</li>
	 * </ul>
	 */
	@Test
	void supConByHand() {
		final double d0 = 1 + Math.exp(-1) + Math.exp(0.6), d1 = 2 + Math.exp(0.8), d2 = Math.exp(-1) + 1 + Math.exp(-0.6);
		final double conditional = (Math.log(d0) + Math.log(d1)) / 2;
		final double organOnly = (Math.log(d0) + 0.5 + Math.log(d1) + Math.log(d2) + 0.5) / 3;
		assertEquals(1.3005838, conditional, 1e-7, "the worked value");
		assertEquals(1.4172560, organOnly, 1e-7, "the worked value");
		final int[] organs = { 0, 0, 0, 1 }, conditions = { 0, 0, 1, 0 };
		try (NDManager m = NDManager.newBaseManager()) {
			final float[] v = { 1, 0, 0, 1, -1, 0, 0.6f, 0.8f };
			final NDArray z = m.create(v, new Shape(4, 2));
			z.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final int[] labels = ConditionalContrastiveLoss.conditionLabels(organs, conditions);
				final NDArray loss = ConditionalContrastiveLoss.supCon(z, labels, 1);
				assertEquals(conditional, scalar(loss), 1e-6, "(organ, condition)");
				gc.backward(loss);
			}
			final float[] g2 = Arrays.copyOfRange(z.getGradient().toFloatArray(), 4, 6);
			assertArrayEquals(new float[] { (float) (0.5 * Math.exp(-1) / d0), (float) (0.5 / d1) }, g2, 1e-6f,
				"gradient of the positive-less row 2");
			final NDArray plain = m.create(v, new Shape(4, 2));
			assertEquals(organOnly, scalar(ConditionalContrastiveLoss.supCon(plain, organs, 1)), 1e-6, "organs only");
			final NDArray scaled = plain.mul((float) Math.sqrt(2));
			assertEquals(scalar(ConditionalContrastiveLoss.supCon(scaled, organs, 1)), scalar(ConditionalContrastiveLoss.supCon(plain,
				organs, 0.5)), 1e-5, "τ = 0.5");
		}
	}

	/**
	 * Hand: when every label is distinct no anchor has a positive, and the loss is 0 with a zero,
	 * finite gradient (the graph is kept, so the backward pass runs); likewise for a single row.
	 * Bad shapes and temperatures are refused.
	 */
	@Test
	void noAnchorWithAPositiveGivesZero() {
		try (NDManager m = NDManager.newBaseManager()) {
			for (final int s : new int[] { 3, 1 }) {
				final NDArray z = m.create(new float[] { 1, 0, 0, 1, 0.6f, 0.8f }).get("0:" + 2 * s).reshape(s, 2);
				z.setRequiresGradient(true);
				final int[] labels = s == 3 ? new int[] { 4, 0, 9 } : new int[] { 0 };
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray loss = ConditionalContrastiveLoss.supCon(z, labels);
					assertEquals(0, scalar(loss), 0, "S = " + s);
					gc.backward(loss);
				}
				for (final float g : z.getGradient().toFloatArray()) assertEquals(0, g, 0, "gradient at S = " + s);
			}
			final NDArray z = m.create(new float[] { 1, 0, 0, 1 }, new Shape(2, 2));
			assertThrows(IllegalArgumentException.class, () -> ConditionalContrastiveLoss.supCon(z, new int[] { 0, 0, 0 }));
			assertThrows(IllegalArgumentException.class, () -> ConditionalContrastiveLoss.supCon(z.reshape(4), new int[4]));
			assertThrows(IllegalArgumentException.class, () -> ConditionalContrastiveLoss.supCon(z, new int[] { 0, 0 }, 0));
		}
	}

	/**
	 * Oracle python3-torch (float64 from the same float32 unit rows, not normalised again): S = 32
	 * rows of F = 8 with organs 0-3 and conditions 0-1, 9 distinct pairs of which one, (organ 0,
	 * condition 2), is a single row; positives defined by the pairs themselves, the loss anchor by
	 * anchor. Here the labels come from {@link ConditionalContrastiveLoss#conditionLabels}; the loss
	 * and its gradient with respect to z at τ = 0.1 (through the default overload) and at τ = 0.5.
	 */
	@Test
	void matchesTorchAutograd() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			assertEquals(31, torch.summary().get("anchors").getAsInt(), "one row of 32 has no positive");
			final int[] labels = ConditionalContrastiveLoss.conditionLabels(ints(t.longs("organs")), ints(t.longs("conditions")));
			assertEquals(9, Arrays.stream(labels).max().getAsInt() + 1, "distinct pairs");
			for (final String suffix : new String[] { "", "_t05" }) {
				final NDArray z = t.get("z").duplicate();
				z.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray loss = suffix.isEmpty() ? ConditionalContrastiveLoss.supCon(z, labels)
						: ConditionalContrastiveLoss.supCon(z, labels, 0.5);
					final float expected = scalar(t.get("loss" + suffix));
					assertEquals(expected, scalar(loss), 2e-6 * expected, "loss" + suffix);
					gc.backward(loss);
				}
				final NDArray g = t.get("grad_z" + suffix);
				assertTrue(g.abs().max().getFloat() > 1e-2, "the oracle's gradient is not trivially zero");
				assertClose(g, z.getGradient(), 1e-7, 1e-5, "d loss" + suffix + " / d z");
			}
		}
	}

	/**
	 * The single-condition reduction: with one condition tag for every row (0, or any other value)
	 * the (organ, condition) labels give exactly the loss of the organ labels, on the oracle's rows;
	 * with the oracle's two conditions the loss differs.
	 */
	@Test
	void oneConditionIsOrganOnlySupCon() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray z = t.get("z");
			final int[] organs = ints(t.longs("organs"));
			final float organOnly = scalar(ConditionalContrastiveLoss.supCon(z, organs));
			for (final int tag : new int[] { 0, 7 }) {
				final int[] one = new int[organs.length];
				Arrays.fill(one, tag);
				final int[] labels = ConditionalContrastiveLoss.conditionLabels(organs, one);
				assertEquals(organOnly, scalar(ConditionalContrastiveLoss.supCon(z, labels)), 0, "condition " + tag);
			}
			final int[] pairs = ConditionalContrastiveLoss.conditionLabels(organs, ints(t.longs("conditions")));
			assertNotEquals(organOnly, scalar(ConditionalContrastiveLoss.supCon(z, pairs)), "two conditions");
		}
	}

	/**
	 * SSCL, the patch as label: on B = 12 pairs of views stacked as [view A; view B], the loss and
	 * the gradients with respect to both views equal
	 * <ul>
	 * <li>the oracle's (the anchor-by-anchor definition, which the script checks against Khosla et
	 * al.'s unsupervised code path), and</li>
	 * <li>vox2vec's symmetric InfoNCE ({@link DenseContrastiveLoss}), computed independently: each
	 * of its 2B rows is one anchor whose only positive is its twin, against the other 2B - 1
	 * rows.</li>
	 * </ul>
	 */
	@Test
	void ssclIsTheTwinOnlyCase() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray[] sscl = new NDArray[2], infoNce = new NDArray[2];
			float ssclLoss, infoNceLoss;
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				sscl[0] = t.get("e1").duplicate();
				sscl[1] = t.get("e2").duplicate();
				for (final NDArray e : sscl) e.setRequiresGradient(true);
				final NDArray rows = sscl[0].concat(sscl[1], 0);
				final NDArray loss = ConditionalContrastiveLoss.supCon(rows, ConditionalContrastiveLoss.twinLabels(12));
				ssclLoss = scalar(loss);
				gc.backward(loss);
			}
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				infoNce[0] = t.get("e1").duplicate();
				infoNce[1] = t.get("e2").duplicate();
				for (final NDArray e : infoNce) e.setRequiresGradient(true);
				final NDArray loss = DenseContrastiveLoss.infoNce(infoNce[0], infoNce[1], ConditionalContrastiveLoss.TEMPERATURE);
				infoNceLoss = scalar(loss);
				gc.backward(loss);
			}
			final float expected = scalar(t.get("sscl"));
			assertEquals(expected, ssclLoss, 2e-6 * expected, "SSCL against the oracle");
			assertEquals(infoNceLoss, ssclLoss, 2e-6 * expected, "SSCL against InfoNCE");
			for (int v = 0; v < 2; v++) {
				final String view = "e" + (v + 1);
				assertClose(t.get("grad_" + view), sscl[v].getGradient(), 1e-7, 1e-5, "d SSCL / d " + view + " against the oracle");
				assertClose(infoNce[v].getGradient(), sscl[v].getGradient(), 1e-7, 1e-5, "d SSCL / d " + view + " against InfoNCE");
			}
		}
	}

	/**
	 * The voxel-level SCL baseline weights each class's mean over its anchors by w_c; with
	 * w_c = (anchors of c) / (all anchors) that is the unweighted mean over anchors, so on unit rows
	 * (which it normalises again, changing nothing) it equals SupCon here. Worked by hand for the
	 * oracle's rows: 31 of the 32 rows are anchors, all rows of every class but the singleton, so
	 * w_c = |c| / 31, and 0 for the singleton.
	 */
	@Test
	void classWeightsByAnchorShareGiveTheVoxelBaseline() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray z = t.get("z");
			final int[] labels = ConditionalContrastiveLoss.conditionLabels(ints(t.longs("organs")), ints(t.longs("conditions")));
			final int k = Arrays.stream(labels).max().getAsInt() + 1;
			final double[] w = new double[k];
			final int[] size = new int[k];
			for (final int l : labels) size[l]++;
			for (int c = 0; c < k; c++) if (size[c] > 1) w[c] = size[c] / 31.0;
			final float voxel = scalar(VoxelRepresentationLoss.supervisedContrastive(z, labels, w,
				ConditionalContrastiveLoss.TEMPERATURE));
			final float patch = scalar(ConditionalContrastiveLoss.supCon(z, labels));
			assertEquals(patch, voxel, 2e-6 * patch);
		}
	}

	private static int[] ints(final long[] l) {
		return VoxelRepresentationLossTest.ints(l);
	}
}
