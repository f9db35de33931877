package sc.fiji.voxelseg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.onnx.OnnxGraph;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.testutil.Python;
import sc.fiji.voxelseg.util.Json;

/**
 * ONNX export. Oracles: ONNX Runtime, an engine independent of libtorch, run on the exported file
 * must give the probabilities of VoxelSeg's own inference-mode forward pass (softmax of its
 * logits) within 1e-4; Debian's python3-onnx must accept the file in its full checker with strict
 * shape inference and read back the declared input, output, opset and metadata. Every network
 * gets random weights, biases, batch-norm statistics and PReLU slopes, so that a wrong fold,
 * layout or concatenation order shows.
 */
class OnnxExportTest {

	static final ClassTable CLASSES = ClassTable.of(List.of("liver", "spleen"));

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	/** A bundle of {@code cfg} with random weights, batch-norm statistics and PReLU slopes. */
	static ModelBundle bundle(final NetworkConfig cfg, final int seed) {
		try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
			TorchEngine.seed(seed);
			final SegmentationNetwork net = cfg.build();
			net.initialize(m, DataType.FLOAT32, new Shape(1, cfg.inChannels(), 8, 8, 8));
			final Random r = new Random(seed);
			for (final var p : net.getParameters()) {
				final NDArray a = p.getValue().getArray();
				final String n = p.getKey();
				if (!n.endsWith("running_var") && !n.endsWith("running_mean") && !(n.contains("norm") && n.endsWith("weight")) &&
					!n.contains("act") && !n.endsWith("bias")) continue;
				final float[] v = new float[(int) a.size()];
				for (int i = 0; i < v.length; i++) {
					v[i] = n.endsWith("running_mean") ? (float) r.nextGaussian() * 0.3f
						: n.endsWith("running_var") ? 0.5f + r.nextFloat()
						: n.contains("act") ? 0.1f + 0.4f * r.nextFloat()
						: n.endsWith("bias") ? (float) r.nextGaussian() * 0.2f
						: 0.5f + r.nextFloat();
				}
				a.set(FloatBuffer.wrap(v));
			}
			return new ModelBundle(cfg, CLASSES, PreprocessingPlan.seedsCt(), new int[] { 16, 16, 8 }, null, ModelBundle.weightsOf(net),
				null);
		}
	}

	/** The largest difference between ONNX Runtime's probabilities and VoxelSeg's on a random input. */
	private static double worst(final ModelBundle b, final Path onnx, final Shape shape) throws IOException {
		try (NDManager m = NDManager.newBaseManager(Device.cpu()); BundleModel own = BundleModel.load(b, Device.cpu());
			OnnxModel ort = OnnxModel.load(onnx, null))
		{
			final NDArray x = m.randomNormal(shape);
			final float[] want = own.logits(x).softmax(1).toFloatArray();
			final float[] got = ort.run(x.toFloatArray(), shape.getShape());
			assertEquals(want.length, got.length);
			double worst = 0;
			for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
			// through SegmentationModel: log-probabilities whose softmax is the same
			final float[] back = ort.logits(x).softmax(1).toFloatArray();
			for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - back[i]));
			return worst;
		}
	}

	@Test
	void onnxRuntimeGivesVoxelSegsProbabilitiesForEveryArchitecture(@TempDir final Path dir) throws Exception {
		final NetworkConfig[] configs = {
			NetworkConfig.unet(1, 3).withLevels(3).withBaseWidth(4),
			NetworkConfig.unet(2, 3).withLevels(3).withBaseWidth(4).withNorm(Norm.INSTANCE),
			NetworkConfig.vnet(1, 3).withLevels(3).withBaseWidth(4).withKernel(3),
			NetworkConfig.vnet(2, 3).withLevels(4).withBaseWidth(4).withKernel(3).withNorm(Norm.NONE),
			NetworkConfig.fpn(1, 3).withLevels(3).withBaseWidth(4), };
		int seed = 1;
		for (final NetworkConfig cfg : configs) {
			final ModelBundle b = bundle(cfg, seed++);
			final Path f = dir.resolve(cfg.architecture().id() + seed + ".onnx");
			OnnxExport.write(b, f, "test");
			final long div = cfg.divisor();
			// two batch items, an anisotropic grid unlike the one the bundle names: the axes are symbolic
			final double worst = worst(b, f, new Shape(2, cfg.inChannels(), 2 * div, 3 * div, 4 * div));
			assertTrue(worst < 1e-4, cfg.describe() + ": ONNX Runtime differs by " + worst);
		}
	}

	@Test
	void debiansOnnxCheckerAcceptsTheFileAndReadsItsDeclarations(@TempDir final Path dir) throws Exception {
		final NetworkConfig cfg = NetworkConfig.vnet(1, 3).withLevels(3).withBaseWidth(4).withKernel(3);
		final ModelBundle b = bundle(cfg, 7);
		final Path f = dir.resolve("vnet.onnx");
		OnnxExport.write(b, f, "test");
		final JsonObject o = Python.json("onnx_check.py", f.toString()).getAsJsonObject();
		assertEquals(OnnxGraph.OPSET, o.getAsJsonArray("opset").get(0).getAsJsonArray().get(1).getAsInt());
		assertTrue(OnnxGraph.OPSET >= 13);
		final JsonArray in = o.getAsJsonArray("inputs").get(0).getAsJsonArray();
		assertEquals(OnnxExport.INPUT, in.get(0).getAsString());
		assertEquals("[\"batch\",1,\"z\",\"y\",\"x\"]", in.get(1).toString());
		final JsonArray out = o.getAsJsonArray("outputs").get(0).getAsJsonArray();
		assertEquals(OnnxExport.OUTPUT, out.get(0).getAsString());
		assertEquals(3, out.get(1).getAsJsonArray().get(1).getAsInt(), "shape inference gives the class channels");
		final String ops = o.getAsJsonArray("ops").toString();
		assertTrue(ops.contains("Softmax") && ops.contains("PRelu") && ops.contains("ConvTranspose"), ops);
		assertTrue(!ops.contains("BatchNormalization") && !ops.contains("\"Mul\""), "batch norm is folded: " + ops);
		// every weight of the bundle is in the file once: batch norm's four vectors become the conv's bias
		final long bnExtra = countBatchNormParams(b);
		final long params = o.get("parameters").getAsLong();
		assertTrue(params > 0 && params <= cfg.build().parameterCount() + bnExtra, "initializers " + params);
		final ModelDescription d = ModelDescription.parse(o.getAsJsonObject("metadata").get(ModelDescription.ONNX_KEY).getAsString(), f);
		assertEquals(CLASSES, d.classes());
		assertEquals(PreprocessingPlan.seedsCt(), d.plan());
		assertTrue(d.probabilities());
		assertEquals(16, d.shape()[0]);
		assertEquals(4, d.divisor());
	}

	private static long countBatchNormParams(final ModelBundle b) {
		long n = 0;
		for (final var p : b.network().build().getParameters()) if (p.getKey().contains("norm")) n += p.getValue().getShape().size();
		return n;
	}

	@Test
	void loadedThroughSegmentationModelWithItsDescription(@TempDir final Path dir) throws Exception {
		final ModelBundle b = bundle(NetworkConfig.unet(1, 3).withLevels(3).withBaseWidth(4), 3);
		final Path f = dir.resolve("m.onnx");
		OnnxExport.write(b, f, "m");
		try (SegmentationModel m = SegmentationModel.load(f, Device.cpu())) {
			assertEquals(CLASSES, m.classes());
			assertEquals(PreprocessingPlan.seedsCt(), m.plan());
			assertEquals(4, m.divisor());
			assertTrue(m.describe().contains("ONNX Runtime"), m.describe());
		}
		assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary file is left");
	}

	@Test
	void exportRefusesAPretrainedBackbone() {
		final ModelBundle b = bundle(NetworkConfig.unet(1, 3).withLevels(3).withBaseWidth(4), 3);
		final JsonObject t = new JsonObject(), s = new JsonObject();
		s.add("pretraining", new JsonObject());
		t.add("settings", s);
		final ModelBundle p = b.withTraining(t, null);
		final Exception e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.graph(p));
		assertTrue(e.getMessage().contains("pretrained backbone"), e.getMessage());
	}

	/** A graph of one Identity node with the given input and output shapes. */
	private static Path identity(final Path file, final Object[] in, final Object[] out, final boolean withMeta) throws IOException {
		final OnnxGraph g = new OnnxGraph();
		g.input("x", in);
		g.output(g.node("Identity", new String[] { "x" }), "y", out);
		if (withMeta) g.metadata(ModelDescription.ONNX_KEY, Json.toJson(ModelDescription.of(bundle(NetworkConfig.unet(1, 3).withLevels(3)
			.withBaseWidth(4), 1), false).toJson()));
		try (var o = Files.newOutputStream(file)) {
			g.write(o, "bad", "test", null);
		}
		return file;
	}

	@Test
	void foreignGraphsOfTheWrongShapeOrWithoutADescriptionAreRefusedSayingWhy(@TempDir final Path dir) throws Exception {
		final Path rank4 = identity(dir.resolve("rank4.onnx"), new Object[] { "n", 1L, "y", "x" }, new Object[] { "n", 1L, "y", "x" }, true);
		Exception e = assertThrows(IOException.class, () -> OnnxModel.load(rank4, null));
		assertTrue(e.getMessage().contains("rank4.onnx") && e.getMessage().contains("rank 4") && e.getMessage().contains("rank 5"),
			e.getMessage());
		final Path channels = identity(dir.resolve("channels.onnx"), new Object[] { "n", 3L, "z", "y", "x" }, new Object[] { "n", 3L, "z", "y",
			"x" }, true);
		e = assertThrows(IOException.class, () -> OnnxModel.load(channels, null));
		assertTrue(e.getMessage().contains("channels.onnx") && e.getMessage().contains("3 channels") && e.getMessage().contains(
			"expected 1"), e.getMessage());
		final Path bare = identity(dir.resolve("bare.onnx"), new Object[] { "n", 1L, "z", "y", "x" }, new Object[] { "n", 1L, "z", "y", "x" },
			false);
		e = assertThrows(IOException.class, () -> OnnxModel.load(bare, null));
		assertTrue(e.getMessage().contains("bare.onnx") && e.getMessage().contains("sidecar bare.json"), e.getMessage());
		final Path junk = Files.writeString(dir.resolve("junk.onnx"), "not a model");
		e = assertThrows(IOException.class, () -> OnnxModel.load(junk, null));
		assertTrue(e.getMessage().contains("junk.onnx") && e.getMessage().contains("cannot load"), e.getMessage());
	}
}
