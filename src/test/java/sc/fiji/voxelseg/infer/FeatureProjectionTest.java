package sc.fiji.voxelseg.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Principal axes by power iteration against eigenvectors worked by hand. */
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
}
