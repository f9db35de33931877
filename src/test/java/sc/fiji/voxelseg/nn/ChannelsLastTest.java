package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

/**
 * The channels-last layout the networks use on the CPU (channels-last weights for the k > 1
 * convolutions, 1×1×1 and transposed convolutions as matrix products, and in training the U-Net
 * decoder's first convolution taking the skip and upsampled maps without concatenating them)
 * against the plain NCDHW path, which concatenates and which {@link SegmentationNetworkTest} and
 * {@link ConvTranspose3dBlockTest} check against python3-torch: the same logits, hidden maps and
 * gradients of every parameter, up to float rounding. The forward maps of the channels-last path
 * are also checked against python3-torch there, since it is the default on the CPU.
 */
class ChannelsLastTest {

	private static final String KEY = "voxelseg.channelsLast";

	@AfterEach
	void restore() {
		System.clearProperty(KEY);
	}

	@Test
	void onByDefaultOnTheCpuAndSwitchable() {
		assertTrue(TorchEngine.channelsLast(Device.cpu()));
		assertFalse(TorchEngine.channelsLast(Device.gpu(0)), "cuDNN chooses its own layout");
		System.setProperty(KEY, "false");
		assertFalse(TorchEngine.channelsLast(Device.cpu()));
	}

	@Test
	void unetLayoutsAgree() {
		assertLayoutsAgree(new NetworkConfig(Architecture.UNET, 1, 4, 3, 4, 3, Norm.BATCH), new Shape(2, 1, 8, 12, 16));
	}

	@Test
	void vnetLayoutsAgree() {
		assertLayoutsAgree(new NetworkConfig(Architecture.VNET, 2, 3, 3, 4, 3, Norm.INSTANCE), new Shape(1, 2, 8, 8, 12));
	}

	/** Forward in training mode and the gradient of a weighted sum of every output, both layouts. */
	private static void assertLayoutsAgree(final NetworkConfig c, final Shape in) {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			TorchEngine.seed(7);
			final NDArray x = m.randomNormal(in);
			final SegmentationNetwork net = c.build();
			net.initialize(m, DataType.FLOAT32, in);
			final List<NDArray> initial = new ArrayList<>();
			for (final Pair<String, Parameter> p : net.getParameters()) initial.add(p.getValue().getArray().duplicate());
			final Run plain = run(net, initial, x, m, false), last = run(net, initial, x, m, true);
			assertEquals(plain.outputs.size(), last.outputs.size());
			for (int i = 0; i < plain.outputs.size(); i++) {
				assertEquals(plain.outputs.get(i).getShape(), last.outputs.get(i).getShape(), "output " + i);
				assertClose(plain.outputs.get(i), last.outputs.get(i), 1e-4, 1e-4, c.architecture() + " output " + i);
			}
			for (int i = 0; i < plain.grads.size(); i++) {
				// sums over every voxel of batch-normalised maps: the two layouts add in other orders
				assertClose(plain.grads.get(i), last.grads.get(i), 1e-3, 1e-3, c.architecture() + " gradient of " + net.getParameters()
					.get(i).getKey());
			}
		}
	}

	private record Run(List<NDArray> outputs, List<NDArray> grads) {}

	private static Run run(final SegmentationNetwork net, final List<NDArray> initial, final NDArray x, final NDManager m,
		final boolean channelsLast) {
		System.setProperty(KEY, Boolean.toString(channelsLast));
		final ParameterList params = net.getParameters();
		for (int i = 0; i < params.size(); i++) {
			final NDArray a = params.get(i).getValue().getArray();
			a.set(initial.get(i).toFloatArray());
			if (a.hasGradient()) JniUtils.zeroGrad((PtNDArray) a);
		}
		final List<NDArray> outputs = new ArrayList<>(), grads = new ArrayList<>();
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			final NDList out = net.forward(new ParameterStore(m, false), new NDList(x), true);
			NDArray loss = null;
			for (int i = 0; i < out.size(); i++) {
				final NDArray o = out.get(i);
				// weights that differ per voxel and channel, so that every position's gradient counts
				final NDArray w = m.arange((float) o.size()).reshape(o.getShape()).sin();
				final NDArray term = o.mul(w).sum();
				loss = loss == null ? term : loss.add(term);
				outputs.add(o.duplicate());
			}
			gc.backward(loss);
		}
		for (final Pair<String, Parameter> p : params) {
			final NDArray a = p.getValue().getArray();
			grads.add(a.hasGradient() ? a.getGradient().duplicate() : m.zeros(new Shape(0)));
		}
		return new Run(outputs, grads);
	}
}
