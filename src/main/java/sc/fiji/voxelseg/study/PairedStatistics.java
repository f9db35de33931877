package sc.fiji.voxelseg.study;

import java.util.Arrays;

/**
 * The paired comparisons a study reports, written to give what {@code scipy.stats} gives (scipy 1.10,
 * checked against it in the tests):
 * <ul>
 * <li>{@link #pairedT}: {@code ttest_rel(a, b)}, two-sided, and the 95 % interval of the mean
 * difference {@code t.interval(0.95, n - 1, loc=mean, scale=sd/sqrt(n))};</li>
 * <li>{@link #wilcoxon}: {@code wilcoxon(a, b)} with its defaults: zero differences dropped
 * ({@code zero_method="wilcox"}), no continuity correction, two-sided; the exact null distribution
 * when there are at most 50 pairs and no zero difference, else the normal approximation with the
 * tie correction of the variance.</li>
 * </ul>
 * Differences are {@code a - b}.
 */
public final class PairedStatistics {

	private PairedStatistics() {}

	/** Mean, sample standard deviation (n - 1) and count. */
	public record Summary(int n, double mean, double sd) {}

	/** A paired t-test: the mean difference, its 95 % interval, t, degrees of freedom, two-sided p. */
	public record TTest(int n, double meanDifference, double low, double high, double t, int df, double p) {}

	/** The Wilcoxon signed-rank test: the statistic (the smaller rank sum), two-sided p, and whether p is exact. */
	public record Wilcoxon(int n, double statistic, double p, boolean exact) {}

	public static Summary summary(final double[] x) {
		final int n = x.length;
		if (n == 0) return new Summary(0, Double.NaN, Double.NaN);
		double s = 0;
		for (final double v : x) s += v;
		final double mean = s / n;
		double ss = 0;
		for (final double v : x) ss += (v - mean) * (v - mean);
		return new Summary(n, mean, n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN);
	}

	/** {@code scipy.stats.ttest_rel(a, b)} and the t-interval of the mean difference. */
	public static TTest pairedT(final double[] a, final double[] b) {
		final double[] d = differences(a, b);
		final Summary s = summary(d);
		final int df = s.n() - 1;
		if (df < 1) return new TTest(s.n(), s.mean(), Double.NaN, Double.NaN, Double.NaN, Math.max(df, 0), Double.NaN);
		final double se = s.sd() / Math.sqrt(s.n());
		final double t = s.mean() / se;
		final double p = se == 0 ? (s.mean() == 0 ? Double.NaN : 0) : studentTwoSided(t, df);
		final double q = studentQuantile(0.975, df);
		return new TTest(s.n(), s.mean(), s.mean() - q * se, s.mean() + q * se, t, df, p);
	}

	/** {@code scipy.stats.wilcoxon(a, b)} with scipy's defaults. */
	public static Wilcoxon wilcoxon(final double[] a, final double[] b) {
		double[] d = differences(a, b);
		boolean exact = d.length <= 50;
		final long zeros = Arrays.stream(d).filter(v -> v == 0).count();
		if (zeros > 0) exact = false;
		if (!exact) {
			if (zeros == d.length) throw new IllegalArgumentException("every difference is zero: the Wilcoxon test is undefined");
			d = Arrays.stream(d).filter(v -> v != 0).toArray();
		}
		final int n = d.length;
		final double[] abs = new double[n];
		for (int i = 0; i < n; i++) abs[i] = Math.abs(d[i]);
		final double[] r = ranks(abs);
		double plus = 0, minus = 0;
		for (int i = 0; i < n; i++) {
			if (d[i] > 0) plus += r[i];
			else if (d[i] < 0) minus += r[i];
		}
		final double t = Math.min(plus, minus);
		if (exact) {
			final double[] pmf = signedRankDistribution(n);
			final int rPlus = (int) plus;
			double p;
			if (rPlus == (pmf.length - 1) / 2) p = 1;
			else {
				double less = 0, greater = 0;
				for (int k = 0; k <= rPlus; k++) less += pmf[k];
				for (int k = rPlus; k < pmf.length; k++) greater += pmf[k];
				p = Math.min(1, Math.max(0, 2 * Math.min(less, greater)));
			}
			return new Wilcoxon(n, t, p, true);
		}
		final double mn = n * (n + 1.0) * 0.25;
		double se = n * (n + 1.0) * (2.0 * n + 1.0);
		// tie correction: each group of t equal ranks removes t(t² - 1)/2
		final double[] sorted = r.clone();
		Arrays.sort(sorted);
		for (int i = 0; i < n;) {
			int j = i;
			while (j < n && sorted[j] == sorted[i]) j++;
			final double c = j - i;
			if (c > 1) se -= 0.5 * c * (c * c - 1);
			i = j;
		}
		se = Math.sqrt(se / 24);
		final double z = (t - mn) / se;
		return new Wilcoxon(n, t, 2 * normalUpperTail(Math.abs(z)), false);
	}

	private static double[] differences(final double[] a, final double[] b) {
		if (a.length != b.length) throw new IllegalArgumentException("paired samples of " + a.length + " and " + b.length + " values");
		final double[] d = new double[a.length];
		for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
		return d;
	}

	/** Ranks 1..n, ties given their average rank (scipy's {@code rankdata}). */
	static double[] ranks(final double[] x) {
		final Integer[] order = new Integer[x.length];
		for (int i = 0; i < order.length; i++) order[i] = i;
		Arrays.sort(order, (i, j) -> Double.compare(x[i], x[j]));
		final double[] r = new double[x.length];
		for (int i = 0; i < order.length;) {
			int j = i;
			while (j < order.length && x[order[j]] == x[order[i]]) j++;
			final double rank = (i + 1 + j) / 2.0;
			for (int k = i; k < j; k++) r[order[k]] = rank;
			i = j;
		}
		return r;
	}

	/** P(R+ = k), k = 0..n(n+1)/2, under the null: subsets of {1..n} by their sum, over 2^n. */
	static double[] signedRankDistribution(final int n) {
		final int max = n * (n + 1) / 2;
		final double[] c = new double[max + 1];
		c[0] = 1;
		for (int k = 1; k <= n; k++) for (int s = max; s >= k; s--) c[s] += c[s - k];
		final double total = Math.pow(2, n);
		for (int s = 0; s <= max; s++) c[s] /= total;
		return c;
	}

	/** Two-sided p of Student's t with {@code df} degrees of freedom: {@code I_{df/(df+t²)}(df/2, 1/2)}. */
	public static double studentTwoSided(final double t, final double df) {
		if (Double.isNaN(t)) return Double.NaN;
		if (Double.isInfinite(t)) return 0;
		return regularizedBeta(df / (df + t * t), df / 2, 0.5);
	}

	/** Student's t cumulative distribution function. */
	public static double studentCdf(final double t, final double df) {
		final double tail = 0.5 * studentTwoSided(t, df);
		return t >= 0 ? 1 - tail : tail;
	}

	/** The {@code p} quantile of Student's t (bisection on the CDF to double precision). */
	public static double studentQuantile(final double p, final double df) {
		if (!(p > 0 && p < 1)) throw new IllegalArgumentException("quantile " + p + " outside (0, 1)");
		double lo = -1, hi = 1;
		while (studentCdf(lo, df) > p) lo *= 2;
		while (studentCdf(hi, df) < p) hi *= 2;
		for (int i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); i++) {
			final double mid = 0.5 * (lo + hi);
			if (studentCdf(mid, df) < p) lo = mid;
			else hi = mid;
		}
		return 0.5 * (lo + hi);
	}

	/** {@code P(Z > z)} for a standard normal Z: {@code erfc(z/√2)/2}, through the incomplete gamma function. */
	public static double normalUpperTail(final double z) {
		final double x = z * z / 2;
		final double q = x < 1.5 ? 1 - lowerGammaSeries(0.5, x) : upperGammaFraction(0.5, x);
		return z >= 0 ? 0.5 * q : 1 - 0.5 * q;
	}

	/** ln Γ(x), x > 0 (Lanczos, g = 7, 9 terms; about 15 significant digits). */
	static double lnGamma(final double x) {
		final double[] c = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
			12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7 };
		if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
		final double y = x - 1;
		double a = c[0];
		final double t = y + 7.5;
		for (int i = 1; i < 9; i++) a += c[i] / (y + i);
		return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
	}

	/** The regularized incomplete beta function {@code I_x(a, b)} (continued fraction, Lentz). */
	static double regularizedBeta(final double x, final double a, final double b) {
		if (x <= 0) return 0;
		if (x >= 1) return 1;
		final double front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
		if (x < (a + 1) / (a + b + 2)) return front * betaFraction(x, a, b) / a;
		return 1 - front * betaFraction(1 - x, b, a) / b;
	}

	private static double betaFraction(final double x, final double a, final double b) {
		final double tiny = 1e-300;
		double c = 1, d = 1 - (a + b) * x / (a + 1);
		if (Math.abs(d) < tiny) d = tiny;
		d = 1 / d;
		double h = d;
		for (int m = 1; m <= 10000; m++) {
			final int m2 = 2 * m;
			double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
			d = 1 + aa * d;
			if (Math.abs(d) < tiny) d = tiny;
			c = 1 + aa / c;
			if (Math.abs(c) < tiny) c = tiny;
			d = 1 / d;
			h *= d * c;
			aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
			d = 1 + aa * d;
			if (Math.abs(d) < tiny) d = tiny;
			c = 1 + aa / c;
			if (Math.abs(c) < tiny) c = tiny;
			d = 1 / d;
			final double del = d * c;
			h *= del;
			if (Math.abs(del - 1) < 1e-16) break;
		}
		return h;
	}

	/** The regularized lower incomplete gamma function P(a, x) by its series (x < a + 1). */
	private static double lowerGammaSeries(final double a, final double x) {
		if (x <= 0) return 0;
		double ap = a, sum = 1 / a, del = sum;
		for (int n = 0; n < 10000; n++) {
			ap++;
			del *= x / ap;
			sum += del;
			if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
		}
		return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
	}

	/** The regularized upper incomplete gamma function Q(a, x) by its continued fraction (x ≥ a + 1). */
	private static double upperGammaFraction(final double a, final double x) {
		final double tiny = 1e-300;
		double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
		for (int i = 1; i < 10000; i++) {
			final double an = -i * (i - a);
			b += 2;
			d = an * d + b;
			if (Math.abs(d) < tiny) d = tiny;
			c = b + an / c;
			if (Math.abs(c) < tiny) c = tiny;
			d = 1 / d;
			final double del = d * c;
			h *= del;
			if (Math.abs(del - 1) < 1e-16) break;
		}
		return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
	}
}
