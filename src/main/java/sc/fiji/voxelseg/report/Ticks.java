package sc.fiji.voxelseg.report;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Axis ticks at "nice" numbers: multiples of a step of 1, 2 or 5 × 10^k. Tick values are computed
 * as an integer times the step's mantissa divided (or multiplied) by a power of ten, so 0.6 is the
 * double nearest 0.6, not 3 × 0.2.
 */
public final class Ticks {

	/** Slack for floating-point noise when a bound is (almost) a multiple of the step. */
	private static final double EPS = 1e-9;

	private Ticks() {}

	/**
	 * The smallest nice step (1, 2 or 5 × 10^k) at least {@code range / intervals}, so that
	 * {@code range} is cut into at most about {@code intervals} pieces.
	 */
	public static double step(final double range, final int intervals) {
		return value(1, niceStep(range, intervals));
	}

	/** The ticks inside [{@code min}, {@code max}] at {@link #step step(max - min, intervals)}. */
	public static double[] within(final double min, final double max, final int intervals) {
		final int[] s = niceStep(max - min, intervals);
		final double step = value(1, s);
		final long k0 = (long) Math.ceil(min / step - EPS), k1 = (long) Math.floor(max / step + EPS);
		return ticks(k0, k1, s);
	}

	/**
	 * The ticks from the largest multiple of the step at or below {@code min} to the smallest at or
	 * above {@code max}: an axis that starts and ends on a tick and holds the whole range.
	 */
	public static double[] covering(final double min, final double max, final int intervals) {
		final int[] s = niceStep(max - min, intervals);
		final double step = value(1, s);
		final long k0 = (long) Math.floor(min / step + EPS), k1 = (long) Math.ceil(max / step - EPS);
		return ticks(k0, Math.max(k1, k0 + 1), s);
	}

	/**
	 * The label of tick {@code value} on an axis with tick spacing {@code step}: as many decimals
	 * as the step needs ("0.0", "0.2", ...; "0", "500", "1000"), or a power-of-ten notation such
	 * as "2.5e-6" for steps below 10^-4 or at least 10^6.
	 */
	public static String label(final double value, final double step) {
		if (!(step > 0) || !Double.isFinite(step) || !Double.isFinite(value))
			return Double.toString(value);
		final int e = (int) Math.floor(Math.log10(step) + EPS);
		if (e < -4 || e >= 6) {
			// value = k × 10^e with k an integer, written as d.ddd followed by e and the exponent
			final BigDecimal k = new BigDecimal(value).movePointLeft(e).setScale(0,
				RoundingMode.HALF_EVEN);
			if (k.signum() == 0) return "0";
			final String digits = k.abs().toPlainString();
			final String frac = digits.substring(1).replaceAll("0+$", "");
			return (k.signum() < 0 ? "-" : "") + digits.charAt(0) + (frac.isEmpty() ? "" : "." + frac) +
				"e" + (e + digits.length() - 1);
		}
		final String s = new BigDecimal(value).setScale(Math.max(0, -e), RoundingMode.HALF_EVEN)
			.toPlainString();
		return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
	}

	/** {mantissa 1|2|5, exponent} of the nice step. */
	private static int[] niceStep(final double range, final int intervals) {
		if (!(range > 0) || !Double.isFinite(range)) throw new IllegalArgumentException(
			"ticks need a positive finite range, not " + range);
		if (intervals < 1) throw new IllegalArgumentException("ticks need at least one interval, not " +
			intervals);
		final double rough = range / intervals;
		int e = (int) Math.floor(Math.log10(rough));
		final double f = rough / Math.pow(10, e);
		final int m;
		if (f <= 1 + EPS) m = 1;
		else if (f <= 2 + EPS) m = 2;
		else if (f <= 5 + EPS) m = 5;
		else {
			m = 1;
			e++;
		}
		return new int[] { m, e };
	}

	/** k × mantissa × 10^exponent, rounded once. */
	private static double value(final long k, final int[] s) {
		final double km = (double) (k * s[0]);
		final int e = s[1];
		return e >= 0 ? km * Math.pow(10, e) : km / Math.pow(10, -e);
	}

	private static double[] ticks(final long k0, final long k1, final int[] s) {
		final long n = k1 - k0 + 1;
		if (n > 10_000) throw new IllegalArgumentException("more than 10000 ticks: " + n);
		final double[] t = new double[(int) Math.max(0, n)];
		for (int i = 0; i < t.length; i++)
			t[i] = value(k0 + i, s) + 0.0; // + 0.0 turns -0.0 into 0.0
		return t;
	}
}
