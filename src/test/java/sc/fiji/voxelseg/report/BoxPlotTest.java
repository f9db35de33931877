package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.entity.CategoryItemEntity;
import org.jfree.chart.entity.ChartEntity;
import org.jfree.chart.plot.CategoryPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

/**
 * {@link BoxPlot} on JFreeChart: each part of a box is looked for at the row the chart's own axis
 * gives the hand-worked statistics of {@link BoxStatsTest} (values 1..9 and 100: quartiles 3.25 and
 * 7.75, median 5.5, whiskers 1 and 9, outlier 100), in the column of the box JFreeChart reports,
 * with group colours nothing else in the chart uses; NaN values must change nothing, pixel for
 * pixel; the written file is checked with {@code src/test/python/png_oracle.py}, a
 * standard-library PNG decoder.
 */
class BoxPlotTest {

	private static final int RED = 0xdc0000, BLUE = 0x0000dc;
	private static final double[] WORKED = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 100 };

	@TempDir
	Path tmp;

	/** A drawn box plot: the picture, the data area and each box's rectangle keyed "category/group". */
	private record Boxes(JFreeChart chart, Drawn drawn, Map<String, Rectangle2D> boxes) {

		static Boxes of(final BoxPlot p) {
			final JFreeChart c = p.chart();
			final ChartRenderingInfo info = new ChartRenderingInfo();
			final BufferedImage img = Charts.draw(c, p.width(), p.height(), info);
			final Map<String, Rectangle2D> boxes = new HashMap<>();
			for (final Object o : info.getEntityCollection().getEntities()) {
				if (o instanceof CategoryItemEntity e) boxes.put(e.getColumnKey() + "/" + e.getRowKey(), ((ChartEntity) e).getArea()
					.getBounds2D());
			}
			return new Boxes(c, new Drawn(c, img, info.getPlotInfo().getDataArea()), boxes);
		}

		double py(final double v) {
			final CategoryPlot plot = chart.getCategoryPlot();
			return plot.getRangeAxis().valueToJava2D(v, drawn.area(), plot.getRangeAxisEdge());
		}
	}

	/** Whiskers, box edges, median and outlier of the worked example, at their rows. */
	@Test
	void boxPartsSitAtTheirValues() {
		final BoxPlot p = new BoxPlot("worked").yLabel("value").colour("", 0xff000000 | RED);
		p.add("a", WORKED);
		final Boxes b = Boxes.of(p);
		final Rectangle2D box = b.boxes().get("a/");
		assertNotNull(box, "the box of category a: " + b.boxes().keySet());
		assertEquals(b.py(7.75), box.getMinY(), 1.0, "box top at q3");
		assertEquals(b.py(3.25), box.getMaxY(), 1.0, "box bottom at q1");
		final Drawn d = b.drawn();
		final double cx = box.getCenterX(), quarter = box.getX() + box.getWidth() / 4;
		final int median = BoxPlot.median(new java.awt.Color(RED)).getRGB() & 0xffffff;
		assertTrue(dark(d, quarter, b.py(5.5)), "median line");
		assertFalse(dark(d, quarter, b.py(6.6)) || dark(d, quarter, b.py(4.4)), "only at the median");
		assertTrue(d.near(quarter, b.py(6.6), 0, RED), "box fill");
		assertTrue(d.near(cx, b.py(8.5), 1, median), "upper whisker");
		assertTrue(d.near(cx, b.py(9), 1, median), "upper whisker's end");
		assertTrue(d.near(cx, b.py(2), 1, median), "lower whisker");
		assertFalse(d.has(quarter - 2, b.py(8.5), quarter + 2, b.py(8.2), median), "no box above q3, beside the whisker");
		// the open circle around the outlier: its ring in the box's colour, centred on 100, not its centre
		final double oy = b.py(100);
		assertTrue(d.near(cx, oy - 4, 1.5, RED) && d.near(cx, oy + 4, 1.5, RED), "the ring above and below 100");
		assertFalse(d.near(cx, oy, 1, RED), "an open circle");
		assertFalse(d.has(cx - 2, oy + 8, cx + 2, b.py(9) - 3, RED), "nothing between the whisker and the outlier");
		// the axis covers the outlier
		assertTrue(b.chart().getCategoryPlot().getRangeAxis().getUpperBound() >= 100);
	}

	/** NaN and infinite values are ignored, pixel for pixel; a pair with no finite value leaves its place empty. */
	@Test
	void nanValuesAreIgnored() {
		final BoxPlot clean = new BoxPlot("n").colour("", 0xff000000 | RED);
		clean.add("a", WORKED);
		final double[] withNan = java.util.Arrays.copyOf(WORKED, WORKED.length + 3);
		withNan[WORKED.length] = Double.NaN;
		withNan[WORKED.length + 1] = Double.POSITIVE_INFINITY;
		withNan[WORKED.length + 2] = Double.NEGATIVE_INFINITY;
		final BoxPlot dirty = new BoxPlot("n").colour("", 0xff000000 | RED);
		dirty.add("a", withNan);
		assertEquals(clean.stats("a"), new BoxStats(10, 0, dirty.stats("a").mean(), dirty.stats("a").q1(), dirty.stats("a").median(),
			dirty.stats("a").q3(), dirty.stats("a").whiskerLow(), dirty.stats("a").whiskerHigh(), dirty.stats("a").outliers()));
		assertEquals(3, dirty.stats("a").ignored());
		assertArrayEquals(pixels(clean.render()), pixels(dirty.render()));

		final BoxPlot hole = new BoxPlot("h").colour("", 0xff000000 | RED);
		hole.add("a", 0.5, 0.6, 0.7).add("b", Double.NaN).add("c", 0.2, 0.3);
		assertNull(hole.stats("b"));
		final Boxes b = Boxes.of(hole);
		assertEquals(java.util.Set.of("a/", "c/"), b.boxes().keySet());
		final Rectangle2D a = b.boxes().get("a/"), c = b.boxes().get("c/");
		assertFalse(b.drawn().has(a.getMaxX() + 5, b.drawn().area().getMinY() + 1, c.getMinX() - 5, b.drawn().area().getMaxY() - 1,
			RED), "the empty place of b");
	}

	/**
	 * Whether a pixel within one row of (x, y) is markedly darker than the box's fill (the median
	 * line, in the text colour, anti-aliased over the fill): its channels sum to under 3/4 of the fill's.
	 */
	private static boolean dark(final Drawn d, final double x, final double y) {
		for (int yy = (int) Math.round(y) - 1; yy <= Math.round(y) + 1; yy++) {
			final int p = d.rgb((int) Math.round(x), yy);
			if ((p >> 16 & 0xff) + (p >> 8 & 0xff) + (p & 0xff) < 0.75 * 0xdc) return true;
		}
		return false;
	}

	private static int[] pixels(final BufferedImage img) {
		return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
	}

	/** Groups side by side in their order and colours, in every category, with a legend. */
	@Test
	void groupsSideBySideWithALegend() {
		final BoxPlot p = new BoxPlot("Dice").colour("U-Net", 0xff000000 | RED).colour("VNet", 0xff000000 | BLUE);
		p.add("liver", "U-Net", 0.9, 0.92, 0.95).add("liver", "VNet", 0.8, 0.82, 0.85);
		p.add("spleen", "U-Net", 0.7, 0.75).add("spleen", "VNet", 0.6, 0.65, 0.7);
		final Boxes b = Boxes.of(p);
		assertEquals(4, b.boxes().size());
		for (final String c : List.of("liver", "spleen")) {
			final Rectangle2D u = b.boxes().get(c + "/U-Net"), v = b.boxes().get(c + "/VNet");
			assertTrue(u.getMaxX() <= v.getMinX(), "U-Net left of VNet in " + c);
			assertTrue(b.drawn().near(u.getCenterX(), u.getCenterY(), 1, RED), "U-Net in red in " + c);
			assertTrue(b.drawn().near(v.getCenterX(), v.getCenterY(), 1, BLUE), "VNet in blue in " + c);
		}
		assertTrue(b.boxes().get("liver/VNet").getMaxX() < b.boxes().get("spleen/U-Net").getMinX(), "categories in order");
		assertNotNull(b.chart().getLegend());
		final double top = b.drawn().area().getMinY();
		assertTrue(b.drawn().has(0, 0, p.width() - 1, top - 2, RED) && b.drawn().has(0, 0, p.width() - 1, top - 2, BLUE),
			"legend swatches above the plot");
		final BoxPlot single = new BoxPlot("one");
		single.add("a", 1, 2, 3);
		assertNull(single.chart().getLegend());
	}

	/** The default width grows with the boxes, within 480..1600 pixels. */
	@Test
	void widthGrowsWithTheBoxes() {
		final BoxPlot few = new BoxPlot("w");
		few.add("a", 1, 2);
		assertEquals(480, few.width());
		final BoxPlot many = new BoxPlot("w");
		for (int c = 0; c < 13; c++) for (final String g : List.of("p", "q", "r")) many.add("organ " + c, g, 1, 2);
		assertTrue(many.width() > 1000 && many.width() <= 1600, "width " + many.width());
		assertEquals(1600, many.size(1600, 700).width());
		assertEquals(700, many.height());
	}

	@Test
	void emptyDataIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BoxPlot("Dice").render());
		assertEquals("box plot 'Dice' has no values to draw", e.getMessage());
		final BoxPlot nan = new BoxPlot("Dice");
		nan.add("liver", Double.NaN).add("spleen", Double.NEGATIVE_INFINITY);
		e = assertThrows(IllegalArgumentException.class, nan::render);
		assertEquals("box plot 'Dice' has no finite value in any of its categories [liver, spleen]", e.getMessage());
		final BoxPlot mixed = new BoxPlot("Dice");
		mixed.add("liver", 0.9).add("liver", "VNet", 0.8);
		e = assertThrows(IllegalArgumentException.class, mixed::render);
		assertEquals("box plot 'Dice' mixes values without a group with the groups [VNet]", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new BoxPlot("x").yRange(1, 0));
		assertThrows(IllegalArgumentException.class, () -> new BoxPlot("x").size(100, 100));
	}

	/** The written file decodes, with the oracle, to exactly the rendered pixels. */
	@Test
	void writePngDecodesToTheRenderedPixels() throws Exception {
		final BoxPlot p = new BoxPlot("Dice per organ").yLabel("Dice").yRange(0, 1);
		p.add("liver", 0.9, 0.95, 0.97).add("right kidney", 0.7, 0.8, 0.85, 0.2);
		final Path png = tmp.resolve("dice.png");
		p.writePng(png);
		final JsonObject o = PngOracle.decode(png);
		assertEquals(p.width(), o.get("width").getAsInt());
		assertEquals(p.height(), o.get("height").getAsInt());
		assertEquals(PngOracle.sha256(p.render()), o.get("sha256").getAsString());
	}
}
