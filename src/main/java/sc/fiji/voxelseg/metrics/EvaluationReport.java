package sc.fiji.voxelseg.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import sc.fiji.voxelseg.report.BoxPlot;
import sc.fiji.voxelseg.report.BoxStats;

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
		dicePlot(cases, summary).writePng(dir.resolve(DICE_PLOT));
		final BoxPlot hd95 = hd95Plot(cases, summary);
		if (hd95 != null) hd95.writePng(dir.resolve(HD95_PLOT));
		return summary;
	}

	/** The Dice of each class over the cases, one box per class, on 0..1. */
	public static BoxPlot dicePlot(final List<CaseMetrics> cases) {
		return dicePlot(cases, MetricSummary.of(cases));
	}

	private static BoxPlot dicePlot(final List<CaseMetrics> cases, final MetricSummary summary) {
		return plot(cases, summary, "Dice per organ (" + cases.size() + " cases)", "Dice", ClassMetrics::dice).yRange(0, 1);
	}

	/** The HD95 of each class over the cases, or null when no case has a finite HD95. */
	public static BoxPlot hd95Plot(final List<CaseMetrics> cases) {
		return hd95Plot(cases, MetricSummary.of(cases));
	}

	private static BoxPlot hd95Plot(final List<CaseMetrics> cases, final MetricSummary summary) {
		final BoxPlot p = plot(cases, summary, "HD95 per organ (" + cases.size() + " cases, " + summary.convention().name().toLowerCase(
			Locale.ROOT) + ")", "HD95 (mm)", ClassMetrics::hd95);
		for (final MetricSummary.ClassSummary s : summary.classes()) {
			final BoxStats b = p.stats(s.className());
			if (b != null) return p;
		}
		return null;
	}

	private static BoxPlot plot(final List<CaseMetrics> cases, final MetricSummary summary, final String title, final String label,
		final java.util.function.ToDoubleFunction<ClassMetrics> metric)
	{
		final BoxPlot p = new BoxPlot(title).yLabel(label);
		for (final MetricSummary.ClassSummary s : summary.classes()) {
			final double[] v = new double[cases.size()];
			for (int i = 0; i < cases.size(); i++) {
				final ClassMetrics m = cases.get(i).get(s.classIndex());
				v[i] = m == null ? Double.NaN : metric.applyAsDouble(m);
			}
			p.add(s.className(), v);
		}
		return p;
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
