package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.jfree.chart.JFreeChart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

/**
 * {@link LinePlot} on JFreeChart: where the series land is checked at the pixels the chart's own
 * axes give ({@link Drawn}), with series in colours nothing else in the chart uses, so that a
 * colour's presence or absence near a point shows what was drawn there; axis ranges against the
 * data; the written file against {@code src/test/python/png_oracle.py}, a PNG decoder written
 * with Python's standard library.
 */
class LinePlotTest {

	private static final int RED = 0xff0000, GREEN = 0x00b400;

	@TempDir
	Path tmp;

	private static LinePlot plot(final double... y) {
		final double[] x = new double[y.length];
		for (int i = 0; i < x.length; i++)
			x[i] = i;
		final LinePlot p = new LinePlot("t").size(400, 300);
		p.series("s", x, y).colour(0xff000000 | RED).lineWidth(2);
		return p;
	}

	/** A NaN leaves no line between its neighbours; the same series without it has one there. */
	@Test
	void nanLeavesAGap() {
		final Drawn gap = Drawn.of(plot(0, 1, Double.NaN, 1, 0));
		final double a = gap.px(1), b = gap.px(3), top = gap.py(1);
		assertTrue(b - a > 100, "columns " + a + ".." + b);
		assertFalse(gap.has(a + 4, top - 20, b - 4, top + 20, RED), "a line across the gap");
		assertTrue(gap.near(gap.px(0.5), gap.py(0.5), 2, RED), "the line beside the gap");
		assertTrue(gap.near(gap.px(3.5), gap.py(0.5), 2, RED), "the line beside the gap");

		final Drawn full = Drawn.of(plot(0, 1, 1, 1, 0));
		for (double x = a + 4; x < b - 4; x += 5)
			assertTrue(full.near(x, full.py(1), 1, RED), "the line y = 1 at column " + x);

		// infinities are gaps as well: the same picture
		final BufferedImage inf = plot(0, 1, Double.POSITIVE_INFINITY, 1, 0).render();
		assertArrayEquals(pixels(gap.image()), pixels(inf));
	}

	private static int[] pixels(final BufferedImage img) {
		return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
	}

	/**
	 * An error bar of ±0.25 at x = 1 spans y 0.25..0.75 in the series colour, and the y axis
	 * widens to hold it; where the error is NaN there is no bar.
	 */
	@Test
	void errorBarsSpanTheirInterval() {
		final LinePlot p = new LinePlot("t").size(400, 300);
		p.series("s", new double[] { 0, 1, 2 }, new double[] { 0.5, 0.5, 0.5 }).colour(0xff000000 | RED).lines(false).errors(
			new double[] { Double.NaN, 0.25, Double.NaN });
		final Drawn d = Drawn.of(p);
		final org.jfree.data.Range y = d.xy().getRangeAxis().getRange();
		assertTrue(y.getLowerBound() <= 0.25 && y.getUpperBound() >= 0.75, "y axis " + y);
		final double x = d.px(1);
		for (final double v : new double[] { 0.28, 0.4, 0.6, 0.72 })
			assertTrue(d.near(x, d.py(v), 1, RED), "bar at y " + v);
		assertTrue(d.near(x + 3, d.py(0.75), 1, RED), "cap");
		assertFalse(d.has(x - 2, d.py(0.95), x + 2, d.py(0.8), RED), "above the bar");
		assertFalse(d.has(d.px(0) - 1, d.py(0.74), d.px(0) + 1, d.py(0.6), RED), "no bar where the error is NaN");
	}

	/** A valid point between two gaps is drawn as a disc on its pixel, with nothing around it. */
	@Test
	void isolatedPointGetsAMarker() {
		final Drawn d = Drawn.of(plot(0, Double.NaN, 0.5, Double.NaN, 1));
		final double cx = d.px(2), cy = d.py(0.5);
		assertTrue(d.near(cx, cy, 1, RED));
		assertTrue(d.near(cx + 2.5, cy, 0.5, RED), "a disc, not a dot");
		assertFalse(d.has(cx + 6, d.py(1), d.px(3), d.py(0), RED));
		assertFalse(d.has(d.px(1), d.py(1), cx - 6, d.py(0), RED));
	}

	/**
	 * Axes: x spans the data exactly; a fixed range is kept; the right axis exists only with a
	 * series on it or a fixed range, and a series on it lands at its own scale.
	 */
	@Test
	void axesMapValuesToThePlot() {
		final LinePlot p = new LinePlot("axes").size(500, 400);
		p.series("loss", new double[] { 0, 5, 10 }, new double[] { 0.87, 0.3, 0 }).colour(0xff000000 | RED);
		p.series("dice", new double[] { 5, 10 }, new double[] { 0.5, 1.0 }).colour(0xff000000 | GREEN).axis(LinePlot.Axis.RIGHT);
		p.y2Range(0, 1);
		final Drawn d = Drawn.of(p);
		assertEquals(0, d.xy().getDomainAxis().getLowerBound());
		assertEquals(10, d.xy().getDomainAxis().getUpperBound());
		assertEquals(0, d.xy().getRangeAxis(1).getLowerBound());
		assertEquals(1, d.xy().getRangeAxis(1).getUpperBound());
		final org.jfree.data.Range left = d.xy().getRangeAxis(0).getRange();
		assertTrue(left.getLowerBound() <= 0 && left.getUpperBound() >= 0.87 && left.getUpperBound() < 1, "left axis " + left);
		assertTrue(d.near(d.px(5), d.py(0.5, 1), 1, GREEN), "Dice 0.5 on the right axis");
		assertTrue(d.near(d.px(5), d.py(0.3, 0), 1, RED), "loss 0.3 on the left axis");
		// each axis maps its own range onto the plot's height
		assertEquals(d.area().getMaxY() - d.area().getHeight() / 2, d.py(0.5, 1), 0.5);
		assertEquals(d.area().getMaxY() - d.area().getHeight() * (0.5 - left.getLowerBound()) / left.getLength(), d.py(0.5, 0), 0.5);
		// the right axis title takes its only series's colour
		assertEquals(new Color(0xff000000 | GREEN, true), d.xy().getRangeAxis(1).getLabelPaint());

		final LinePlot fixed = new LinePlot("").size(500, 400).yRange(-1, 3).xRange(-5, 20);
		fixed.series("s", new double[] { 1, 2 }, new double[] { 0.5, 1.5 });
		final JFreeChart c = fixed.chart();
		assertEquals(-1, c.getXYPlot().getRangeAxis().getLowerBound());
		assertEquals(3, c.getXYPlot().getRangeAxis().getUpperBound());
		assertEquals(-5, c.getXYPlot().getDomainAxis().getLowerBound());
		assertEquals(20, c.getXYPlot().getDomainAxis().getUpperBound());
		assertNull(c.getXYPlot().getRangeAxis(1), "no right axis without a series on it or a range");
		assertNull(c.getTitle(), "an empty title draws none");
	}

	/** Two series get a legend above the plot; one series does not. */
	@Test
	void legendOnlyForSeveralSeries() {
		final LinePlot one = plot(0, 1, 0.5);
		assertNull(one.chart().getLegend());
		final LinePlot two = plot(0, 1, 0.5);
		two.series("other", new double[] { 0, 2 }, new double[] { 1, 0 }).colour(0xff000000 | GREEN);
		final Drawn d = Drawn.of(two);
		assertNotNull(d.chart().getLegend());
		assertEquals(org.jfree.chart.ui.RectangleEdge.TOP, d.chart().getLegend().getPosition());
		assertTrue(d.has(0, 0, 399, d.area().getMinY() - 2, RED), "the legend's line for the first series");
		assertTrue(d.has(0, 0, 399, d.area().getMinY() - 2, GREEN), "the legend's line for the second series");
	}

	/** Text is drawn in a font that has glyphs for non-ASCII names, anti-aliased. */
	@Test
	void nonAsciiTextAndAntiAliasing() {
		final String title = "Dice – Zürich, µm, Ærø";
		final LinePlot p = new LinePlot(title).xLabel("Länge (µm)").size(400, 300);
		p.series("s", new double[] { 0, 1 }, new double[] { 0, 1 });
		final JFreeChart c = p.chart();
		assertEquals(-1, c.getTitle().getFont().canDisplayUpTo(title), c.getTitle().getFont().toString());
		assertEquals(-1, c.getXYPlot().getDomainAxis().getLabelFont().canDisplayUpTo("Länge (µm)"));
		assertTrue(c.getAntiAlias());
		assertEquals(java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON, c.getTextAntiAlias());
		// anti-aliased: the diagonal line leaves intermediate shades, not only its colour and white
		final BufferedImage img = p.render();
		final java.util.Set<Integer> colours = new java.util.HashSet<>(Arrays.stream(pixels(img)).boxed().toList());
		assertTrue(colours.size() > 50, colours.size() + " colours");
	}

	/** A dashed line draws markedly fewer pixels than the same solid line. */
	@Test
	void dashedLinesDrawFewerPixels() {
		final LinePlot solid = plot(0, 1, 0, 1, 0);
		final LinePlot dashed = new LinePlot("t").size(400, 300);
		dashed.series("s", new double[] { 0, 1, 2, 3, 4 }, new double[] { 0, 1, 0, 1, 0 }).colour(0xff000000 | RED).dashed(true);
		final int a = Drawn.of(solid).count(RED), b = Drawn.of(dashed).count(RED);
		assertTrue(b > a / 4 && b < a * 3 / 4, a + " solid, " + b + " dashed");
	}

	/** Empty or unusable input is refused with a message that says what is wrong. */
	@Test
	void emptyDataIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LinePlot("loss").render());
		assertEquals("line plot 'loss' has no series to draw", e.getMessage());
		final LinePlot nan = new LinePlot("loss");
		nan.series("train", new double[] { 0, 1 }, new double[] { Double.NaN, Double.NaN });
		nan.series("val", new double[0], new double[0]);
		e = assertThrows(IllegalArgumentException.class, nan::render);
		assertEquals("line plot 'loss' has no point with finite x and y in any of its series [train, val]", e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").series("s", new double[3], new double[2]));
		assertEquals("series 's' has 3 x values but 2 y values", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").xRange(1, 1));
		assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").yRange(0, Double.NaN));
		e = assertThrows(IllegalArgumentException.class, () -> new LinePlot("l").size(50, 50));
		assertEquals("a line plot needs at least 200×150 pixels, not 50×50", e.getMessage());
	}

	/**
	 * The written file decodes, with the oracle, to exactly the rendered pixels, and nothing else
	 * is left in the folder; a file that cannot be written fails with its name and leaves nothing.
	 */
	@Test
	void writePngDecodesToTheRenderedPixels() throws Exception {
		final LinePlot p = new LinePlot("Loss and Dice").size(640, 400).xLabel("step").yLabel("loss").y2Label("Dice").y2Range(0, 1);
		p.series("loss", List.of(0, 10, 20, 30), Arrays.asList(1.0, 0.6, null, 0.3));
		p.series("Dice", List.of(10, 30), List.of(0.4, 0.7)).axis(LinePlot.Axis.RIGHT).markers(true);
		final Path png = tmp.resolve("chart.png");
		p.writePng(png);
		final JsonObject o = PngOracle.decode(png);
		assertEquals(640, o.get("width").getAsInt());
		assertEquals(400, o.get("height").getAsInt());
		assertEquals(2, o.get("colour_type").getAsInt());
		assertEquals(PngOracle.sha256(p.render()), o.get("sha256").getAsString());
		try (Stream<Path> files = Files.list(tmp)) {
			assertEquals(List.of(png), files.toList());
		}

		final Path blocked = tmp.resolve("file");
		Files.writeString(blocked, "x");
		final IOException e = assertThrows(IOException.class, () -> p.writePng(blocked.resolve("chart.png")));
		assertTrue(e.getMessage().contains(blocked.resolve("chart.png").toString()), e.getMessage());
		try (Stream<Path> files = Files.list(tmp)) {
			assertEquals(2, files.count());
		}
	}
}
