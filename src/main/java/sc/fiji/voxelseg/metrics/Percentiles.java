package sc.fiji.voxelseg.metrics;

import java.util.Arrays;

/** Percentiles as numpy computes them. */
final class Percentiles {

	private Percentiles() {}

	/**
	 * {@code numpy.percentile(values, percent)} with numpy's default {@code method='linear'}: the
	 * sorted values at virtual index {@code (n - 1) · percent / 100}, interpolated with numpy's
	 * {@code _lerp} (which computes from the upper neighbour when the fraction is at least 0.5).
	 * Sorts {@code values} in place; NaN for no values.
	 */
	static double linear(final double[] values, final double percent) {
		final int n = values.length;
		if (n == 0) return Double.NaN;
		Arrays.sort(values);
		final double q = percent / 100;
		final double virtual = (n - 1) * q;
		if (virtual >= n - 1) return values[n - 1];
		if (virtual <= 0) return values[0];
		final int lo = (int) Math.floor(virtual);
		final double gamma = virtual - lo;
		final double a = values[lo], b = values[lo + 1];
		final double diff = b - a;
		return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
	}
}
