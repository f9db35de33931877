package sc.fiji.voxelseg.nn;

import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;
import static sc.fiji.voxelseg.testutil.TorchOracle.setParameter;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** Instance normalisation against values worked by hand and against python3-torch. */
class InstanceNorm3dBlockTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "instancenorm");
	}

	/**
	 * Worked by hand: the values 1 and 3 have mean 2 and biased variance 1, so they become
	 * ∓1/√(1 + 1e-5) = ∓0.999995; with γ = 2, β = 1 that is 1 ∓ 1.99999.
	 */
	@Test
	void twoValuesBecomeMinusAndPlusOne() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.create(new float[] { 1, 3 }, new Shape(1, 1, 1, 1, 2));
			final float u = (float) (1 / Math.sqrt(1 + 1e-5));
			assertClose(new float[] { -u, u }, InstanceNorm3dBlock.apply(x, null, null), 1e-7, "plain");
			assertClose(new float[] { 1 - 2 * u, 1 + 2 * u }, InstanceNorm3dBlock.apply(x, m.create(new float[] { 2 }), m.create(
				new float[] { 1 })), 1e-6, "γ = 2, β = 1");
		}
	}

	/**
	 * Oracle python3-torch: F.instance_norm(x, eps=1e-5) and with weight and bias, on a (2,3,4,5,6)
	 * input whose samples and channels have their own offsets and scales; the block with affine
	 * parameters starts as the plain normalisation (γ = 1, β = 0).
	 */
	@Test
	void matchesTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get("x");
			assertClose(t.get("y"), InstanceNorm3dBlock.apply(x, null, null), 1e-5, 1e-5, "no affine");
			assertClose(t.get("y_affine"), InstanceNorm3dBlock.apply(x, t.get("g"), t.get("b")), 1e-5, 1e-5, "affine");

			final ParameterStore ps = new ParameterStore(m, false);
			final InstanceNorm3dBlock plain = new InstanceNorm3dBlock(3, false);
			plain.initialize(m, DataType.FLOAT32, x.getShape());
			assertClose(t.get("y"), plain.forward(ps, new NDList(x), false).head(), 1e-5, 1e-5, "block without affine");

			final InstanceNorm3dBlock affine = new InstanceNorm3dBlock(3, true);
			affine.initialize(m, DataType.FLOAT32, x.getShape());
			assertClose(t.get("y"), affine.forward(ps, new NDList(x), true).head(), 1e-5, 1e-5, "new affine block");
			setParameter(affine.getParameters().get("weight"), t.get("g"));
			setParameter(affine.getParameters().get("bias"), t.get("b"));
			assertClose(t.get("y_affine"), affine.forward(ps, new NDList(x), false).head(), 1e-5, 1e-5, "affine block");
		}
	}
}
