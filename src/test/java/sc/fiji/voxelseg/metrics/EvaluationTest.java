package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.util.Progress;

/**
 * The evaluation use case: folders paired by case id, with the report written only where asked,
 * and a pair of volumes; the Dice values are worked by hand.
 */
class EvaluationTest {

	private static final int[] DIMS = { 8, 8, 8 };
	private static final double[] SPACING = { 1, 1, 1 };
	private static final ClassTable TABLE = ClassTable.of(List.of("organ"));

	/** A 4×4×4 cube of class 1 at x from {@code x0}. */
	private static Volume cube(final int x0) {
		final byte[] b = new byte[8 * 8 * 8];
		SegmentationMetricsTest.box(b, DIMS, 1, x0, x0 + 3, 2, 5, 2, 5);
		return SegmentationMetricsTest.labels(b, DIMS, SPACING, TABLE);
	}

	@Test
	void foldersWithAndWithoutAReport(@TempDir final Path dir) throws IOException {
		final Path pred = dir.resolve("pred"), truth = dir.resolve("truth");
		Files.createDirectories(pred);
		Files.createDirectories(truth);
		NiftiIO.write(cube(2), truth.resolve("a.nii.gz"));
		NiftiIO.write(cube(2), pred.resolve("a.nii.gz"));
		NiftiIO.write(cube(2), truth.resolve("b.nii.gz"));
		// shifted by one voxel: 48 of 64 voxels overlap, Dice 2·48/128
		NiftiIO.write(cube(3), pred.resolve("b.nii.gz"));

		final Evaluation.Result plain = Evaluation.folders(pred, truth, MetricOptions.defaults(), null, Progress.NONE);
		assertNull(plain.report());
		assertEquals(List.of("a", "b"), plain.cases().stream().map(CaseMetrics::caseId).toList());
		assertEquals(1.0, plain.cases().get(0).get(1).dice(), 1e-12);
		assertEquals(0.75, plain.cases().get(1).get(1).dice(), 1e-12);
		assertEquals(0.875, plain.summary().classes().get(0).dice().mean(), 1e-12);
		try (var files = Files.list(dir)) {
			assertEquals(2, files.count(), "nothing written without a report folder");
		}

		final Path report = dir.resolve("report");
		final Evaluation.Result written = Evaluation.folders(pred, truth, MetricOptions.defaults(), report, Progress.NONE);
		assertEquals(report, written.report());
		assertEquals(plain.summary().classes().get(0).dice().mean(), written.summary().classes().get(0).dice().mean(), 1e-12);
		assertTrue(Files.isRegularFile(report.resolve(EvaluationReport.CASES)));
		assertTrue(Files.isRegularFile(report.resolve(EvaluationReport.SUMMARY)));
		assertTrue(Files.isRegularFile(report.resolve(EvaluationReport.DICE_PLOT)));

		Files.delete(pred.resolve("b.nii.gz"));
		final IOException missing = assertThrows(IOException.class, () -> Evaluation.folders(pred, truth, MetricOptions.defaults(), null,
			Progress.NONE));
		assertTrue(missing.getMessage().contains("lacks predictions for 1 of 2 cases: b"), missing.getMessage());
	}

	@Test
	void aPairOfVolumes() {
		final Evaluation.Result r = Evaluation.volumes("open", cube(3), cube(2), MetricOptions.defaults());
		assertNull(r.report());
		assertEquals(1, r.cases().size());
		assertEquals("open", r.cases().get(0).caseId());
		assertEquals(0.75, r.cases().get(0).get(1).dice(), 1e-12);
		assertEquals(0.75, r.summary().classes().get(0).dice().mean(), 1e-12);
	}
}
