package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * {@link Raster}'s primitives against pixel sets worked out by hand (or, for long lines, from
 * the closed form y = round(x dy / dx), which Bresenham's line matches when no x dy / dx is a
 * half-integer), and its text against the glyph bitmaps drawn out below.
 */
class RasterTest {

	private static final int RED = Raster.rgb(255, 0, 0);

	/** The painted (non-white) pixels as "x,y" strings. */
	private static Set<String> painted(final Raster r) {
		final Set<String> s = new TreeSet<>();
		for (int y = 0; y < r.height(); y++)
			for (int x = 0; x < r.width(); x++)
				if (r.get(x, y) != Raster.WHITE) s.add(x + "," + y);
		return s;
	}

	private static Set<String> rect(final int x0, final int y0, final int x1, final int y1) {
		final Set<String> s = new TreeSet<>();
		for (int y = y0; y <= y1; y++)
			for (int x = x0; x <= x1; x++)
				s.add(x + "," + y);
		return s;
	}

	/** Hand-worked: a one-pixel horizontal line covers exactly its row between its ends. */
	@Test
	void horizontalLineDrawsExactlyItsPixels() {
		final Raster r = new Raster(20, 10);
		r.line(3, 4, 15, 4, RED);
		assertEquals(rect(3, 4, 15, 4), painted(r));
		final Raster back = new Raster(20, 10);
		back.line(15, 4, 3, 4, RED);
		assertEquals(rect(3, 4, 15, 4), painted(back));
		assertEquals(RED, r.get(3, 4));
	}

	/** Hand-worked: width w stamps w×w squares starting (w - 1) / 2 up and left of each pixel. */
	@Test
	void thickLinesCoverExactlyTheirWidth() {
		final Raster r3 = new Raster(20, 10);
		r3.line(3, 4, 15, 4, 3, RED);
		assertEquals(rect(2, 3, 16, 5), painted(r3));
		final Raster r2 = new Raster(20, 10);
		r2.line(3, 4, 15, 4, 2, RED);
		assertEquals(rect(3, 4, 16, 5), painted(r2));
		final Raster v = new Raster(10, 20);
		v.line(5, 2, 5, 12, 3, RED);
		assertEquals(rect(4, 1, 6, 13), painted(v));
	}

	/** Hand-worked: (0,0)-(6,2) steps as y = x / 3 rounded; the 45° line is the diagonal. */
	@Test
	void slantedLinesFollowBresenham() {
		final Raster r = new Raster(10, 5);
		r.line(0, 0, 6, 2, RED);
		assertEquals(Set.of("0,0", "1,0", "2,1", "3,1", "4,1", "5,2", "6,2"), painted(r));
		final Raster d = new Raster(6, 6);
		d.line(5, 5, 0, 0, RED);
		assertEquals(Set.of("0,0", "1,1", "2,2", "3,3", "4,4", "5,5"), painted(d));
		// Odd dx: x dy / dx is never a half-integer, so each column's row is round(x dy / dx).
		for (final int dy : new int[] { 1, 4, 5, 12, 13 }) {
			final Raster s = new Raster(14, 14);
			s.line(0, 0, 13, dy, RED);
			final Set<String> expected = new TreeSet<>();
			for (int x = 0; x <= 13; x++)
				expected.add(x + "," + Math.round(x * dy / 13.0));
			assertEquals(expected, painted(s), "dy " + dy);
		}
	}

	/** Hand-worked: dash 3, gap 2 draws x = 0, 1, 2, 5, 6, 7, ... */
	@Test
	void dashedLineSkipsItsGaps() {
		final Raster r = new Raster(20, 5);
		r.dashedLine(0, 2, 19, 2, 1, 3, 2, RED);
		final Set<String> expected = new TreeSet<>();
		for (int x = 0; x < 20; x++)
			if (x % 5 < 3) expected.add(x + ",2");
		assertEquals(expected, painted(r));
		assertThrows(IllegalArgumentException.class, () -> r.dashedLine(0, 0, 5, 5, 1, 0, 2, RED));
	}

	@Test
	void rectanglesFillAndOutline() {
		final Raster f = new Raster(10, 10);
		f.fillRect(2, 3, 4, 5, RED);
		assertEquals(rect(2, 3, 5, 7), painted(f));
		final Raster o = new Raster(10, 10);
		o.drawRect(2, 3, 4, 5, RED);
		final Set<String> expected = rect(2, 3, 5, 7);
		expected.removeAll(rect(3, 4, 4, 6));
		assertEquals(expected, painted(o));
		assertEquals(2 * 4 + 2 * 5 - 4, painted(o).size());
	}

	/** Drawing off the canvas is skipped; huge coordinates are cut, not walked pixel by pixel. */
	@Test
	void drawingIsClippedToTheCanvasAndTheClipRectangle() {
		final Raster r = new Raster(20, 10);
		assertTimeoutPreemptively(Duration.ofSeconds(5), () -> r.line(-1_000_000_000, 5,
			1_000_000_000, 5, 3, RED));
		assertEquals(rect(0, 4, 19, 6), painted(r));
		final Raster f = new Raster(10, 10);
		f.fillRect(-5, -5, 8, 100, RED);
		assertEquals(rect(0, 0, 2, 9), painted(f));
		f.fillRect(Integer.MAX_VALUE - 5, 2, 100, 3, RED); // far right: nothing, no overflow
		f.fillRect(4, 4, -3, 2, RED); // negative width: nothing
		f.set(-1, 3, RED);
		f.set(10, 3, RED);
		assertEquals(rect(0, 0, 2, 9), painted(f));
		final Raster c = new Raster(10, 10);
		c.clip(2, 2, 3, 4);
		c.fillRect(0, 0, 10, 10, RED);
		assertEquals(rect(2, 2, 4, 5), painted(c));
		c.unclip();
		c.set(9, 9, RED);
		assertEquals(RED, c.get(9, 9));
		assertThrows(IndexOutOfBoundsException.class, () -> c.get(10, 0));
	}

	/** Hand-counted: the disc of radius 2 is the 5×5 square less its 4 corners (d² = 8 > 6). */
	@Test
	void circlesAndMarkers() {
		final Raster r = new Raster(11, 11);
		r.fillCircle(5, 5, 2, RED);
		final Set<String> disc = rect(3, 3, 7, 7);
		disc.removeAll(Set.of("3,3", "7,3", "3,7", "7,7"));
		assertEquals(disc, painted(r));
		final Raster ring = new Raster(11, 11);
		ring.drawCircle(5, 5, 3, RED);
		for (final String p : painted(ring)) {
			final String[] xy = p.split(",");
			final int dx = Integer.parseInt(xy[0]) - 5, dy = Integer.parseInt(xy[1]) - 5;
			assertTrue(dx * dx + dy * dy > 6 && dx * dx + dy * dy <= 12, p);
		}
		// the ring is symmetric and holds the four axis points at distance 3
		assertTrue(painted(ring).containsAll(Set.of("8,5", "2,5", "5,8", "5,2")));
		assertEquals(RED, ring.get(5 + 2, 5 + 2)); // d² = 8
		assertEquals(Raster.WHITE, ring.get(5, 5));
		for (final Raster.Marker m : Raster.Marker.values()) {
			final Raster k = new Raster(21, 21);
			k.marker(10, 10, m, 7, RED);
			assertFalse(painted(k).isEmpty(), m.toString());
			assertTrue(rect(7, 7, 13, 13).containsAll(painted(k)), m + " " + painted(k));
		}
	}

	/** The capital H at scale 1, drawn out by hand from the font's design. */
	@Test
	void letterMatchesItsBitmap() {
		final String[] h = { //
			"#...#", //
			"#...#", //
			"#...#", //
			"#####", //
			"#...#", //
			"#...#", //
			"#...#", //
			"....." };
		final String[] g = { //
			".....", //
			".....", //
			".####", //
			"#...#", //
			"#...#", //
			".####", //
			"....#", //
			".###." };
		assertGlyph('H', h);
		assertGlyph('g', g);
	}

	private static void assertGlyph(final char c, final String[] rows) {
		final Raster r = new Raster(9, 12);
		r.text(2, 3, String.valueOf(c), 1, Raster.BLACK);
		final Set<String> expected = new TreeSet<>();
		for (int y = 0; y < rows.length; y++)
			for (int x = 0; x < 5; x++)
				if (rows[y].charAt(x) == '#') expected.add(2 + x + "," + (3 + y));
		assertEquals(expected, painted(r), "glyph " + c);
	}

	/** Text lies inside its bounding box, every character cell gets ink, scale magnifies. */
	@Test
	void textStaysInsideItsBoundingBox() {
		final String s = "Dice 0.87 (gjpqy)";
		final int scale = 2, x = 7, y = 5;
		final int w = Raster.textWidth(s, scale), h = Raster.textHeight(scale);
		assertEquals((s.length() * 6 - 1) * 2, w);
		assertEquals(16, h);
		final Raster r = new Raster(w + 20, h + 12);
		r.text(x, y, s, scale, Raster.BLACK);
		final Set<String> ink = painted(r);
		assertTrue(rect(x, y, x + w - 1, y + h - 1).containsAll(ink));
		for (int i = 0; i < s.length(); i++) {
			if (s.charAt(i) == ' ') continue;
			final Set<String> cell = rect(x + i * 12, y, x + i * 12 + 9, y + h - 1);
			cell.retainAll(ink);
			assertFalse(cell.isEmpty(), "no ink for '" + s.charAt(i) + "'");
		}
		// descenders reach the last font row, capitals do not
		assertTrue(rowHasInk(r, y + h - 1));
		final Raster caps = new Raster(w + 20, h + 12);
		caps.text(x, y, "HELLO", scale, Raster.BLACK);
		assertFalse(rowHasInk(caps, y + h - 1));
		assertTrue(rowHasInk(caps, y + h - 3));
		assertEquals(0, Raster.textWidth("", 3));
		assertThrows(IllegalArgumentException.class, () -> Raster.textWidth("a", 0));
	}

	private static boolean rowHasInk(final Raster r, final int y) {
		for (int x = 0; x < r.width(); x++)
			if (r.get(x, y) != Raster.WHITE) return true;
		return false;
	}

	/** Upright text is the horizontal text turned 90° anticlockwise: (u, v) goes to (v, W-1-u). */
	@Test
	void uprightTextIsTheRotatedText() {
		final String s = "validation Dice";
		final int scale = 2, w = Raster.textWidth(s, scale), h = Raster.textHeight(scale);
		final Raster flat = new Raster(w, h);
		flat.text(0, 0, s, scale, Raster.BLACK);
		final Raster up = new Raster(h + 6, w + 4);
		up.textUp(3, 2, s, scale, Raster.BLACK);
		final Set<String> expected = new HashSet<>();
		for (int v = 0; v < h; v++)
			for (int u = 0; u < w; u++)
				if (flat.get(u, v) != Raster.WHITE) expected.add(3 + v + "," + (2 + w - 1 - u));
		assertEquals(expected, new HashSet<>(painted(up)));
		assertFalse(expected.isEmpty());
	}

	/** Every printable glyph has ink (but the space), no two are alike; others draw as '?'. */
	@Test
	void fontCoversPrintableAscii() {
		final Set<String> seen = new HashSet<>();
		for (char c = 32; c <= 126; c++) {
			final Raster r = new Raster(5, 8);
			r.text(0, 0, String.valueOf(c), 1, Raster.BLACK);
			final String bits = painted(r).toString();
			assertEquals(c == ' ', painted(r).isEmpty(), "glyph '" + c + "'");
			assertTrue(seen.add(bits), "glyph '" + c + "' looks like another");
		}
		final Raster q = new Raster(5, 8), e = new Raster(5, 8);
		q.text(0, 0, "?", 1, Raster.BLACK);
		e.text(0, 0, "é", 1, Raster.BLACK);
		assertArrayEquals(q.pixels(), e.pixels());
	}

	@Test
	void coloursAndSizes() {
		assertEquals(0xff102030, Raster.rgb(0x10, 0x20, 0x30));
		assertEquals(0x80102030, Raster.rgba(0x10, 0x20, 0x30, 0x80));
		assertEquals(Raster.rgb(255, 128, 128), Raster.tint(Raster.rgb(255, 0, 0), 0.5));
		assertEquals(Raster.rgb(100, 0, 50), Raster.shade(Raster.rgb(200, 0, 100), 0.5));
		final Raster r = new Raster(3, 2, Raster.TRANSPARENT);
		assertFalse(r.isOpaque());
		r.fill(RED);
		assertTrue(r.isOpaque());
		assertNotEquals(0, r.pixels()[5]);
		final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
			() -> new Raster(0, 5));
		assertTrue(ex.getMessage().contains("0×5"), ex.getMessage());
	}
}
