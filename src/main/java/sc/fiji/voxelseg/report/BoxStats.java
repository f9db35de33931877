package sc.fiji.voxelseg.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The five-number summary a box plot draws, as matplotlib's {@code boxplot} computes it:
 * quartiles and median with numpy's default ("linear") interpolation, whiskers at the most
 * extreme values within 1.5 IQR of the box, and the values beyond them as outliers.
 *
 * @param n the number of finite values summarised
 * @param ignored the number of NaN and infinite values left out
 * @param mean the mean of the finite values
 * @param q1 the 25th percentile
 * @param median the 50th percentile
 * @param q3 the 75th percentile
 * @param whiskerLow the smallest value at or above {@code q1 - 1.5 (q3 - q1)} ({@code q1} if that
 *          exceeds q1)
 * @param whiskerHigh the largest value at or below {@code q3 + 1.5 (q3 - q1)} ({@code q3} if
 *          that is below q3)
 * @param outliers the values below {@code whiskerLow} or above {@code whiskerHigh}, ascending
 */
public record BoxStats(int n, int ignored, double mean, double q1, double median, double q3,
	double whiskerLow, double whiskerHigh, List<Double> outliers)
{

	public BoxStats {
		outliers = List.copyOf(outliers);
	}

	/**
	 * The summary of the finite {@code values}; NaN and infinite values are ignored.
	 *
	 * @throws IllegalArgumentException when no value is finite
	 */
	public static BoxStats of(final double... values) {
		final double[] x = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
		if (x.length == 0) throw new IllegalArgumentException("no finite value to summarise among " +
			values.length + " values");
		final double q1 = quantile(x, 0.25), med = quantile(x, 0.5), q3 = quantile(x, 0.75);
		final double iqr = q3 - q1, lo = q1 - 1.5 * iqr, hi = q3 + 1.5 * iqr;
		double wLow = Double.NaN, wHigh = Double.NaN, sum = 0;
		for (final double v : x) {
			sum += v;
			if (v >= lo && Double.isNaN(wLow)) wLow = v;
			if (v <= hi) wHigh = v;
		}
		if (Double.isNaN(wLow) || wLow > q1) wLow = q1;
		if (Double.isNaN(wHigh) || wHigh < q3) wHigh = q3;
		final List<Double> out = new ArrayList<>();
		for (final double v : x)
			if (v < wLow || v > wHigh) out.add(v);
		return new BoxStats(x.length, values.length - x.length, sum / x.length, q1, med, q3, wLow,
			wHigh, out);
	}

	/**
	 * The {@code p}-quantile (0..1) of ascending {@code sorted} values by linear interpolation
	 * between closest ranks, numpy's default: with h = (n - 1) p, x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] -
	 * x[⌊h⌋]).
	 */
	public static double quantile(final double[] sorted, final double p) {
		if (sorted.length == 0) throw new IllegalArgumentException("the quantile of no values");
		if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("quantile " + p +
			" is not in [0, 1]");
		final double h = (sorted.length - 1) * p;
		final int i = (int) Math.floor(h);
		if (i >= sorted.length - 1) return sorted[sorted.length - 1];
		final double f = h - i, a = sorted[i], b = sorted[i + 1];
		// numpy's lerp: from the nearer end, so that the result is monotonic in p
		return f < 0.5 ? a + (b - a) * f : b - (b - a) * (1 - f);
	}
}
