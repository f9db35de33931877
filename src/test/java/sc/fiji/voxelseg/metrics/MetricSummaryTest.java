package sc.fiji.voxelseg.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary over cases and the CSV tables, worked by hand. */
class MetricSummaryTest {

	@TempDir
	Path tmp;

	private static final double NAN = Double.NaN;
	private static final double[] SPACING = { 0.7, 0.9, 2.5 };

	static CaseMetrics caseOf(final String id, final SurfaceConvention conv,
		final ClassMetrics... rows)
	{
		return new CaseMetrics(id, conv, SPACING, List.of(rows));
	}

	static ClassMetrics liver(final double dice, final double hd95, final MetricStatus status) {
		return new ClassMetrics(5, "liver", dice, dice / (2 - dice), hd95 * 2, hd95, hd95 / 4, 100,
			120, status);
	}

	/**
	 * Liver Dice 0.5, 0.7, 0.9: mean 0.7, sample sd sqrt((0.04 + 0 + 0.04) / 2) = 0.2; HD95 3, 4, 5:
	 * mean 4, sd 1. Adding a case whose prediction misses the liver (Dice 0, HD95 NaN): the NaN is
	 * left out of HD95 and counted as undefined (HD95 still mean 4, sd 1 over 3 cases); Dice over
	 * all four cases 0.5, 0, 0.9, 0.7: mean 0.525.
	 */
	@Test
	void meanAndSampleSdIgnoringUndefinedDistances() {
		final List<CaseMetrics> cases = List.of(caseOf("a", SurfaceConvention.MEDPY, liver(0.5, 3,
			MetricStatus.OK)), caseOf("b", SurfaceConvention.MEDPY, liver(0.7, 4, MetricStatus.OK)),
			caseOf("c", SurfaceConvention.MEDPY, liver(0.9, 5, MetricStatus.OK)));
		final MetricSummary s = MetricSummary.of(cases);
		final MetricSummary.ClassSummary l = s.get(5);
		assertEquals("liver", l.className());
		assertEquals(3, l.cases());
		assertEquals(0.7, l.dice().mean(), 1e-12);
		assertEquals(0.2, l.dice().sd(), 1e-12);
		assertEquals(4, l.hd95().mean(), 1e-12);
		assertEquals(1, l.hd95().sd(), 1e-12);
		assertEquals(0, l.undefined());

		final MetricSummary t = MetricSummary.of(List.of(cases.get(0), caseOf("d",
			SurfaceConvention.MEDPY, new ClassMetrics(5, "liver", 0, 0, NAN, NAN, NAN, 0, 90,
				MetricStatus.PRED_EMPTY)), cases.get(2), cases.get(1).withCaseId("b2")));
		final MetricSummary.ClassSummary u = t.get(5);
		assertEquals(4, u.cases());
		assertEquals(1, u.undefined());
		assertEquals(3, u.hd95().n());
		assertEquals(4, u.hd95().mean(), 1e-12);
		assertEquals(1, u.hd95().sd(), 1e-12);
		assertEquals(4, u.dice().n());
		assertEquals(0.525, u.dice().mean(), 1e-12);
		assertEquals(1, u.assd().mean(), 1e-12); // assd = hd95 / 4
		assertEquals(3, u.assd().n());
	}

	/** One defined value: sd NaN; none: mean NaN; both-empty cases are counted. */
	@Test
	void fewValuesAndBothEmpty() {
		final MetricSummary s = MetricSummary.of(List.of(caseOf("a", SurfaceConvention.MONAI, liver(
			0.8, 2, MetricStatus.OK), new ClassMetrics(3, "gallbladder", 1, 1, 0, 0, 0, 0, 0,
				MetricStatus.BOTH_EMPTY)), caseOf("b", SurfaceConvention.MONAI, new ClassMetrics(3,
					"gallbladder", 0, 0, NAN, NAN, NAN, 12, 0, MetricStatus.TRUTH_EMPTY))));
		assertEquals(SurfaceConvention.MONAI, s.convention());
		assertEquals(List.of(3, 5), s.classes().stream().map(MetricSummary.ClassSummary::classIndex)
			.toList());
		final MetricSummary.ClassSummary l = s.get(5);
		assertEquals(1, l.cases());
		assertTrue(Double.isNaN(l.dice().sd()));
		assertEquals(0.8, l.dice().mean());
		final MetricSummary.ClassSummary g = s.get(3);
		assertEquals(2, g.cases());
		assertEquals(1, g.bothEmpty());
		assertEquals(1, g.undefined());
		assertEquals(0, g.hd95().mean());
		assertEquals(1, g.hd95().n());
		assertEquals(0.5, g.dice().mean());
	}

	@Test
	void refusesMixedConventions() {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> MetricSummary.of(List.of(caseOf("a", SurfaceConvention.MEDPY, liver(0.5, 3,
				MetricStatus.OK)), caseOf("b", SurfaceConvention.MONAI, liver(0.5, 3,
					MetricStatus.OK)))));
		assertTrue(e.getMessage().contains("MONAI") && e.getMessage().contains("MEDPY"), e
			.getMessage());
		assertThrows(IllegalArgumentException.class, () -> MetricSummary.of(List.of()));
	}

	/** Both tables written atomically (no part files left), NaN spelled out, names quoted. */
	@Test
	void csvTables() throws Exception {
		final List<CaseMetrics> cases = List.of(caseOf("case_000", SurfaceConvention.MEDPY, liver(
			0.5, 3, MetricStatus.OK), new ClassMetrics(7, "pan,creas \"head\"", 0, 0, NAN, NAN, NAN, 0,
				40, MetricStatus.PRED_EMPTY)));
		final Path dir = tmp.resolve("out");
		MetricsCsv.writeCases(dir.resolve("cases.csv"), cases);
		MetricsCsv.writeSummary(dir.resolve("summary.csv"), MetricSummary.of(cases));
		final List<String> rows = Files.readAllLines(dir.resolve("cases.csv"));
		assertEquals(List.of(MetricsCsv.CASE_HEADER,
			"case_000,5,liver,0.5,0.3333333333333333,3,6,0.75,100,120,OK,MEDPY",
			"case_000,7,\"pan,creas \"\"head\"\"\",0,0,NaN,NaN,NaN,0,40,PRED_EMPTY,MEDPY"), rows);
		final List<String> sum = Files.readAllLines(dir.resolve("summary.csv"));
		assertEquals(MetricsCsv.SUMMARY_HEADER, sum.get(0));
		assertEquals("5,liver,1,0.5,NaN,0.3333333333333333,NaN,3,NaN,6,NaN,0.75,NaN,1,0,0,MEDPY", sum
			.get(1));
		assertEquals("7,\"pan,creas \"\"head\"\"\",1,0,NaN,0,NaN,NaN,NaN,NaN,NaN,NaN,NaN,0,1,0,MEDPY",
			sum.get(2));
		try (Stream<Path> files = Files.list(dir)) {
			assertEquals(2, files.count(), "no temporary files left beside the tables");
		}
		assertEquals(MetricsCsv.CASE_HEADER.split(",").length, rows.get(1).split(",").length);
	}
}
