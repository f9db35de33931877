package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

/**
 * {@link Conv3dBlock#forwardPair}, the convolution of a channel concatenation computed as two
 * convolutions added, against its definition: the same block applied to {@code torch.cat((a, b), 1)}
 * formed explicitly. Outputs and the gradients of both inputs, the weight and the bias agree, in
 * both layouts, for a 3×3×3 and a 1×1×1 kernel.
 */
class Conv3dBlockPairTest {

	private static final String KEY = "voxelseg.channelsLast";

	@AfterEach
	void restore() {
		System.clearProperty(KEY);
	}

	@Test
	void pairEqualsTheConvolutionOfTheConcatenation() {
		for (final boolean last : new boolean[] { true, false }) {
			for (final int k : new int[] { 3, 1 }) {
				System.setProperty(KEY, Boolean.toString(last));
				assertPairAgrees(k, last);
			}
		}
	}

	@Test
	void channelsThatDoNotAddUpAreRefused() {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			final Conv3dBlock conv = Conv3dBlock.same(5, 2, 3, true);
			conv.initialize(m, DataType.FLOAT32, new Shape(1, 5, 4, 4, 4));
			final NDArray a = m.randomNormal(new Shape(1, 2, 4, 4, 4)), b = m.randomNormal(new Shape(1, 2, 4, 4, 4));
			final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forwardPair(
				new ParameterStore(m, false), a, b, false));
			assertTrue(e.getMessage().contains("2 + 2") && e.getMessage().contains("takes 5"), e.getMessage());
		}
	}

	private static void assertPairAgrees(final int k, final boolean last) {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			TorchEngine.seed(3);
			final Conv3dBlock conv = Conv3dBlock.same(5, 4, k, true);
			final Shape sa = new Shape(2, 2, 4, 6, 8), sb = new Shape(2, 3, 4, 6, 8);
			conv.initialize(m, DataType.FLOAT32, new Shape(2, 5, 4, 6, 8));
			final NDArray a = m.randomNormal(sa), b = m.randomNormal(sb);
			final List<NDArray> pair = run(conv, a, b, m, true), cat = run(conv, a, b, m, false);
			final String where = "k" + k + (last ? " channels-last" : " NCDHW");
			assertEquals(cat.get(0).getShape(), pair.get(0).getShape(), where);
			final String[] names = { "output", "gradient of a", "gradient of b", "gradient of the weight", "gradient of the bias" };
			for (int i = 0; i < names.length; i++) {
				assertClose(cat.get(i), pair.get(i), 1e-4, 1e-4, where + ": " + names[i]);
			}
		}
	}

	/** The output and the gradients of a weighted sum of it, by the pair path or the explicit cat. */
	private static List<NDArray> run(final Conv3dBlock conv, final NDArray a0, final NDArray b0, final NDManager m, final boolean pair) {
		final NDArray a = a0.duplicate(), b = b0.duplicate();
		a.setRequiresGradient(true);
		b.setRequiresGradient(true);
		for (final Pair<String, Parameter> p : conv.getParameters()) JniUtils.zeroGrad((PtNDArray) p.getValue().getArray());
		final List<NDArray> values = new ArrayList<>();
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			final ParameterStore ps = new ParameterStore(m, false);
			final NDArray y = pair ? conv.forwardPair(ps, a, b, true) : conv.forward(ps, new NDList(a.concat(b, 1)), true).head();
			// weights that differ per voxel and channel, so that every position's gradient counts
			final NDArray w = m.arange((float) y.size()).reshape(y.getShape()).sin();
			values.add(y.duplicate());
			gc.backward(y.mul(w).sum());
		}
		values.add(a.getGradient().duplicate());
		values.add(b.getGradient().duplicate());
		for (final Pair<String, Parameter> p : conv.getParameters()) values.add(p.getValue().getArray().getGradient().duplicate());
		return values;
	}
}
