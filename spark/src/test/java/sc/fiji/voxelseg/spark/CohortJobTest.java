package sc.fiji.voxelseg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.cli.Main;
import sc.fiji.voxelseg.cli.SegmentCascadeTest;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;

/**
 * Cohort segmentation on Spark in local mode. The oracle is the single-machine {@code segment} of
 * the same folder: every label map must be identical. A bad file becomes a failed row and the rest
 * finish; a task killed after writing its label map to a temporary file and before publishing it
 * is retried and leaves no partial file; a rerun skips what is done.
 */
class CohortJobTest {

	@TempDir
	Path tmp;

	record Run(int code, String out, String err) {}

	static Run spark(final String... args) throws Exception {
		return job("segment", args);
	}

	static Path cohort(final Path dir, final int n) throws Exception {
		Files.createDirectories(dir);
		for (int i = 0; i < n; i++) SegmentCascadeTest.ct(dir.resolve(String.format("case_%03d_0000.nii.gz", i)), i);
		return dir;
	}

	static List<Path> files(final Path dir, final String glob) throws Exception {
		final List<Path> out = new ArrayList<>();
		try (Stream<Path> s = Files.walk(dir)) {
			s.filter(p -> Files.isRegularFile(p) && p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())).forEach(out::add);
		}
		return out;
	}

	@Test
	void localModeGivesTheSingleMachineLabelMapsReportsABadFileAndRetriesAKilledTask() throws Exception {
		final Path model = SegmentCascadeTest.coarse(tmp.resolve("model.zip"));
		final Path in = cohort(tmp.resolve("images"), 4);
		// the oracle: the folder segment on one machine
		final Path single = tmp.resolve("single");
		final ByteArrayOutputStream so = new ByteArrayOutputStream();
		assertEquals(0, Main.run(new String[] { "segment", "--model", model.toString(), "--in", in.toString(), "--out", single.toString(),
			"--device", "cpu" }, new PrintStream(so), new PrintStream(so)), so.toString());
		Files.writeString(in.resolve("broken_0000.nii.gz"), "not a volume");
		final Path out = tmp.resolve("spark");
		Run r = spark("--spark", "local[2]", "--model", model.toString(), "--in", in.toString(), "--out", out.toString());
		assertEquals(1, r.code(), r.err());
		assertTrue(r.out().contains("segmented 4, skipped 0 already done, failed 1"), r.out());
		assertTrue(r.err().contains("broken_0000.nii.gz"), r.err());
		for (int i = 0; i < 4; i++) {
			final String name = String.format("case_%03d.nii.gz", i);
			assertArrayEquals(Voxels.floats(NiftiIO.read(single.resolve(name)).image()), Voxels.floats(NiftiIO.read(out.resolve(name)).image()),
				name);
		}
		try (SparkSession s = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate()) {
			final List<Row> rows = s.read().parquet(out.resolve("_voxelseg/cases.parquet").toString()).orderBy("case_id").collectAsList();
			assertEquals(5, rows.size());
			assertEquals("broken", rows.get(0).getString(0));
			assertEquals("failed", rows.get(0).getString(1));
			assertTrue(rows.get(0).getString(2).contains("broken_0000.nii.gz"), rows.get(0).getString(2));
			for (int i = 1; i < 5; i++) assertEquals("done", rows.get(i).getString(1));
			assertEquals(1, files(out.resolve("_voxelseg/cases.csv"), "*.csv").size());
		}
		// a rerun skips what is done
		r = spark("--spark", "local[2]", "--model", model.toString(), "--in", in.toString(), "--out", out.toString());
		assertTrue(r.out().contains("segmented 0, skipped 4 already done, failed 1"), r.out());
		// a task killed after writing and before publishing is retried; no partial file is left
		Files.delete(in.resolve("broken_0000.nii.gz"));
		Files.delete(out.resolve("case_002.nii.gz"));
		System.setProperty(FaultInjection.KILL, "case_002");
		try {
			r = spark("--spark", "local[2,3]", "--model", model.toString(), "--in", in.toString(), "--out", out.toString(), "--truth", single
				.toString());
		}
		finally {
			System.clearProperty(FaultInjection.KILL);
		}
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("segmented 1, skipped 3 already done, failed 0"), r.out());
		assertArrayEquals(Voxels.floats(NiftiIO.read(single.resolve("case_002.nii.gz")).image()), Voxels.floats(NiftiIO.read(out.resolve(
			"case_002.nii.gz")).image()));
		assertEquals(List.of(), files(out, "*.part"), "no partial file");
		assertEquals(List.of(), files(out, "*.part.crc"), "no partial file's checksum");
		try (Stream<Path> top = Files.list(out)) {
			assertEquals(List.of(), top.filter(p -> p.getFileName().toString().endsWith(".crc")).toList(), "no checksum files beside the label maps");
		}
		try (SparkSession s = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate()) {
			final Row retried = s.read().parquet(out.resolve("_voxelseg/cases.parquet").toString()).filter("case_id = 'case_002'").first();
			assertEquals(1, retried.getInt(4), "the second attempt wrote it");
			// evaluated against itself: every class present is matched exactly
			final List<Row> m = s.read().parquet(out.resolve("_voxelseg/metrics.parquet").toString()).filter("status = 'OK'").collectAsList();
			assertTrue(!m.isEmpty());
			for (final Row row : m) assertEquals(1.0, row.getDouble(3), 1e-12, row.toString());
		}
		assertTrue(Files.isRegularFile(out.resolve("_voxelseg/evaluation/summary.csv")));
	}

	static Run job(final String command, final String... args) throws Exception {
		final ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
		final int code = SparkCohort.run(command, List.of(args), new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true,
			StandardCharsets.UTF_8));
		return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
	}

	static int main(final String... args) {
		final ByteArrayOutputStream so = new ByteArrayOutputStream();
		return Main.run(args, new PrintStream(so), new PrintStream(so));
	}

	/** Preprocessing and evaluation jobs against the single-machine preprocess and evaluate of the same files. */
	@Test
	void preprocessAndEvaluateGiveTheSingleMachineResults() throws Exception {
		final Path in = cohort(tmp.resolve("images"), 3);
		final Path out = tmp.resolve("pre");
		Run r = job("preprocess", "--spark", "local[2]", "--in", in.toString(), "--out", out.toString(), "--preset", "ct-body-2mm");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("preprocessed 3, skipped 0 already done, failed 0"), r.out());
		for (int i = 0; i < 3; i++) {
			final String name = String.format("case_%03d_0000.nii.gz", i);
			final Path single = tmp.resolve("single_" + name);
			assertEquals(0, main("preprocess", "--in", in.resolve(name).toString(), "--out", single.toString(), "--preset", "ct-body-2mm"));
			final var a = NiftiIO.read(single);
			final var b = NiftiIO.read(out.resolve(name));
			assertTrue(a.sameGrid(b), name);
			assertArrayEquals(Voxels.floats(a.image()), Voxels.floats(b.image()), name);
		}
		// evaluate: label maps of an untrained model against themselves shifted by one case
		final Path model = SegmentCascadeTest.coarse(tmp.resolve("model.zip"));
		final Path pred = tmp.resolve("pred"), truth = tmp.resolve("truth");
		assertEquals(0, main("segment", "--model", model.toString(), "--in", in.toString(), "--out", pred.toString()));
		Files.createDirectories(truth);
		for (int i = 0; i < 3; i++) {
			Files.copy(pred.resolve(String.format("case_%03d.nii.gz", (i + 1) % 3)), truth.resolve(String.format("case_%03d.nii.gz", i)));
		}
		final Path single = tmp.resolve("eval_single"), onSpark = tmp.resolve("eval_spark");
		assertEquals(0, main("evaluate", "--pred", pred.toString(), "--truth", truth.toString(), "--out", single.toString()));
		r = job("evaluate", "--spark", "local[2]", "--pred", pred.toString(), "--truth", truth.toString(), "--out", onSpark.toString());
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("evaluated 3"), r.out());
		assertEquals(Files.readString(single.resolve("summary.csv")), Files.readString(onSpark.resolve("summary.csv")));
		assertEquals(Files.readString(single.resolve("cases.csv")), Files.readString(onSpark.resolve("cases.csv")));
	}

	@Test
	void usageErrorsNameTheProblem() throws Exception {
		Run r = spark("--spark", "local[1]", "--model", tmp.resolve("none.zip").toString(), "--in", tmp.toString(), "--out", tmp.toString());
		assertEquals(2, r.code());
		assertTrue(r.err().contains("none.zip") && r.err().contains("does not exist"), r.err());
		r = spark("--spark", "local[1]", "--model", tmp.toString(), "--in", tmp.toString(), "--out", tmp.toString(), "--colour", "red");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("--colour"), r.err());
	}
}
