package sc.fiji.voxelseg.report;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.data.Range;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.statistics.BoxAndWhiskerItem;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;

/**
 * Box plots of values per named category (per organ, say), optionally with several groups per
 * category (per method, say) drawn side by side in distinct colours, with a legend of the groups
 * between the title and the plot.
 * <p>
 * Each box is a {@link BoxStats}: it spans the quartiles, a dark line marks the median, the
 * whiskers reach the most extreme values within 1.5 IQR of the box and open circles mark the
 * outliers beyond. NaN and infinite values are ignored; a category–group pair with no finite
 * value leaves its place empty. Categories and groups keep the order in which they were first
 * added. Category labels are written under the axis on up to two lines, or slanted when the
 * boxes are narrow. By default the width grows with the number of boxes (480 to 1600 pixels) and
 * the height is 500 pixels. Unless fixed with {@link #yRange}, the y-axis covers all values,
 * outliers included, with a little to spare. Drawn with JFreeChart.
 * </p>
 * <pre>
 * BoxPlot p = new BoxPlot("Dice per organ").yLabel("Dice").yRange(0, 1);
 * p.add("liver", "U-Net", 0.95, 0.96, 0.93).add("liver", "VNet", 0.94, 0.95, 0.90);
 * p.writePng(Paths.get("dice.png"));
 * </pre>
 */
public final class BoxPlot {

	/** The group of values added without one; no legend is drawn when it is the only group. */
	private static final String NO_GROUP = "";

	private final String title;
	private final List<String> categories = new ArrayList<>();
	private final List<String> groups = new ArrayList<>();
	private final Map<String, Map<String, List<Double>>> values = new HashMap<>();
	private final Map<String, Integer> colours = new HashMap<>();
	private String yLabel = "";
	private double[] yRange;
	private int width = -1, height = -1;

	/** An empty chart; {@code title} may be empty for none. */
	public BoxPlot(final String title) {
		this.title = Objects.requireNonNull(title, "title");
	}

	public BoxPlot yLabel(final String label) {
		yLabel = Objects.requireNonNull(label);
		return this;
	}

	/** Fixes the y-axis to [min, max]; parts of boxes outside it are cut off. */
	public BoxPlot yRange(final double min, final double max) {
		if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min))
			throw new IllegalArgumentException("the y-axis range needs finite min < max, not [" + min +
				", " + max + "]");
		yRange = new double[] { min, max };
		return this;
	}

	/** Picture size in pixels, instead of the default size (see the class description). */
	public BoxPlot size(final int w, final int h) {
		if (w < 200 || h < 150) throw new IllegalArgumentException("a box plot needs at least 200×150 pixels, not " + w + "×" + h);
		width = w;
		height = h;
		return this;
	}

	/** The picture's width: the size given, or the default for the boxes added so far. */
	public int width() {
		return width > 0 ? width : Math.max(480, Math.min(1600, 160 + categories.size() * (16 + 44 * groups.size())));
	}

	public int height() {
		return height > 0 ? height : 500;
	}

	public String title() {
		return title;
	}

	/** The colour (0xAARRGGBB) of {@code group}'s boxes; by default the next palette colour. */
	public BoxPlot colour(final String group, final int argb) {
		colours.put(Objects.requireNonNull(group), argb);
		return this;
	}

	/** Adds values to {@code category}, for charts without groups. */
	public BoxPlot add(final String category, final double... v) {
		return add(category, NO_GROUP, v);
	}

	/** Adds values to the box of {@code group} in {@code category}. */
	public BoxPlot add(final String category, final String group, final double... v) {
		final List<Double> list = list(category, group);
		for (final double d : v)
			list.add(d);
		return this;
	}

	/** As {@link #add(String, String, double...)}; null elements count as NaN (ignored). */
	public BoxPlot add(final String category, final String group,
		final Collection<? extends Number> v)
	{
		final List<Double> list = list(category, group);
		for (final Number d : v)
			list.add(d == null ? Double.NaN : d.doubleValue());
		return this;
	}

	private List<Double> list(final String category, final String group) {
		Objects.requireNonNull(category, "category");
		Objects.requireNonNull(group, "group");
		if (!categories.contains(category)) categories.add(category);
		if (!groups.contains(group)) groups.add(group);
		return values.computeIfAbsent(category, c -> new LinkedHashMap<>()).computeIfAbsent(group,
			g -> new ArrayList<>());
	}

	/** The summary of one box, or null when it has no finite value. */
	public BoxStats stats(final String category, final String group) {
		final List<Double> v = values.getOrDefault(category, Map.of()).get(group);
		if (v == null) return null;
		final double[] d = v.stream().mapToDouble(Double::doubleValue).toArray();
		return anyFinite(d) ? BoxStats.of(d) : null;
	}

	/** As {@link #stats(String, String)} for charts without groups. */
	public BoxStats stats(final String category) {
		return stats(category, NO_GROUP);
	}

	/**
	 * The chart as a JFreeChart (groups are the dataset's rows, categories its columns; a box's
	 * whiskers, quartiles, median and outliers are its {@link BoxStats}), for callers that show it
	 * in a window or change it further.
	 *
	 * @throws IllegalArgumentException when there is nothing to draw
	 */
	public JFreeChart chart() {
		if (categories.isEmpty()) throw new IllegalArgumentException("box plot '" + title + "' has no values to draw");
		if (groups.size() > 1 && groups.contains(NO_GROUP)) throw new IllegalArgumentException("box plot '" + title +
			"' mixes values without a group with the groups " + groups.subList(1, groups.size()));
		final DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
		final Map<String, List<Double>> outliers = new HashMap<>();
		boolean any = false;
		for (final String c : categories) {
			for (final String g : groups) {
				final BoxStats b = stats(c, g);
				any |= b != null;
				data.add(b == null ? new BoxAndWhiskerItem(null, null, null, null, null, null, null, null, null) : item(b), g, c);
				outliers.put(c + "\u0000" + g, b == null ? List.of() : b.outliers());
			}
		}
		if (!any) throw new IllegalArgumentException("box plot '" + title + "' has no finite value in any of its categories " +
			categories);
		final CategoryAxis x = new CategoryAxis(null);
		x.setMaximumCategoryLabelLines(2);
		x.setCategoryMargin(0.15);
		final double slot = (width() - 120.0) / categories.size();
		final int longest = categories.stream().mapToInt(String::length).max().orElse(0);
		if (slot < 7 * Math.min(longest, 24) / 2.0) x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
		final NumberAxis y = new NumberAxis(yLabel);
		y.setAutoRangeIncludesZero(false);
		y.setLowerMargin(0.03);
		y.setUpperMargin(0.03);
		if (yRange != null) y.setRange(yRange[0], yRange[1]);
		final BoxRenderer r = new BoxRenderer(outliers);
		r.setMeanVisible(false);
		r.setMedianVisible(true);
		r.setFillBox(true);
		r.setUseOutlinePaintForWhiskers(true);
		r.setItemMargin(0.06);
		r.setMaxOutlierVisible(false);
		r.setMinOutlierVisible(false);
		r.setMaximumBarWidth(0.25);
		final CategoryPlot plot = new CategoryPlot(data, x, y, r);
		final JFreeChart chart = new JFreeChart(title.isEmpty() ? null : title, null, plot, groups.size() > 1);
		Charts.style(chart);
		// after the theme, which resets the renderer's paints and strokes
		for (int g = 0; g < groups.size(); g++) {
			final Color fill = Charts.awt(groupColour(g));
			r.setSeriesPaint(g, fill);
			r.setSeriesOutlinePaint(g, median(fill));
			r.setSeriesOutlineStroke(g, Charts.stroke(1.5f, false));
		}
		r.setDefaultStroke(Charts.stroke(1.5f, false));
		r.setArtifactPaint(Charts.TEXT);
		plot.setRangeGridlinesVisible(true);
		return chart;
	}

	/**
	 * A box for JFreeChart, without its outliers: JFreeChart draws an outlier's circle from its
	 * point down and to the right, off its value by the radius, so {@link BoxRenderer} draws them.
	 */
	private static BoxAndWhiskerItem item(final BoxStats b) {
		return new BoxAndWhiskerItem(b.mean(), b.median(), b.q1(), b.q3(), b.whiskerLow(), b.whiskerHigh(), b.whiskerLow(), b
			.whiskerHigh(), List.of());
	}

	/** JFreeChart's box and whiskers, and each outlier as an open circle centred on its value. */
	private static final class BoxRenderer extends BoxAndWhiskerRenderer {

		private static final long serialVersionUID = 1L;

		/** Outliers keyed by category, NUL, group. */
		private final transient Map<String, List<Double>> outliers;

		BoxRenderer(final Map<String, List<Double>> outliers) {
			this.outliers = outliers;
		}

		/** The values' range, outliers included. */
		@Override
		public Range findRangeBounds(final CategoryDataset dataset) {
			Range r = super.findRangeBounds(dataset);
			for (final List<Double> out : outliers.values())
				for (final double v : out) r = Range.expandToInclude(r, v);
			return r;
		}

		@Override
		public void drawVerticalItem(final Graphics2D g2, final CategoryItemRendererState state, final Rectangle2D dataArea,
			final CategoryPlot plot, final CategoryAxis domainAxis, final ValueAxis rangeAxis, final CategoryDataset dataset,
			final int row, final int column)
		{
			super.drawVerticalItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column);
			final List<Double> out = outliers.get(dataset.getColumnKey(column) + "\u0000" + dataset.getRowKey(row));
			if (out == null || out.isEmpty()) return;
			// where JFreeChart puts the box (BoxAndWhiskerRenderer.drawVerticalItem)
			final int rows = getRowCount(), columns = getColumnCount();
			final double start = domainAxis.getCategoryStart(column, columns, dataArea, plot.getDomainAxisEdge());
			final double width = domainAxis.getCategoryEnd(column, columns, dataArea, plot.getDomainAxisEdge()) - start;
			final double bar = state.getBarWidth();
			double x = start;
			if (rows > 1) {
				final double gap = dataArea.getWidth() * getItemMargin() / (columns * (rows - 1));
				x += (width - (bar * rows + gap * (rows - 1))) / 2 + row * (bar + gap);
			}
			else x += (width - bar) / 2;
			final double cx = x + bar / 2, radius = Math.max(2.5, Math.min(5, bar / 6));
			g2.setPaint(getItemPaint(row, column));
			g2.setStroke(Charts.stroke(1.5f, false));
			for (final double v : out) {
				if (!rangeAxis.getRange().contains(v)) continue;
				final double cy = rangeAxis.valueToJava2D(v, dataArea, plot.getRangeAxisEdge());
				g2.draw(new Ellipse2D.Double(cx - radius, cy - radius, 2 * radius, 2 * radius));
			}
		}
	}

	/** Renders the chart into a {@link #width}×{@link #height} RGB picture. */
	public BufferedImage render() {
		return Charts.draw(chart(), width(), height(), null);
	}

	/** Renders the chart and writes it as a PNG file, atomically. */
	public void writePng(final Path png) throws IOException {
		Charts.writePng(render(), png);
	}

	private int groupColour(final int g) {
		final Integer c = colours.get(groups.get(g));
		return c != null ? c : Charts.colour(g);
	}

	/** The colour of the outline and whiskers of a box filled with {@code fill}: darker. (The median line is in the text colour.) */
	static Color median(final Color fill) {
		return new Color(fill.getRed() * 45 / 100, fill.getGreen() * 45 / 100, fill.getBlue() * 45 / 100);
	}

	private static boolean anyFinite(final double[] d) {
		for (final double v : d) if (Double.isFinite(v)) return true;
		return false;
	}
}
