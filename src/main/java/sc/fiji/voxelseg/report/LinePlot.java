package sc.fiji.voxelseg.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A line chart of named (x, y) series, each on the left y-axis or on an optional right y-axis
 * (for training curves: the loss on the left, the validation Dice, 0..1, on the right).
 * <p>
 * Points are joined in the order given. A point whose x or y is NaN or infinite is not drawn, and
 * neither are the segments to it, so missing values leave gaps; a valid point with no valid
 * neighbour is drawn as a marker so that it stays visible. Unless set with {@link #xRange}, the
 * x-axis spans the valid points exactly; unless set with {@link #yRange} / {@link #y2Range}, a
 * y-axis runs from the nice tick ({@link Ticks#covering}) at or below its smallest value to the
 * one at or above its largest, with 3 % of the span to spare (not across zero), and [0, 1] when
 * no series uses it. Ticks lie at 1, 2 or 5 × 10^k, with light grid lines at the x ticks and the
 * left axis's ticks. With two or more series a legend sits between the title and the plot; with
 * two y-axes, an axis title is drawn in its series' colour when that axis has only one series.
 * </p>
 * <pre>
 * LinePlot p = new LinePlot("Training").xLabel("step").yLabel("loss").y2Label("Dice");
 * p.series("loss", steps, loss);
 * p.series("validation Dice", valSteps, dice).axis(LinePlot.Axis.RIGHT).markers(true);
 * p.y2Range(0, 1).writePng(Paths.get("training.png"));
 * </pre>
 */
public final class LinePlot {

	/** Which y-axis a series is drawn against. */
	public enum Axis {
		LEFT, RIGHT
	}

	/** One named series; its setters return it for chaining. */
	public static final class Series {

		private final String name;
		private final double[] x, y;
		private Axis axis = Axis.LEFT;
		private Integer colour;
		private int lineWidth = 2;
		private boolean markers, dashed;
		private boolean lines = true;
		private double[] errors;

		private Series(final String name, final double[] x, final double[] y) {
			this.name = name;
			this.x = x;
			this.y = y;
		}

		public String name() {
			return name;
		}

		/** Draws the series against the {@code LEFT} (default) or {@code RIGHT} y-axis. */
		public Series axis(final Axis a) {
			axis = Objects.requireNonNull(a);
			return this;
		}

		/** The colour (0xAARRGGBB); by default the next palette colour. */
		public Series colour(final int argb) {
			colour = argb;
			return this;
		}

		/** Line width in pixels; 2 by default. */
		public Series lineWidth(final int px) {
			if (px < 1) throw new IllegalArgumentException("line width must be at least 1, not " + px);
			lineWidth = px;
			return this;
		}

		/** Whether consecutive points are joined (default true); without lines and with markers the series is a scatter. */
		public Series lines(final boolean on) {
			lines = on;
			return this;
		}

		/** Whether every point gets a disc marker (default false). */
		public Series markers(final boolean on) {
			markers = on;
			return this;
		}

		/**
		 * Error bars: a vertical bar from {@code y - e} to {@code y + e} at each point, with caps
		 * (NaN for none at a point).
		 */
		public Series errors(final double[] e) {
			if (e.length != y.length) throw new IllegalArgumentException(e.length + " error bars for " + y.length + " points");
			errors = e.clone();
			return this;
		}

		private double error(final int i) {
			return errors == null || !Double.isFinite(errors[i]) ? 0 : Math.abs(errors[i]);
		}

		/** Whether the line is dashed (default false). */
		public Series dashed(final boolean on) {
			dashed = on;
			return this;
		}

		private boolean valid(final int i) {
			return Double.isFinite(x[i]) && Double.isFinite(y[i]);
		}
	}

	private final String title;
	private final List<Series> series = new ArrayList<>();
	private int width = 800, height = 500, scale = 2;
	private String xLabel = "", yLabel = "", y2Label = "";
	private double[] xRange, yRange, y2Range;

	/** An empty chart; {@code title} may be empty for none. */
	public LinePlot(final String title) {
		this.title = Objects.requireNonNull(title, "title");
	}

	/** Image size in pixels; 800×500 by default. */
	public LinePlot size(final int w, final int h) {
		if (w < 100 || h < 80) throw new IllegalArgumentException("a line plot needs at least " +
			"100×80 pixels, not " + w + "×" + h);
		width = w;
		height = h;
		return this;
	}

	/** Integer magnification of the 5×8 pixel font, ticks, spacing and markers; 2 by default. */
	public LinePlot scale(final int s) {
		if (s < 1 || s > 8) throw new IllegalArgumentException("scale must be 1..8, not " + s);
		scale = s;
		return this;
	}

	public LinePlot xLabel(final String label) {
		xLabel = Objects.requireNonNull(label);
		return this;
	}

	public LinePlot yLabel(final String label) {
		yLabel = Objects.requireNonNull(label);
		return this;
	}

	/** Title of the right y-axis. */
	public LinePlot y2Label(final String label) {
		y2Label = Objects.requireNonNull(label);
		return this;
	}

	/** Fixes the x-axis to [min, max] instead of the data's range. */
	public LinePlot xRange(final double min, final double max) {
		xRange = range(min, max, "x");
		return this;
	}

	/** Fixes the left y-axis to [min, max]. */
	public LinePlot yRange(final double min, final double max) {
		yRange = range(min, max, "y");
		return this;
	}

	/** Fixes the right y-axis to [min, max]; the right axis is drawn even without series on it. */
	public LinePlot y2Range(final double min, final double max) {
		y2Range = range(min, max, "right y");
		return this;
	}

	private static double[] range(final double min, final double max, final String axis) {
		if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min))
			throw new IllegalArgumentException("the " + axis + "-axis range needs finite min < max, not [" +
				min + ", " + max + "]");
		return new double[] { min, max };
	}

	/**
	 * Adds a series of the points ({@code x[i]}, {@code y[i]}), copied; it goes on the left axis
	 * unless {@link Series#axis} says otherwise.
	 */
	public Series series(final String name, final double[] x, final double[] y) {
		Objects.requireNonNull(name, "name");
		if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "' has " +
			x.length + " x values but " + y.length + " y values");
		final Series s = new Series(name, x.clone(), y.clone());
		series.add(s);
		return s;
	}

	/** As {@link #series(String, double[], double[])}; null elements count as NaN (gaps). */
	public Series series(final String name, final List<? extends Number> x,
		final List<? extends Number> y)
	{
		return series(name, doubles(x), doubles(y));
	}

	static double[] doubles(final List<? extends Number> values) {
		final double[] d = new double[values.size()];
		for (int i = 0; i < d.length; i++) {
			final Number n = values.get(i);
			d[i] = n == null ? Double.NaN : n.doubleValue();
		}
		return d;
	}

	/** Draws the chart. */
	public Raster render() {
		final Layout l = layout();
		final Frame f = l.frame;
		final Raster r = new Raster(width, height, Style.BACKGROUND);
		final int s = scale;

		f.drawHorizontalGrid(r, l.yTicks);
		for (final double t : l.xTicks) {
			final int x = (int) Math.round(f.px(t));
			if (x > f.left && x < f.right()) r.line(x, f.top + 1, x, f.bottom() - 1, Style.GRID);
		}

		r.clip(f.left, f.top, f.width, f.height);
		for (int k = 0; k < series.size(); k++)
			drawSeries(r, f, series.get(k), colour(k));
		r.unclip();

		f.drawBox(r);
		final int th = Raster.textHeight(s), tick = Style.tick(s), pad = Style.pad(s);
		final double xStep = Frame.step(l.xTicks, f.x1 - f.x0);
		for (final double t : l.xTicks) {
			final int x = (int) Math.round(f.px(t));
			r.line(x, f.bottom() + 1, x, f.bottom() + tick, Style.AXIS);
			Frame.centredText(r, x, f.bottom() + tick + 2 * s + 1, Ticks.label(t, xStep), s, Style.TEXT);
		}
		if (!xLabel.isEmpty()) Frame.centredText(r, f.left + f.width / 2, height - pad - th, xLabel, s,
			Style.TEXT);
		f.drawYAxis(r, l.yTicks, false, s, yLabel, pad, axisTitleColour(Axis.LEFT, l.right));
		if (l.right) f.drawYAxis(r, l.y2Ticks, true, s, y2Label, width - pad - th, axisTitleColour(
			Axis.RIGHT, true));

		int y = pad;
		if (!title.isEmpty()) {
			Frame.centredText(r, width / 2, y, title, s, Style.TEXT);
			y += th + pad;
		}
		if (!l.legend.isEmpty()) l.legend.draw(r, width / 2, y, width - 2 * pad);
		return r;
	}

	/** Renders the chart and writes it as a PNG file, atomically. */
	public void writePng(final Path png) throws IOException {
		PngEncoder.write(render(), png);
	}

	private int colour(final int k) {
		final Series se = series.get(k);
		return se.colour != null ? se.colour : Style.colour(k);
	}

	/** With two y-axes, an axis with a single series has its title in that series's colour. */
	private int axisTitleColour(final Axis axis, final boolean twoAxes) {
		if (!twoAxes) return Style.TEXT;
		int found = -1;
		for (int k = 0; k < series.size(); k++) {
			if (series.get(k).axis != axis) continue;
			if (found >= 0) return Style.TEXT;
			found = k;
		}
		return found >= 0 ? colour(found) : Style.TEXT;
	}

	private void drawSeries(final Raster r, final Frame f, final Series se, final int colour) {
		final boolean right = se.axis == Axis.RIGHT;
		final int lw = se.lineWidth;
		final int n = se.x.length;
		final int markerSize = Math.max(3, lw + 2 * scale + 1);
		for (int i = 0; se.lines && i + 1 < n; i++) {
			if (!se.valid(i) || !se.valid(i + 1)) continue;
			final double[] c = Clip.segment(f.px(se.x[i]), right ? f.py2(se.y[i]) : f.py(se.y[i]), f.px(
				se.x[i + 1]), right ? f.py2(se.y[i + 1]) : f.py(se.y[i + 1]), f.left - lw, f.top - lw, f
					.right() + lw, f.bottom() + lw);
			if (c == null) continue;
			final int x0 = (int) Math.round(c[0]), y0 = (int) Math.round(c[1]);
			final int x1 = (int) Math.round(c[2]), y1 = (int) Math.round(c[3]);
			if (se.dashed) r.dashedLine(x0, y0, x1, y1, lw, 6 * scale, 4 * scale, colour);
			else r.line(x0, y0, x1, y1, lw, colour);
		}
		for (int i = 0; i < n && se.errors != null; i++) {
			if (!se.valid(i) || se.error(i) == 0) continue;
			final int px = (int) Math.round(f.px(se.x[i])), cap = 2 * scale + lw;
			final double lo = se.y[i] - se.error(i), hi = se.y[i] + se.error(i);
			final int y0 = (int) Math.round(right ? f.py2(lo) : f.py(lo)), y1 = (int) Math.round(right ? f.py2(hi) : f.py(hi));
			r.line(px, y0, px, y1, Math.max(1, lw / 2), colour);
			r.line(px - cap, y0, px + cap, y0, Math.max(1, lw / 2), colour);
			r.line(px - cap, y1, px + cap, y1, Math.max(1, lw / 2), colour);
		}
		for (int i = 0; i < n; i++) {
			if (!se.valid(i)) continue;
			final boolean isolated = (i == 0 || !se.valid(i - 1)) && (i == n - 1 || !se.valid(i + 1));
			if (!se.markers && !isolated) continue;
			final double px = f.px(se.x[i]), py = right ? f.py2(se.y[i]) : f.py(se.y[i]);
			if (px < f.left - markerSize || px > f.right() + markerSize || py < f.top - markerSize ||
				py > f.bottom() + markerSize) continue;
			r.marker((int) Math.round(px), (int) Math.round(py), Raster.Marker.CIRCLE, markerSize,
				colour);
		}
	}

	/** The plot area and axis ranges {@link #render} uses. */
	Frame frame() {
		return layout().frame;
	}

	private static final class Layout {

		Frame frame;
		double[] xTicks, yTicks, y2Ticks;
		boolean right;
		Legend legend;
	}

	private Layout layout() {
		if (series.isEmpty()) throw new IllegalArgumentException("line plot '" + title +
			"' has no series to draw");
		final double[] xr = { Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY };
		final double[] yr = xr.clone(), y2r = xr.clone();
		for (final Series se : series)
			for (int i = 0; i < se.x.length; i++) {
				if (!se.valid(i)) continue;
				extend(xr, se.x[i]);
				extend(se.axis == Axis.RIGHT ? y2r : yr, se.y[i] - se.error(i));
				extend(se.axis == Axis.RIGHT ? y2r : yr, se.y[i] + se.error(i));
			}
		if (!(xr[0] <= xr[1])) throw new IllegalArgumentException("line plot '" + title +
			"' has no point with finite x and y in any of its series " + names());

		final Layout l = new Layout();
		final int s = scale, pad = Style.pad(s), tick = Style.tick(s), th = Raster.textHeight(s);
		l.right = y2Range != null || series.stream().anyMatch(se -> se.axis == Axis.RIGHT);

		final List<Legend.Entry> entries = new ArrayList<>();
		if (series.size() > 1) for (int k = 0; k < series.size(); k++) {
			final Series se = series.get(k);
			entries.add(new Legend.Entry(se.name, colour(k), false, se.lineWidth, se.markers,
				se.dashed));
		}
		l.legend = new Legend(entries, s);

		int top = pad;
		if (!title.isEmpty()) top += th + pad;
		if (!l.legend.isEmpty()) top += l.legend.height(width - 2 * pad) + pad + s;
		top += th / 2; // room for the top tick label, centred on the top row
		final int bottomMargin = pad + (xLabel.isEmpty() ? 0 : th + pad) + th + tick + 2 * s + 1;
		final int plotH = height - top - bottomMargin;
		if (plotH < 4 * th) throw new IllegalArgumentException("line plot '" + title + "': " + width +
			"×" + height + " pixels leave no room for the plot at scale " + s);

		final int yIntervals = Math.max(2, Math.min(10, plotH / (3 * th)));
		final double[] yLim = yRange != null ? yRange : margins(padded(yr, 0, 1));
		l.yTicks = yRange != null ? Ticks.within(yLim[0], yLim[1], yIntervals) : Ticks.covering(yLim[0],
			yLim[1], yIntervals);
		final double y0 = yRange != null ? yRange[0] : l.yTicks[0];
		final double y1 = yRange != null ? yRange[1] : l.yTicks[l.yTicks.length - 1];
		double y20 = Double.NaN, y21 = Double.NaN;
		int rightMargin;
		if (l.right) {
			final double[] y2Lim = y2Range != null ? y2Range : margins(padded(y2r, 0, 1));
			l.y2Ticks = y2Range != null ? Ticks.within(y2Lim[0], y2Lim[1], yIntervals) : Ticks.covering(
				y2Lim[0], y2Lim[1], yIntervals);
			y20 = y2Range != null ? y2Range[0] : l.y2Ticks[0];
			y21 = y2Range != null ? y2Range[1] : l.y2Ticks[l.y2Ticks.length - 1];
			rightMargin = pad + (y2Label.isEmpty() ? 0 : th + pad) + Frame.labelWidth(l.y2Ticks, y21 - y20,
				s) + tick + s + 1;
		}
		else rightMargin = 2 * pad;
		final int leftMargin = pad + (yLabel.isEmpty() ? 0 : th + pad) + Frame.labelWidth(l.yTicks, y1 -
			y0, s) + tick + s + 1;
		final int plotW = width - leftMargin - rightMargin;
		if (plotW < 8 * th) throw new IllegalArgumentException("line plot '" + title + "': " + width +
			"×" + height + " pixels leave no room for the plot at scale " + s);

		final double[] xLim = xRange != null ? xRange : padded(xr, 0, 1);
		// As many x ticks as fit with at least three character widths between their labels, and
		// at least two of them where that is possible.
		final double xSpan = xLim[1] - xLim[0];
		double[] xt = null;
		for (int intervals = Math.max(1, Math.min(10, plotW / (4 * th))); intervals >= 1; intervals--) {
			final double[] t = Ticks.within(xLim[0], xLim[1], intervals);
			final double spacing = plotW * Frame.step(t, xSpan) / xSpan;
			if (t.length >= 2 && spacing >= Frame.labelWidth(t, xSpan, s) + 3 * BitmapFont.ADVANCE *
				s)
			{
				xt = t;
				break;
			}
		}
		if (xt == null) xt = Ticks.within(xLim[0], xLim[1], 1);
		l.xTicks = xt;
		l.frame = new Frame(leftMargin, top, plotW, plotH, xLim[0], xLim[1], y0, y1, y20, y21);
		return l;
	}

	private List<String> names() {
		final List<String> n = new ArrayList<>();
		for (final Series se : series)
			n.add(se.name);
		return n;
	}

	private static void extend(final double[] r, final double v) {
		r[0] = Math.min(r[0], v);
		r[1] = Math.max(r[1], v);
	}

	/**
	 * [r0, r1] widened by 3 % of its span on both sides, so that the extreme values do not lie on
	 * the frame, but not across zero.
	 */
	static double[] margins(final double[] r) {
		final double d = 0.03 * (r[1] - r[0]);
		final double lo = r[0] >= 0 && r[0] - d < 0 ? 0 : r[0] - d;
		final double hi = r[1] <= 0 && r[1] + d > 0 ? 0 : r[1] + d;
		return new double[] { lo, hi };
	}

	/**
	 * The range [r0, r1] widened when it is a single value; [empty0, empty1] when it is empty (no
	 * valid point on that axis).
	 */
	private static double[] padded(final double[] r, final double empty0, final double empty1) {
		if (!(r[0] <= r[1])) return new double[] { empty0, empty1 };
		if (r[0] < r[1]) return r.clone();
		final double d = r[0] == 0 ? 1 : Math.abs(r[0]) * 0.1;
		return new double[] { r[0] - d, r[1] + d };
	}
}
