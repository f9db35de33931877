package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;
import static sc.fiji.voxelseg.testutil.TorchOracle.setParameter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.gson.JsonArray;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.testutil.TorchOracle;
import sc.fiji.voxelseg.train.Optimiser;

/**
 * Backward passes against PyTorch's autograd. Oracle: {@code grads_oracle.py} (Debian's
 * python3-torch), which computes in float64 from the same float32 inputs and weights, so the only
 * error on this side is float32 arithmetic.
 * <ul>
 * <li>Every block: the gradients of {@code Σ y·r} (random cotangents r) with respect to its inputs
 * and its parameters: convolutions (3³, 5³, 2³ stride 2), transposed convolution, batch and
 * instance normalisation, PReLU, max pooling, trilinear upsampling, the SimSiam voxel feature heads
 * and the voxel-wise feature discriminator (fusion evaluated at sampled voxels of a finer grid, then
 * its class branches).</li>
 * <li>Whole networks, one real training step: forward in training mode, soft Dice + cross-entropy,
 * backward, one Adam step with weight decay; every parameter's gradient and updated value, and the
 * running statistics, for U-Nets (each decoder path: channels-last with and without the sub-pixel
 * convolution, and plain NCDHW) and VNets, with batch, instance and no normalisation.</li>
 * <li>The positive control: {@link NetBlock#gradientFault} scales every parameter gradient by
 * 1.01, leaving the forward values as they were; each check must then fail.</li>
 * </ul>
 * Tolerance for a gradient: {@code 1e-4·max|g| + 1e-7 + 1e-3·|g|} per element, over the whole
 * tensor.
 */
class GradientOracleTest {

	private static final String[] BLOCKS = { "conv3", "conv3_c1", "conv_s2", "conv5", "convt", "bn", "in", "prelu", "pool", "upsample", "heads",
		"disc" };
	private static final float LR = 1e-3f, WD = 1e-4f;
	private static final NetworkConfig UNET = new NetworkConfig(Architecture.UNET, 1, 3, 3, 4, 3, Norm.BATCH);
	private static final NetworkConfig UNET_INSTANCE = new NetworkConfig(Architecture.UNET, 1, 3, 3, 4, 3, Norm.INSTANCE);
	private static final NetworkConfig VNET = new NetworkConfig(Architecture.VNET, 1, 3, 3, 4, 5, Norm.BATCH);
	private static final NetworkConfig VNET_TILED = new NetworkConfig(Architecture.VNET, 2, 3, 3, 4, 3, Norm.INSTANCE);
	private static final NetworkConfig VNET_PLAIN = new NetworkConfig(Architecture.VNET, 3, 2, 2, 4, 3, Norm.NONE);
	private static final NetworkConfig FPN = new NetworkConfig(Architecture.FPN, 1, 3, 3, 4, 3, Norm.BATCH);

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		final List<String> specs = new ArrayList<>();
		for (final String b : BLOCKS) specs.add("block=" + b);
		specs.add(net("unet", UNET, "2,8,12,16"));
		specs.add(net("unet_instance", UNET_INSTANCE, "1,8,8,8"));
		specs.add(net("vnet", VNET, "2,8,12,16"));
		specs.add(net("vnet_tiled", VNET_TILED, "2,4,8,8"));
		specs.add(net("vnet_plain", VNET_PLAIN, "2,4,6,8"));
		specs.add(net("fpn", FPN, "2,8,12,16"));
		torch = TorchOracle.run(tmp, "grads_oracle.py", specs.toArray(new String[0]));
	}

	private static String net(final String name, final NetworkConfig c, final String shape) {
		return "net=" + name + ":" + c.architecture().id() + "," + c.inChannels() + "," + c.classes() + "," + c.levels() + "," + c
			.baseWidth() + "," + c.kernel() + "," + c.norm().name().toLowerCase(Locale.ROOT) + ":" + shape + ":" + LR + ":" + WD;
	}

	@AfterEach
	void noFault() {
		NetBlock.gradientFault = 0;
	}

	/** In both layouts: channels-last (the CPU default) and NCDHW. */
	@Test
	void convolutionGradientsMatchTorch() throws Exception {
		for (final String layout : new String[] { "true", "false" }) {
			System.setProperty("voxelseg.channelsLast", layout);
			try {
				checkBlock("conv3", new Conv3dBlock(3, 4, 3, 1, 1, true));
				checkBlock("conv3_c1", new Conv3dBlock(1, 2, 3, 1, 1, false));
				checkBlock("conv_s2", new Conv3dBlock(4, 6, 2, 2, 0, false));
				checkBlock("conv5", new Conv3dBlock(2, 3, 5, 1, 2, true));
				checkBlock("convt", new ConvTranspose3dBlock(4, 3));
			}
			finally {
				System.clearProperty("voxelseg.channelsLast");
			}
		}
	}

	@Test
	void normalisationAndActivationGradientsMatchTorch() throws Exception {
		checkBlock("bn", new BatchNorm3dBlock(3));
		checkBlock("in", new InstanceNorm3dBlock(3, true));
		checkBlock("prelu", new PReLUBlock(3));
	}

	@Test
	void poolingAndUpsamplingGradientsMatchTorch() throws Exception {
		check("pool", null, (ps, x, t) -> new NDList(Pool.maxPool3d(x.head(), new Shape(2, 2, 2), new Shape(2, 2, 2), new Shape(0, 0,
			0), false)));
		check("upsample", null, (ps, x, t) -> new NDList(Upsample.trilinear(x.head(), 7, 9, 5)));
	}

	@Test
	void featureHeadGradientsMatchTorch() throws Exception {
		checkBlock("heads", new VoxelFeatureHeads(6, 8, true));
	}

	/** The discriminator as the semi-supervised step runs it: {@code fuseAt} on a finer grid, then {@code classify}. */
	@Test
	void discriminatorGradientsMatchTorch() throws Exception {
		final FeatureDiscriminator d = new FeatureDiscriminator(new int[] { 8, 4 }, 4, 6, 3);
		check("disc", d, (ps, x, t) -> {
			final int[] index = ints(t.longs("disc.index")), to = ints(t.longs("disc.to")), labels = ints(t.longs("disc.labels"));
			final NDArray rows = d.fuseAt(ps, List.of(x.get(0), x.get(1)), index, to, true);
			return new NDList(d.classify(ps, rows, labels, true));
		});
	}

	/** The positive control for the blocks: a 1 % error in every parameter gradient is caught. */
	@Test
	void aBrokenBlockGradientFails() throws Exception {
		NetBlock.gradientFault = 0.01;
		assertThrows(AssertionFailedError.class, () -> checkBlock("conv3", new Conv3dBlock(3, 4, 3, 1, 1, true)));
		assertThrows(AssertionFailedError.class, () -> checkBlock("bn", new BatchNorm3dBlock(3)));
		assertThrows(AssertionFailedError.class, () -> checkBlock("heads", new VoxelFeatureHeads(6, 8, true)));
	}

	@Test
	void unetTrainingStepMatchesTorch() throws Exception {
		checkStep("unet", UNET);
	}

	/** The decoder's sub-pixel path, forced (the test maps are too small for it to pay), and the plain NCDHW path. */
	@Test
	void unetTrainingStepMatchesTorchOnEveryDecoderPath() throws Exception {
		System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, "true");
		try {
			checkStep("unet", UNET);
		}
		finally {
			System.clearProperty(ConvTranspose3dBlock.SUB_PIXEL);
		}
		System.setProperty("voxelseg.channelsLast", "false");
		try {
			checkStep("unet", UNET);
		}
		finally {
			System.clearProperty("voxelseg.channelsLast");
		}
	}

	@Test
	void unetWithInstanceNormTrainingStepMatchesTorch() throws Exception {
		checkStep("unet_instance", UNET_INSTANCE);
	}

	@Test
	void vnetTrainingStepsMatchTorch() throws Exception {
		checkStep("vnet", VNET);
		checkStep("vnet_tiled", VNET_TILED);
		checkStep("vnet_plain", VNET_PLAIN);
	}

	/** The feature pyramid network: nearest ×2 upsampling, lateral, skip and balancing convolutions, the per-level head. */
	@Test
	void fpnTrainingStepMatchesTorch() throws Exception {
		checkStep("fpn", FPN);
	}

	/** The positive control for the networks: a 1 % error in every parameter gradient is caught. */
	@Test
	void aBrokenNetworkGradientFails() throws Exception {
		NetBlock.gradientFault = 0.01;
		assertThrows(AssertionFailedError.class, () -> checkStep("unet", UNET));
		assertThrows(AssertionFailedError.class, () -> checkStep("vnet", VNET));
	}

	/** What a block computes from its inputs. */
	private interface Forward {

		NDList apply(ParameterStore ps, NDList inputs, TorchOracle.Arrays t);
	}

	private void checkBlock(final String kind, final NetBlock block) throws Exception {
		check(kind, block, (ps, x, t) -> block.forward(ps, x, true));
	}

	/**
	 * Loads the oracle's inputs and parameters, runs {@code forward} in training mode, back-propagates
	 * {@code Σ y·r}, and compares outputs, input gradients and parameter gradients.
	 */
	private void check(final String kind, final NetBlock block, final Forward forward) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDList x = new NDList();
			for (int i = 0; t.contains(kind + ".x" + i); i++) x.add(t.get(kind + ".x" + i));
			final List<Parameter> params = new ArrayList<>();
			if (block != null) {
				block.initialize(m, DataType.FLOAT32, x.getShapes());
				params.addAll(load(t, kind, block.getParameters(), torch.summary().getAsJsonObject("names").getAsJsonArray(kind)));
			}
			final NDList y;
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				for (final NDArray a : x) a.setRequiresGradient(true);
				y = forward.apply(new ParameterStore(m, false), x, t);
				NDArray loss = null;
				for (int i = 0; i < y.size(); i++) {
					final NDArray term = y.get(i).mul(t.get(kind + ".r" + i)).sum();
					loss = loss == null ? term : loss.add(term);
				}
				gc.backward(loss);
			}
			for (int i = 0; i < y.size(); i++) assertClose(t.get(kind + ".y" + i), y.get(i), 1e-5, 1e-4, kind + " output " + i);
			for (int i = 0; i < x.size(); i++) assertGradient(t.get(kind + ".gx" + i), x.get(i).getGradient(), kind + " d/dx" + i);
			for (int i = 0; i < params.size(); i++) {
				assertGradient(t.get(String.format(Locale.ROOT, "%s.g%03d", kind, i)), params.get(i).getArray().getGradient(), kind + " d/d" +
					params.get(i).getName());
			}
		}
	}

	/**
	 * One training step of the network against the oracle's: gradients of every trainable
	 * parameter, then the values after one Adam step (and the running statistics).
	 */
	private static void checkStep(final String name, final NetworkConfig c) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get(name + ".x"), labels = t.get(name + ".labels");
			final SegmentationNetwork net = c.build();
			net.initialize(m, DataType.FLOAT32, x.getShape());
			final JsonArray names = torch.summary().getAsJsonObject("names").getAsJsonArray(name);
			final List<Parameter> params = load(t, name, net.getParameters(), names);
			final JsonArray trainable = torch.summary().getAsJsonObject("trainable").getAsJsonArray(name);
			final float[][] before = new float[params.size()][];
			for (int i = 0; i < params.size(); i++) before[i] = params.get(i).getArray().toFloatArray();
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDList out = net.forward(new ParameterStore(m, false), new NDList(x), true);
				final NDArray loss = SegmentationLoss.DICE_CE.compute(SegmentationNetwork.logits(out), labels);
				assertClose(t.get(name + ".loss"), loss, 1e-6, 1e-5, name + " loss");
				gc.backward(loss);
			}
			final float[][] grads = new float[params.size()][], gradsJava = new float[params.size()][];
			for (int i = 0; i < params.size(); i++) {
				final Parameter p = params.get(i);
				assertEquals(trainable.get(i).getAsBoolean(), p.requiresGradient(), name + ": " + p.getName() + " trainable");
				if (!p.requiresGradient()) continue;
				final NDArray g = t.get(String.format(Locale.ROOT, "%s.g%03d", name, i));
				assertGradient(g, p.getArray().getGradient(), name + " d/d" + names.get(i).getAsString());
				grads[i] = g.toFloatArray();
				gradsJava[i] = p.getArray().getGradient().toFloatArray();
			}
			try (Optimiser adam = Optimiser.adam(WD, m)) {
				adam.step(params, LR);
			}
			int uncertain = 0, total = 0;
			for (int i = 0; i < params.size(); i++) {
				final NDArray after = t.get(String.format(Locale.ROOT, "%s.after%03d", name, i));
				final String what = name + " " + names.get(i).getAsString() + " after the step";
				if (grads[i] == null) {
					assertClose(after, params.get(i).getArray(), 1e-5, 1e-5, what);
					continue;
				}
				uncertain += assertAdamUpdate(after.toFloatArray(), params.get(i).getArray().toFloatArray(), before[i], grads[i],
					gradsJava[i], what);
				total += grads[i].length;
			}
			// the exemption below must stay rare, or the check says little
			assertTrue(uncertain <= total / 100, name + ": " + uncertain + " of " + total + " updates undetermined by the gradient tolerance");
		}
	}

	/**
	 * Adam's first step moves each weight by {@code lr·ĝ/(|ĝ| + ε)}, {@code ĝ = g + wd·w}: about
	 * {@code lr·sign(ĝ)}. Where {@code |ĝ|} is ten times this side's gradient error δ, the updated
	 * weight must equal torch's within what δ can move it (first order, with margin); elsewhere the
	 * sign of {@code ĝ} is not settled by gradients this close, and the weights may differ by up to
	 * 2·lr. Returns how many elements were of the second kind.
	 */
	private static int assertAdamUpdate(final float[] expected, final float[] actual, final float[] before, final float[] g,
		final float[] gJava, final String what)
	{
		int uncertain = 0;
		for (int k = 0; k < expected.length; k++) {
			final double ghat = Math.abs(g[k] + WD * before[k]), error = Math.abs(gJava[k] - g[k]);
			final boolean clear = ghat > 10 * error;
			if (!clear) uncertain++;
			// first order: lr·ε·δ/(|ĝ| + ε)², with a factor 4 of margin, plus float rounding
			final double eps = 1e-8, drift = clear ? Math.min(2, 1e-3 + 4 * eps * error / ((ghat + eps) * (ghat + eps))) : 2.0001;
			final double allowed = 1e-6 * Math.max(1, Math.abs(expected[k])) + LR * drift;
			if (!(Math.abs(actual[k] - expected[k]) <= allowed)) {
				fail(what + ": element " + k + " is " + actual[k] + ", expected " + expected[k] + " (gradient " + g[k] + ", here " + gJava[k] +
					")");
			}
		}
		return uncertain;
	}

	/**
	 * Elementwise within {@code 1e-4·max|g| + 1e-7 + 1e-3·|g|}: relative to the tensor's largest
	 * expected gradient, with a floor for tensors whose gradient is zero in exact arithmetic (a
	 * convolution bias followed by batch norm).
	 */
	private static void assertGradient(final NDArray expected, final NDArray actual, final String what) {
		assertFalse(actual == null, what + ": no gradient");
		assertClose(expected, actual, 1e-4 * maxAbs(expected.toFloatArray()) + 1e-7, 1e-3, what);
	}

	private static double maxAbs(final float[] a) {
		double m = 0;
		for (final float v : a) m = Math.max(m, Math.abs(v));
		return m;
	}

	/**
	 * Copies the oracle's parameters {@code NAME.pNNN} into the block's, pairing them by name (DJL's
	 * two-digit child prefixes dropped, dots as underscores); block parameters the oracle does not
	 * list (batch norm's running statistics) must be untrained. Returns the parameters in the
	 * oracle's order.
	 */
	private static List<Parameter> load(final TorchOracle.Arrays t, final String kind, final ParameterList blockParams,
		final JsonArray names)
	{
		final Map<String, Parameter> byName = new HashMap<>();
		for (final Pair<String, Parameter> p : blockParams) byName.put(p.getKey().replaceAll("(^|_)\\d\\d", "$1"), p.getValue());
		final List<Parameter> ordered = new ArrayList<>();
		for (int i = 0; i < names.size(); i++) {
			final Parameter p = byName.remove(names.get(i).getAsString().replace('.', '_'));
			if (p == null) fail(kind + ": the block has no parameter " + names.get(i) + "; it has " + byName.keySet());
			setParameter(p, t.get(String.format(Locale.ROOT, "%s.p%03d", kind, i)));
			ordered.add(p);
		}
		for (final Map.Entry<String, Parameter> e : byName.entrySet()) {
			assertFalse(e.getValue().requiresGradient(), kind + ": trained parameter " + e.getKey() + " missing from the oracle");
		}
		return ordered;
	}

	private static int[] ints(final long[] a) {
		final int[] r = new int[a.length];
		for (int i = 0; i < a.length; i++) r[i] = Math.toIntExact(a[i]);
		return r;
	}
}
