package sc.fiji.voxelseg.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import sc.fiji.voxelseg.nn.TorchEngine;

/** The semi-supervised loss terms of seed 003 against values worked by hand on tiny arrays. */
class SemiSupervisedLossTest {

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	private static float scalar(final NDArray a) {
		assertEquals(new Shape(), a.getShape(), "a loss is a scalar");
		return a.toFloatArray()[0];
	}

	/**
	 * Hand: 1 volume, K = 3, 4 voxels with teacher probabilities (0.8, 0.1, 0.1) → class 0 kept,
	 * (0.2, 0.75, 0.05) → class 1 kept, (0.4, 0.3, 0.3) → ignored, (0.15, 0.15, 0.7) → exactly t,
	 * not above it, ignored.
	 */
	@Test
	void pseudoLabelsKeepOnlyConfidentVoxels() {
		try (NDManager m = NDManager.newBaseManager()) {
			final float[] p = { 0.8f, 0.2f, 0.4f, 0.15f, 0.1f, 0.75f, 0.3f, 0.15f, 0.1f, 0.05f, 0.3f, 0.7f };
			final NDArray probs = m.create(p, new Shape(1, 3, 1, 2, 2));
			final byte[] l = SemiSupervisedLoss.pseudoLabels(probs, 0.7);
			assertArrayEquals(new byte[] { 0, 1, (byte) 255, (byte) 255 }, l);
			// a lower threshold keeps the third and fourth voxels
			assertArrayEquals(new byte[] { 0, 1, 0, 2 }, SemiSupervisedLoss.pseudoLabels(probs, 0.3));
		}
	}

	/**
	 * Hand: K = 2, two voxels. Student logits (0, ln 3) give softmax (1/4, 3/4), the teacher says
	 * (1/2, 1/2): squared differences 1/16 twice; the second voxel agrees (logits (0, 0) against
	 * (1/2, 1/2)): 0 twice. Mean over the 4 elements: 1/32. The teacher gets no gradient.
	 */
	@Test
	void consistencyIsTheMeanSquaredSoftmaxDifference() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray s = m.create(new float[] { 0, 0, (float) Math.log(3), 0 }, new Shape(1, 2, 1, 1, 2));
			final NDArray t = m.create(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }, new Shape(1, 2, 1, 1, 2));
			s.setRequiresGradient(true);
			t.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray l = SemiSupervisedLoss.consistency(s, t);
				assertEquals(1 / 32.0, scalar(l), 1e-7);
				gc.backward(l);
			}
			assertArrayEquals(new float[4], t.getGradient().toFloatArray(), "the teacher's output is a constant target");
			// layout (class, voxel): s = [c0v0, c0v1, c1v0, c1v1]. For voxel 0, dL/dp = 2(p - q)/4 = (-1/8, 1/8);
			// through the softmax Jacobian (dp0/ds0 = p0 p1 = 3/16, dp1/ds0 = -3/16):
			// dL/ds0 = -1/8·3/16 - 1/8·3/16 = -3/64 and dL/ds1 = +3/64; voxel 1 agrees: 0
			final float[] g = s.getGradient().toFloatArray();
			assertEquals(-3 / 64.0, g[0], 1e-7);
			assertEquals(0, g[1], 1e-7);
			assertEquals(3 / 64.0, g[2], 1e-7);
			assertEquals(0, g[3], 1e-7);
		}
	}

	/** Hand: γ0 = 0.001, t_max = 100: γ(0) = 0.001·e^-5, γ(50) = 0.001·e^-1.25, γ(t ≥ 100) = 0.001. */
	@Test
	void rampUpIsGaussian() {
		assertEquals(0.001 * Math.exp(-5), SemiSupervisedLoss.rampUp(0, 100, 0.001), 1e-15);
		assertEquals(2.865047968601901e-4, SemiSupervisedLoss.rampUp(50, 100, 0.001), 1e-15);
		assertEquals(0.001 * Math.exp(-5 * 0.01), SemiSupervisedLoss.rampUp(90, 100, 0.001), 1e-15);
		assertEquals(0.001, SemiSupervisedLoss.rampUp(100, 100, 0.001));
		assertEquals(0.001, SemiSupervisedLoss.rampUp(5000, 100, 0.001));
		assertEquals(0.5, SemiSupervisedLoss.rampUp(3, 0, 0.5), "no ramp without t_max");
	}

	/**
	 * Hand: real logits (0, ln 3) have D = (1/2, 3/4), fake logit ln 3 has D = 3/4:
	 * L_adv = (ln 1/2 + ln 3/4)/2 + ln(1/4) = -1.8767090; the discriminator minimises -L_adv; the
	 * generator minimises -ln(3/4) = 0.2876821 and its gradient for the fake logit is
	 * -(1 - σ) = -1/4.
	 */
	@Test
	void adversarialTerms() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray real = m.create(new float[] { 0, (float) Math.log(3) });
			final NDArray fake = m.create(new float[] { (float) Math.log(3) });
			final double lAdv = (Math.log(0.5) + Math.log(0.75)) / 2 + Math.log(0.25);
			assertEquals(-1.8767090, lAdv, 1e-7);
			assertEquals(lAdv, scalar(SemiSupervisedLoss.adversarial(real, fake)), 1e-6);
			assertEquals(-lAdv, scalar(SemiSupervisedLoss.discriminator(real, fake)), 1e-6);
			fake.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray g = SemiSupervisedLoss.generator(fake);
				assertEquals(-Math.log(0.75), scalar(g), 1e-6);
				gc.backward(g);
			}
			assertEquals(-0.25, fake.getGradient().toFloatArray()[0], 1e-6);
			// a side without rows adds nothing; extreme logits stay finite
			assertEquals(Math.log(2), scalar(SemiSupervisedLoss.discriminator(m.create(new float[] { 0 }), m.create(new float[0]))), 1e-6);
			assertEquals(200, scalar(SemiSupervisedLoss.discriminator(m.create(new float[] { -200 }), m.create(new float[] { -200 }))), 1e-3);
		}
	}

	/**
	 * Hand: rows p = (3,4), (1,0), (0,5) normalise to (.6,.8), (1,0), (0,1); z = (0,2), (1,0), (0,1)
	 * to (0,1), (1,0), (0,1); classes 0, 0, 1. Class 0's pairs: ||(.6,.8)-(0,1)||² = 0.4,
	 * ||(.6,.8)-(1,0)||² = 0.8, ||(1,0)-(0,1)||² = 2, ||(1,0)-(1,0)||² = 0: mean 0.8. Class 1: 0.
	 * With w = (1/4, 3/4): 0.2. z gets no gradient.
	 */
	@Test
	void byolFeatureLossOverSameClassPairs() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray p = m.create(new float[] { 3, 4, 1, 0, 0, 5 }, new Shape(3, 2));
			final NDArray z = m.create(new float[] { 0, 2, 1, 0, 0, 1 }, new Shape(3, 2));
			p.setRequiresGradient(true);
			z.setRequiresGradient(true);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray l = SemiSupervisedLoss.byol(p, z, new int[] { 0, 0, 1 }, new double[] { 0.25, 0.75 });
				assertEquals(0.2, scalar(l), 1e-6);
				gc.backward(l);
			}
			assertArrayEquals(new float[6], z.getGradient().toFloatArray(), "the teacher's projection is a constant target");
			// unit rows: the loss is 2 - 2 n(p)·mean n(z) per class; row 2's n(p) equals its class's target, so
			// its gradient is 0; row 1 (1,0): d/dp of -2·(1/4)·(1/2)·n(p)·(0.5,1)... nonzero
			final float[] g = p.getGradient().toFloatArray();
			assertEquals(0, g[4], 1e-6);
			assertEquals(0, g[5], 1e-6);
		}
	}
}
