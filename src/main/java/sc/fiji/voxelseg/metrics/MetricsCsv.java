package sc.fiji.voxelseg.metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * Metrics as CSV (comma separated, header row, {@code \n} line ends, UTF-8), written atomically
 * ({@link AtomicFiles}). Distances are in mm; undefined values are written {@code NaN}; numbers
 * use the shortest decimal form that reads back to the same double. Every row names its
 * {@link SurfaceConvention} so that tables of different conventions cannot be mixed unnoticed.
 */
public final class MetricsCsv {

	/** Columns of the per-case table. */
	public static final String CASE_HEADER =
		"case,class_index,class_name,dice,jaccard,hd95_mm,hd_mm,assd_mm,pred_voxels,truth_voxels,status,convention";

	/** Columns of the summary table. */
	public static final String SUMMARY_HEADER =
		"class_index,class_name,cases,dice_mean,dice_sd,jaccard_mean,jaccard_sd,hd95_mean_mm,hd95_sd_mm," +
			"hd_mean_mm,hd_sd_mm,assd_mean_mm,assd_sd_mm,distance_cases,undefined_distance_cases," +
			"both_empty_cases,convention";

	private MetricsCsv() {}

	/** One row per case and class. */
	public static String cases(final List<CaseMetrics> cases) {
		final StringBuilder sb = new StringBuilder(CASE_HEADER).append('\n');
		for (final CaseMetrics c : cases)
			for (final ClassMetrics m : c.classes())
				sb.append(String.join(",", field(c.caseId()), Integer.toString(m.classIndex()), field(m
					.className()), num(m.dice()), num(m.jaccard()), num(m.hd95()), num(m.hd()), num(m
						.assd()), Long.toString(m.predVoxels()), Long.toString(m.truthVoxels()), m.status()
							.name(), c.convention().name())).append('\n');
		return sb.toString();
	}

	/** One row per class. */
	public static String summary(final MetricSummary s) {
		final StringBuilder sb = new StringBuilder(SUMMARY_HEADER).append('\n');
		for (final MetricSummary.ClassSummary c : s.classes())
			sb.append(String.join(",", Integer.toString(c.classIndex()), field(c.className()), Integer
				.toString(c.cases()), num(c.dice().mean()), num(c.dice().sd()), num(c.jaccard().mean()),
				num(c.jaccard().sd()), num(c.hd95().mean()), num(c.hd95().sd()), num(c.hd().mean()), num(c
					.hd().sd()), num(c.assd().mean()), num(c.assd().sd()), Integer.toString(c.hd95().n()),
				Integer.toString(c.undefined()), Integer.toString(c.bothEmpty()), s.convention().name()))
				.append('\n');
		return sb.toString();
	}

	public static void writeCases(final Path file, final List<CaseMetrics> cases)
		throws IOException
	{
		AtomicFiles.writeString(file, cases(cases));
	}

	public static void writeSummary(final Path file, final MetricSummary summary)
		throws IOException
	{
		AtomicFiles.writeString(file, summary(summary));
	}

	static String num(final double v) {
		if (Double.isNaN(v)) return "NaN";
		if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
		return Double.toString(v);
	}

	/** RFC 4180 quoting where a field holds a comma, quote or line break. */
	static String field(final String s) {
		if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0)
			return s;
		return '"' + s.replace("\"", "\"\"") + '"';
	}
}
