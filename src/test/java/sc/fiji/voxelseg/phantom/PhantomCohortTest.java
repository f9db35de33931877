package sc.fiji.voxelseg.phantom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.testutil.Python;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

public class PhantomCohortTest {

	static final PhantomConfig CONFIG = new PhantomConfig(3, 21, 0.125, 1);

	@TempDir
	Path tmp;

	@Test
	public void writesNnUnetLayoutThatReadsBack() throws IOException {
		final Path out = tmp.resolve("ds");
		final TrainingDataset ds = PhantomCohort.write(CONFIG, out, Progress.NONE);
		assertEquals(3, ds.size());
		assertEquals(ClassTable.abdomen().names(), ds.classes().names());
		assertEquals(ClassTable.abdomen(), ds.classes());
		final JsonObject json = Json.read(out.resolve("dataset.json"), JsonObject.class);
		assertEquals("CT", json.getAsJsonObject("channel_names").get("0").getAsString());
		assertEquals(3, json.get("numTraining").getAsInt());
		assertEquals(".nii.gz", json.get("file_ending").getAsString());
		assertEquals(5, json.getAsJsonObject("labels").get("liver").getAsInt());
		assertEquals(0, json.getAsJsonObject("labels").get("background").getAsInt());
		assertEquals(21, json.getAsJsonObject("voxelseg_phantom").get("seed").getAsLong());
		final JsonArray training = json.getAsJsonArray("training");
		assertEquals("./imagesTr/case_002_0000.nii.gz", training.get(2).getAsJsonObject().get("image")
			.getAsString());
		assertEquals(9, json.getAsJsonArray("voxelseg_classes").size());
		// nothing else left in the folder (no staging folder)
		try (Stream<Path> s = Files.list(out)) {
			assertEquals(List.of("cases.json", "dataset.json", "imagesTr", "labelsTr"), s.map(p -> p.getFileName()
				.toString()).sorted().collect(Collectors.toList()));
		}
		final PhantomGenerator gen = new PhantomGenerator(CONFIG);
		for (int i = 0; i < 3; i++) {
			final TrainingDataset.Case c = ds.cases().get(i);
			assertEquals(PhantomGenerator.caseId(i), c.id());
			final PhantomCase pc = gen.generate(i);
			final Volume image = NiftiIO.read(c.image());
			final Volume label = NiftiIO.read(c.label());
			assertEquals(VoxelType.INT16, image.voxelType());
			assertEquals(VoxelType.UINT8, label.voxelType());
			assertEquals(ClassTable.abdomen(), label.classes());
			assertTrue(pc.image().sameGrid(image), image.describeGrid() + " vs " + pc.image()
				.describeGrid());
			assertTrue(pc.labels().sameGrid(label));
			assertArrayEquals(pc.image().direction(), image.direction(), 1e-6);
			assertArrayEquals(sc.fiji.voxelseg.image.Voxels.floats(pc.image().image()),
				sc.fiji.voxelseg.image.Voxels.floats(image.image()));
			assertArrayEquals(LabelMaps.histogram(pc.labels()), LabelMaps.histogram(label));
		}
		ds.checkGrids();
	}

	@Test
	public void sameSeedSameBytes() throws IOException {
		final PhantomConfig two = CONFIG.withCases(2);
		PhantomCohort.write(two, tmp.resolve("a"), Progress.NONE);
		PhantomCohort.write(two, tmp.resolve("b"), Progress.NONE);
		PhantomCohort.write(two.withSeed(22), tmp.resolve("c"), Progress.NONE);
		for (final String f : List.of("imagesTr/case_001_0000.nii.gz", "labelsTr/case_001.nii.gz",
			"dataset.json"))
		{
			assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp
				.resolve("b").resolve(f)), f);
			assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files
				.readAllBytes(tmp.resolve("c").resolve(f))), f);
		}
	}

	@Test
	public void cancelledRunLeavesNoCaseFiles() throws IOException {
		final Path out = tmp.resolve("cancel");
		final int[] done = { 0 };
		final Progress cancelAfterOne = new Progress() {

			@Override
			public void status(final String message) {}

			@Override
			public void progress(final long d, final long total) {
				done[0] = (int) d;
			}

			@Override
			public boolean isCanceled() {
				return done[0] >= 1;
			}
		};
		assertThrows(Progress.CanceledException.class, () -> PhantomCohort.write(CONFIG, out,
			cancelAfterOne));
		assertEquals(1, done[0]);
		try (Stream<Path> s = Files.walk(out)) {
			assertEquals(List.of(out), s.collect(Collectors.toList()), "nothing written");
		}
	}

	@Test
	public void rewriteReplacesEarlierCases() throws IOException {
		final Path out = tmp.resolve("re");
		PhantomCohort.write(CONFIG, out, Progress.NONE);
		final TrainingDataset ds = PhantomCohort.write(CONFIG.withCases(1), out, Progress.NONE);
		assertEquals(1, ds.size());
		try (Stream<Path> s = Files.list(out.resolve("imagesTr"))) {
			assertEquals(1, s.count());
		}
	}

	@Test
	public void datasetValidation() throws IOException {
		final Path out = tmp.resolve("v");
		PhantomCohort.write(CONFIG.withCases(2), out, Progress.NONE);
		final Path json = out.resolve("dataset.json");
		final String original = Files.readString(json);

		// missing label file: named in the message
		final Path label1 = out.resolve("labelsTr/case_001.nii.gz");
		final Path moved = tmp.resolve("moved.nii.gz");
		Files.move(label1, moved);
		IOException e = assertThrows(IOException.class, () -> TrainingDataset.read(out));
		assertTrue(e.getMessage().contains("labelsTr/case_001.nii.gz"), e.getMessage());
		Files.move(moved, label1);

		// image paired with another case's label
		Files.writeString(json, original.replace("./labelsTr/case_001.nii.gz",
			"./labelsTr/case_000.nii.gz"));
		e = assertThrows(IOException.class, () -> TrainingDataset.read(out));
		assertTrue(e.getMessage().contains("case_001") && e.getMessage().contains("case_000"), e
			.getMessage());

		// numTraining disagrees
		Files.writeString(json, original.replace("\"numTraining\": 2", "\"numTraining\": 5"));
		e = assertThrows(IOException.class, () -> TrainingDataset.read(out));
		assertTrue(e.getMessage().contains("numTraining"), e.getMessage());

		// empty: no training list and no images
		final Path empty = tmp.resolve("empty");
		Files.createDirectories(empty);
		Files.writeString(empty.resolve("dataset.json"),
			"{\"labels\": {\"background\": 0, \"liver\": 1}, \"file_ending\": \".nii.gz\"}");
		e = assertThrows(IOException.class, () -> TrainingDataset.read(empty));
		assertTrue(e.getMessage().contains("no training cases"), e.getMessage());

		// nnU-Net v2 style without "training": cases found in imagesTr
		Files.writeString(json, original);
		final JsonObject v2 = Json.read(json, JsonObject.class);
		v2.remove("training");
		v2.remove("voxelseg_classes");
		Json.write(json, v2);
		final TrainingDataset ds = TrainingDataset.read(json);
		assertEquals(2, ds.size());
		assertEquals("case_001", ds.cases().get(1).id());
		assertEquals(ClassTable.abdomen().names(), ds.classes().names());
	}

	/** nibabel reads the same shape, spacing, affine and organ volumes as VoxelSeg wrote. */
	@Test
	public void nibabelAgrees() throws Exception {
		final Path out = tmp.resolve("nib");
		final TrainingDataset ds = PhantomCohort.write(CONFIG.withCases(1), out, Progress.NONE);
		final TrainingDataset.Case c = ds.cases().get(0);
		final JsonObject r = Python.json("phantom_case.py", c.image().toString(), c.label().toString())
			.getAsJsonObject();
		final PhantomCase pc = new PhantomGenerator(CONFIG).generate(0);
		final Volume v = pc.image();
		final long[] dims = v.dims();
		for (int d = 0; d < 3; d++) {
			assertEquals(dims[d], r.getAsJsonArray("shape").get(d).getAsLong());
			assertEquals(dims[d], r.getAsJsonArray("label_shape").get(d).getAsLong());
			assertEquals(v.spacing()[d], r.getAsJsonArray("zooms").get(d).getAsDouble(), 1e-4);
		}
		assertEquals("int16", r.get("image_dtype").getAsString());
		assertEquals("uint8", r.get("label_dtype").getAsString());
		final double[] sp = v.spacing(), o = v.origin(), dir = v.direction();
		for (final String key : List.of("affine", "label_affine")) {
			final JsonArray a = r.getAsJsonArray(key);
			for (int row = 0; row < 3; row++) {
				for (int col = 0; col < 3; col++)
					assertEquals(dir[3 * row + col] * sp[col], a.get(row).getAsJsonArray().get(col)
						.getAsDouble(), 1e-4, key);
				assertEquals(o[row], a.get(row).getAsJsonArray().get(3).getAsDouble(), 1e-3, key);
			}
		}
		final double[] ml = PhantomGeneratorTest.organMl(pc);
		final long[] hist = LabelMaps.histogram(pc.labels());
		final JsonObject labels = r.getAsJsonObject("labels");
		for (int l = 1; l <= 8; l++) {
			final JsonObject e = labels.getAsJsonObject(String.valueOf(l));
			assertEquals(hist[l], e.get("voxels").getAsLong(), "voxels of label " + l);
			assertEquals(ml[l], e.get("ml").getAsDouble(), 1e-3 * ml[l], "mL of label " + l);
		}
		// contrast-enhanced liver, fluid gallbladder
		assertTrue(labels.getAsJsonObject("5").get("mean_hu").getAsDouble() > 70);
		assertTrue(labels.getAsJsonObject("3").get("mean_hu").getAsDouble() < 60);
	}
}
