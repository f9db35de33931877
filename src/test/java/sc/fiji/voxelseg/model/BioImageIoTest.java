package sc.fiji.voxelseg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.testutil.Python;

/**
 * bioimage.io packages. Oracles: Debian's python3-yaml and python3-numpy read the package (rdf.yaml,
 * the .npy test tensors, the sha256 of every file) independently of VoxelSeg's writer; the rdf is
 * checked against the fields that format 0.5 requires, listed here from bioimageio.spec's model
 * description (v0_5.py; the fields required up to format 0.5.4, which later versions made optional
 * but still warn about); the package's own test tensors reproduce through ONNX Runtime, an engine
 * other than the libtorch pass that wrote them. Packages from elsewhere are written by
 * {@code bioimageio_torchscript.py} with python3-torch, numpy and yaml alone, and their test output
 * is PyTorch's.
 */
class BioImageIoTest {

	/** Model fields: required in format 0.5 (name, format_version, type, inputs, outputs, weights) and up to 0.5.4. */
	static final List<String> MODEL_FIELDS = List.of("format_version", "type", "name", "description", "authors", "cite", "license",
		"documentation", "inputs", "outputs", "weights");
	/** Fields of an input or output tensor description that VoxelSeg's consumers need (axes is the spec's only required one). */
	static final List<String> TENSOR_FIELDS = List.of("id", "axes", "test_tensor", "data");
	/** The spec's allowed keys of a model description; anything else is "Extra inputs are not permitted". */
	static final Set<String> MODEL_KEYS = Set.of("format_version", "type", "name", "description", "authors", "cite", "license",
		"documentation", "inputs", "outputs", "weights", "covers", "timestamp", "version", "id", "git_repo", "tags", "attachments", "id_emoji",
		"icon", "links", "uploader", "maintainers", "packaged_by", "parent", "run_mode", "training_data", "version_comment", "config");

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	static Path exported(final Path dir, final PreprocessingPlan plan) throws IOException {
		final ModelBundle b0 = OnnxExportTest.bundle(NetworkConfig.unet(1, 3).withLevels(3).withBaseWidth(4), 11);
		final ModelBundle b = new ModelBundle(b0.network(), b0.classes(), plan, new int[] { 32, 32, 16 }, null, b0.weights(), null);
		final Path zip = dir.resolve("package.zip");
		BioImageIo.export(b, zip, BioImageIo.Meta.defaults(b, "Test liver and spleen"));
		return zip;
	}

	@Test
	void thePackageHasEverySpecFieldConsistentFilesAndReproducesItsTestTensors(@TempDir final Path dir) throws Exception {
		final Path zip = exported(dir, new PreprocessingPlan(List.of(Step.Window.of(sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE),
			new Step.ResampleToShape(new long[] { 32, 32, 16 }))));
		final JsonObject o = Python.json("bioimageio_check.py", zip.toString()).getAsJsonObject();
		final JsonObject rdf = o.getAsJsonObject("rdf"), sha = o.getAsJsonObject("sha256"), arrays = o.getAsJsonObject("arrays");
		for (final String f : MODEL_FIELDS) assertTrue(rdf.has(f) && !rdf.get(f).isJsonNull(), "rdf.yaml lacks " + f);
		for (final String k : rdf.keySet()) assertTrue(MODEL_KEYS.contains(k), "rdf.yaml has a key the spec does not allow: " + k);
		assertTrue(rdf.get("format_version").getAsString().matches("0\\.5\\.\\d+"));
		assertEquals("model", rdf.get("type").getAsString());
		final String name = rdf.get("name").getAsString();
		assertTrue(name.length() >= 5 && name.length() <= 128 && name.matches("[A-Za-z0-9_+\\- ()]+"), name);
		assertTrue(rdf.get("description").getAsString().length() <= 1024);
		for (final JsonElement a : rdf.getAsJsonArray("authors")) assertTrue(a.getAsJsonObject().has("name"));
		for (final JsonElement c : rdf.getAsJsonArray("cite")) {
			final JsonObject co = c.getAsJsonObject();
			assertTrue(co.has("text") && (co.has("doi") || co.has("url")), co.toString());
		}
		assertTrue(rdf.get("documentation").getAsString().endsWith(".md"));
		assertTrue(o.getAsJsonObject("png").get(rdf.getAsJsonArray("covers").get(0).getAsString()).getAsBoolean(), "the cover is a PNG");
		final String readme = new String(read(zip, rdf.get("documentation").getAsString()), java.nio.charset.StandardCharsets.UTF_8);
		assertTrue(readme.contains("# Validation") || readme.contains("## Validation"), "README has a Validation section");
		// tensors
		final JsonObject in = rdf.getAsJsonArray("inputs").get(0).getAsJsonObject(), out = rdf.getAsJsonArray("outputs").get(0)
			.getAsJsonObject();
		for (final JsonObject t : List.of(in, out)) {
			for (final String f : TENSOR_FIELDS) assertTrue(t.has(f), t.get("id") + " lacks " + f);
			assertTrue(t.get("id").getAsString().matches("[a-z_][a-z0-9_]{0,31}"), t.get("id").getAsString());
			assertTrue(t.get("description").getAsString().length() <= 128);
			final JsonArray axes = t.getAsJsonArray("axes");
			assertEquals(List.of("batch", "channel", "space", "space", "space"), axes.asList().stream().map(a -> a.getAsJsonObject().get("type")
				.getAsString()).toList());
			final JsonArray channels = axes.get(1).getAsJsonObject().getAsJsonArray("channel_names");
			for (final JsonElement c : channels) assertTrue(c.getAsString().matches("[A-Za-z_][A-Za-z0-9_]*"), c.getAsString());
			final String file = t.getAsJsonObject("test_tensor").get("source").getAsString();
			assertEquals(sha.get(file).getAsString(), t.getAsJsonObject("test_tensor").get("sha256").getAsString(), file);
			final JsonObject arr = arrays.getAsJsonObject(file);
			assertEquals("float32", arr.get("dtype").getAsString());
			final JsonArray shape = arr.getAsJsonArray("shape");
			assertEquals(axes.size(), shape.size(), file + ": one dimension per axis, the batch axis included");
			assertEquals(1, shape.get(0).getAsInt());
			assertEquals(channels.size(), shape.get(1).getAsInt(), file + ": channels");
			for (int a = 2; a < 5; a++) {
				final JsonObject size = t == in ? axes.get(a).getAsJsonObject().getAsJsonObject("size") : null;
				if (size != null) assertEquals(0, (shape.get(a).getAsInt() - size.get("min").getAsInt()) % size.get("step").getAsInt(), file);
			}
			assertTrue(arr.get("max").getAsDouble() - arr.get("min").getAsDouble() > 1e-4, file + " is not constant");
		}
		assertEquals("[\"background\",\"liver\",\"spleen\"]", out.getAsJsonArray("axes").get(1).getAsJsonObject().getAsJsonArray(
			"channel_names").toString());
		final JsonObject probs = arrays.getAsJsonObject(out.getAsJsonObject("test_tensor").get("source").getAsString());
		assertEquals(1.0, probs.get("channel_sums_min").getAsDouble(), 1e-5, "probabilities sum to 1");
		assertEquals(1.0, probs.get("channel_sums_max").getAsDouble(), 1e-5);
		// HU in, the window as clip + scale_linear
		assertTrue(arrays.getAsJsonObject("test_input.npy").get("min").getAsDouble() < -500, "the test input is in HU");
		assertEquals("[\"clip\",\"scale_linear\"]", in.getAsJsonArray("preprocessing").asList().stream().map(p -> "\"" + p.getAsJsonObject()
			.get("id").getAsString() + "\"").toList().toString().replace(" ", ""));
		final JsonObject onnx = rdf.getAsJsonObject("weights").getAsJsonObject("onnx");
		assertEquals(sha.get(onnx.get("source").getAsString()).getAsString(), onnx.get("sha256").getAsString());
		assertTrue(onnx.get("opset_version").getAsInt() >= 13);
		// the package's own test tensors through ONNX Runtime
		final double worst = BioImageIo.reproduce(zip);
		assertTrue(worst < 1e-4, "test output reproduced within " + worst);
	}

	private static byte[] read(final Path zip, final String name) throws IOException {
		try (ZipFile z = new ZipFile(zip.toFile())) {
			return z.getInputStream(z.getEntry(name)).readAllBytes();
		}
	}

	/** A copy of {@code zip} with rdf.yaml's text changed by {@code edit}. */
	private static Path edited(final Path zip, final Path out, final java.util.function.UnaryOperator<String> edit) throws IOException {
		try (ZipFile z = new ZipFile(zip.toFile()); ZipOutputStream o = new ZipOutputStream(Files.newOutputStream(out))) {
			for (final ZipEntry e : java.util.Collections.list(z.entries())) {
				byte[] b = z.getInputStream(e).readAllBytes();
				if (e.getName().equals("rdf.yaml")) b = edit.apply(new String(b, java.nio.charset.StandardCharsets.UTF_8)).getBytes(
					java.nio.charset.StandardCharsets.UTF_8);
				o.putNextEntry(new ZipEntry(e.getName()));
				o.write(b);
				o.closeEntry();
			}
		}
		return out;
	}

	@Test
	void aPackageWithoutVoxelSegsConfigIsDescribedFromItsRdf(@TempDir final Path dir) throws Exception {
		final Path zip = exported(dir, new PreprocessingPlan(List.of(Step.Window.of(sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE))));
		final Path foreign = edited(zip, dir.resolve("foreign.zip"), s -> s.substring(0, s.indexOf("config:")));
		assertTrue(BioImageIo.isPackage(foreign));
		try (SegmentationModel m = SegmentationModel.load(foreign, ai.djl.Device.cpu())) {
			assertEquals(Map.of(0, "background", 1, "liver", 2, "spleen"), m.classes().names());
			final Step.Window w = (Step.Window) m.plan().steps().get(0);
			assertEquals(sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE.lower(), w.lower(), 1e-9);
			assertEquals(sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE.upper(), w.upper(), 1e-9);
			assertEquals(1, m.plan().steps().size());
			assertEquals(4, m.divisor());
		}
		assertTrue(BioImageIo.reproduce(foreign) < 1e-4);
	}

	/** Which plans split into a geometric input plan and bioimage.io operations, and which take the fully preprocessed image. */
	@Test
	void onlyPointwiseStepsMoveAfterGeometricOnes() {
		final Step.Window w = Step.Window.of(sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE);
		final Step resample = new Step.ResampleToShape(new long[] { 32, 32, 16 });
		BioImageIo.Split sp = BioImageIo.split(new PreprocessingPlan(List.of(w, resample)));
		assertEquals(List.of(resample), sp.input().steps());
		assertEquals(List.of("clip", "scale_linear"), sp.ops().stream().map(BioImageIo.Op::id).toList());
		// a z-score after the resampling stays an operation; before it, its statistics would change
		sp = BioImageIo.split(new PreprocessingPlan(List.of(resample, new Step.ZScore(null))));
		assertEquals(List.of("zero_mean_unit_variance"), sp.ops().stream().map(BioImageIo.Op::id).toList());
		assertEquals(null, BioImageIo.split(new PreprocessingPlan(List.of(new Step.ZScore(null), resample))));
		// a pad after a window would pad in HU; a crop on windowed intensities cannot move either
		assertEquals(null, BioImageIo.split(new PreprocessingPlan(List.of(w, new Step.CropOrPad(new long[] { 32, 32, 16 }, 0)))));
		assertEquals(null, BioImageIo.split(PreprocessingPlan.mri()));
		// a masked z-score has no bioimage.io operation
		assertEquals(null, BioImageIo.split(new PreprocessingPlan(List.of(resample, new Step.ZScore(0.0)))));
	}

	@Test
	void aFolderPackageLoadsFromTheFolderOrItsRdfYaml(@TempDir final Path dir) throws Exception {
		final ModelBundle b0 = OnnxExportTest.bundle(NetworkConfig.vnet(1, 3).withLevels(3).withBaseWidth(4).withKernel(3), 5);
		final ModelBundle b = new ModelBundle(b0.network(), b0.classes(), PreprocessingPlan.seedsCt(), new int[] { 32, 32, 16 }, null, b0
			.weights(), null);
		final Path folder = dir.resolve("pkg");
		BioImageIo.export(b, folder, BioImageIo.Meta.defaults(b, "Folder package"));
		for (final Path p : new Path[] { folder, folder.resolve("rdf.yaml") }) {
			assertTrue(BioImageIo.isPackage(p), p.toString());
			try (SegmentationModel m = SegmentationModel.load(p, ai.djl.Device.cpu())) {
				assertEquals(PreprocessingPlan.seedsCt(), m.plan());
			}
			assertTrue(BioImageIo.reproduce(p) < 1e-4);
		}
		try (var l = Files.list(folder)) {
			assertEquals(Set.of("rdf.yaml", "weights.onnx", "test_input.npy", "test_output.npy", "cover.png", "README.md"), l.map(p -> p
				.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
		}
	}

	@Test
	void otherSpecVersionsOtherWeightFormatsAndDamagedWeightsAreRefusedSayingWhich(@TempDir final Path dir) throws Exception {
		final Path zip = exported(dir, PreprocessingPlan.seedsCt());
		final Path old = edited(zip, dir.resolve("old.zip"), s -> s.replace("format_version: 0.5.4", "format_version: 0.4.10"));
		Exception e = assertThrows(IOException.class, () -> BioImageIo.load(old));
		assertTrue(e.getMessage().contains("old.zip") && e.getMessage().contains("0.4.10") && e.getMessage().contains("0.5.x"), e.getMessage());
		final Path torch = edited(zip, dir.resolve("torch.zip"), s -> s.replace("  onnx:\n", "  pytorch_state_dict:\n"));
		e = assertThrows(IOException.class, () -> BioImageIo.load(torch));
		assertTrue(e.getMessage().contains("pytorch_state_dict") && e.getMessage().contains("onnx"), e.getMessage());
		final Path damaged = edited(zip, dir.resolve("damaged.zip"), s -> s.replaceFirst("(weights:\n  onnx:\n    source: weights.onnx\n    sha256: )[0-9a-f]",
			"$1x"));
		e = assertThrows(IOException.class, () -> BioImageIo.load(damaged));
		assertTrue(e.getMessage().contains("weights.onnx") && e.getMessage().contains("sha256"), e.getMessage());
		final Path notModel = edited(zip, dir.resolve("dataset.zip"), s -> s.replace("type: model", "type: dataset"));
		e = assertThrows(IOException.class, () -> BioImageIo.load(notModel));
		assertTrue(e.getMessage().contains("dataset"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new BioImageIo.Meta("x/y", "d", List.of("a"), "MIT", "t", "u"));
		assertThrows(IllegalArgumentException.class, () -> new BioImageIo.Meta("Good name", "d", List.of("a"), "Apache 2", "t", "u"));
	}

	/**
	 * A package from elsewhere with TorchScript weights runs on libtorch and reproduces PyTorch's
	 * test output, from a folder and from a zip; with ONNX weights too, each engine runs its own
	 * weights; TorchScript alone is refused for ONNX Runtime, and damaged weights are refused.
	 */
	@Test
	void aForeignPackageWithTorchScriptWeightsRunsOnLibtorchAndReproducesPyTorch(@TempDir final Path dir) throws Exception {
		final Path folder = dir.resolve("ts");
		final JsonObject made = Python.json("bioimageio_torchscript.py", folder.toString()).getAsJsonObject();
		assertEquals("[\"torchscript\"]", made.get("weights").toString());
		assertTrue(BioImageIo.isPackage(folder));
		try (SegmentationModel m = SegmentationModel.load(folder, ai.djl.Device.cpu())) {
			assertTrue(m instanceof TorchScriptModel, m.describe());
			assertEquals(Map.of(0, "background", 1, "liver", 2, "kidney"), m.classes().names());
			final Step.Window w = (Step.Window) m.plan().steps().get(0);
			assertEquals(-100, w.lower(), 1e-9);
			assertEquals(200, w.upper(), 1e-9);
			assertEquals(8, m.divisor());
			assertTrue(((TorchScriptModel) m).description().probabilities());
		}
		assertTrue(BioImageIo.reproduce(folder) < 1e-5);
		final Path zip = dir.resolve("ts.zip");
		try (ZipOutputStream o = new ZipOutputStream(Files.newOutputStream(zip)); var files = Files.list(folder)) {
			for (final Path f : files.sorted().toList()) {
				o.putNextEntry(new ZipEntry("pkg/" + f.getFileName()));
				o.write(Files.readAllBytes(f));
				o.closeEntry();
			}
		}
		try (SegmentationModel m = SegmentationModel.load(zip, ai.djl.Device.cpu())) {
			assertTrue(m instanceof TorchScriptModel && m.describe().contains("ts.zip"), m.describe());
		}
		assertTrue(BioImageIo.reproduce(zip) < 1e-5);
		Exception e = assertThrows(IllegalArgumentException.class, () -> SegmentationModel.load(folder, ai.djl.Device.cpu(), true));
		assertTrue(e.getMessage().contains("TorchScript weights only") && e.getMessage().contains("libtorch"), e.getMessage());
		final Path rdf = folder.resolve("rdf.yaml");
		final String text = Files.readString(rdf);
		Files.writeString(rdf, text.replaceFirst("(source: weights.pt\n\\s+sha256: )[0-9a-f]", "$1x"));
		e = assertThrows(IOException.class, () -> SegmentationModel.load(folder, ai.djl.Device.cpu()));
		assertTrue(e.getMessage().contains("weights.pt") && e.getMessage().contains("sha256"), e.getMessage());
		Files.writeString(rdf, text);

		final Path both = dir.resolve("both");
		Python.json("bioimageio_torchscript.py", both.toString(), "--onnx");
		try (SegmentationModel t = SegmentationModel.load(both, ai.djl.Device.cpu()); SegmentationModel o = SegmentationModel.load(both,
			ai.djl.Device.cpu(), true))
		{
			assertTrue(t instanceof TorchScriptModel, t.describe());
			assertTrue(o instanceof OnnxModel, o.describe());
		}
		assertTrue(BioImageIo.reproduce(both, false) < 1e-5);
		assertTrue(BioImageIo.reproduce(both, true) < 1e-5);
	}
}
