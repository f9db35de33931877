package sc.fiji.voxelseg.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Mean ± sample standard deviation of each class's metrics over cases. Distances that are
 * undefined (NaN: exactly one mask empty) are left out of the distance statistics and counted;
 * cases where both masks are empty count with their Dice 1 and distances 0.
 *
 * @param convention the convention of every summarised case (mixing conventions is refused)
 * @param classes one entry per class evaluated in any case, by increasing class index
 */
public record MetricSummary(SurfaceConvention convention, List<ClassSummary> classes) {

	public MetricSummary {
		classes = List.copyOf(classes);
	}

	/**
	 * Mean and sample standard deviation ({@code n - 1} in the denominator) of {@code n} defined
	 * values; the deviation is NaN below two values, both are NaN for none.
	 */
	public record Stat(double mean, double sd, int n) {

		static Stat of(final List<ClassMetrics> rows, final ToDoubleFunction<ClassMetrics> f) {
			int n = 0;
			double sum = 0;
			for (final ClassMetrics r : rows) {
				final double v = f.applyAsDouble(r);
				if (Double.isNaN(v)) continue;
				sum += v;
				n++;
			}
			if (n == 0) return new Stat(Double.NaN, Double.NaN, 0);
			final double mean = sum / n;
			double ss = 0;
			for (final ClassMetrics r : rows) {
				final double v = f.applyAsDouble(r);
				if (!Double.isNaN(v)) ss += (v - mean) * (v - mean);
			}
			return new Stat(mean, n < 2 ? Double.NaN : Math.sqrt(ss / (n - 1)), n);
		}
	}

	/**
	 * One class over the cases.
	 *
	 * @param cases cases in which the class was evaluated
	 * @param hd95 over the cases with defined distances, mm (likewise {@code hd} and {@code assd})
	 * @param undefined cases whose distances are undefined (one mask empty), left out of hd95, hd
	 *          and assd
	 * @param bothEmpty cases in which neither mask holds the class
	 */
	public record ClassSummary(int classIndex, String className, int cases, Stat dice,
		Stat jaccard, Stat hd95, Stat hd, Stat assd, int undefined, int bothEmpty)
	{}

	/** Summarises {@code cases}, which must share one {@link SurfaceConvention}. */
	public static MetricSummary of(final List<CaseMetrics> cases) {
		if (cases.isEmpty()) throw new IllegalArgumentException("no cases to summarise");
		final SurfaceConvention conv = cases.get(0).convention();
		final Map<Integer, List<ClassMetrics>> byClass = new TreeMap<>();
		for (final CaseMetrics c : cases) {
			if (c.convention() != conv) throw new IllegalArgumentException("case " + c.caseId() +
				" uses the " + c.convention() + " convention but " + cases.get(0).caseId() +
				" uses " + conv + "; summarise cases of one convention");
			for (final ClassMetrics m : c.classes())
				byClass.computeIfAbsent(m.classIndex(), k -> new ArrayList<>()).add(m);
		}
		final List<ClassSummary> out = new ArrayList<>();
		byClass.forEach((index, rows) -> {
			int undefined = 0, both = 0;
			for (final ClassMetrics r : rows) {
				if (!r.status().distancesDefined()) undefined++;
				if (r.status() == MetricStatus.BOTH_EMPTY) both++;
			}
			out.add(new ClassSummary(index, rows.get(0).className(), rows.size(), Stat.of(rows,
				ClassMetrics::dice), Stat.of(rows, ClassMetrics::jaccard), Stat.of(rows,
					ClassMetrics::hd95), Stat.of(rows, ClassMetrics::hd), Stat.of(rows,
						ClassMetrics::assd), undefined, both));
		});
		return new MetricSummary(conv, out);
	}

	/** The summary of class {@code index}. */
	public ClassSummary get(final int index) {
		for (final ClassSummary c : classes)
			if (c.classIndex() == index) return c;
		throw new IllegalArgumentException("class " + index + " is not in the summary");
	}
}
