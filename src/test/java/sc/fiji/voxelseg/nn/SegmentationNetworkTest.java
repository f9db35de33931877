package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static sc.fiji.voxelseg.testutil.TorchOracle.assertClose;
import static sc.fiji.voxelseg.testutil.TorchOracle.setParameter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import sc.fiji.voxelseg.testutil.TorchOracle;

/**
 * The 3D U-Net and VNet against the PyTorch reference modules of {@code nets_oracle.py}, written
 * from the networks' javadoc: parameter counts, parameter order, and every map of the forward output
 * with identical weights.
 */
class SegmentationNetworkTest {

	private static final NetworkConfig UNET_SMALL = new NetworkConfig(Architecture.UNET, 1, 3, 3, 4, 3, Norm.BATCH);
	private static final NetworkConfig VNET_SMALL = new NetworkConfig(Architecture.VNET, 1, 3, 3, 4, 5, Norm.BATCH);
	/** Two input channels tile to the first width; instance norm. */
	private static final NetworkConfig VNET_TILED = new NetworkConfig(Architecture.VNET, 2, 3, 3, 4, 3, Norm.INSTANCE);
	/** Three input channels do not divide the first width, so the input stage has no shortcut; convolutions with bias. */
	private static final NetworkConfig VNET_PLAIN = new NetworkConfig(Architecture.VNET, 3, 2, 2, 4, 3, Norm.NONE);
	/** Five levels: down stages of 1, 2, 3, 2 units, up stages of 2, 2, 1, 1. */
	private static final NetworkConfig VNET_DEEP = new NetworkConfig(Architecture.VNET, 1, 2, 5, 2, 3, Norm.BATCH);
	private static final NetworkConfig UNET_PLAIN = new NetworkConfig(Architecture.UNET, 2, 4, 2, 2, 3, Norm.NONE);
	private static final NetworkConfig UNET_INSTANCE = new NetworkConfig(Architecture.UNET, 1, 3, 3, 4, 3, Norm.INSTANCE);
	private static final NetworkConfig FPN_SMALL = new NetworkConfig(Architecture.FPN, 1, 3, 3, 4, 3, Norm.BATCH);

	/** The defaults, variants of them, and the networks run below. */
	private static final List<NetworkConfig> COUNTED = List.of(
		NetworkConfig.unet(1, 9),
		NetworkConfig.vnet(1, 9),
		NetworkConfig.fpn(1, 9),
		NetworkConfig.unet(2, 4).withNorm(Norm.INSTANCE),
		NetworkConfig.vnet(1, 2).withLevels(4).withNorm(Norm.NONE),
		NetworkConfig.vnet(1, 9).withLevels(6).withBaseWidth(2),
		UNET_SMALL, VNET_SMALL, VNET_TILED, VNET_PLAIN, VNET_DEEP, UNET_PLAIN, UNET_INSTANCE, FPN_SMALL);

	@TempDir
	static Path tmp;

	private static TorchOracle torch;

	@BeforeAll
	static void oracle() throws Exception {
		TorchEngine.engine();
		final List<String> specs = new ArrayList<>();
		for (final NetworkConfig c : COUNTED) specs.add("count=" + spec(c));
		specs.add(forwardCase("unet_eval", UNET_SMALL, "eval", 2, 8, 12, 16));
		specs.add(forwardCase("unet_train", UNET_SMALL, "train", 2, 8, 12, 16));
		specs.add(forwardCase("unet_plain", UNET_PLAIN, "eval", 2, 4, 6, 8));
		specs.add(forwardCase("unet_instance", UNET_INSTANCE, "train", 1, 8, 8, 4));
		specs.add(forwardCase("vnet_eval", VNET_SMALL, "eval", 2, 8, 12, 16));
		specs.add(forwardCase("vnet_train", VNET_SMALL, "train", 2, 8, 12, 16));
		specs.add(forwardCase("vnet_tiled", VNET_TILED, "eval", 2, 4, 8, 12));
		specs.add(forwardCase("vnet_plain", VNET_PLAIN, "eval", 2, 4, 6, 8));
		specs.add(forwardCase("vnet_deep", VNET_DEEP, "eval", 1, 16, 16, 16));
		specs.add(forwardCase("fpn_eval", FPN_SMALL, "eval", 2, 8, 12, 16));
		specs.add(forwardCase("fpn_train", FPN_SMALL, "train", 2, 8, 12, 16));
		torch = TorchOracle.run(tmp, "nets_oracle.py", specs.toArray(new String[0]));
	}

	/** The oracle's name for a configuration: arch,in,classes,levels,base,kernel,norm. */
	private static String spec(final NetworkConfig c) {
		return c.architecture().id() + "," + c.inChannels() + "," + c.classes() + "," + c.levels() + "," + c.baseWidth() + "," +
			c.kernel() + "," + c.norm().name().toLowerCase(Locale.ROOT);
	}

	private static String forwardCase(final String name, final NetworkConfig c, final String mode, final int n, final int d,
		final int h, final int w)
	{
		return "case=" + name + ":" + spec(c) + ":" + mode + ":" + n + "," + d + "," + h + "," + w;
	}

	/**
	 * Worked by hand: U-Net, 2 levels, base 2, 3³ kernels, no norm (every convolution has a bias), 1 →
	 * 2 classes. enc0 1→1→2: 28 + 56; enc1 2→2→4: 110 + 220; up0 4→2: 64 + 2; dec0 4→2→2: 218 + 110;
	 * head 2→2: 6. Total 814.
	 */
	@Test
	void tinyUNetParameterCountByHand() {
		assertEquals(814, new NetworkConfig(Architecture.UNET, 1, 2, 2, 2, 3, Norm.NONE).build().parameterCount());
	}

	/**
	 * Oracle python3-torch: sum(p.numel() for p in parameters()) of the reference modules, for the
	 * default U-Net (15,372,713) and VNet and for smaller, deeper and norm-less variants.
	 */
	@Test
	void parameterCountsMatchTorch() {
		final JsonObject counts = torch.summary().getAsJsonObject("counts");
		for (final NetworkConfig c : COUNTED) {
			assertEquals(counts.get(spec(c)).getAsLong(), c.build().parameterCount(), c.describe());
		}
		assertEquals(15_372_713, NetworkConfig.unet(1, 9).build().parameterCount());
	}

	/** Oracle python3-torch: the reference U-Net in eval mode (running statistics), batch norm. */
	@Test
	void unetInferenceMatchesTorch() throws Exception {
		assertForwardMatches("unet_eval", UNET_SMALL, false);
	}

	/**
	 * Oracle python3-torch: the reference U-Net in training mode (batch statistics), outputs and the
	 * running statistics after the step.
	 */
	@Test
	void unetTrainingMatchesTorch() throws Exception {
		assertForwardMatches("unet_train", UNET_SMALL, true);
	}

	/**
	 * Oracle python3-torch: both U-Net checks again with the decoder's sub-pixel path forced (the
	 * test maps are too small for it to be chosen by its cost), in eval mode with batch norm folded
	 * into it, and in training mode.
	 */
	@Test
	void unetSubPixelMatchesTorch() throws Exception {
		System.setProperty(ConvTranspose3dBlock.SUB_PIXEL, "true");
		try {
			assertForwardMatches("unet_eval", UNET_SMALL, false);
			assertForwardMatches("unet_train", UNET_SMALL, true);
		}
		finally {
			System.clearProperty(ConvTranspose3dBlock.SUB_PIXEL);
		}
	}

	/** Oracle python3-torch: U-Net without normalisation, two input channels, two levels. */
	@Test
	void unetWithoutNormMatchesTorch() throws Exception {
		assertForwardMatches("unet_plain", UNET_PLAIN, false);
	}

	/** Oracle python3-torch: U-Net with affine instance norm, training mode, batch of one. */
	@Test
	void unetInstanceNormMatchesTorch() throws Exception {
		assertForwardMatches("unet_instance", UNET_INSTANCE, true);
	}

	/** Oracle python3-torch: the reference VNet (5³ kernels) in eval mode, batch norm. */
	@Test
	void vnetInferenceMatchesTorch() throws Exception {
		assertForwardMatches("vnet_eval", VNET_SMALL, false);
	}

	/** Oracle python3-torch: the reference VNet (5³ kernels) in training mode, and its running statistics. */
	@Test
	void vnetTrainingMatchesTorch() throws Exception {
		assertForwardMatches("vnet_train", VNET_SMALL, true);
	}

	/** Oracle python3-torch: VNet whose two input channels are tiled onto the first stage's four; instance norm. */
	@Test
	void vnetTiledInputMatchesTorch() throws Exception {
		assertForwardMatches("vnet_tiled", VNET_TILED, false);
	}

	/** Oracle python3-torch: VNet with three input channels (no input shortcut) and no normalisation. */
	@Test
	void vnetWithoutShortcutOrNormMatchesTorch() throws Exception {
		assertForwardMatches("vnet_plain", VNET_PLAIN, false);
	}

	/** Oracle python3-torch: the five-level VNet (the published stage depths) on 16³. */
	@Test
	void fiveLevelVNetMatchesTorch() throws Exception {
		assertForwardMatches("vnet_deep", VNET_DEEP, false);
	}

	/**
	 * Oracle python3-torch: the reference feature pyramid network (nearest ×2 upsampling, lateral
	 * and skip convolutions, balanced maps, the summed per-level head) in eval and training mode;
	 * its pyramid is the balanced maps, finest first, all of the base width.
	 */
	@Test
	void fpnMatchesTorch() throws Exception {
		assertForwardMatches("fpn_eval", FPN_SMALL, false);
		assertForwardMatches("fpn_train", FPN_SMALL, true);
	}

	/**
	 * Worked by hand: the pyramid of a U-Net and a VNet is their decoder maps, finest first, then
	 * the deepest encoder map; each level halves the size of the one before, and the channels
	 * announced match the maps.
	 */
	@Test
	void pyramidsRunFromFinestToCoarsest() {
		for (final NetworkConfig c : List.of(UNET_SMALL, VNET_SMALL, FPN_SMALL)) {
			try (NDManager m = NDManager.newBaseManager()) {
				final SegmentationNetwork net = c.build();
				final Shape in = new Shape(1, 1, 8, 8, 16);
				net.initialize(m, DataType.FLOAT32, in);
				final NDList out = net.forward(new ParameterStore(m, false), new NDList(m.randomNormal(in)), false);
				final NDArray[] p = net.pyramid(out);
				assertEquals(c.levels(), p.length, c.describe());
				for (int i = 0; i < p.length; i++) {
					assertEquals(16 >> i, p[i].getShape().get(4), c.describe() + " level " + i + " width along x");
					assertEquals(net.pyramidChannels()[i], p[i].getShape().get(1), c.describe() + " level " + i + " channels");
				}
				if (c.architecture() != Architecture.FPN) {
					assertSame(net.decoder(out, c.levels() - 1), p[0]);
					assertSame(net.encoder(out, 1), p[c.levels() - 1]);
				}
			}
		}
	}

	/** The encoder alone gives the encoder maps of the full forward pass, bit for bit, in both modes. */
	@Test
	void encoderMapsEqualTheFullPass() {
		for (final NetworkConfig c : List.of(UNET_SMALL, VNET_SMALL, FPN_SMALL)) {
			for (final boolean training : new boolean[] { false, true }) {
				try (NDManager m = NDManager.newBaseManager()) {
					final SegmentationNetwork net = c.build();
					final Shape in = new Shape(2, 1, 8, 8, 16);
					net.initialize(m, DataType.FLOAT32, in);
					final NDArray x = m.randomNormal(in);
					final NDList out = net.forward(new ParameterStore(m, false), new NDList(x), training);
					final NDArray[] enc = net.encoderMaps(new ParameterStore(m, false), x, training);
					assertEquals(c.levels(), enc.length);
					for (int i = 0; i < enc.length; i++) {
						assertEquals(java.util.Arrays.toString(net.encoder(out, c.levels() - i).toFloatArray()), java.util.Arrays.toString(enc[i]
							.toFloatArray()), c.describe() + " level " + i + (training ? " training" : ""));
					}
				}
			}
		}
	}

	/**
	 * A frozen encoder (seed 002's second stage): after a training forward and backward pass, exactly
	 * the parameters that {@link SegmentationNetwork#isEncoder} names have no gradient (every other
	 * trainable one has some), and the encoder's batch-norm statistics have not moved.
	 */
	@Test
	void frozenEncoderTakesNoGradientAndKeepsItsStatistics() {
		for (final NetworkConfig c : List.of(UNET_SMALL, VNET_SMALL, FPN_SMALL)) {
			try (NDManager m = NDManager.newBaseManager()) {
				final SegmentationNetwork net = c.build();
				final Shape in = new Shape(2, 1, 8, 8, 16);
				net.initialize(m, DataType.FLOAT32, in);
				net.setEncoderFrozen(true);
				final List<float[]> before = new ArrayList<>();
				for (final Pair<String, Parameter> p : net.getParameters()) before.add(p.getValue().getArray().toFloatArray());
				for (final Pair<String, Parameter> p : net.getParameters()) {
					if (p.getValue().requiresGradient()) p.getValue().getArray().setRequiresGradient(true);
				}
				TorchEngine.setGradMode(false);
				try (ai.djl.training.GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDList out = net.forward(new ParameterStore(m, false), new NDList(m.randomNormal(in)), true);
					final NDArray l = SegmentationNetwork.logits(out);
					gc.backward(l.mul(l).mean());
				}
				int encoder = 0, i = 0;
				for (final Pair<String, Parameter> p : net.getParameters()) {
					final String name = p.getKey().replaceAll("(^|_)\\d\\d", "$1");
					final boolean enc = SegmentationNetwork.isEncoder(name);
					final NDArray a = p.getValue().getArray();
					if (enc) encoder++;
					if (!p.getValue().requiresGradient()) {
						if (enc) assertEquals(java.util.Arrays.toString(before.get(i)), java.util.Arrays.toString(a.toFloatArray()),
							c.describe() + " " + name + " statistics moved");
					}
					else {
						final double g = a.getGradient().abs().sum().getFloat();
						assertEquals(enc, g == 0, c.describe() + " " + name + " gradient " + g);
					}
					i++;
				}
				assertEquals(true, encoder > 4 && encoder < i, c.describe() + ": " + encoder + " encoder arrays of " + i);
			}
		}
	}

	/**
	 * Loads the oracle's state_dict into the Java network (checking that names and shapes pair up in
	 * order), runs it on the oracle's input, and compares the logits and every hidden map within 1e-4
	 * (relative above 1), plus the output shapes the network announces and, after a training step, the
	 * running statistics.
	 */
	private static void assertForwardMatches(final String name, final NetworkConfig c, final boolean training) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final TorchOracle.Arrays t = torch.arrays(m);
			final NDArray x = t.get(name + ".x");
			final SegmentationNetwork net = c.build();
			net.initialize(m, DataType.FLOAT32, x.getShape());
			final ParameterList params = net.getParameters();
			final JsonArray names = torch.summary().getAsJsonObject("names").getAsJsonArray(name);
			assertEquals(names.size(), params.size(), name + ": parameter tensors");
			for (int i = 0; i < params.size(); i++) {
				final Pair<String, Parameter> p = params.get(i);
				// DJL prefixes each child's name with its two-digit position
				assertEquals(names.get(i).getAsString().replace('.', '_'), p.getKey().replaceAll("(^|_)\\d\\d", "$1"), name +
					": parameter " + i);
				setParameter(p.getValue(), t.get(String.format(Locale.ROOT, "%s.p%03d", name, i)));
			}

			final NDList out = net.forward(new ParameterStore(m, false), new NDList(x), training);
			final int l = c.levels();
			final boolean fpn = c.architecture() == Architecture.FPN;
			assertEquals(fpn ? 3 * l : 2 * l, out.size(), name + ": logits, " + l + " encoder and " + (l - 1) + " decoder maps" + (fpn
				? ", " + l + " balanced maps" : ""));
			final Shape[] shapes = net.getOutputShapes(new Shape[] { x.getShape() });
			for (int i = 0; i < out.size(); i++) {
				final String what = name + " output " + i + (i == 0 ? " (logits)" : i <= l ? " (encoder depth " + i + ")"
					: i < 2 * l ? " (decoder depth " + (i - l) + ")" : " (balanced level " + (3 * l - 1 - i) + ")");
				assertClose(t.get(String.format(Locale.ROOT, "%s.out%02d", name, i)), out.get(i), 1e-4, 1e-4, what);
				assertEquals(shapes[i], out.get(i).getShape(), what + ": announced shape");
			}
			assertSame(out.get(0), SegmentationNetwork.logits(out));
			assertSame(out.get(1), net.encoder(out, 1));
			assertSame(out.get(l), net.encoder(out, l));
			assertSame(out.get(l + 1), net.decoder(out, 1));
			assertSame(out.get(2 * l - 1), net.decoder(out, l - 1));
			assertEquals(x.getShape().get(4) >> (l - 1), net.encoder(out, 1).getShape().get(4), "E_1 is the deepest map");
			if (fpn) for (int i = 0; i < l; i++) assertSame(out.get(3 * l - 1 - i), net.pyramid(out)[i], name + ": pyramid level " + i);

			if (training) {
				for (int i = 0; i < params.size(); i++) {
					assertClose(t.get(String.format(Locale.ROOT, "%s.after%03d", name, i)), params.get(i).getValue().getArray(), 1e-5,
						1e-5, name + ": " + params.get(i).getKey() + " after the training step");
				}
			}
		}
	}
}
