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
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** Batch normalisation against values worked by hand and against python3-torch. */
class BatchNorm3dBlockTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "batchnorm");
	}

	/**
	 * Worked by hand: one channel holding 1 and 3 (two volumes of one voxel) has batch mean 2, biased
	 * variance 1 (used to normalise: ∓1/√(1 + 1e-5)) and unbiased variance 2 (used for the running
	 * statistics). From the initial running mean 0 and variance 1, one training step with PyTorch's
	 * momentum 0.1 gives 0.9·0 + 0.1·2 = 0.2 and 0.9·1 + 0.1·2 = 1.1. Inference then uses those:
	 * (x - 0.2)/√(1.1 + 1e-5).
	 */
	@Test
	void oneTrainingStepByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.create(new float[] { 1, 3 }, new Shape(2, 1, 1, 1, 1));
			final BatchNorm3dBlock bn = new BatchNorm3dBlock(1);
			bn.initialize(m, DataType.FLOAT32, x.getShape());
			final ParameterStore ps = new ParameterStore(m, false);
			final float u = (float) (1 / Math.sqrt(1 + 1e-5));
			assertClose(new float[] { -u, u }, bn.forward(ps, new NDList(x), true).head(), 1e-6, "batch statistics");
			final ParameterList p = bn.getParameters();
			assertClose(new float[] { 0.2f }, p.get("running_mean").getArray(), 1e-7, "running mean");
			assertClose(new float[] { 1.1f }, p.get("running_var").getArray(), 1e-6, "running variance");
			final double s = Math.sqrt(1.1 + 1e-5);
			assertClose(new float[] { (float) (0.8 / s), (float) (2.8 / s) }, bn.forward(ps, new NDList(x), false).head(), 1e-6,
				"running statistics");
			// inference leaves the running statistics alone
			assertClose(new float[] { 0.2f }, p.get("running_mean").getArray(), 1e-7, "running mean after inference");
		}
	}

	/**
	 * Oracle python3-torch: nn.BatchNorm3d(3, momentum=0.1) with random weight, bias and running
	 * statistics; one training step on (2,3,4,5,6) (output and updated running mean and variance), then
	 * inference on another input.
	 */
	@Test
	void trainingAndInferenceMatchTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get("x");
			final BatchNorm3dBlock bn = new BatchNorm3dBlock(3);
			bn.initialize(m, DataType.FLOAT32, x.getShape());
			final ParameterList p = bn.getParameters();
			for (final String n : new String[] { "weight", "bias", "running_mean", "running_var" }) setParameter(p.get(n), t.get(
				"before_" + n));
			final ParameterStore ps = new ParameterStore(m, false);
			assertClose(t.get("y_train"), bn.forward(ps, new NDList(x), true).head(), 1e-5, 1e-5, "training output");
			assertClose(t.get("after_running_mean"), p.get("running_mean").getArray(), 1e-6, 1e-6, "running mean");
			assertClose(t.get("after_running_var"), p.get("running_var").getArray(), 1e-6, 1e-6, "running variance");
			assertClose(t.get("y_eval"), bn.forward(ps, new NDList(t.get("x_eval")), false).head(), 1e-5, 1e-5, "inference output");
		}
	}
}
