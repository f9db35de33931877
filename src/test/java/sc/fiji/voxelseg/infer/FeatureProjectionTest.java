package sc.fiji.voxelseg.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Principal axes, projections and the labeled-unlabeled gap against values worked by hand. */
class FeatureProjectionTest {

	/** [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, 1)/√2 and (1, -1)/√2. */
	@Test
	void principalAxesOfAWorkedMatrix() {
		final double[][] a = { { 2, 1 }, { 1, 2 } };
		final double[] e1 = FeatureProjection.principal(a, null, 3), e2 = FeatureProjection.principal(a, e1, 4);
		final double s = Math.sqrt(0.5);
		assertEquals(s, Math.abs(e1[0]), 1e-9);
		assertEquals(e1[0], e1[1], 1e-9);
		assertEquals(s, Math.abs(e2[0]), 1e-9);
		assertEquals(-e2[0], e2[1], 1e-9);
	}

	/** diag(1, 5, 2): axes y then z. */
	@Test
	void principalAxesOfADiagonalMatrix() {
		final double[][] a = { { 1, 0, 0 }, { 0, 5, 0 }, { 0, 0, 2 } };
		final double[] e1 = FeatureProjection.principal(a, null, 1), e2 = FeatureProjection.principal(a, e1, 2);
		assertEquals(1, Math.abs(e1[1]), 1e-9);
		assertEquals(1, Math.abs(e2[2]), 1e-9);
	}

	/**
	 * Hand: class 1 has rows (0, 0), (2, 0) labeled and (4, 0), (6, 0) unlabeled: means (1, 0) and
	 * (5, 0), per-channel sample variances (2, 0) on both sides, so the gap is √(16 / 2) = 2√2;
	 * class 2 has identical rows on both sides (gap 0); class 0 is absent from one side (NaN).
	 */
	@Test
	void domainGapByHand() {
		final FeatureProjection.Sample a = new FeatureProjection.Sample(new double[][] { { 0, 0 }, { 2, 0 }, { 1, 1 }, { 3, 1 }, { 9, 9 } },
			new int[] { 1, 1, 2, 2, 0 });
		final FeatureProjection.Sample b = new FeatureProjection.Sample(new double[][] { { 4, 0 }, { 6, 0 }, { 1, 1 }, { 3, 1 } }, new int[] {
			1, 1, 2, 2 });
		final double[] g = FeatureProjection.gap(a, b, 3);
		assertTrue(Double.isNaN(g[0]));
		assertEquals(2 * Math.sqrt(2), g[1], 1e-12);
		assertEquals(0, g[2], 1e-12);
	}

	/**
	 * Hand: points on the line y = 2x project onto the first axis with their centred distance along
	 * it (sign free), the second axis explains nothing, and classes and domains come through.
	 */
	@Test
	void projectionOfPointsOnALine() {
		final double[][] rows = { { -1, -2 }, { 0, 0 }, { 1, 2 }, { 2, 4 } };
		final FeatureProjection.Points p = FeatureProjection.pca(rows, new int[] { 0, 1, 1, 2 }, new int[] { 0, 0, 1, 1 }, 7);
		final double r5 = Math.sqrt(5), sign = Math.signum(p.pc1()[3]);
		final double[] want = { -1.5 * r5, -0.5 * r5, 0.5 * r5, 1.5 * r5 };
		for (int i = 0; i < 4; i++) {
			assertEquals(want[i], sign * p.pc1()[i], 1e-9);
			assertEquals(0, p.pc2()[i], 1e-9);
		}
		assertEquals(1, p.explained()[0], 1e-9);
		assertArrayEquals(new int[] { 0, 1, 1, 2 }, p.classes());
		assertArrayEquals(new int[] { 0, 0, 1, 1 }, p.domains());
		assertArrayEquals(new double[][] { { -1, -2 }, { 0, 0 }, { 1, 2 }, { 2, 4 } }, rows, "the rows are left as they are");
	}
}
