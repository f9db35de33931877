package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;

/**
 * {@code export} then {@code segment --model FILE.onnx}: the label map that ONNX Runtime's run of the
 * exported file gives is the bundle's own, voxel for voxel (the oracle is VoxelSeg's predictor on the
 * bundle); bad formats and a missing model are usage errors.
 */
class ExportCommandTest {

	@TempDir
	Path tmp;

	@Test
	void theExportedFileSegmentsLikeTheBundle() throws Exception {
		final Path b = SegmentCascadeTest.bundle(tmp.resolve("vnet.zip"), new NetworkConfig(Architecture.VNET, 1, 9, 3, 4, 3, Norm.BATCH),
			new int[] { 32, 32, 16 }, null);
		final Path onnx = tmp.resolve("out/vnet.onnx");
		MainTest.Result r = MainTest.run("export", "--model", b.toString(), "--out", onnx.toString());
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("wrote " + onnx) && Files.size(onnx) > 1000, r.out());
		final Path image = SegmentCascadeTest.ct(tmp.resolve("ct.nii.gz"), 4);
		final Path own = tmp.resolve("own.nii.gz"), viaOnnx = tmp.resolve("onnx.nii.gz");
		r = MainTest.run("segment", "--model", b.toString(), "--in", image.toString(), "--out", own.toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		r = MainTest.run("segment", "--model", onnx.toString(), "--in", image.toString(), "--out", viaOnnx.toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		// the bundle itself through ONNX Runtime (its export built in memory)
		final Path viaEngine = tmp.resolve("engine.nii.gz");
		r = MainTest.run("segment", "--model", b.toString(), "--in", image.toString(), "--out", viaEngine.toString(), "--engine", "onnxruntime");
		assertEquals(0, r.code(), r.err());
		// a bioimage.io package: its plan in config.voxelseg, its weights through ONNX Runtime
		final Path pkg = tmp.resolve("pkg.zip"), viaPackage = tmp.resolve("package.nii.gz");
		r = MainTest.run("export", "--model", b.toString(), "--out", pkg.toString(), "--name", "Phantom organs", "--authors", "A. Author, B. Author");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("bioimage.io model 0.5") && r.out().contains("reproduce"), r.out());
		r = MainTest.run("segment", "--model", pkg.toString(), "--in", image.toString(), "--out", viaPackage.toString());
		assertEquals(0, r.code(), r.err());
		final Volume a = NiftiIO.read(own);
		for (final Path p : new Path[] { viaOnnx, viaEngine, viaPackage }) {
			final Volume c = NiftiIO.read(p);
			assertTrue(a.sameGrid(c));
			assertEquals(a.classes(), c.classes());
			assertArrayEquals(Voxels.floats(a.image()), Voxels.floats(c.image()), p.toString());
		}
	}

	/** Fiji without the ONNX Runtime jar: an ONNX model is refused with what to add, and export still works. */
	@Test
	void withoutOnnxRuntimeTheMessageSaysWhatToAdd() throws Exception {
		final Path b = SegmentCascadeTest.coarse(tmp.resolve("m.zip"));
		final Path onnx = tmp.resolve("m.onnx");
		assertEquals(0, MainTest.run("export", "--model", b.toString(), "--out", onnx.toString()).code());
		final String cp = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).filter(e -> !e
			.contains("onnxruntime")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
		final Path image = SegmentCascadeTest.ct(tmp.resolve("ct.nii.gz"), 1);
		final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp", cp,
			Main.class.getName(), "segment", "--model", onnx.toString(), "--in", image.toString(), "--out", tmp.resolve("l.nii.gz").toString())
				.redirectErrorStream(true).start();
		final String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		assertEquals(1, p.waitFor());
		assertTrue(out.contains("m.onnx") && out.contains("needs ONNX Runtime") && out.contains("jars/"), out);
	}

	@Test
	void badFormatsAndMissingModelsAreUsageErrors() throws Exception {
		final Path b = SegmentCascadeTest.coarse(tmp.resolve("m.zip"));
		MainTest.Result r = MainTest.run("export", "--model", b.toString(), "--out", tmp.resolve("m.tflite").toString(), "--format", "tflite");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("tflite") && r.err().contains("onnx") && r.err().contains("bioimageio"), r.err());
		r = MainTest.run("export", "--model", b.toString(), "--out", tmp.resolve("p.zip").toString(), "--name", "bad/name");
		assertEquals(1, r.code());
		assertTrue(r.err().contains("bad/name") && r.err().contains("5 to 128"), r.err());
		assertTrue(!Files.exists(tmp.resolve("p.zip")));
		r = MainTest.run("export", "--model", tmp.resolve("none.zip").toString(), "--out", tmp.resolve("x.onnx").toString());
		assertEquals(2, r.code());
		assertTrue(r.err().contains("none.zip") && r.err().contains("does not exist"), r.err());
		assertTrue(!Files.exists(tmp.resolve("x.onnx")));
		r = MainTest.run("segment", "--model", b.toString(), "--in", b.toString(), "--out", tmp.resolve("y.nii.gz").toString(), "--engine",
			"tensorrt");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("tensorrt") && r.err().contains("onnxruntime"), r.err());
	}
}
