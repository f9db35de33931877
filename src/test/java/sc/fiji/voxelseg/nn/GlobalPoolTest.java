package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import sc.fiji.voxelseg.testutil.TorchOracle;

/** Global average pooling against values worked by hand and against python3-torch autograd. */
class GlobalPoolTest {

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		torch = TorchOracle.run(tmp, "nn_blocks_oracle.py", "globalpool");
	}

	/**
	 * Hand: x of shape (2, 2, 2, 1, 2) holding 0 to 15 in order; each (sample, channel) is 4
	 * consecutive values, whose means are 1.5, 5.5, 9.5, 13.5. The gradient of {@code sum(y · r)}
	 * is r/4 at each of the 4 voxels of a channel. Anything but a non-empty 5-d map is refused.
	 */
	@Test
	void averagesEachChannelByHand() {
		try (NDManager m = NDManager.newBaseManager()) {
			final NDArray x = m.arange(16f).reshape(2, 2, 2, 1, 2);
			x.setRequiresGradient(true);
			final NDArray r = m.create(new float[] { 1, -2, 4, 8 }, new Shape(2, 2));
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray y = GlobalPool.average(x);
				assertClose(new float[] { 1.5f, 5.5f, 9.5f, 13.5f }, y, 1e-6, "means");
				assertEquals(new Shape(2, 2), y.getShape());
				gc.backward(y.mul(r).sum());
			}
			final float[] g = new float[16];
			for (int i = 0; i < 16; i++) g[i] = new float[] { 0.25f, -0.5f, 1, 2 }[i / 4];
			assertClose(g, x.getGradient(), 1e-7, "gradient");
			assertThrows(IllegalArgumentException.class, () -> GlobalPool.average(m.zeros(new Shape(2, 3, 4, 5))));
			assertThrows(IllegalArgumentException.class, () -> GlobalPool.average(m.zeros(new Shape(2, 3, 0, 5, 1))));
		}
	}

	/**
	 * Oracle python3-torch: {@code F.adaptive_avg_pool3d(x, 1).flatten(1)} and the gradient of
	 * {@code sum(y · r)} for a (2,3,4,5,6) map with per-channel offsets and a (1,4,3,1,7) map with
	 * unit and odd axes.
	 */
	@Test
	void matchesTorchAdaptiveAveragePooling() throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			for (final String name : new String[] { "a", "b" }) {
				final NDArray x = t.get(name + ".x").duplicate();
				x.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray y = GlobalPool.average(x);
					assertClose(t.get(name + ".y"), y, 1e-6, 1e-6, name + ": y");
					gc.backward(y.mul(t.get(name + ".r")).sum());
				}
				assertClose(t.get(name + ".grad_x"), x.getGradient(), 1e-7, 1e-6, name + ": gradient");
			}
		}
	}
}
