package sc.fiji.voxelseg.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import sc.fiji.voxelseg.report.BoxPlot;
import sc.fiji.voxelseg.report.LinePlot;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * {@code results.csv} and the study report ({@code report.md} with its figures).
 * <p>
 * Units of analysis. A cell's score is the mean Dice over its test cases and organs (background
 * excluded). Two pairings with the reference arm, within each label fraction:
 * <ul>
 * <li>by seed: one pair per seed (its cells' mean Dice, over every fold); few pairs, little power;</li>
 * <li>by (seed, test case): one pair per seed and test case (the case's mean Dice over organs).
 * Cases are scored by models of the same seed, so these pairs are not independent across the
 * seed's cases; the interval describes the average gain over the test cases of this cohort.</li>
 * </ul>
 * The headline is the (seed, test case) pairing; both are printed. Each gives the mean difference
 * (arm − reference), its 95 % t-interval, the paired t-test and the Wilcoxon signed-rank test, two
 * sided ({@link PairedStatistics}).
 */
public final class StudyReport {

	/** One test case and class of one cell. */
	public record Row(StudyDesign.Cell cell, String caseId, int classIndex, String className, double dice, double hd95, double assd,
		String status) {}

	public static final String HEADER = "arm,fraction,seed,fold,case,class_index,class_name,dice,hd95_mm,assd_mm,status";

	private StudyReport() {}

	/** {@code results.csv}: one row per cell, test case and class. */
	public static String csv(final List<Row> rows) {
		final StringBuilder b = new StringBuilder(HEADER).append('\n');
		for (final Row r : rows) {
			b.append(String.join(",", r.cell().arm(), Double.toString(r.cell().fraction()), Long.toString(r.cell().seed()), Integer.toString(r
				.cell().fold()), r.caseId(), Integer.toString(r.classIndex()), quote(r.className()), Double.toString(r.dice()), Double.toString(r
					.hd95()), Double.toString(r.assd()), r.status())).append('\n');
		}
		return b.toString();
	}

	private static String quote(final String s) {
		return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
	}

	/** A paired comparison of one arm with the reference at one fraction and pairing level. */
	public record Comparison(String arm, double fraction, String level, int pairs, double meanDifference, double low, double high,
		double tP, double wilcoxonP) {}

	/** Writes {@code report.md} and the figures into the study folder; returns the report's path. */
	public static Path write(final StudyDesign design, final List<Row> rows) throws IOException {
		final Path out = design.out();
		final StringBuilder md = new StringBuilder("# Study report\n\n");
		md.append("Dataset `").append(design.data()).append("`; ").append(design.steps()).append(" steps per cell; seeds ").append(design
			.seeds()).append("; ").append(design.folds() > 0 ? design.folds() + "-fold cross-validation" : "test set imagesTs/labelsTs")
			.append("; reference arm `").append(design.reference()).append("`.\n\n");
		md.append("| arm | train options |\n|---|---|\n");
		for (final String a : design.arms().keySet()) md.append("| ").append(a).append(" | `").append(String.join(" ", design.trainOptions(a)))
			.append("` |\n");
		md.append('\n');
		if (rows.isEmpty()) {
			md.append("No cell has finished yet.\n");
			final Path p = out.resolve("report.md");
			AtomicFiles.writeString(p, md.toString());
			return p;
		}
		md.append("## Mean Dice per arm and label fraction\n\nMean ± sd over seeds of each seed's mean Dice (test cases × organs); HD95 and " +
			"ASSD in mm, means over the organs where they are defined.\n\n");
		md.append("| arm | labels | seeds done | Dice | HD95 | ASSD |\n|---|---|---|---|---|---|\n");
		for (final double f : design.fractions()) {
			for (final String a : design.arms().keySet()) {
				final List<Row> r = select(rows, a, f);
				if (r.isEmpty()) continue;
				final PairedStatistics.Summary dice = PairedStatistics.summary(values(bySeed(r, Row::dice)));
				md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f ± %s | %.2f | %.2f |%n", a, StudyDesign.percent(f), dice.n(), dice
					.mean(), dice.n() > 1 ? String.format(Locale.ROOT, "%.3f", dice.sd()) : "–", mean(r, Row::hd95), mean(r, Row::assd)));
			}
		}
		md.append("\n## Against the reference arm `").append(design.reference()).append("`\n\n");
		md.append("Difference arm − reference in mean Dice, with its 95 % t-interval, the paired t-test and the Wilcoxon signed-rank " +
			"test (two-sided). Headline: pairs of (seed, test case); the by-seed pairing is printed beside it.\n\n");
		md.append("| arm | labels | pairing | pairs | difference | 95 % CI | t-test p | Wilcoxon p |\n|---|---|---|---|---|---|---|---|\n");
		for (final Comparison c : comparisons(design, rows)) {
			md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %+.3f | %s | %s | %s |%n", c.arm(), StudyDesign.percent(c.fraction()), c
				.level(), c.pairs(), c.meanDifference(), Double.isNaN(c.low()) ? "–" : String.format(Locale.ROOT, "[%+.3f, %+.3f]", c.low(), c
					.high()), p(c.tP()), p(c.wilcoxonP())));
		}
		md.append("\n## Dice per organ\n\nMean over seeds and test cases.\n\n");
		final List<String> organs = organs(rows);
		md.append("| arm | labels | ").append(String.join(" | ", organs)).append(" |\n|---|---|");
		for (int i = 0; i < organs.size(); i++) md.append("---|");
		md.append('\n');
		for (final double f : design.fractions()) {
			for (final String a : design.arms().keySet()) {
				final List<Row> r = select(rows, a, f);
				if (r.isEmpty()) continue;
				md.append("| ").append(a).append(" | ").append(StudyDesign.percent(f)).append(" |");
				for (final String o : organs) {
					final List<Row> ro = new ArrayList<>();
					for (final Row x : r) if (x.className().equals(o)) ro.add(x);
					md.append(String.format(Locale.ROOT, " %.3f |", mean(ro, Row::dice)));
				}
				md.append('\n');
			}
		}
		md.append("\n## Figures\n\n");
		md.append("- `dice_vs_fraction.png`: mean Dice against the label fraction per arm, bars ± one sd over seeds.\n");
		figureDiceByFraction(design, rows, out.resolve("dice_vs_fraction.png"));
		for (final double f : design.fractions()) {
			final String name = "organs_" + StudyDesign.fractionName(f) + ".png";
			if (figureOrgans(design, rows, f, organs, out.resolve(name))) md.append("- `").append(name).append(
				"`: Dice per organ and arm at ").append(StudyDesign.percent(f)).append(" labels, one value per seed and test case.\n");
		}
		for (final String a : design.arms().keySet()) {
			final String name = "curves_" + a + ".png";
			if (figureCurves(design, a, out.resolve(name))) md.append("- `").append(name).append("`: training loss of every cell of arm ").append(
				a).append(".\n");
		}
		final Path p = out.resolve("report.md");
		AtomicFiles.writeString(p, md.toString());
		return p;
	}

	/** Every arm but the reference against it, per fraction, by (seed, test case) and by seed. */
	public static List<Comparison> comparisons(final StudyDesign design, final List<Row> rows) {
		final List<Comparison> out = new ArrayList<>();
		for (final double f : design.fractions()) {
			final List<Row> ref = select(rows, design.reference(), f);
			if (ref.isEmpty()) continue;
			for (final String a : design.arms().keySet()) {
				if (a.equals(design.reference())) continue;
				final List<Row> r = select(rows, a, f);
				if (r.isEmpty()) continue;
				out.add(compare(a, f, "seed, case", byCase(r), byCase(ref)));
				out.add(compare(a, f, "seed", bySeed(r, Row::dice), bySeed(ref, Row::dice)));
			}
		}
		return out;
	}

	private static Comparison compare(final String arm, final double f, final String level, final Map<String, Double> a,
		final Map<String, Double> b)
	{
		final List<Double> x = new ArrayList<>(), y = new ArrayList<>();
		for (final Map.Entry<String, Double> e : a.entrySet()) {
			final Double v = b.get(e.getKey());
			if (v == null) continue;
			x.add(e.getValue());
			y.add(v);
		}
		final double[] xa = x.stream().mapToDouble(Double::doubleValue).toArray(), ya = y.stream().mapToDouble(Double::doubleValue).toArray();
		final PairedStatistics.TTest t = PairedStatistics.pairedT(xa, ya);
		double w;
		try {
			w = xa.length > 0 ? PairedStatistics.wilcoxon(xa, ya).p() : Double.NaN;
		}
		catch (final IllegalArgumentException e) {
			w = Double.NaN; // every difference zero
		}
		return new Comparison(arm, f, level, xa.length, t.meanDifference(), t.low(), t.high(), t.p(), w);
	}

	private static String p(final double p) {
		if (Double.isNaN(p)) return "–";
		return p < 1e-4 ? String.format(Locale.ROOT, "%.1e", p) : String.format(Locale.ROOT, "%.4f", p);
	}

	private static List<Row> select(final List<Row> rows, final String arm, final double f) {
		final List<Row> r = new ArrayList<>();
		for (final Row x : rows) if (x.cell().arm().equals(arm) && x.cell().fraction() == f) r.add(x);
		return r;
	}

	/** Seed → mean of {@code v} over that seed's rows. */
	static Map<String, Double> bySeed(final List<Row> rows, final Function<Row, Double> v) {
		return means(rows, r -> Long.toString(r.cell().seed()), v);
	}

	/** (seed, case) → mean Dice over that case's organs. */
	static Map<String, Double> byCase(final List<Row> rows) {
		return means(rows, r -> r.cell().seed() + "/" + r.caseId(), Row::dice);
	}

	private static Map<String, Double> means(final List<Row> rows, final Function<Row, String> key, final Function<Row, Double> v) {
		final Map<String, double[]> acc = new TreeMap<>();
		for (final Row r : rows) {
			final double x = v.apply(r);
			if (!Double.isFinite(x)) continue;
			final double[] s = acc.computeIfAbsent(key.apply(r), k -> new double[2]);
			s[0] += x;
			s[1]++;
		}
		final Map<String, Double> m = new LinkedHashMap<>();
		acc.forEach((k, s) -> m.put(k, s[0] / s[1]));
		return m;
	}

	private static double[] values(final Map<String, Double> m) {
		return m.values().stream().mapToDouble(Double::doubleValue).toArray();
	}

	private static double mean(final List<Row> rows, final Function<Row, Double> v) {
		double s = 0;
		int n = 0;
		for (final Row r : rows) {
			final double x = v.apply(r);
			if (Double.isFinite(x)) {
				s += x;
				n++;
			}
		}
		return n == 0 ? Double.NaN : s / n;
	}

	private static List<String> organs(final List<Row> rows) {
		final Map<Integer, String> m = new TreeMap<>();
		for (final Row r : rows) m.put(r.classIndex(), r.className());
		return new ArrayList<>(m.values());
	}

	private static void figureDiceByFraction(final StudyDesign design, final List<Row> rows, final Path png) throws IOException {
		final double lo = 100 * design.fractions().stream().mapToDouble(Double::doubleValue).min().getAsDouble(), hi = 100 * design
			.fractions().stream().mapToDouble(Double::doubleValue).max().getAsDouble(), pad = hi > lo ? 0.08 * (hi - lo) : 5;
		// room beside the outermost points, so that their error bars are not cut by the frame
		final LinePlot plot = new LinePlot("Mean Dice against the label fraction").xLabel("labeled cases (%)").yLabel("mean Dice")
			.xRange(Math.max(0, lo - pad), hi + pad);
		for (final String a : design.arms().keySet()) {
			final List<Double> x = new ArrayList<>(), y = new ArrayList<>(), e = new ArrayList<>();
			for (final double f : design.fractions()) {
				final List<Row> r = select(rows, a, f);
				if (r.isEmpty()) continue;
				final PairedStatistics.Summary s = PairedStatistics.summary(values(bySeed(r, Row::dice)));
				x.add(100 * f);
				y.add(s.mean());
				e.add(s.n() > 1 ? s.sd() : Double.NaN);
			}
			if (x.isEmpty()) continue;
			plot.series(a, x.stream().mapToDouble(Double::doubleValue).toArray(), y.stream().mapToDouble(Double::doubleValue).toArray())
				.markers(true).errors(e.stream().mapToDouble(Double::doubleValue).toArray());
		}
		plot.writePng(png);
	}

	private static boolean figureOrgans(final StudyDesign design, final List<Row> rows, final double f, final List<String> organs,
		final Path png) throws IOException
	{
		final BoxPlot box = new BoxPlot("Dice per organ at " + StudyDesign.percent(f) + " labels").yLabel("Dice").yRange(0, 1).size(
			Math.max(800, 60 * organs.size() * design.arms().size()), 500);
		boolean any = false;
		for (final String o : organs) {
			for (final String a : design.arms().keySet()) {
				final List<Double> v = new ArrayList<>();
				for (final Row r : select(rows, a, f)) if (r.className().equals(o) && Double.isFinite(r.dice())) v.add(r.dice());
				if (v.isEmpty()) continue;
				box.add(o, a, v.stream().mapToDouble(Double::doubleValue).toArray());
				any = true;
			}
		}
		if (any) box.writePng(png);
		return any;
	}

	/** The training loss of each cell of {@code arm} that has a history, one series per cell. */
	private static boolean figureCurves(final StudyDesign design, final String arm, final Path png) throws IOException {
		final LinePlot plot = new LinePlot("Training loss, arm " + arm).xLabel("step").yLabel("loss (mean of 10 steps)");
		boolean any = false;
		for (final StudyDesign.Cell c : design.cells()) {
			if (!c.arm().equals(arm)) continue;
			final Path h = Trainer.historyPath(c.dir(design.out()).resolve("model.zip"));
			if (!Files.isRegularFile(h)) continue;
			final List<String> lines = Files.readAllLines(h);
			final List<Double> x = new ArrayList<>(), y = new ArrayList<>();
			double window = 0;
			final double[] last = new double[10];
			int n = 0;
			for (final String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
				final String[] p = line.split(",");
				if (p.length < 2 || p[1].isEmpty()) continue;
				final double loss = Double.parseDouble(p[1]);
				if (!Double.isFinite(loss)) continue;
				window += loss - last[n % 10];
				last[n % 10] = loss;
				n++;
				x.add(Double.parseDouble(p[0]) + 1);
				y.add(window / Math.min(n, 10));
			}
			if (x.isEmpty()) continue;
			plot.series(StudyDesign.fractionName(c.fraction()) + " s" + c.seed() + (c.fold() > 0 ? " k" + c.fold() : ""), x.stream().mapToDouble(
				Double::doubleValue).toArray(), y.stream().mapToDouble(Double::doubleValue).toArray()).lineWidth(1);
			any = true;
		}
		if (any) plot.writePng(png);
		return any;
	}
}
