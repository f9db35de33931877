package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
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
 * both layouts, for a 3×3×3 and a 1×1×1 kernel. Likewise {@link Conv3dBlock#forwardUpPair}, whose
 * second input is a transposed convolution's upsampling of a coarser map, which in channels-last
 * the sub-pixel path ({@link ConvTranspose3dBlock#convolvedBy}) never forms.
 */
class Conv3dBlockPairTest {

	private static final String KEY = "voxelseg.channelsLast";

	@AfterEach
	void restore() {
		System.clearProperty(KEY);
		System.clearProperty(ConvTranspose3dBlock.SUB_PIXEL);
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
	void upPairEqualsTheConvolutionOfTheUpsampledConcatenation() {
		for (final boolean last : new boolean[] { true, false }) {
			// 3 with the sub-pixel path forced: that path in channels-last; otherwise the upsampled
			// map formed (these maps are too small for the sub-pixel path to be chosen by its cost)
			for (final int k : new int[] { 3, 5 }) {
				for (final boolean subPixel : new boolean[] { true, false }) {
					System.setProperty(KEY, Boolean.toString(last));
					System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, Boolean.toString(subPixel));
					// a coarse depth of 1 puts every output voxel on a face in z
					for (final long[] coarse : new long[][] { { 1, 2, 3 }, { 3, 2, 2 } }) assertUpPairAgrees(k, last, coarse);
				}
			}
		}
	}

	/**
	 * Oracle: multiply-adds counted by hand for the seed's U-Net (base 64, 4 levels). At its deepest
	 * decoder level (512 → 256 upsampled, 256 out) on a 64×64×32 patch the map is (1, 512, 4, 8, 8):
	 * forming costs 8·256·(512·256 + 27·256·256) = 3.89 G, the sub-pixel path 64·5·9·9·256·513 +
	 * (216·256 + 13824)·256·513 = 12.48 G. At its first level (128 → 64, 64 out) on the same patch,
	 * (1, 128, 16, 32, 32): 15.57 G against 10.01 G. At 128×128×64 the deepest level's map is
	 * (n, 512, 8, 16, 16): 31.14 G against 30.94 G at batch 1, 62.28 G against 52.80 G at batch 2.
	 */
	@Test
	void subPixelIsChosenWhereItCostsFewerMultiplyAdds() {
		final ConvTranspose3dBlock deep = new ConvTranspose3dBlock(512, 256), first = new ConvTranspose3dBlock(128, 64);
		assertFalse(deep.subPixelPays(new Shape(1, 512, 4, 8, 8), 256));
		assertTrue(first.subPixelPays(new Shape(1, 128, 16, 32, 32), 64));
		assertTrue(deep.subPixelPays(new Shape(1, 512, 8, 16, 16), 256));
		assertTrue(deep.subPixelPays(new Shape(2, 512, 8, 16, 16), 256));
		// one voxel fewer along x at batch 1 tips it: 29.19 G formed against 29.65 G
		assertFalse(deep.subPixelPays(new Shape(1, 512, 8, 16, 15), 256));
		System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, "true");
		assertTrue(deep.subPixelPays(new Shape(1, 512, 4, 8, 8), 256));
		System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, "false");
		assertFalse(first.subPixelPays(new Shape(1, 128, 16, 32, 32), 64));
		System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, "sometimes");
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> first.subPixelPays(new Shape(1, 128, 16, 32, 32), 64));
		assertTrue(e.getMessage().contains("voxelseg.subPixel must be auto, true or false"), e.getMessage());
	}

	@Test
	void subPixelRefusesAnotherKernel() {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			final ConvTranspose3dBlock up = new ConvTranspose3dBlock(4, 3);
			up.initialize(m, DataType.FLOAT32, new Shape(1, 4, 2, 2, 2));
			final NDArray x = m.randomNormal(new Shape(1, 4, 2, 2, 2)), wc = m.randomNormal(new Shape(2, 3, 5, 5, 5));
			final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
				() -> up.convolvedBy(new ParameterStore(m, false), x, wc, false));
			assertTrue(e.getMessage().contains("3×3×3") && e.getMessage().contains("(2, 3, 5, 5, 5)"), e.getMessage());
			final NDArray x5 = m.randomNormal(new Shape(1, 5, 2, 2, 2)), wc3 = m.randomNormal(new Shape(2, 3, 3, 3, 3));
			final IllegalArgumentException e5 = assertThrows(IllegalArgumentException.class,
				() -> up.convolvedBy(new ParameterStore(m, false), x5, wc3, false));
			assertTrue(e5.getMessage().contains("has 5 channels") && e5.getMessage().contains("takes 4"), e5.getMessage());
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

	private static void assertUpPairAgrees(final int k, final boolean last, final long[] coarse) {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			TorchEngine.seed(5);
			final long n = 2, d = coarse[0], h = coarse[1], w = coarse[2];
			final Conv3dBlock conv = Conv3dBlock.same(5, 4, k, true);
			final ConvTranspose3dBlock up = new ConvTranspose3dBlock(6, 3);
			conv.initialize(m, DataType.FLOAT32, new Shape(n, 5, 2 * d, 2 * h, 2 * w));
			up.initialize(m, DataType.FLOAT32, new Shape(n, 6, d, h, w));
			// a bias well away from zero, so that where it reaches the output (not beyond the faces) shows
			up.getParameters().get("bias").getArray().addi(1.5f);
			final NDArray a = layout(m.randomNormal(new Shape(n, 2, 2 * d, 2 * h, 2 * w)), last), low = layout(m.randomNormal(new Shape(n, 6, d, h, w)), last);
			final List<NDArray> fused = runUp(conv, up, a, low, m, true), cat = runUp(conv, up, a, low, m, false);
			final String where = "k" + k + (last ? " channels-last" : " NCDHW") + " coarse " + Arrays.toString(coarse);
			assertEquals(cat.get(0).getShape(), fused.get(0).getShape(), where);
			final String[] names = { "output", "gradient of the skip map", "gradient of the coarse map", "gradient of the weight",
				"gradient of the bias", "gradient of the transposed convolution's weight", "gradient of its bias" };
			for (int i = 0; i < names.length; i++) {
				assertClose(cat.get(i), fused.get(i), 1e-4, 1e-4, where + ": " + names[i]);
			}
		}
	}

	/** {@code x} with channels-last strides when {@code last}, as the networks' maps are on the CPU. */
	private static NDArray layout(final NDArray x, final boolean last) {
		return last ? x.transpose(0, 2, 3, 4, 1).duplicate().transpose(0, 4, 1, 2, 3) : x;
	}

	/** As {@link #run}, for {@code conv(cat(a, up(low)))} by forwardUpPair or formed explicitly. */
	private static List<NDArray> runUp(final Conv3dBlock conv, final ConvTranspose3dBlock up, final NDArray a0, final NDArray low0,
		final NDManager m, final boolean fused) {
		return gradients(m, List.of(a0, low0), List.of(conv, up), (ps, in) -> {
			final NDArray a = in[0], low = in[1];
			if (fused) return conv.forwardUpPair(ps, a, low, up, true);
			final NDArray u = ConvTranspose3dBlock.apply(low, ps.getValue(up.getParameters().get("weight"), low.getDevice(), true),
				ps.getValue(up.getParameters().get("bias"), low.getDevice(), true));
			return conv.forward(ps, new NDList(a.concat(u, 1)), true).head();
		});
	}

	/** The output and the gradients of a weighted sum of it, by the pair path or the explicit cat. */
	private static List<NDArray> run(final Conv3dBlock conv, final NDArray a0, final NDArray b0, final NDManager m, final boolean pair) {
		return gradients(m, List.of(a0, b0), List.of(conv), (ps, in) -> pair ? conv.forwardPair(ps, in[0], in[1], true)
			: conv.forward(ps, new NDList(in[0].concat(in[1], 1)), true).head());
	}

	/**
	 * {@code f}'s output on copies of the inputs, then the gradients of a weighted sum of it with
	 * respect to each input and to each block's parameters, in that order (the blocks' gradients
	 * zeroed first).
	 */
	private static List<NDArray> gradients(final NDManager m, final List<NDArray> inputs, final List<Block> blocks,
		final BiFunction<ParameterStore, NDArray[], NDArray> f) {
		final NDArray[] in = new NDArray[inputs.size()];
		for (int i = 0; i < in.length; i++) {
			in[i] = inputs.get(i).duplicate();
			in[i].setRequiresGradient(true);
		}
		for (final Block b : blocks) {
			for (final Pair<String, Parameter> p : b.getParameters()) JniUtils.zeroGrad((PtNDArray) p.getValue().getArray());
		}
		final List<NDArray> values = new ArrayList<>();
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			final NDArray y = f.apply(new ParameterStore(m, false), in);
			// weights that differ per voxel and channel, so that every position's gradient counts
			final NDArray w = m.arange((float) y.size()).reshape(y.getShape()).sin();
			values.add(y.duplicate());
			gc.backward(y.mul(w).sum());
		}
		for (final NDArray x : in) values.add(x.getGradient().duplicate());
		for (final Block b : blocks) {
			for (final Pair<String, Parameter> p : b.getParameters()) values.add(p.getValue().getArray().getGradient().duplicate());
		}
		return values;
	}
}
