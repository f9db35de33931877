package sc.fiji.voxelseg.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.testutil.Python;

/**
 * The study's statistics against Debian's python3-scipy ({@code stats_oracle.py}: {@code ttest_rel},
 * {@code t.interval}, {@code wilcoxon}, {@code t.ppf}) on fixed samples that take each of scipy's
 * branches, and against values worked by hand.
 */
class PairedStatisticsTest {

	@TempDir
	Path tmp;

	/** The samples: {a, b} pairs. */
	private static List<double[][]> samples() {
		final List<double[][]> s = new ArrayList<>();
		// five pairs, no ties: the exact distribution
		s.add(new double[][] { { 0.71, 0.64, 0.80, 0.55, 0.69 }, { 0.66, 0.60, 0.81, 0.49, 0.61 } });
		// ties among |a - b| (ranks 2.5, 2.5), no zero: still exact, with a half-integer rank sum
		s.add(new double[][] { { 1, 2, 3, 4, 5, 6, 7, 8 }, { 1.5, 1.5, 3.25, 3.75, 4.0, 7.5, 6.2, 9.1 } });
		// a zero difference: the normal approximation, zeros dropped
		s.add(new double[][] { { 0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.3, 0.2, 0.75, 0.65, 0.55, 0.45 }, { 0.5, 0.55, 0.72, 0.7, 0.81, 0.42,
			0.25, 0.1, 0.7, 0.6, 0.52, 0.5 } });
		// more than 50 pairs, with tied magnitudes: the normal approximation with the tie correction
		final SplittableRandom r = new SplittableRandom(7);
		final double[] a = new double[64], b = new double[64];
		for (int i = 0; i < a.length; i++) {
			a[i] = 0.6 + 0.2 * r.nextDouble();
			b[i] = a[i] - (Math.round(r.nextDouble() * 20 - 7) / 100.0);
			if (b[i] == a[i]) b[i] -= 0.013;
		}
		s.add(new double[][] { a, b });
		// three pairs, and 30 pairs of which 20 favour a
		s.add(new double[][] { { 0.9, 0.8, 0.85 }, { 0.7, 0.75, 0.9 } });
		final double[] c = new double[30], e = new double[30];
		for (int i = 0; i < c.length; i++) {
			c[i] = 0.5 + 0.01 * i;
			e[i] = c[i] + (i % 3 == 0 ? 0.02 + 0.001 * i : -0.015 - 0.0007 * i);
		}
		s.add(new double[][] { c, e });
		return s;
	}

	@Test
	void matchesScipy() throws Exception {
		final List<double[][]> samples = samples();
		final double[][] quantiles = { { 0.975, 1 }, { 0.975, 2 }, { 0.975, 4 }, { 0.975, 29 }, { 0.025, 7 }, { 0.9, 3.5 } };
		final JsonObject in = new JsonObject();
		final Gson gson = new Gson();
		final JsonArray pairs = new JsonArray();
		for (final double[][] p : samples) pairs.add(gson.toJsonTree(p));
		in.add("pairs", pairs);
		in.add("quantiles", gson.toJsonTree(quantiles));
		final Path file = tmp.resolve("cases.json");
		Files.writeString(file, in.toString());
		final JsonObject scipy = Python.json("stats_oracle.py", file.toString()).getAsJsonObject();
		for (int i = 0; i < samples.size(); i++) {
			final double[] a = samples.get(i)[0], b = samples.get(i)[1];
			final JsonObject o = scipy.getAsJsonArray("pairs").get(i).getAsJsonObject();
			final PairedStatistics.TTest t = PairedStatistics.pairedT(a, b);
			close(num(o, "t"), t.t(), "sample " + i + " t");
			close(num(o, "t_p"), t.p(), "sample " + i + " t-test p");
			close(num(o, "low"), t.low(), "sample " + i + " interval low");
			close(num(o, "high"), t.high(), "sample " + i + " interval high");
			final PairedStatistics.Wilcoxon w = PairedStatistics.wilcoxon(a, b);
			close(num(o, "w"), w.statistic(), "sample " + i + " Wilcoxon statistic");
			close(num(o, "w_p"), w.p(), "sample " + i + " Wilcoxon p");
		}
		for (int i = 0; i < quantiles.length; i++) {
			close(scipy.getAsJsonArray("quantiles").get(i).getAsDouble(), PairedStatistics.studentQuantile(quantiles[i][0], quantiles[i][1]),
				"t quantile " + i);
		}
	}

	/** The branches the samples were chosen for. */
	@Test
	void samplesTakeEachBranch() {
		final List<double[][]> s = samples();
		assertTrue(PairedStatistics.wilcoxon(s.get(0)[0], s.get(0)[1]).exact());
		assertTrue(PairedStatistics.wilcoxon(s.get(1)[0], s.get(1)[1]).exact());
		assertFalse(PairedStatistics.wilcoxon(s.get(2)[0], s.get(2)[1]).exact());
		assertEquals(11, PairedStatistics.wilcoxon(s.get(2)[0], s.get(2)[1]).n(), "the zero difference is dropped");
		assertFalse(PairedStatistics.wilcoxon(s.get(3)[0], s.get(3)[1]).exact());
	}

	/**
	 * Worked by hand. Differences 1, 2, 3 (all positive): t = mean/(sd/√3) = 2/(1/√3) = 2√3; the
	 * exact signed-rank p for R+ = 6 of 6 is 2 · 1/8 = 0.25. Ranks of (3, 1, 4, 1, 5): 3, 1.5, 4,
	 * 1.5, 5. For n = 3 the subset sums of {1, 2, 3} are 0, 1, 2, 3, 3, 4, 5, 6.
	 */
	@Test
	void byHand() {
		final PairedStatistics.TTest t = PairedStatistics.pairedT(new double[] { 2, 4, 6 }, new double[] { 1, 2, 3 });
		assertEquals(2, t.meanDifference(), 1e-15);
		assertEquals(2 * Math.sqrt(3), t.t(), 1e-12);
		assertEquals(2, t.df());
		final PairedStatistics.Wilcoxon w = PairedStatistics.wilcoxon(new double[] { 2, 4, 6 }, new double[] { 1, 2, 3 });
		assertEquals(0, w.statistic());
		assertEquals(0.25, w.p(), 1e-15);
		assertEquals(List.of(3.0, 1.5, 4.0, 1.5, 5.0), box(PairedStatistics.ranks(new double[] { 3, 1, 4, 1, 5 })));
		assertEquals(List.of(1 / 8.0, 1 / 8.0, 1 / 8.0, 2 / 8.0, 1 / 8.0, 1 / 8.0, 1 / 8.0), box(PairedStatistics.signedRankDistribution(3)));
		assertEquals(0.5, PairedStatistics.studentCdf(0, 5), 1e-15);
		assertEquals(Math.log(24), PairedStatistics.lnGamma(5), 1e-13);
		assertEquals(0.5 * Math.log(Math.PI), PairedStatistics.lnGamma(0.5), 1e-13);
		// the one-degree t is Cauchy: P(T > 1) = 1/4
		assertEquals(0.75, PairedStatistics.studentCdf(1, 1), 1e-13);
		assertThrows(IllegalArgumentException.class, () -> PairedStatistics.wilcoxon(new double[] { 1, 2 }, new double[] { 1, 2 }));
	}

	private static List<Double> box(final double[] a) {
		final List<Double> l = new ArrayList<>();
		for (final double v : a) l.add(v);
		return l;
	}

	private static double num(final JsonObject o, final String k) {
		final JsonElement e = o.get(k);
		return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
	}

	private static void close(final double expected, final double actual, final String what) {
		if (Double.isNaN(expected)) {
			assertTrue(Double.isNaN(actual), what + ": expected NaN, got " + actual);
			return;
		}
		assertEquals(expected, actual, 1e-9 * Math.max(1, Math.abs(expected)), what);
	}
}
