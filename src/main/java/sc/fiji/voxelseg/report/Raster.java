package sc.fiji.voxelseg.report;

import java.util.Arrays;

/**
 * An RGBA pixel canvas with drawing primitives for charts, in plain Java (no AWT). Colours are
 * {@code int}s {@code 0xAARRGGBB}; drawing replaces pixels, without blending or anti-aliasing, so
 * what a primitive draws is exactly predictable. x grows to the right and y downwards from the
 * top-left pixel (0, 0). Whatever falls outside the canvas, or outside the clip rectangle when one
 * is set, is skipped.
 * <p>
 * Text uses a built-in 5×8 pixel font for printable ASCII (other characters draw as {@code ?}),
 * magnified by an integer scale: each character advances {@code 6 * scale} pixels and a line is
 * {@link #textHeight(int) 8 * scale} pixels tall, descenders included.
 * </p>
 */
public final class Raster {

	/** Marker shapes for {@link #marker}. */
	public enum Marker {
		/** A filled disc. */
		CIRCLE,
		/** A one-pixel ring. */
		OPEN_CIRCLE,
		/** A filled square. */
		SQUARE,
		/** A filled diamond. */
		DIAMOND,
		/** A filled triangle pointing up. */
		TRIANGLE,
		/** An x. */
		CROSS
	}

	public static final int WHITE = 0xffffffff;
	public static final int BLACK = 0xff000000;
	public static final int TRANSPARENT = 0x00000000;

	private final int width, height;
	private final int[] pixels;
	private int clipX0, clipY0, clipX1, clipY1;

	/** A canvas filled with opaque white. */
	public Raster(final int width, final int height) {
		this(width, height, WHITE);
	}

	/** A canvas filled with {@code background}. */
	public Raster(final int width, final int height, final int background) {
		if (width <= 0 || height <= 0 || (long) width * height > Integer.MAX_VALUE - 8)
			throw new IllegalArgumentException("a raster needs a positive size below 2^31 pixels, not " +
				width + "×" + height);
		this.width = width;
		this.height = height;
		this.pixels = new int[width * height];
		Arrays.fill(pixels, background);
		unclip();
	}

	/** The opaque colour with the given 0..255 components. */
	public static int rgb(final int r, final int g, final int b) {
		return rgba(r, g, b, 255);
	}

	/** The colour with the given 0..255 components. */
	public static int rgba(final int r, final int g, final int b, final int a) {
		return (a & 0xff) << 24 | (r & 0xff) << 16 | (g & 0xff) << 8 | b & 0xff;
	}

	/** {@code colour} mixed with white: 0 gives the colour, 1 white; alpha is kept. */
	public static int tint(final int colour, final double towardsWhite) {
		final double t = Math.max(0, Math.min(1, towardsWhite));
		final int r = colour >> 16 & 0xff, g = colour >> 8 & 0xff, b = colour & 0xff;
		return colour & 0xff000000 | (int) Math.round(r + (255 - r) * t) << 16 | (int) Math.round(g +
			(255 - g) * t) << 8 | (int) Math.round(b + (255 - b) * t);
	}

	/** {@code colour} mixed with black: 0 gives the colour, 1 black; alpha is kept. */
	public static int shade(final int colour, final double towardsBlack) {
		final double t = 1 - Math.max(0, Math.min(1, towardsBlack));
		return colour & 0xff000000 | (int) Math.round((colour >> 16 & 0xff) * t) << 16 | (int) Math
			.round((colour >> 8 & 0xff) * t) << 8 | (int) Math.round((colour & 0xff) * t);
	}

	public int width() {
		return width;
	}

	public int height() {
		return height;
	}

	/** The colour of pixel ({@code x}, {@code y}), which must lie on the canvas. */
	public int get(final int x, final int y) {
		if (x < 0 || y < 0 || x >= width || y >= height) throw new IndexOutOfBoundsException("pixel (" +
			x + ", " + y + ") is outside the " + width + "×" + height + " raster");
		return pixels[y * width + x];
	}

	/** A copy of all pixels, row by row from the top. */
	public int[] pixels() {
		return pixels.clone();
	}

	/** Whether every pixel has alpha 255. */
	public boolean isOpaque() {
		for (final int p : pixels)
			if (p >>> 24 != 0xff) return false;
		return true;
	}

	/** Restricts drawing to the rectangle at ({@code x}, {@code y}) of {@code w}×{@code h}. */
	public void clip(final int x, final int y, final int w, final int h) {
		clipX0 = Math.max(0, x);
		clipY0 = Math.max(0, y);
		clipX1 = (int) Math.min(width, Math.max(0, (long) x + w));
		clipY1 = (int) Math.min(height, Math.max(0, (long) y + h));
	}

	/** Allows drawing on the whole canvas again. */
	public void unclip() {
		clipX0 = 0;
		clipY0 = 0;
		clipX1 = width;
		clipY1 = height;
	}

	/** Sets every pixel to {@code colour}, ignoring the clip rectangle. */
	public void fill(final int colour) {
		Arrays.fill(pixels, colour);
	}

	/** Sets one pixel; nothing happens outside the canvas or the clip rectangle. */
	public void set(final int x, final int y, final int colour) {
		if (x >= clipX0 && x < clipX1 && y >= clipY0 && y < clipY1) pixels[y * width + x] = colour;
	}

	/** Fills the {@code w}×{@code h} rectangle whose top-left pixel is ({@code x}, {@code y}). */
	public void fillRect(final int x, final int y, final int w, final int h, final int colour) {
		final int x0 = Math.max(x, clipX0), y0 = Math.max(y, clipY0);
		final int x1 = (int) Math.min((long) x + w, clipX1), y1 = (int) Math.min((long) y + h, clipY1);
		if (x0 >= x1 || y0 >= y1) return;
		for (int yy = y0; yy < y1; yy++)
			Arrays.fill(pixels, yy * width + x0, yy * width + x1, colour);
	}

	/**
	 * Draws the one-pixel outline of the {@code w}×{@code h} rectangle whose top-left pixel is
	 * ({@code x}, {@code y}): its outermost rows and columns.
	 */
	public void drawRect(final int x, final int y, final int w, final int h, final int colour) {
		if (w <= 0 || h <= 0) return;
		fillRect(x, y, w, 1, colour);
		fillRect(x, y + h - 1, w, 1, colour);
		fillRect(x, y, 1, h, colour);
		fillRect(x + w - 1, y, 1, h, colour);
	}

	/** A one-pixel line from ({@code x0}, {@code y0}) to ({@code x1}, {@code y1}), both ends drawn. */
	public void line(final int x0, final int y0, final int x1, final int y1, final int colour) {
		line(x0, y0, x1, y1, 1, colour);
	}

	/**
	 * A line of the given width: Bresenham's line, each pixel of which is stamped as a
	 * {@code lineWidth}×{@code lineWidth} square starting {@code (lineWidth - 1) / 2} pixels up
	 * and left of it. A horizontal line of width w thus covers exactly w rows.
	 */
	public void line(final int x0, final int y0, final int x1, final int y1, final int lineWidth,
		final int colour)
	{
		stroke(x0, y0, x1, y1, lineWidth, 1, 0, colour);
	}

	/**
	 * As {@link #line(int, int, int, int, int, int)}, but only the first {@code dash} of every
	 * {@code dash + gap} steps along the longer axis are drawn, starting at ({@code x0},
	 * {@code y0}).
	 */
	public void dashedLine(final int x0, final int y0, final int x1, final int y1,
		final int lineWidth, final int dash, final int gap, final int colour)
	{
		if (dash <= 0 || gap < 0) throw new IllegalArgumentException("a dash pattern needs dash > 0 " +
			"and gap >= 0, not " + dash + " and " + gap);
		stroke(x0, y0, x1, y1, lineWidth, dash, gap, colour);
	}

	private void stroke(int x0, int y0, int x1, int y1, final int lineWidth, final int dash,
		final int gap, final int colour)
	{
		if (lineWidth <= 0) return;
		final int before = (lineWidth - 1) / 2;
		// Far-away ends are cut to the canvas (with a margin for the width) so that no loop runs
		// over millions of invisible pixels.
		final int m = lineWidth + 2;
		if (outside(x0, y0, m) || outside(x1, y1, m)) {
			final double[] c = Clip.segment(x0, y0, x1, y1, -m, -m, width + m, height + m);
			if (c == null) return;
			x0 = (int) Math.round(c[0]);
			y0 = (int) Math.round(c[1]);
			x1 = (int) Math.round(c[2]);
			y1 = (int) Math.round(c[3]);
		}
		final int dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
		final int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
		final int period = dash + gap;
		int err = dx + dy, x = x0, y = y0, step = 0;
		while (true) {
			if (gap == 0 || step % period < dash) {
				if (lineWidth == 1) set(x, y, colour);
				else fillRect(x - before, y - before, lineWidth, lineWidth, colour);
			}
			if (x == x1 && y == y1) break;
			final int e2 = 2 * err;
			if (e2 >= dy) {
				err += dy;
				x += sx;
			}
			if (e2 <= dx) {
				err += dx;
				y += sy;
			}
			step++;
		}
	}

	private boolean outside(final int x, final int y, final int margin) {
		return x < -margin || y < -margin || x >= width + margin || y >= height + margin;
	}

	/** Fills the disc of pixels whose squared distance from the centre is at most r² + r. */
	public void fillCircle(final int cx, final int cy, final int r, final int colour) {
		if (r < 0) return;
		final long lim = (long) r * r + r;
		for (int dy = -r; dy <= r; dy++)
			for (int dx = -r; dx <= r; dx++)
				if ((long) dx * dx + (long) dy * dy <= lim) set(cx + dx, cy + dy, colour);
	}

	/** The ring of pixels whose squared distance d² from the centre has r² - r < d² <= r² + r. */
	public void drawCircle(final int cx, final int cy, final int r, final int colour) {
		if (r <= 0) {
			if (r == 0) set(cx, cy, colour);
			return;
		}
		final long lo = (long) r * r - r, hi = (long) r * r + r;
		for (int dy = -r; dy <= r; dy++)
			for (int dx = -r; dx <= r; dx++) {
				final long d = (long) dx * dx + (long) dy * dy;
				if (d > lo && d <= hi) set(cx + dx, cy + dy, colour);
			}
	}

	/** A marker of about {@code size} pixels across, centred on ({@code cx}, {@code cy}). */
	public void marker(final int cx, final int cy, final Marker shape, final int size,
		final int colour)
	{
		final int r = Math.max(1, size / 2);
		switch (shape) {
			case CIRCLE:
				fillCircle(cx, cy, r, colour);
				break;
			case OPEN_CIRCLE:
				drawCircle(cx, cy, r, colour);
				break;
			case SQUARE:
				fillRect(cx - r, cy - r, 2 * r + 1, 2 * r + 1, colour);
				break;
			case DIAMOND:
				for (int dy = -r; dy <= r; dy++) {
					final int half = r - Math.abs(dy);
					fillRect(cx - half, cy + dy, 2 * half + 1, 1, colour);
				}
				break;
			case TRIANGLE:
				for (int dy = -r; dy <= r; dy++) {
					final int half = (dy + r) / 2;
					fillRect(cx - half, cy + dy, 2 * half + 1, 1, colour);
				}
				break;
			case CROSS:
				// two diagonals, doubled inside the square from radius 3 on
				line(cx - r, cy - r, cx + r, cy + r, colour);
				line(cx - r, cy + r, cx + r, cy - r, colour);
				if (r >= 3) {
					line(cx - r + 1, cy - r, cx + r, cy + r - 1, colour);
					line(cx - r + 1, cy + r, cx + r, cy - r + 1, colour);
				}
				break;
			default:
				throw new IllegalArgumentException("unknown marker " + shape);
		}
	}

	/** The width in pixels of {@code text} at {@code scale}: 0 for the empty string. */
	public static int textWidth(final String text, final int scale) {
		checkScale(scale);
		return text.isEmpty() ? 0 : (text.length() * BitmapFont.ADVANCE - 1) * scale;
	}

	/** The height in pixels of a line of text at {@code scale}, descenders included. */
	public static int textHeight(final int scale) {
		checkScale(scale);
		return BitmapFont.HEIGHT * scale;
	}

	private static void checkScale(final int scale) {
		if (scale < 1) throw new IllegalArgumentException("text scale must be at least 1, not " +
			scale);
	}

	/**
	 * Draws {@code text} left to right with its bounding box ({@link #textWidth} ×
	 * {@link #textHeight}) starting at top-left pixel ({@code x}, {@code y}).
	 */
	public void text(final int x, final int y, final String text, final int scale,
		final int colour)
	{
		checkScale(scale);
		for (int i = 0; i < text.length(); i++) {
			final char c = text.charAt(i);
			for (int col = 0; col < BitmapFont.WIDTH; col++)
				for (int row = 0; row < BitmapFont.HEIGHT; row++)
					if (BitmapFont.pixel(c, col, row)) fillRect(x + (i * BitmapFont.ADVANCE + col) * scale,
						y + row * scale, scale, scale, colour);
		}
	}

	/**
	 * Draws {@code text} turned 90° anticlockwise, reading from bottom to top as a y-axis title
	 * does. Its bounding box is {@link #textHeight} wide and {@link #textWidth} tall, with top-left
	 * pixel ({@code x}, {@code y}); the tops of the letters face left.
	 */
	public void textUp(final int x, final int y, final String text, final int scale,
		final int colour)
	{
		final int w = textWidth(text, scale);
		for (int i = 0; i < text.length(); i++) {
			final char c = text.charAt(i);
			for (int col = 0; col < BitmapFont.WIDTH; col++)
				for (int row = 0; row < BitmapFont.HEIGHT; row++)
					if (BitmapFont.pixel(c, col, row)) {
						// Unrotated pixel block at (u, v) goes to (x + v, y + w - u - scale).
						final int u = (i * BitmapFont.ADVANCE + col) * scale, v = row * scale;
						fillRect(x + v, y + w - u - scale, scale, scale, colour);
					}
		}
	}
}
