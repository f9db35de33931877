package sc.fiji.voxelseg.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.testutil.Python;

/**
 * Model bundles: save, load and identical outputs (the oracle is the network before saving), the
 * checks that refuse damaged or foreign bundles, and TorchScript import (the oracle is
 * python3-torch's output for the exported module).
 */
class ModelBundleTest {

	static final NetworkConfig CFG = NetworkConfig.unet(1, 3).withLevels(3).withBaseWidth(4);
	static final ClassTable CLASSES = ClassTable.of(List.of("liver", "spleen"));

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	private static ModelBundle bundle(final NDManager m, final SegmentationNetwork[] net) {
		TorchEngine.seed(5);
		net[0] = CFG.build();
		net[0].initialize(m, DataType.FLOAT32, new Shape(1, 1, 8, 8, 8));
		final JsonObject t = new JsonObject();
		t.addProperty("note", "test");
		return new ModelBundle(CFG, CLASSES, PreprocessingPlan.seedsCt(), new int[] { 16, 16, 8 }, t, ModelBundle.weightsOf(net[0]),
			null);
	}

	@Test
	void savedAndLoadedBundlesPredictIdentically(@TempDir final Path dir) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final SegmentationNetwork[] net = new SegmentationNetwork[1];
			final ModelBundle b = bundle(m, net);
			final NDArray x = m.randomUniform(0, 1, new Shape(2, 1, 8, 16, 16));
			final float[] expected = net[0].forward(new ParameterStore(m, false), new NDList(x), false).get(0).toFloatArray();
			for (final Path p : new Path[] { dir.resolve("folder-model"), dir.resolve("zipped.zip") }) {
				b.save(p);
				b.save(p); // overwriting an existing bundle works
				try (SegmentationModel loaded = SegmentationModel.load(p, Device.cpu())) {
					assertEquals(CLASSES, loaded.classes());
					assertEquals(PreprocessingPlan.seedsCt(), loaded.plan());
					assertArrayEquals(new int[] { 16, 16, 8 }, loaded.inputShape());
					assertEquals(4, loaded.divisor());
					final float[] got = loaded.logits(x).toFloatArray();
					assertArrayEquals(expected, got, 0f, p.toString());
				}
				final ModelBundle back = ModelBundle.load(p);
				assertEquals("test", back.training().get("note").getAsString());
				assertEquals(CFG, back.network());
			}
			try (var files = Files.list(dir)) {
				assertEquals(2, files.count(), "no temporary files are left");
			}
		}
	}

	/** A checkpoint's objective parameters travel in folders and zips, checked like the weights; bundles without them have none. */
	@Test
	void objectiveStateRoundTrips(@TempDir final Path dir) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final ModelBundle plain = bundle(m, new SegmentationNetwork[1]);
			final byte[] state = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
			final ModelBundle b = plain.withTraining(plain.training(), new byte[] { 42 }).withObjectiveState(state);
			for (final Path p : new Path[] { dir.resolve("ckpt"), dir.resolve("ckpt.zip") }) {
				b.save(p);
				final ModelBundle back = ModelBundle.load(p);
				assertArrayEquals(state, back.objectiveState());
				assertArrayEquals(new byte[] { 42 }, back.optimiserState());
				assertArrayEquals(plain.weights(), back.weights());
			}
			plain.save(dir.resolve("model"));
			assertEquals(null, ModelBundle.load(dir.resolve("model")).objectiveState());
			assertTrue(!Files.exists(dir.resolve("model").resolve(ModelBundle.OBJECTIVE)));
			final Path damaged = dir.resolve("ckpt").resolve(ModelBundle.OBJECTIVE);
			Files.write(damaged, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 0 });
			final IOException io = assertThrows(IOException.class, () -> ModelBundle.load(dir.resolve("ckpt")));
			assertTrue(io.getMessage().contains(ModelBundle.OBJECTIVE) && io.getMessage().contains("damaged"), io.getMessage());
		}
	}

	@Test
	void refusesForeignNewerAndDamagedBundles(@TempDir final Path dir) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final ModelBundle b = bundle(m, new SegmentationNetwork[1]);
			final Path p = dir.resolve("m");
			b.save(p);
			// another architecture or other classes than expected
			final ModelBundle ok = ModelBundle.load(p);
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ok.requireCompatible(NetworkConfig.vnet(1,
				3), null, "bundle m"));
			assertTrue(e.getMessage().contains("vnet") && e.getMessage().contains("unet"), e.getMessage());
			e = assertThrows(IllegalArgumentException.class, () -> ok.requireCompatible(null, ClassTable.of(List.of("liver",
				"kidney")), "bundle m"));
			assertTrue(e.getMessage().contains("2: spleen vs kidney"), e.getMessage());
			// a newer format
			final Path desc = p.resolve(ModelBundle.DESCRIPTION);
			final String json = Files.readString(desc);
			Files.writeString(desc, json.replace("\"format_version\": 1", "\"format_version\": 7"));
			IOException io = assertThrows(IOException.class, () -> ModelBundle.load(p));
			assertTrue(io.getMessage().contains("format version 7") && io.getMessage().contains("newer"), io.getMessage());
			Files.writeString(desc, json);
			// truncated and damaged weights
			final Path w = p.resolve(ModelBundle.WEIGHTS);
			final byte[] weights = Files.readAllBytes(w);
			Files.write(w, java.util.Arrays.copyOf(weights, weights.length / 2));
			io = assertThrows(IOException.class, () -> ModelBundle.load(p));
			assertTrue(io.getMessage().contains("truncated"), io.getMessage());
			weights[weights.length - 3] ^= 0x55;
			Files.write(w, weights);
			io = assertThrows(IOException.class, () -> ModelBundle.load(p));
			assertTrue(io.getMessage().contains("damaged"), io.getMessage());
			// a description that claims another network than the weights hold
			weights[weights.length - 3] ^= 0x55;
			Files.write(w, weights);
			Files.writeString(desc, json.replace("\"base_width\": 4", "\"base_width\": 8"));
			final ModelBundle lying = ModelBundle.load(p);
			io = assertThrows(IOException.class, () -> lying.network(m));
			assertTrue(io.getMessage().contains("do not fit"), io.getMessage());
			// not a bundle at all
			io = assertThrows(IOException.class, () -> ModelBundle.load(dir.resolve("nothing")));
			assertTrue(io.getMessage().contains("no such model bundle"), io.getMessage());
			Files.writeString(dir.resolve("junk.zip"), "not a zip");
			io = assertThrows(IOException.class, () -> ModelBundle.load(dir.resolve("junk.zip")));
			assertTrue(io.getMessage().contains("junk.zip"), io.getMessage());
		}
	}

	@Test
	void importsTorchScriptWithItsSidecar(@TempDir final Path dir) throws Exception {
		final Path pt = dir.resolve("tiny.pt"), in = dir.resolve("in.raw"), out = dir.resolve("out.raw");
		Python.run("torchscript_export.py", pt.toString(), in.toString(), out.toString());
		IOException e = assertThrows(IOException.class, () -> SegmentationModel.load(pt, Device.cpu()));
		assertTrue(e.getMessage().contains("sidecar"), e.getMessage());
		final JsonObject side = new JsonObject();
		side.add("classes", CLASSES.toJson());
		side.add("preprocessing", JsonParser.parseString(PreprocessingPlan.seedsCt().toJson()));
		final JsonObject input = new JsonObject();
		input.add("shape_xyz", JsonParser.parseString("[16, 12, 8]"));
		input.addProperty("divisor", 2);
		side.add("input", input);
		Files.writeString(TorchScriptModel.sidecar(pt), side.toString());
		try (SegmentationModel model = SegmentationModel.load(pt, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
			assertEquals(CLASSES, model.classes());
			assertEquals(2, model.divisor());
			final NDArray x = m.create(floats(in), new Shape(1, 1, 8, 12, 16));
			final float[] got = model.logits(x).toFloatArray();
			final float[] expected = floats(out);
			assertEquals(expected.length, got.length);
			for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-5, "logit " + i);
		}
		Files.write(pt, new byte[] { 1, 2, 3 });
		e = assertThrows(IOException.class, () -> SegmentationModel.load(pt, Device.cpu()));
		assertTrue(e.getMessage().contains("not a TorchScript file"), e.getMessage());
	}

	static float[] floats(final Path p) throws IOException {
		final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
		final float[] f = new float[b.remaining() / 4];
		b.asFloatBuffer().get(f);
		return f;
	}
}
