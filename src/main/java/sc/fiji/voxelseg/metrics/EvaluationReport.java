package sc.fiji.voxelseg.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import sc.fiji.voxelseg.report.BoxPlot;

/**
 * Writes an evaluation: {@code cases.csv} (one row per case and class), {@code summary.csv} (mean
 * ± sd per class) and box plots of Dice and HD95 per organ ({@code dice.png}, {@code hd95.png}, as
 * the seeds' Fig. 4), all atomically.
 */
public final class EvaluationReport {

	public static final String CASES = "cases.csv", SUMMARY = "summary.csv", DICE_PLOT = "dice.png", HD95_PLOT = "hd95.png";

	private EvaluationReport() {}

	/** Writes the report into {@code dir} and returns the summary. */
	public static MetricSummary write(final Path dir, final List<CaseMetrics> cases) throws IOException {
		Files.createDirectories(dir);
		final MetricSummary summary = MetricSummary.of(cases);
		MetricsCsv.writeCases(dir.resolve(CASES), cases);
		MetricsCsv.writeSummary(dir.resolve(SUMMARY), summary);
		final BoxPlot dice = new BoxPlot("Dice per organ (" + cases.size() + " cases)").yLabel("Dice").yRange(0, 1);
		final BoxPlot hd95 = new BoxPlot("HD95 per organ (" + cases.size() + " cases, " + summary.convention().name().toLowerCase(
			Locale.ROOT) + ")").yLabel("HD95 (mm)");
		boolean anyHd = false;
		for (final MetricSummary.ClassSummary s : summary.classes()) {
			final double[] d = new double[cases.size()], h = new double[cases.size()];
			for (int i = 0; i < cases.size(); i++) {
				final ClassMetrics m = cases.get(i).get(s.classIndex());
				d[i] = m == null ? Double.NaN : m.dice();
				h[i] = m == null ? Double.NaN : m.hd95();
				anyHd |= Double.isFinite(h[i]);
			}
			dice.add(s.className(), d);
			hd95.add(s.className(), h);
		}
		dice.writePng(dir.resolve(DICE_PLOT));
		if (anyHd) hd95.writePng(dir.resolve(HD95_PLOT));
		return summary;
	}

	/** The summary as text lines: class, Dice, HD95 and ASSD as mean ± sd, undefined distances counted. */
	public static String text(final MetricSummary s) {
		final StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-16s %15s %17s %17s%n", "class", "Dice", "HD95 mm",
			"ASSD mm"));
		double meanDice = 0;
		int n = 0;
		for (final MetricSummary.ClassSummary c : s.classes()) {
			b.append(String.format(Locale.ROOT, "%-16s %15s %17s %17s%s%n", c.className(), pm(c.dice()), pm(c.hd95()), pm(c.assd()), c
				.undefined() > 0 ? "  (" + c.undefined() + " case(s) with an empty mask: distances undefined)" : ""));
			if (Double.isFinite(c.dice().mean())) {
				meanDice += c.dice().mean();
				n++;
			}
		}
		b.append(String.format(Locale.ROOT, "mean Dice over %d classes: %.3f%n", n, n == 0 ? Double.NaN : meanDice / n));
		return b.toString();
	}

	private static String pm(final MetricSummary.Stat s) {
		if (s.n() == 0) return "n/a";
		return Double.isNaN(s.sd()) ? String.format(Locale.ROOT, "%.3f", s.mean()) : String.format(Locale.ROOT, "%.3f ± %.3f", s.mean(),
			s.sd());
	}
}
