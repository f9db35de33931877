package sc.fiji.voxelseg.report;

/**
 * Where a chart's plot area lies and which data ranges its axes show: the plot area is the
 * pixels [{@code left}, {@code left + width}) × [{@code top}, {@code top + height}), framed by
 * the axis lines on its outermost rows and columns. Value {@code x0} maps to column
 * {@code left} and {@code x1} to {@code left + width - 1}; {@code y0} to the bottom row and
 * {@code y1} to the top row, and likewise {@code y20}..{@code y21} for a right-hand axis.
 */
final class Frame {

	final int left, top, width, height;
	final double x0, x1, y0, y1, y20, y21;

	Frame(final int left, final int top, final int width, final int height, final double x0,
		final double x1, final double y0, final double y1, final double y20, final double y21)
	{
		this.left = left;
		this.top = top;
		this.width = width;
		this.height = height;
		this.x0 = x0;
		this.x1 = x1;
		this.y0 = y0;
		this.y1 = y1;
		this.y20 = y20;
		this.y21 = y21;
	}

	int right() {
		return left + width - 1;
	}

	int bottom() {
		return top + height - 1;
	}

	/** The column of x, not rounded. */
	double px(final double x) {
		return left + (x - x0) / (x1 - x0) * (width - 1);
	}

	/** The row of y on the left axis, not rounded. */
	double py(final double y) {
		return bottom() - (y - y0) / (y1 - y0) * (height - 1);
	}

	/** The row of y on the right axis, not rounded. */
	double py2(final double y) {
		return bottom() - (y - y20) / (y21 - y20) * (height - 1);
	}

	/** The row of y on the left or the right axis, rounded. */
	int row(final double y, final boolean rightAxis) {
		return (int) Math.round(rightAxis ? py2(y) : py(y));
	}

	/** The axis lines around the plot area. */
	void drawBox(final Raster r) {
		r.drawRect(left, top, width, height, Style.AXIS);
	}

	/** Light horizontal grid lines at the left axis's {@code ticks}. */
	void drawHorizontalGrid(final Raster r, final double[] ticks) {
		for (final double t : ticks) {
			final int y = row(t, false);
			if (y > top && y < bottom()) r.line(left + 1, y, right() - 1, y, Style.GRID);
		}
	}

	/**
	 * Tick marks and labels of a y-axis, outside the plot area on the left or the right, and the
	 * axis title turned upright at {@code titleX} (its left column).
	 */
	void drawYAxis(final Raster r, final double[] ticks, final boolean rightAxis, final int scale,
		final String title, final int titleX, final int titleColour)
	{
		final double step = step(ticks, rightAxis ? y21 - y20 : y1 - y0);
		final int th = Raster.textHeight(scale), tick = Style.tick(scale);
		for (final double t : ticks) {
			final int y = row(t, rightAxis);
			final String label = Ticks.label(t, step);
			final int w = Raster.textWidth(label, scale);
			if (rightAxis) {
				r.line(right() + 1, y, right() + tick, y, Style.AXIS);
				r.text(right() + tick + scale + 1, y - th / 2 + scale / 2, label, scale, Style.TEXT);
			}
			else {
				r.line(left - tick, y, left - 1, y, Style.AXIS);
				r.text(left - tick - scale - 1 - w, y - th / 2 + scale / 2, label, scale, Style.TEXT);
			}
		}
		if (!title.isEmpty()) {
			final int tw = Raster.textWidth(title, scale);
			r.textUp(titleX, top + (height - tw) / 2, title, scale, titleColour);
		}
	}

	/** The width of the widest tick label. */
	static int labelWidth(final double[] ticks, final double range, final int scale) {
		final double step = step(ticks, range);
		int w = 0;
		for (final double t : ticks)
			w = Math.max(w, Raster.textWidth(Ticks.label(t, step), scale));
		return w;
	}

	/** The spacing of {@code ticks}, or a tenth of the range when there is only one. */
	static double step(final double[] ticks, final double range) {
		return ticks.length > 1 ? ticks[1] - ticks[0] : range / 10;
	}

	/** Draws {@code text} centred on column {@code cx}, kept inside the raster where it fits. */
	static void centredText(final Raster r, final int cx, final int y, final String text,
		final int scale, final int colour)
	{
		final int w = Raster.textWidth(text, scale);
		int x = cx - w / 2;
		x = Math.max(0, Math.min(x, r.width() - w));
		r.text(x, y, text, scale, colour);
	}
}
