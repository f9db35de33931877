package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import sc.fiji.voxelseg.testutil.TorchOracle;

/** The 2×2×2 stride-2 transposed convolution against values worked by hand and against python3-torch. */
class ConvTranspose3dBlockTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "convtranspose");
	}

	private static ConvTranspose3dBlock block(final NDManager m, final NDArray w, final NDArray b, final Shape input) {
		final ConvTranspose3dBlock block = new ConvTranspose3dBlock((int) w.getShape().get(0), (int) w.getShape().get(1));
		block.initialize(m, DataType.FLOAT32, input);
		setParameter(block.getParameters().get("weight"), w);
		setParameter(block.getParameters().get("bias"), b);
		return block;
	}

	/**
	 * Worked by hand: one input voxel x with one channel in and out becomes the 2×2×2 block x·W + b,
	 * in W's own (a, b, c) order.
	 */
	@Test
	void singleVoxelIsScaledKernelPlusBias() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray w = m.create(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new Shape(1, 1, 2, 2, 2));
			final NDArray b = m.create(new float[] { 0.5f });
			final NDArray x = m.create(new float[] { 2 }, new Shape(1, 1, 1, 1, 1));
			final NDArray y = block(m, w, b, x.getShape()).forward(new ParameterStore(m, false), new NDList(x), false).head();
			assertClose(new float[] { 2.5f, 4.5f, 6.5f, 8.5f, 10.5f, 12.5f, 14.5f, 16.5f }, y, 0, "2·W + 0.5");
		}
	}

	/**
	 * Worked by hand: two voxels along x, values 1 and 10, no bias. Output row (a, b) holds
	 * {@code W[a,b,0], W[a,b,1]} for the first voxel, then ten times them for the second: the blocks
	 * tile without overlap and keep the axis order.
	 */
	@Test
	void neighbouringVoxelsFillNeighbouringBlocks() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray w = m.create(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new Shape(1, 1, 2, 2, 2));
			final NDArray x = m.create(new float[] { 1, 10 }, new Shape(1, 1, 1, 1, 2));
			final NDArray y = ConvTranspose3dBlock.apply(x, w, null);
			assertClose(new float[] { 1, 2, 10, 20, 3, 4, 30, 40, 5, 6, 50, 60, 7, 8, 70, 80 }, y, 0, "x ⊗ W");
			assertArrayEquals(new long[] { 1, 1, 2, 2, 4 }, y.getShape().getShape());
		}
	}

	/** Oracle python3-torch: F.conv_transpose3d(x, w, b, stride=2) on (2,3,3,4,5) with w (3,4,2,2,2). */
	@Test
	void forwardMatchesTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get("x");
			final ConvTranspose3dBlock block = block(m, t.get("w"), t.get("b"), x.getShape());
			final NDArray y = block.forward(new ParameterStore(m, false), new NDList(x), false).head();
			assertClose(t.get("y"), y, 1e-5, 1e-5, "block forward");
			assertClose(t.get("y"), ConvTranspose3dBlock.apply(x, t.get("w"), t.get("b")), 1e-5, 1e-5, "apply");
			assertArrayEquals(y.getShape().getShape(), block.getOutputShapes(new Shape[] { x.getShape() })[0].getShape());
		}
	}

	/**
	 * Oracle python3-torch autograd: gradients of sum(y · r) with respect to the input, the weight and
	 * the bias, through the block's training forward.
	 */
	@Test
	void backwardMatchesTorchAutograd() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get("x");
			final ConvTranspose3dBlock block = block(m, t.get("w"), t.get("b"), x.getShape());
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				x.setRequiresGradient(true);
				final NDArray y = block.forward(new ParameterStore(m, false), new NDList(x), true).head();
				gc.backward(y.mul(t.get("r")).sum());
			}
			assertClose(t.get("grad_x"), x.getGradient(), 1e-4, 1e-5, "d/dx");
			assertClose(t.get("grad_w"), block.getParameters().get("weight").getArray().getGradient(), 1e-4, 1e-5, "d/dW");
			assertClose(t.get("grad_b"), block.getParameters().get("bias").getArray().getGradient(), 1e-4, 1e-5, "d/db");
		}
	}
}
