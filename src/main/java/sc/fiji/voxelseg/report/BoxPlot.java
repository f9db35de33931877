package sc.fiji.voxelseg.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Box plots of values per named category (per organ, say), optionally with several groups per
 * category (per method, say) drawn side by side in distinct colours, with a legend of the groups
 * between the title and the plot.
 * <p>
 * Each box is a {@link BoxStats}: it spans the quartiles, a darker line marks the median, the
 * whiskers reach the most extreme values within 1.5 IQR of the box and open circles mark the
 * outliers beyond. NaN and infinite values are ignored; a category–group pair with no finite
 * value leaves its place empty. Categories and groups keep the order in which they were first
 * added. Category labels are written under the axis: on one line when they fit, else cut in two
 * at a space, underscore, hyphen or slash, else turned upright. By default the width grows with
 * the number of boxes and the labels' width (480 to 1600 pixels) and the height is 500 pixels
 * plus what the labels need beyond one line. Unless fixed with {@link #yRange}, the y-axis runs
 * between the nice ticks around all values, outliers included, with 3 % to spare.
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
	private int width = -1, height = -1, scale = 2;

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

	/**
	 * Image size in pixels, instead of the default size (see the class description).
	 */
	public BoxPlot size(final int w, final int h) {
		if (w < 100 || h < 80) throw new IllegalArgumentException("a box plot needs at least 100×80 " +
			"pixels, not " + w + "×" + h);
		width = w;
		height = h;
		return this;
	}

	/** Integer magnification of the 5×8 pixel font, lines, ticks and spacing; 2 by default. */
	public BoxPlot scale(final int s) {
		if (s < 1 || s > 8) throw new IllegalArgumentException("scale must be 1..8, not " + s);
		scale = s;
		return this;
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

	/** Draws the chart. */
	public Raster render() {
		final Layout l = layout();
		final Frame f = l.frame;
		final int w = l.width;
		final Raster r = new Raster(w, l.height, Style.BACKGROUND);
		final int s = scale, pad = Style.pad(s), th = Raster.textHeight(s), tick = Style.tick(s);

		f.drawHorizontalGrid(r, l.yTicks);
		r.clip(f.left + 1, f.top + 1, f.width - 2, f.height - 2);
		for (int c = 0; c < categories.size(); c++)
			for (int g = 0; g < groups.size(); g++) {
				final BoxStats b = l.stats[c][g];
				if (b != null) drawBox(r, f, b, boxCentre(f, c, g), l.boxWidth, groupColour(g));
			}
		r.unclip();
		f.drawBox(r);
		f.drawYAxis(r, l.yTicks, false, s, yLabel, pad, Style.TEXT);

		final int labelTop = f.bottom() + tick + 2 * s + 1;
		for (int c = 0; c < categories.size(); c++) {
			final int x = (int) Math.round(f.px(c + 0.5));
			r.line(x, f.bottom() + 1, x, f.bottom() + tick, Style.AXIS);
			final String name = categories.get(c);
			if (l.labelMode == UPRIGHT) r.textUp(x - th / 2 + s / 2, labelTop, name, s, Style.TEXT);
			else if (l.labelMode == ONE_LINE) Frame.centredText(r, x, labelTop, name, s, Style.TEXT);
			else {
				final double slot = (f.width - 1.0) / categories.size();
				final List<String> lines = Raster.textWidth(name, s) + labelGap(s) <= slot
					? List.of(name) : wrap(name);
				for (int i = 0; i < lines.size(); i++)
					Frame.centredText(r, x, labelTop + i * (th + s), lines.get(i), s, Style.TEXT);
			}
		}

		int y = pad;
		if (!title.isEmpty()) {
			Frame.centredText(r, w / 2, y, title, s, Style.TEXT);
			y += th + pad;
		}
		if (!l.legend.isEmpty()) l.legend.draw(r, w / 2, y, l.legendWidth);
		return r;
	}

	/** Renders the chart and writes it as a PNG file, atomically. */
	public void writePng(final Path png) throws IOException {
		PngEncoder.write(render(), png);
	}

	private void drawBox(final Raster r, final Frame f, final BoxStats b, final int cx,
		final int bw, final int colour)
	{
		final int s = scale, lw = Math.max(1, s / 2 + s % 2);
		final int half = bw / 2, capHalf = Math.max(1, bw / 4);
		final int yq1 = f.row(b.q1(), false), yq3 = f.row(b.q3(), false);
		final int yLo = f.row(b.whiskerLow(), false), yHi = f.row(b.whiskerHigh(), false);
		final int yMed = f.row(b.median(), false);
		r.line(cx, yq1, cx, yLo, lw, colour);
		r.line(cx, yq3, cx, yHi, lw, colour);
		r.line(cx - capHalf, yLo, cx + capHalf, yLo, lw, colour);
		r.line(cx - capHalf, yHi, cx + capHalf, yHi, lw, colour);
		r.fillRect(cx - half, yq3, 2 * half + 1, yq1 - yq3 + 1, Raster.tint(colour, 0.55));
		r.drawRect(cx - half, yq3, 2 * half + 1, yq1 - yq3 + 1, colour);
		r.line(cx - half, yMed, cx + half, yMed, Math.max(2, s), medianColour(colour));
		for (final double o : b.outliers())
			r.marker(cx, f.row(o, false), Raster.Marker.OPEN_CIRCLE, 3 * s + 1, colour);
	}

	/** The colour of the median line in a box of {@code colour}. */
	static int medianColour(final int colour) {
		return Raster.shade(colour, 0.5);
	}

	private int groupColour(final int g) {
		final Integer c = colours.get(groups.get(g));
		return c != null ? c : Style.colour(g);
	}

	/** The column of the centre of group {@code g}'s box in category {@code c}. */
	int boxCentre(final Frame f, final int c, final int g) {
		final double groupW = 0.8 / groups.size();
		return (int) Math.round(f.px(c + 0.1 + (g + 0.5) * groupW));
	}

	/** The plot area and axis ranges {@link #render} uses. */
	Frame frame() {
		return layout().frame;
	}

	private static final class Layout {

		Frame frame;
		double[] yTicks;
		BoxStats[][] stats;
		Legend legend;
		/** Category labels: one line each, up to two lines each, or turned upright. */
		int labelMode;
		int width, height, boxWidth, legendWidth;
	}

	private static final int ONE_LINE = 0, TWO_LINES = 1, UPRIGHT = 2;

	/**
	 * {@code name} cut in two at the space, underscore, hyphen or slash that makes the longer part
	 * shortest (a space is dropped, the others end the first line), or {@code name} alone when it
	 * has none.
	 */
	static List<String> wrap(final String name) {
		int best = -1, bestLen = name.length();
		for (int i = 1; i < name.length() - 1; i++) {
			if (" _-/".indexOf(name.charAt(i)) < 0) continue;
			final int len = Math.max(name.charAt(i) == ' ' ? i : i + 1, name.length() - i - 1);
			if (len < bestLen) {
				best = i;
				bestLen = len;
			}
		}
		if (best < 0) return List.of(name);
		return List.of(name.substring(0, name.charAt(best) == ' ' ? best : best + 1), name.substring(
			best + 1));
	}

	private Layout layout() {
		if (categories.isEmpty()) throw new IllegalArgumentException("box plot '" + title +
			"' has no values to draw");
		if (groups.size() > 1 && groups.contains(NO_GROUP)) throw new IllegalArgumentException(
			"box plot '" + title + "' mixes values without a group with the groups " + groups.subList(1,
				groups.size()));
		final Layout l = new Layout();
		l.stats = new BoxStats[categories.size()][groups.size()];
		double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
		for (int c = 0; c < categories.size(); c++)
			for (int g = 0; g < groups.size(); g++) {
				final BoxStats b = stats(categories.get(c), groups.get(g));
				l.stats[c][g] = b;
				if (b == null) continue;
				final List<Double> out = b.outliers();
				lo = Math.min(lo, out.isEmpty() ? b.whiskerLow() : Math.min(b.whiskerLow(), out.get(0)));
				hi = Math.max(hi, out.isEmpty() ? b.whiskerHigh() : Math.max(b.whiskerHigh(), out.get(out
					.size() - 1)));
			}
		if (!(lo <= hi)) throw new IllegalArgumentException("box plot '" + title +
			"' has no finite value in any of its categories " + categories);

		final int s = scale, pad = Style.pad(s), tick = Style.tick(s), th = Raster.textHeight(s);
		final int nCat = categories.size(), nBoxes = nCat * groups.size();
		final int labelGap = labelGap(s);
		int oneLine = 0, twoLines = 0;
		for (final String c : categories) {
			oneLine = Math.max(oneLine, Raster.textWidth(c, s));
			for (final String part : wrap(c))
				twoLines = Math.max(twoLines, Raster.textWidth(part, s));
		}

		final List<Legend.Entry> entries = new ArrayList<>();
		if (groups.size() > 1) for (int g = 0; g < groups.size(); g++)
			entries.add(new Legend.Entry(groups.get(g), groupColour(g), true, 1, false, false));
		l.legend = new Legend(entries, s);
		// rows as wide as the narrowest image the layout can choose, so that the legend's height
		// is known before the width is
		l.legendWidth = (width > 0 ? width : 480) - 2 * pad;

		// Try the label modes in turn: the first whose labels fit their slots wins. The y ticks
		// depend on the plot height, hence on the labels' height; the left margin on the ticks.
		for (int mode = ONE_LINE; mode <= UPRIGHT; mode++) {
			final int widest = mode == ONE_LINE ? oneLine : mode == TWO_LINES ? twoLines : 0;
			final int labelsH = mode == ONE_LINE ? th : mode == TWO_LINES ? 2 * th + s : oneLine;
			l.height = height > 0 ? height : 500 + labelsH - th;
			final int boxesW = nCat * Math.max(groups.size() * 22 * s, 40 * s);
			int top = pad;
			if (!title.isEmpty()) top += th + pad;
			if (!l.legend.isEmpty()) top += l.legend.height(l.legendWidth) + pad + s;
			top += th / 2;
			final int bottomMargin = pad + labelsH + tick + 2 * s + 1;
			final int plotH = l.height - top - bottomMargin;
			if (plotH < 4 * th) throw new IllegalArgumentException("box plot '" + title + "': " +
				l.height + " pixels are too short for the plot at scale " + s);
			final int yIntervals = Math.max(2, Math.min(10, plotH / (3 * th)));
			final double[] lim = yRange != null ? yRange : LinePlot.margins(widen(lo, hi));
			l.yTicks = yRange != null ? Ticks.within(lim[0], lim[1], yIntervals) : Ticks.covering(lim[0],
				lim[1], yIntervals);
			final double y0 = yRange != null ? yRange[0] : l.yTicks[0];
			final double y1 = yRange != null ? yRange[1] : l.yTicks[l.yTicks.length - 1];
			final int leftMargin = pad + (yLabel.isEmpty() ? 0 : th + pad) + Frame.labelWidth(l.yTicks,
				y1 - y0, s) + tick + s + 1;
			final int rightMargin = 2 * pad;
			l.width = width > 0 ? width : Math.max(480, Math.min(1600, leftMargin + rightMargin + Math
				.max(boxesW, nCat * (widest + labelGap) + 1)));
			final int plotW = l.width - leftMargin - rightMargin;
			if (plotW < nBoxes * 3 + 2) throw new IllegalArgumentException("box plot '" + title + "': " +
				l.width + " pixels are too narrow for " + nBoxes + " boxes");
			l.frame = new Frame(leftMargin, top, plotW, plotH, 0, nCat, y0, y1, Double.NaN, Double.NaN);
			l.labelMode = mode;
			final double slot = (plotW - 1.0) / nCat;
			l.boxWidth = Math.max(3, (int) Math.round(slot * 0.8 / groups.size() * 0.75));
			if (mode == ONE_LINE && oneLine + labelGap <= slot) break;
			if (mode == TWO_LINES && twoLines + labelGap <= slot) break;
		}
		return l;
	}

	private static double[] widen(final double lo, final double hi) {
		if (lo < hi) return new double[] { lo, hi };
		final double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
		return new double[] { lo - d, hi + d };
	}

	/**
	 * The least space between neighbouring category labels: two characters, so that two names
	 * side by side do not read as one.
	 */
	private static int labelGap(final int s) {
		return 2 * BitmapFont.ADVANCE * s;
	}

	private static boolean anyFinite(final double[] d) {
		for (final double v : d)
			if (Double.isFinite(v)) return true;
		return false;
	}
}
