package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

/**
 * {@link BoxPlot}: each part of a box is looked for at the row the chart's own mapping
 * ({@link BoxPlot#frame()}) gives the hand-worked statistics of {@link BoxStatsTest}, in group
 * colours nothing else in the chart uses; NaN values must change nothing, pixel for pixel; the
 * written file is checked with {@code src/test/python/png_oracle.py}, a standard-library PNG
 * decoder.
 */
class BoxPlotTest {

	private static final int RED = Raster.rgb(220, 0, 0), BLUE = Raster.rgb(0, 0, 220);
	private static final double[] WORKED = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 100 };

	@TempDir
	Path tmp;

	/** Whiskers, box edges, median and outlier of the worked example, at their mapped rows. */
	@Test
	void boxPartsSitAtTheirValues() {
		final BoxPlot p = new BoxPlot("worked").yLabel("value").colour("", RED);
		p.add("a", WORKED);
		final Frame f = p.frame();
		final Raster r = p.render();
		final int cx = p.boxCentre(f, 0, 0);
		final int median = BoxPlot.medianColour(RED);
		assertEquals(RED, r.get(cx, f.row(9, false)), "upper whisker end");
		assertEquals(RED, r.get(cx, f.row(1, false)), "lower whisker end");
		assertEquals(RED, r.get(cx, f.row(7.75, false)), "box top (q3)");
		assertEquals(RED, r.get(cx, f.row(3.25, false)), "box bottom (q1)");
		assertEquals(median, r.get(cx, f.row(5.5, false)), "median");
		assertEquals(Raster.tint(RED, 0.55), r.get(cx, f.row(6.6, false)), "box fill");
		// the open circle of radius 3 around the outlier: its ring, not its centre
		final int oy = f.row(100, false);
		assertEquals(RED, r.get(cx + 3, oy));
		assertEquals(RED, r.get(cx, oy - 3));
		assertNotEquals(RED, r.get(cx, oy));
		// nothing of the box between the upper whisker and the outlier
		for (int y = oy + 4; y < f.row(9, false); y++)
			assertFalse(r.get(cx, y) == RED, "row " + y);
		// the axis goes from 0 to past 100 (3 % margin: 103 -> 120 at step 20)
		assertEquals(0, f.y0);
		assertEquals(120, f.y1);
	}

	/** NaN values are ignored: adding them changes neither the statistics nor a single pixel. */
	@Test
	void nanValuesAreIgnored() {
		final BoxPlot clean = new BoxPlot("n").add("a", WORKED).add("b", 3, 4, 5);
		final double[] noisy = Arrays.copyOf(WORKED, 13);
		noisy[10] = Double.NaN;
		noisy[11] = Double.NaN;
		noisy[12] = Double.POSITIVE_INFINITY;
		final BoxPlot dirty = new BoxPlot("n").add("a", noisy).add("b", 3, Double.NaN, 4, 5);
		assertEquals(clean.stats("a").q1(), dirty.stats("a").q1());
		assertEquals(3, dirty.stats("a").ignored());
		assertArrayEquals(clean.render().pixels(), dirty.render().pixels());
		// a category whose values are all NaN keeps its place but has no box
		final BoxPlot hole = new BoxPlot("n").colour("", RED).add("a", 1, 2, 3).add("b", Double.NaN)
			.add("c", 2, 3, 4);
		assertNull(hole.stats("b"));
		final Frame f = hole.frame();
		final Raster r = hole.render();
		final int a = (int) Math.round(f.px(1)), b = (int) Math.round(f.px(2));
		for (int x = a + 1; x < b; x++)
			for (int y = f.top; y <= f.bottom(); y++)
				assertFalse(r.get(x, y) == RED, "pixel " + x + "," + y + " in the empty slot");
	}

	/** Groups sit side by side in their own colours, group order within each category. */
	@Test
	void groupsSideBySideWithALegend() {
		final BoxPlot p = new BoxPlot("methods").colour("U-Net", RED).colour("VNet", BLUE);
		p.add("liver", "U-Net", 0.90, 0.92, 0.94).add("liver", "VNet", 0.80, 0.82, 0.84);
		p.add("spleen", "U-Net", List.of(0.7, 0.8, 0.9)).add("spleen", "VNet", Arrays.asList(0.6, null,
			0.7));
		final Frame f = p.frame();
		final Raster r = p.render();
		for (int c = 0; c < 2; c++) {
			final int red = p.boxCentre(f, c, 0), blue = p.boxCentre(f, c, 1);
			assertTrue(red < blue, "U-Net left of VNet");
			assertTrue(red > f.px(c) && blue < f.px(c + 1), "both boxes in category " + c);
		}
		assertEquals(BoxPlot.medianColour(RED), r.get(p.boxCentre(f, 0, 0), f.row(0.92, false)));
		assertEquals(BoxPlot.medianColour(BLUE), r.get(p.boxCentre(f, 0, 1), f.row(0.82, false)));
		assertEquals(BoxPlot.medianColour(BLUE), r.get(p.boxCentre(f, 1, 1), f.row(0.65, false)));
		boolean redAbove = false, blueAbove = false;
		for (int y = 0; y < f.top; y++)
			for (int x = 0; x < r.width(); x++) {
				redAbove |= r.get(x, y) == RED;
				blueAbove |= r.get(x, y) == BLUE;
			}
		assertTrue(redAbove && blueAbove, "legend swatches above the plot");
	}

	/** Labels that do not fit on one line are cut at a separator, or turned upright. */
	@Test
	void longLabelsWrap() {
		assertEquals(List.of("left_", "kidney"), BoxPlot.wrap("left_kidney"));
		assertEquals(List.of("urinary", "bladder"), BoxPlot.wrap("urinary bladder"));
		assertEquals(List.of("a-b-", "c-d"), BoxPlot.wrap("a-b-c-d"));
		assertEquals(List.of("liver"), BoxPlot.wrap("liver"));
		assertEquals(List.of("_x"), BoxPlot.wrap("_x"));
		// At 400 pixels each of two categories gets a slot of about 163 pixels; at scale 2 a label
		// of n characters is 12 n - 2 wide and needs 24 more: 13 characters do not fit, 7 do.
		// A taller label area leaves a correspondingly shorter plot.
		final BoxPlot one = new BoxPlot("").size(400, 400).add("a", 1, 2).add("b", 1, 2);
		final BoxPlot two = new BoxPlot("").size(400, 400).add("left_kidneys", 1, 2).add(
			"right_kidneys", 1, 2);
		final BoxPlot up = new BoxPlot("").size(400, 400).add("gallbladderwall", 1, 2).add(
			"oesophagusupper", 1, 2);
		final int h1 = one.frame().height, h2 = two.frame().height, h3 = up.frame().height;
		assertEquals(h1 - Raster.textHeight(2) - 2, h2);
		assertEquals(h1 - Raster.textWidth("gallbladderwall", 2) + Raster.textHeight(2), h3);
	}

	/** Nothing to draw is refused with a message that says so. */
	@Test
	void emptyDataIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BoxPlot(
			"Dice").render());
		assertEquals("box plot 'Dice' has no values to draw", e.getMessage());
		final BoxPlot nan = new BoxPlot("Dice").add("liver", Double.NaN).add("spleen");
		e = assertThrows(IllegalArgumentException.class, nan::render);
		assertEquals("box plot 'Dice' has no finite value in any of its categories [liver, spleen]", e
			.getMessage());
		final BoxPlot mixed = new BoxPlot("Dice").add("liver", 1).add("liver", "VNet", 2);
		e = assertThrows(IllegalArgumentException.class, mixed::render);
		assertEquals("box plot 'Dice' mixes values without a group with the groups [VNet]", e
			.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new BoxPlot("x").yRange(1, 0));
	}

	/** The written file decodes, with the oracle, to exactly the rendered pixels. */
	@Test
	void writePngDecodesToTheRenderedPixels() throws Exception {
		final BoxPlot p = new BoxPlot("Dice per organ").yLabel("Dice").yRange(0, 1);
		for (final String organ : List.of("spleen", "left_kidney", "liver"))
			p.add(organ, "A", 0.8, 0.85, 0.9, 0.7).add(organ, "B", 0.75, 0.8, 0.95, 0.3);
		final Path png = tmp.resolve("sub/box.png");
		p.writePng(png);
		final Raster r = p.render();
		final JsonObject o = PngOracle.decode(png);
		assertEquals(r.width(), o.get("width").getAsInt());
		assertEquals(r.height(), o.get("height").getAsInt());
		assertEquals(PngOracle.sha256(r, false), o.get("sha256").getAsString());
	}
}
