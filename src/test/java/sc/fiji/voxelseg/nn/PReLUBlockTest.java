package sc.fiji.voxelseg.nn;

import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

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

/** PReLU against values worked by hand and against python3-torch. */
class PReLUBlockTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "prelu");
	}

	/** Worked by hand: a new block's slope is 0.25, so -2 → -0.5, -1 → -0.25, 0 → 0, 3 → 3. */
	@Test
	void initialSlopeIsAQuarter() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.create(new float[] { -2, -1, 0, 3 }, new Shape(1, 1, 1, 1, 4));
			final PReLUBlock block = new PReLUBlock(1);
			block.initialize(m, DataType.FLOAT32, x.getShape());
			final NDArray y = block.forward(new ParameterStore(m, false), new NDList(x), false).head();
			assertClose(new float[] { -0.5f, -0.25f, 0, 3 }, y, 0, "PReLU(a = 0.25)");
		}
	}

	/** Worked by hand: slopes 0.25 and 0.5 for channels 0 and 1 of (-2, 4): (-0.5, 4) and (-1, 4). */
	@Test
	void perChannelSlopesFollowTheChannelAxis() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.create(new float[] { -2, 4, -2, 4 }, new Shape(1, 2, 1, 1, 2));
			final NDArray y = PReLUBlock.apply(x, m.create(new float[] { 0.25f, 0.5f }));
			assertClose(new float[] { -0.5f, 4, -1, 4 }, y, 0, "per-channel PReLU");
		}
	}

	/**
	 * Oracle python3-torch: F.prelu with one shared slope and with one slope per channel (one of them
	 * negative) on a (2,3,4,5,6) input.
	 */
	@Test
	void matchesTorch() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get("x");
			assertClose(t.get("y1"), PReLUBlock.apply(x, t.get("a1")), 1e-6, 1e-6, "one slope");
			assertClose(t.get("yc"), PReLUBlock.apply(x, t.get("ac")), 1e-6, 1e-6, "per-channel slopes");
		}
	}
}
