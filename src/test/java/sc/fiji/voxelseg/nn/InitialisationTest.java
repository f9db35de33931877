package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParameterList;

/** The values blocks start from, against values worked by hand. */
class InitialisationTest {

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
		TorchEngine.seed(11);
	}

	/** The standard deviation about 0 of an array's elements, √(mean of squares). */
	private static double sigma(final NDArray a) {
		return Math.sqrt(meanSquare(a));
	}

	private static double meanSquare(final NDArray a) {
		return a.square().mean().getFloat();
	}

	/**
	 * Worked by hand, He's normal initialisation σ = √(2 / fan-in): a 3³ convolution 16 → 8 has fan-in
	 * 16·27, so σ = 0.0680; its bias starts at 0. The sample of 3456 weights estimates σ within a few
	 * per cent.
	 */
	@Test
	void convolutionWeightsHaveHeScale() {
		try (NDManager m = NDManager.newBaseManager()) {
			final Conv3dBlock conv = Conv3dBlock.same(16, 8, 3, true);
			conv.initialize(m, DataType.FLOAT32, new Shape(1, 16, 4, 4, 4));
			final ParameterList p = conv.getParameters();
			assertEquals(Math.sqrt(2.0 / (16 * 27)), sigma(p.get("weight").getArray()), 0.05 * Math.sqrt(2.0 / (16 * 27)));
			assertClose(new float[8], p.get("bias").getArray(), 0, "bias");
		}
	}

	/**
	 * Worked by hand: each output voxel of the 2×2×2 stride-2 transposed convolution sums
	 * {@code in} products (one kernel element per input channel), so He's σ is √(2 / in): 0.177 for
	 * 64 → 32 channels; the bias starts at 0.
	 */
	@Test
	void transposedConvolutionWeightsHaveHeScaleForTheirFanIn() {
		try (NDManager m = NDManager.newBaseManager()) {
			final ConvTranspose3dBlock up = new ConvTranspose3dBlock(64, 32);
			up.initialize(m, DataType.FLOAT32, new Shape(1, 64, 2, 2, 2));
			final ParameterList p = up.getParameters();
			assertEquals(Math.sqrt(2.0 / 64), sigma(p.get("weight").getArray()), 0.05 * Math.sqrt(2.0 / 64));
			assertClose(new float[32], p.get("bias").getArray(), 0, "bias");
		}
	}

	/**
	 * Worked by hand (PyTorch's defaults): PReLU slopes 0.25; batch norm γ 1, β 0, running mean 0 and
	 * variance 1; affine instance norm γ 1, β 0.
	 */
	@Test
	void normalisationAndActivationDefaults() {
		try (NDManager m = NDManager.newBaseManager()) {
			final Shape x = new Shape(1, 3, 2, 2, 2);
			final PReLUBlock prelu = new PReLUBlock(3);
			prelu.initialize(m, DataType.FLOAT32, x);
			assertClose(new float[] { 0.25f, 0.25f, 0.25f }, prelu.getParameters().get("weight").getArray(), 0, "slopes");

			final BatchNorm3dBlock bn = new BatchNorm3dBlock(3);
			bn.initialize(m, DataType.FLOAT32, x);
			final ParameterList b = bn.getParameters();
			assertClose(new float[] { 1, 1, 1 }, b.get("weight").getArray(), 0, "batch norm γ");
			assertClose(new float[3], b.get("bias").getArray(), 0, "batch norm β");
			assertClose(new float[3], b.get("running_mean").getArray(), 0, "running mean");
			assertClose(new float[] { 1, 1, 1 }, b.get("running_var").getArray(), 0, "running variance");

			final InstanceNorm3dBlock in = new InstanceNorm3dBlock(3, true);
			in.initialize(m, DataType.FLOAT32, x);
			assertClose(new float[] { 1, 1, 1 }, in.getParameters().get("weight").getArray(), 0, "instance norm γ");
			assertClose(new float[3], in.getParameters().get("bias").getArray(), 0, "instance norm β");
		}
	}
}
