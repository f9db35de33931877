package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.nn.VoxelFeatureHeads;
import sc.fiji.voxelseg.testutil.TorchOracle;

/**
 * The Siamese and supervised-contrastive voxel losses and the class weights, against values worked
 * by hand, against their pair-by-pair definitions, and, together with the SimSiam heads, against
 * python3-torch autograd.
 */
class VoxelRepresentationLossTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "representation_oracle.py");
	}

	private static float scalar(final NDArray a) {
		assertEquals(new Shape(), a.getShape(), "a loss is a scalar");
		return a.toFloatArray()[0];
	}

	/** Hand: counts 3 and 1 of 4 give 4/3 and 4, normalised 1/4 and 3/4; absent classes get 0. */
	@Test
	void classWeightsSumToOneAndFollowInverseFrequency() {
		assertArrayEquals(new double[] { 0.25, 0.75 }, VoxelRepresentationLoss.classWeights(new long[] { 3, 1 }), 1e-12);
		assertArrayEquals(new double[] { 0.75, 0, 0.25 }, VoxelRepresentationLoss.classWeights(new long[] { 2, 0, 6 }), 1e-12);
		assertArrayEquals(new double[] { 0, 1, 0 }, VoxelRepresentationLoss.classWeights(new long[] { 0, 17, 0 }), 1e-12);
		final double[] w = VoxelRepresentationLoss.classWeights(new long[] { 900_000, 70_000, 25, 3 });
		double sum = 0;
		for (final double x : w) sum += x;
		assertEquals(1, sum, 1e-12);
		assertTrue(w[3] > w[2] && w[2] > w[1] && w[1] > w[0]);
	}

	/**
	 * Hand: class 0 has n(p) = (1,0), (0,1) and n(z) = (1,0), (0,1), mean pair product 1/2; class 1
	 * one pair with cosine -1; weights 1/4, 3/4: {@code -(0.25·0.5 + 0.75·(-1)) = 0.625}.
	 */
	@Test
	void siameseByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray p = m.create(new float[] { 1, 0, 0, 2, 1, 1 }, new Shape(3, 2));
			final NDArray z = m.create(new float[] { 3, 0, 0, 1, -1, -1 }, new Shape(3, 2));
			assertEquals(0.625, scalar(VoxelRepresentationLoss.siamese(p, z, new int[] { 0, 0, 1 }, new double[] { 0.25, 0.75 })), 1e-6);
			// a zero vector normalises to zero, as F.normalize does, instead of NaN
			final NDArray p0 = m.create(new float[] { 0, 0, 0, 2, 1, 1 }, new Shape(3, 2));
			assertEquals(-(0.25 * 0.25 - 0.75), scalar(VoxelRepresentationLoss.siamese(p0, z, new int[] { 0, 0, 1 }, new double[] { 0.25,
				0.75 })), 1e-6);
		}
	}

	/**
	 * Hand, τ = 1: z = (1,0), (1,0), (0,1), classes 0, 0, 1. Anchors 0 and 1 each have the other as
	 * positive, {@code ℓ = -log(e / (e + 1)) = log(1 + 1/e)}; the class-1 voxel has no positive and
	 * drops out. With weights 0.4, 0.6 the loss is {@code 0.4 log(1 + 1/e)}.
	 */
	@Test
	void supervisedContrastiveByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray z = m.create(new float[] { 2, 0, 0.5f, 0, 0, 3 }, new Shape(3, 2));
			assertEquals(0.4 * Math.log(1 + Math.exp(-1)), scalar(VoxelRepresentationLoss.supervisedContrastive(z, new int[] { 0, 0, 1 },
				new double[] { 0.4, 0.6 }, 1)), 1e-6);
			// no anchor with a positive: 0
			assertEquals(0, scalar(VoxelRepresentationLoss.supervisedContrastive(z, new int[] { 0, 1, 2 }, new double[] { 0.3, 0.3, 0.4 },
				0.1)), 0);
		}
	}

	/**
	 * The mean-vector form equals the mean over all same-class pairs (i = j included) of
	 * {@code n(p_i)·n(z_j)}, computed pair by pair in double precision, on random rows of 6
	 * classes (one of them absent, one a single voxel).
	 */
	@Test
	void meanVectorShortcutEqualsThePairwiseDefinition() {
		final Random r = new Random(3);
		final int s = 200, f = 7, k = 6;
		final float[] p = new float[s * f], z = new float[s * f];
		for (int i = 0; i < p.length; i++) {
			p[i] = (float) r.nextGaussian();
			z[i] = (float) (r.nextGaussian() + 0.5);
		}
		final int[] labels = new int[s];
		for (int i = 0; i < s; i++) labels[i] = i == 0 ? 5 : r.nextInt(4);
		final double[] w = { 0.1, 0.2, 0.3, 0.15, 0, 0.25 };
		double expected = 0;
		for (int c = 0; c < k; c++) {
			double sum = 0;
			long pairs = 0;
			for (int i = 0; i < s; i++) {
				if (labels[i] != c) continue;
				for (int j = 0; j < s; j++) {
					if (labels[j] != c) continue;
					double dot = 0, np = 0, nz = 0;
					for (int d = 0; d < f; d++) {
						dot += (double) p[i * f + d] * z[j * f + d];
						np += (double) p[i * f + d] * p[i * f + d];
						nz += (double) z[j * f + d] * z[j * f + d];
					}
					sum += dot / Math.sqrt(np * nz);
					pairs++;
				}
			}
			if (pairs > 0) expected -= w[c] * sum / pairs;
		}
		try (NDManager m = NDManager.newBaseManager()) {
			final float got = scalar(VoxelRepresentationLoss.siamese(m.create(p, new Shape(s, f)), m.create(z, new Shape(s, f)), labels,
				w));
			assertEquals(expected, got, 1e-5);
		}
	}

	/**
	 * Stop-gradient: with p from one input and z from another, the z input gets exactly zero
	 * gradient and the p input a non-zero one.
	 */
	@Test
	void theStopGradientBranchGetsNoGradient() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray a = m.randomNormal(new Shape(10, 4)), b = m.randomNormal(new Shape(10, 4));
			a.setRequiresGradient(true);
			b.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray p = a.mul(2).add(1), z = b.square().add(a.getManager().ones(new Shape(10, 4)));
				gc.backward(VoxelRepresentationLoss.siamese(p, z, new int[] { 0, 1, 0, 1, 1, 0, 2, 2, 0, 1 }, new double[] { 0.2, 0.3,
					0.5 }));
			}
			for (final float g : b.getGradient().toFloatArray()) assertEquals(0f, g, "gradient reaching the z branch");
			double norm = 0;
			for (final float g : a.getGradient().toFloatArray()) norm += g * g;
			assertTrue(norm > 1e-6, "the p branch gets a gradient");
		}
	}

	/**
	 * A voxel whose projection is the zero vector (batch normalisation of identical rows gives one)
	 * leaves both losses and their gradients finite: worked by hand, the zero row's normalised value
	 * is 0, it takes no part in any similarity, and its gradient is 0 (F.normalize would give it
	 * 1e12 times the upstream gradient).
	 */
	@Test
	void aZeroFeatureRowKeepsGradientsFinite() {
		try (NDManager m = NDManager.newBaseManager()) {
			final float[] v = { 0, 0, 0, 1, 2, 0, 2, 1, 1, -1, 0, 3 };
			final NDArray a = m.create(v, new Shape(4, 3));
			a.setRequiresGradient(true);
			final int[] labels = { 0, 0, 1, 1 };
			final double[] w = { 0.5, 0.5 };
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray loss = VoxelRepresentationLoss.supervisedContrastive(a, labels, w, 0.1)
					.add(VoxelRepresentationLoss.siamese(a, a, labels, w));
				assertTrue(Float.isFinite(scalar(loss)), "loss " + loss);
				gc.backward(loss);
			}
			final float[] g = a.getGradient().toFloatArray();
			for (final float x : g) assertTrue(Float.isFinite(x), "gradient " + java.util.Arrays.toString(g));
			// by hand: the zero row takes no part in any similarity, so nothing can move it
			assertArrayEquals(new float[] { 0, 0, 0 }, java.util.Arrays.copyOf(g, 3), "gradient of the zero row");
			final float[] n = VoxelRepresentationLoss.normalizeRows(a).toFloatArray();
			assertArrayEquals(new float[] { 0, 0, 0 }, java.util.Arrays.copyOf(n, 3), "the zero row stays zero");
			final float r5 = (float) (1 / Math.sqrt(5));
			assertArrayEquals(new float[] { r5, 2 * r5, 0 }, java.util.Arrays.copyOfRange(n, 3, 6), 1e-6f, "(1, 2, 0) / √5");
		}
	}

	/**
	 * Oracle python3-torch (float64): SimSiam heads C=5 → width 4 (BatchNorm1d in training mode,
	 * non-trivial affine values) on 15 voxels of 4 classes (one a single voxel), then the Siamese loss
	 * (pairwise definition, z detached) and SupCon (τ = 0.1, loop over anchors) with class weights
	 * from counts; z, p, both losses, the gradients with respect to the voxel features, and the
	 * Siamese loss's gradients with respect to all nine head parameters.
	 */
	@Test
	void headsAndLossesMatchTorchAutograd() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final int[] labels = ints(t.longs("labels"));
			final long[] counts = t.longs("counts");
			final double[] w = VoxelRepresentationLoss.classWeights(counts);
			assertClose(t.get("weights"), m.create(toFloats(w)), 1e-7, 1e-6, "class weights");
			for (final boolean predictor : new boolean[] { true, false }) {
				final VoxelFeatureHeads h = new VoxelFeatureHeads(5, 4, predictor);
				h.initialize(m, DataType.FLOAT32, new Shape(2, 5));
				final ai.djl.nn.ParameterList params = h.getParameters();
				assertEquals(predictor ? 9 : 4, params.size());
				for (int i = 0; i < params.size(); i++) TorchOracle.setParameter(params.get(i).getValue(), t.get("param" + i));
				final ParameterStore ps = new ParameterStore(m, false);
				final NDArray f = t.get("f").duplicate();
				f.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray z = h.project(ps, f, true);
					assertClose(t.get("z"), z, 1e-5, 1e-5, "z = proj(f)");
					final NDArray loss;
					if (predictor) {
						final NDArray p = h.predict(ps, z, true);
						assertClose(t.get("p"), p, 1e-5, 1e-5, "p = pred(z)");
						loss = VoxelRepresentationLoss.siamese(p, z, labels, w);
						assertEquals(scalar(t.get("siamese")), scalar(loss), 1e-6, "Siamese loss");
					}
					else {
						loss = VoxelRepresentationLoss.supervisedContrastive(z, labels, w, VoxelRepresentationLoss.TEMPERATURE);
						assertEquals(scalar(t.get("supcon")), scalar(loss), 1e-5, "SupCon loss");
					}
					gc.backward(loss);
				}
				final String name = predictor ? "siamese" : "supcon";
				assertClose(t.get("grad_f_" + name), f.getGradient(), 1e-6, 1e-4, "gradient of the " + name + " loss w.r.t. f");
				if (predictor) {
					for (int i = 0; i < params.size(); i++) {
						assertClose(t.get("grad_siamese_param" + i), params.get(i).getValue().getArray().getGradient(), 1e-6, 1e-4,
							"gradient w.r.t. " + params.get(i).getKey());
					}
				}
			}
		}
	}

	static int[] ints(final long[] l) {
		final int[] a = new int[l.length];
		for (int i = 0; i < l.length; i++) a[i] = (int) l[i];
		return a;
	}

	private static float[] toFloats(final double[] d) {
		final float[] f = new float[d.length];
		for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
		return f;
	}
}
