package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.google.gson.JsonArray;

import sc.fiji.voxelseg.testutil.Python;

/**
 * {@link BoxStats}: quartiles, whiskers and outliers worked out by hand with numpy's linear rule
 * (h = (n - 1) p, interpolate between x[⌊h⌋] and x[⌊h⌋ + 1]) and matplotlib's 1.5 IQR whiskers;
 * on random samples, quartiles against Python's {@code statistics.quantiles(method='inclusive')}
 * (the same rule, an independent implementation) through {@code src/test/python/png_oracle.py}.
 */
class BoxStatsTest {

	/**
	 * 1..9 and 100, n = 10: q1 at h = 2.25 is 3 + 0.25 = 3.25, the median at h = 4.5 is 5.5, q3 at
	 * h = 6.75 is 7.75; IQR 4.5, fences -3.5 and 14.5: whiskers 1 and 9, outlier 100.
	 */
	@Test
	void workedExample() {
		final BoxStats b = BoxStats.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 100);
		assertEquals(10, b.n());
		assertEquals(0, b.ignored());
		assertEquals(3.25, b.q1());
		assertEquals(5.5, b.median());
		assertEquals(7.75, b.q3());
		assertEquals(1, b.whiskerLow());
		assertEquals(9, b.whiskerHigh());
		assertEquals(List.of(100.0), b.outliers());
		assertEquals(14.5, b.mean());
	}

	/** NaN and infinite values are left out and counted; the order of the input does not matter. */
	@Test
	void nonFiniteValuesAreIgnored() {
		final BoxStats b = BoxStats.of(Double.NaN, 100, 9, 8, Double.POSITIVE_INFINITY, 7, 6, 5, 4, 3,
			2, Double.NEGATIVE_INFINITY, 1);
		assertEquals(BoxStats.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 100).q1(), b.q1());
		assertEquals(10, b.n());
		assertEquals(3, b.ignored());
		assertEquals(List.of(100.0), b.outliers());
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> BoxStats.of(Double.NaN, Double.NaN));
		assertEquals("no finite value to summarise among 2 values", e.getMessage());
		assertThrows(IllegalArgumentException.class, BoxStats::of);
	}

	/** Small samples worked by hand. */
	@Test
	void smallSamples() {
		final BoxStats one = BoxStats.of(4);
		assertEquals(List.of(4.0, 4.0, 4.0, 4.0, 4.0), List.of(one.whiskerLow(), one.q1(), one
			.median(), one.q3(), one.whiskerHigh()));
		// n = 2: h = 0.25, 0.5, 0.75
		final BoxStats two = BoxStats.of(2, 1);
		assertEquals(List.of(1.25, 1.5, 1.75), List.of(two.q1(), two.median(), two.q3()));
		assertEquals(List.of(1.0, 2.0), List.of(two.whiskerLow(), two.whiskerHigh()));
		// n = 5, odd: quartiles on data points x[1] and x[3]
		final BoxStats five = BoxStats.of(10, 20, 30, 40, 50);
		assertEquals(List.of(20.0, 30.0, 40.0), List.of(five.q1(), five.median(), five.q3()));
		// zero IQR: every value off the box is an outlier, the whiskers sit on the box
		final BoxStats flat = BoxStats.of(0, 10, 10, 10, 10, 10, 20);
		assertEquals(List.of(10.0, 10.0, 10.0, 10.0, 10.0), List.of(flat.whiskerLow(), flat.q1(), flat
			.median(), flat.q3(), flat.whiskerHigh()));
		assertEquals(List.of(0.0, 20.0), flat.outliers());
		// a lower whisker that would have to start above q1 falls back to q1 (matplotlib's rule):
		// 0, 10, 10.5, 11 -> q1 at h = 0.75 is 7.5, q3 at h = 2.25 is 10.625, IQR 3.125, lower
		// fence 2.8125: the smallest value above it, 10, lies above q1
		final BoxStats gap = BoxStats.of(0, 10, 10.5, 11);
		assertEquals(7.5, gap.q1());
		assertEquals(10.25, gap.median());
		assertEquals(10.625, gap.q3());
		assertEquals(7.5, gap.whiskerLow());
		assertEquals(11, gap.whiskerHigh());
		assertEquals(List.of(0.0), gap.outliers());
	}

	@Test
	void quantileEnds() {
		final double[] x = { -3, 1, 2, 8 };
		assertEquals(-3, BoxStats.quantile(x, 0));
		assertEquals(8, BoxStats.quantile(x, 1));
		assertEquals(1.5, BoxStats.quantile(x, 0.5));
		assertThrows(IllegalArgumentException.class, () -> BoxStats.quantile(x, 1.5));
		assertThrows(IllegalArgumentException.class, () -> BoxStats.quantile(new double[0], 0.5));
	}

	/** Quartiles of random samples of several sizes equal the standard library's to 1e-12. */
	@Test
	void quartilesMatchPythonStatistics() throws Exception {
		final Random rnd = new Random(11);
		for (final int n : new int[] { 2, 3, 4, 7, 10, 33, 100 }) {
			final double[] v = new double[n];
			final List<String> args = new ArrayList<>();
			args.add("quartiles");
			for (int i = 0; i < n; i++) {
				v[i] = Math.exp(rnd.nextGaussian()) * (rnd.nextBoolean() ? 1 : -1);
				args.add(Double.toString(v[i]));
			}
			final JsonArray q = Python.json("png_oracle.py", args.toArray(new String[0]))
				.getAsJsonArray();
			final BoxStats b = BoxStats.of(v);
			assertEquals(q.get(0).getAsDouble(), b.q1(), 1e-12, "q1, n = " + n);
			assertEquals(q.get(1).getAsDouble(), b.median(), 1e-12, "median, n = " + n);
			assertEquals(q.get(2).getAsDouble(), b.q3(), 1e-12, "q3, n = " + n);
		}
	}
}
