package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

/**
 * {@link LinePlot}: where the series land is checked against the chart's own value-to-pixel
 * mapping ({@link LinePlot#frame()}), with series in colours nothing else in the chart uses, so
 * that a colour's presence or absence in a column shows what was drawn there; axis ranges
 * against values worked by hand ({@link Ticks}); the written file against
 * {@code src/test/python/png_oracle.py}, a standard-library PNG decoder.
 */
class LinePlotTest {

	private static final int RED = Raster.rgb(255, 0, 0), GREEN = Raster.rgb(0, 200, 0);

	@TempDir
	Path tmp;

	private static boolean columnHas(final Raster r, final int x, final int colour) {
		for (int y = 0; y < r.height(); y++)
			if (r.get(x, y) == colour) return true;
		return false;
	}

	private static boolean regionHas(final Raster r, final int x0, final int y0, final int x1,
		final int y1, final int colour)
	{
		for (int y = Math.max(0, y0); y <= Math.min(r.height() - 1, y1); y++)
			for (int x = Math.max(0, x0); x <= Math.min(r.width() - 1, x1); x++)
				if (r.get(x, y) == colour) return true;
		return false;
	}

	private static LinePlot plot(final double... y) {
		final double[] x = new double[y.length];
		for (int i = 0; i < x.length; i++)
			x[i] = i;
		final LinePlot p = new LinePlot("t").size(400, 300);
		p.series("s", x, y).colour(RED).lineWidth(1);
		return p;
	}

	/** A NaN leaves no line between its neighbours; the same series without it has one there. */
	@Test
	void nanLeavesAGap() {
		final LinePlot gap = plot(0, 1, Double.NaN, 1, 0);
		final Frame f = gap.frame();
		final Raster r = gap.render();
		final int a = (int) Math.round(f.px(1)), b = (int) Math.round(f.px(3));
		assertTrue(b - a > 20, "columns " + a + ".." + b);
		for (int x = a + 1; x < b; x++)
			assertFalse(columnHas(r, x, RED), "column " + x + " between the gap's neighbours");
		for (final int x : new int[] { (int) Math.round(f.px(0.5)), (int) Math.round(f.px(3.5)) })
			assertTrue(columnHas(r, x, RED), "column " + x + " beside the gap");

		final LinePlot full = plot(0, 1, 1, 1, 0);
		assertEquals(f.y1, full.frame().y1);
		final Raster s = full.render();
		final int row = (int) Math.round(f.py(1));
		for (int x = a; x <= b; x++)
			assertEquals(RED, s.get(x, row), "column " + x + " of the line y = 1");

		// infinities are gaps as well
		final Raster inf = plot(0, 1, Double.POSITIVE_INFINITY, 1, 0).render();
		assertArrayEquals(r.pixels(), inf.pixels());
	}

	/**
	 * An error bar of ±0.25 at x = 1 spans y 0.25..0.75 in the series colour, with caps, and the
	 * y axis widens to hold it; where the error is NaN there is no bar.
	 */
	@Test
	void errorBarsSpanTheirInterval() {
		final LinePlot p = new LinePlot("t").size(400, 300);
		p.series("s", new double[] { 0, 1, 2 }, new double[] { 0.5, 0.5, 0.5 }).colour(RED).lineWidth(1).lines(false).errors(
			new double[] { Double.NaN, 0.25, Double.NaN });
		final Frame f = p.frame();
		assertTrue(f.y0 <= 0.25 && f.y1 >= 0.75, "y axis " + f.y0 + ".." + f.y1);
		final Raster r = p.render();
		final int x = (int) Math.round(f.px(1));
		for (final double y : new double[] { 0.26, 0.4, 0.6, 0.74 })
			assertEquals(RED, r.get(x, (int) Math.round(f.py(y))), "bar at y " + y);
		assertEquals(RED, r.get(x + 2, (int) Math.round(f.py(0.75))), "cap");
		assertFalse(regionHas(r, x - 1, (int) Math.round(f.py(0.9)), x + 1, (int) Math.round(f.py(0.8)), RED), "above the bar");
		final int x0 = (int) Math.round(f.px(0));
		assertFalse(regionHas(r, x0 - 1, (int) Math.round(f.py(0.74)), x0 + 1, (int) Math.round(f.py(0.6)), RED), "no bar at NaN");
	}

	/** A valid point between two gaps is drawn as a disc of radius 3 on its pixel. */
	@Test
	void isolatedPointGetsAMarker() {
		final LinePlot p = plot(0, Double.NaN, 0.5, Double.NaN, 1);
		final Frame f = p.frame();
		final Raster r = p.render();
		final int cx = (int) Math.round(f.px(2)), cy = (int) Math.round(f.py(0.5));
		assertEquals(RED, r.get(cx, cy));
		assertEquals(RED, r.get(cx + 3, cy));
		assertEquals(RED, r.get(cx, cy - 3));
		assertFalse(regionHas(r, cx + 5, f.top, (int) Math.round(f.px(3)), f.bottom(), RED));
		assertFalse(regionHas(r, (int) Math.round(f.px(1)), f.top, cx - 5, f.bottom(), RED));
	}

	/**
	 * Hand-worked axes: x spans the data (0..10); y runs around 0..0.87 with 3 % to spare
	 * (0..0.896), covered by ticks at 0.2 up to 1.0; the right axis is fixed to 0..1.
	 */
	@Test
	void axesMapValuesToTheFrame() {
		final LinePlot p = new LinePlot("axes").size(500, 400);
		p.series("loss", new double[] { 0, 5, 10 }, new double[] { 0.87, 0.3, 0 }).colour(RED);
		p.series("dice", new double[] { 5, 10 }, new double[] { 0.5, 1.0 }).colour(GREEN).axis(
			LinePlot.Axis.RIGHT).lineWidth(1);
		p.y2Range(0, 1);
		final Frame f = p.frame();
		assertEquals(0, f.x0);
		assertEquals(10, f.x1);
		assertEquals(0, f.y0);
		assertEquals(1.0, f.y1);
		assertEquals(0, f.y20);
		assertEquals(1, f.y21);
		assertEquals(f.bottom(), f.py(0), 1e-9);
		assertEquals(f.top, f.py(1.0), 1e-9);
		assertEquals(f.left, f.px(0), 1e-9);
		assertEquals(f.right(), f.px(10), 1e-9);
		assertEquals(f.top, f.py2(1.0), 1e-9);
		final Raster r = p.render();
		// the Dice line ends at (10, 1.0): the plot's top-right corner, just inside the frame
		assertTrue(regionHas(r, f.right() - 4, f.top + 1, f.right() - 1, f.top + 4, GREEN));
		assertEquals(GREEN, r.get((int) Math.round(f.px(5)), (int) Math.round(f.py2(0.5))));

		final LinePlot q = new LinePlot("").size(500, 400);
		q.series("s", new double[] { 1, 2 }, new double[] { 0.5, 1.5 });
		final Frame g = q.frame();
		assertTrue(g.y0 <= 0.47 && g.y1 >= 1.53, g.y0 + ".." + g.y1);
		assertEquals(1, g.x0);
		assertEquals(2, g.x1);
	}

	/** Two series get a legend above the plot, with their colours; one series does not. */
	@Test
	void legendOnlyForSeveralSeries() {
		final LinePlot one = plot(0, 1, 0.5);
		final Frame f1 = one.frame();
		assertFalse(regionHas(one.render(), 0, 0, 399, f1.top - 1, RED));

		final LinePlot two = plot(0, 1, 0.5);
		two.series("other", new double[] { 0, 2 }, new double[] { 1, 0 }).colour(GREEN);
		final Frame f2 = two.frame();
		assertTrue(f2.top > f1.top, "the legend takes room above the plot");
		final Raster r = two.render();
		assertTrue(regionHas(r, 0, 0, 399, f2.top - 1, RED));
		assertTrue(regionHas(r, 0, 0, 399, f2.top - 1, GREEN));
	}

	@Test
	void dashedLinesDrawFewerPixels() {
		final LinePlot solid = plot(0, 1, 0, 1);
		final LinePlot dashed = plot(0, 1, 0, 1);
		dashed.series("d", new double[0], new double[0]); // an empty series is allowed alongside
		final long a = Arrays.stream(solid.render().pixels()).filter(c -> c == RED).count();
		final LinePlot d = new LinePlot("t").size(400, 300);
		d.series("s", new double[] { 0, 1, 2, 3 }, new double[] { 0, 1, 0, 1 }).colour(RED).lineWidth(1)
			.dashed(true);
		final long b = Arrays.stream(d.render().pixels()).filter(c -> c == RED).count();
		assertTrue(b > a / 3 && b < a * 3 / 4, a + " solid, " + b + " dashed");
		assertTrue(Arrays.stream(dashed.render().pixels()).anyMatch(c -> c == RED));
	}

	/** Empty or unusable input is refused with a message that says what is wrong. */
	@Test
	void emptyDataIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LinePlot(
			"loss").render());
		assertEquals("line plot 'loss' has no series to draw", e.getMessage());
		final LinePlot nan = new LinePlot("loss");
		nan.series("train", new double[] { 0, 1 }, new double[] { Double.NaN, Double.NaN });
		nan.series("val", new double[0], new double[0]);
		e = assertThrows(IllegalArgumentException.class, nan::render);
		assertEquals("line plot 'loss' has no point with finite x and y in any of its series " +
			"[train, val]", e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").series("s",
			new double[3], new double[2]));
		assertEquals("series 's' has 3 x values but 2 y values", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").xRange(1, 1));
		assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").yRange(0, Double.NaN));
		assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").size(50, 50));
		final LinePlot tiny = plot(0, 1).size(100, 80).scale(4);
		e = assertThrows(IllegalArgumentException.class, tiny::render);
		assertTrue(e.getMessage().contains("no room for the plot"), e.getMessage());
	}

	/** The written file decodes, with the oracle, to exactly the rendered pixels. */
	@Test
	void writePngDecodesToTheRenderedPixels() throws Exception {
		final LinePlot p = new LinePlot("Loss and Dice").size(640, 400).xLabel("step").yLabel("loss")
			.y2Label("Dice").y2Range(0, 1);
		p.series("loss", List.of(0, 10, 20, 30), Arrays.asList(1.0, 0.6, null, 0.3));
		p.series("Dice", List.of(10, 30), List.of(0.4, 0.7)).axis(LinePlot.Axis.RIGHT).markers(true);
		final Path png = tmp.resolve("chart.png");
		p.writePng(png);
		final JsonObject o = PngOracle.decode(png);
		assertEquals(640, o.get("width").getAsInt());
		assertEquals(400, o.get("height").getAsInt());
		assertEquals(2, o.get("colour_type").getAsInt());
		assertEquals(PngOracle.sha256(p.render(), false), o.get("sha256").getAsString());
		try (Stream<Path> files = Files.list(tmp)) {
			assertEquals(List.of(png), files.toList());
		}
	}
}
