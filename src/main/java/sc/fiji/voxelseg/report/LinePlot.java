package sc.fiji.voxelseg.report;

import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CrosshairState;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.Range;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A line chart of named (x, y) series, each on the left y-axis or on an optional right y-axis
 * (for training curves: the loss on the left, the validation Dice, 0..1, on the right), drawn
 * with JFreeChart.
 * <p>
 * Points are joined in the order given. A point whose x or y is NaN or infinite is not drawn, and
 * neither are the segments to it, so missing values leave gaps; a valid point with no valid
 * neighbour is drawn as a marker so that it stays visible. Unless set with {@link #xRange}, the
 * x-axis spans the valid points exactly; unless set with {@link #yRange} / {@link #y2Range}, a
 * y-axis covers its series (error bars included) with a little to spare. With two or more series
 * a legend sits between the title and the plot; with two y-axes, an axis title is drawn in its
 * series' colour when that axis has only one series.
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

		/** Whether the line is dashed (default false). */
		public Series dashed(final boolean on) {
			dashed = on;
			return this;
		}

		private boolean valid(final int i) {
			return Double.isFinite(x[i]) && Double.isFinite(y[i]);
		}

		private double error(final int i) {
			return errors == null || !Double.isFinite(errors[i]) ? 0 : Math.abs(errors[i]);
		}
	}

	private final String title;
	private final List<Series> series = new ArrayList<>();
	private int width = 800, height = 500;
	private String xLabel = "", yLabel = "", y2Label = "";
	private double[] xRange, yRange, y2Range;

	/** An empty chart; {@code title} may be empty for none. */
	public LinePlot(final String title) {
		this.title = Objects.requireNonNull(title, "title");
	}

	/** Picture size in pixels; 800×500 by default. */
	public LinePlot size(final int w, final int h) {
		if (w < 200 || h < 150) throw new IllegalArgumentException("a line plot needs at least 200×150 pixels, not " + w + "×" + h);
		width = w;
		height = h;
		return this;
	}

	public int width() {
		return width;
	}

	public int height() {
		return height;
	}

	public String title() {
		return title;
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
		if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min)) throw new IllegalArgumentException("the " + axis +
			"-axis range needs finite min < max, not [" + min + ", " + max + "]");
		return new double[] { min, max };
	}

	/**
	 * Adds a series of the points ({@code x[i]}, {@code y[i]}), copied; it goes on the left axis
	 * unless {@link Series#axis} says otherwise.
	 */
	public Series series(final String name, final double[] x, final double[] y) {
		Objects.requireNonNull(name, "name");
		if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values but " +
			y.length + " y values");
		final Series s = new Series(name, x.clone(), y.clone());
		series.add(s);
		return s;
	}

	/** As {@link #series(String, double[], double[])}; null elements count as NaN (gaps). */
	public Series series(final String name, final List<? extends Number> x, final List<? extends Number> y) {
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

	/**
	 * The chart as a JFreeChart (series k is dataset k with renderer k; the right y-axis, when
	 * drawn, is range axis 1), for callers that show it in a window or change it further.
	 *
	 * @throws IllegalArgumentException when there is nothing to draw
	 */
	public JFreeChart chart() {
		if (series.isEmpty()) throw new IllegalArgumentException("line plot '" + title + "' has no series to draw");
		boolean any = false;
		for (final Series s : series) for (int i = 0; i < s.x.length && !any; i++) any = s.valid(i);
		if (!any) {
			final List<String> names = new ArrayList<>();
			for (final Series s : series) names.add(s.name);
			throw new IllegalArgumentException("line plot '" + title + "' has no point with finite x and y in any of its series " +
				names);
		}
		final boolean right = y2Range != null || series.stream().anyMatch(s -> s.axis == Axis.RIGHT);
		final NumberAxis xAxis = new NumberAxis(xLabel);
		xAxis.setAutoRangeIncludesZero(false);
		// spanning the points exactly, unless markers or error bars would be cut in half at the edges
		final double xMargin = series.stream().anyMatch(s -> s.markers || !s.lines || s.errors != null) ? 0.02 : 0;
		xAxis.setLowerMargin(xMargin);
		xAxis.setUpperMargin(xMargin);
		if (xRange != null) xAxis.setRange(xRange[0], xRange[1]);
		final NumberAxis yAxis = valueAxis(yLabel, yRange);
		final XYPlot plot = new XYPlot(null, xAxis, yAxis, null);
		plot.setOrientation(PlotOrientation.VERTICAL);
		if (right) {
			plot.setRangeAxis(1, valueAxis(y2Label, y2Range));
			plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
		}
		for (int k = 0; k < series.size(); k++) {
			final Series s = series.get(k);
			plot.setDataset(k, dataset(s));
			plot.setRenderer(k, new SeriesRenderer(s, colourOf(k)));
			plot.mapDatasetToRangeAxis(k, s.axis == Axis.RIGHT ? 1 : 0);
		}
		final JFreeChart chart = new JFreeChart(title.isEmpty() ? null : title, null, plot, series.size() > 1);
		Charts.style(chart);
		// after the theme, which resets the renderers' paints, strokes and shapes
		for (int k = 0; k < series.size(); k++) ((SeriesRenderer) plot.getRenderer(k)).configure();
		plot.setDomainGridlinesVisible(true);
		plot.setRangeGridlinesVisible(true);
		if (right) {
			yAxis.setLabelPaint(Charts.awt(axisTitleColour(Axis.LEFT)));
			plot.getRangeAxis(1).setLabelPaint(Charts.awt(axisTitleColour(Axis.RIGHT)));
		}
		return chart;
	}

	private static NumberAxis valueAxis(final String label, final double[] fixed) {
		final NumberAxis a = new NumberAxis(label);
		a.setAutoRangeIncludesZero(false);
		a.setLowerMargin(0.03);
		a.setUpperMargin(0.03);
		if (fixed != null) a.setRange(fixed[0], fixed[1]);
		return a;
	}

	/** Series {@code s} with its invalid points as NaN (gaps), at the last valid x so that the x-axis is unaffected. */
	private static XYSeriesCollection dataset(final Series s) {
		final XYSeries xy = new XYSeries(s.name, false, true);
		double lastX = Double.NaN;
		for (int i = 0; i < s.x.length; i++) if (s.valid(i)) {
			lastX = s.x[i];
			break;
		}
		for (int i = 0; i < s.x.length; i++) {
			if (s.valid(i)) {
				lastX = s.x[i];
				xy.add(s.x[i], s.y[i], false);
			}
			else xy.add(lastX, Double.NaN, false);
		}
		return new XYSeriesCollection(xy);
	}

	/** Renders the chart into a {@link #width}×{@link #height} RGB picture. */
	public BufferedImage render() {
		return Charts.draw(chart(), width, height, null);
	}

	/** Renders the chart and writes it as a PNG file, atomically. */
	public void writePng(final Path png) throws IOException {
		Charts.writePng(render(), png);
	}

	private int colourOf(final int k) {
		final Series s = series.get(k);
		return s.colour != null ? s.colour : Charts.colour(k);
	}

	/** With two y-axes, an axis with a single series has its title in that series's colour. */
	private int axisTitleColour(final Axis axis) {
		int found = -1;
		for (int k = 0; k < series.size(); k++) {
			if (series.get(k).axis != axis) continue;
			if (found >= 0) return Charts.TEXT.getRGB();
			found = k;
		}
		return found >= 0 ? colourOf(found) : Charts.TEXT.getRGB();
	}

	/**
	 * One series: its colour, width and dash; a disc at every point with markers, and at a valid
	 * point without valid neighbours always; error bars with caps under the line.
	 */
	private static final class SeriesRenderer extends XYLineAndShapeRenderer {

		private static final long serialVersionUID = 1L;

		private final transient Series s;
		private final int argb;

		SeriesRenderer(final Series s, final int argb) {
			super(s.lines, true);
			this.s = s;
			this.argb = argb;
			configure();
		}

		void configure() {
			setSeriesPaint(0, Charts.awt(argb));
			setSeriesStroke(0, Charts.stroke(s.lineWidth, s.dashed));
			final double r = s.lineWidth + 1.5;
			setSeriesShape(0, new Ellipse2D.Double(-r, -r, 2 * r, 2 * r));
			setDrawSeriesLineAsPath(false);
			setDefaultShapesFilled(true);
		}

		private boolean isolated(final int i) {
			return s.valid(i) && (i == 0 || !s.valid(i - 1)) && (i + 1 == s.x.length || !s.valid(i + 1));
		}

		@Override
		public boolean getItemShapeVisible(final int row, final int item) {
			return s.valid(item) && (s.markers || !s.lines || isolated(item));
		}

		@Override
		public Range findRangeBounds(final XYDataset dataset) {
			double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
			for (int i = 0; i < s.y.length; i++) {
				if (!s.valid(i)) continue;
				lo = Math.min(lo, s.y[i] - s.error(i));
				hi = Math.max(hi, s.y[i] + s.error(i));
			}
			return lo <= hi ? new Range(lo, hi) : null;
		}

		@Override
		public void drawItem(final Graphics2D g2, final XYItemRendererState state, final Rectangle2D dataArea,
			final PlotRenderingInfo info, final XYPlot plot, final ValueAxis domainAxis, final ValueAxis rangeAxis,
			final XYDataset dataset, final int series, final int item, final CrosshairState crosshairState, final int pass)
		{
			if (pass == 0 && s.valid(item) && s.error(item) > 0) {
				final RectangleEdge xe = plot.getDomainAxisEdge(), ye = plot.getRangeAxisEdge();
				final double px = domainAxis.valueToJava2D(s.x[item], dataArea, xe);
				final double lo = rangeAxis.valueToJava2D(s.y[item] - s.error(item), dataArea, ye);
				final double hi = rangeAxis.valueToJava2D(s.y[item] + s.error(item), dataArea, ye);
				final double cap = 2 + s.lineWidth;
				g2.setPaint(getSeriesPaint(0));
				g2.setStroke(Charts.stroke(Math.max(1, s.lineWidth / 2f), false));
				g2.draw(new Line2D.Double(px, lo, px, hi));
				g2.draw(new Line2D.Double(px - cap, lo, px + cap, lo));
				g2.draw(new Line2D.Double(px - cap, hi, px + cap, hi));
			}
			super.drawItem(g2, state, dataArea, info, plot, domainAxis, rangeAxis, dataset, series, item, crosshairState, pass);
		}
	}
}
