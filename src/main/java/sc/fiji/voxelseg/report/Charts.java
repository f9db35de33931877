package sc.fiji.voxelseg.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;

import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * What VoxelSeg's charts share: the look (white plot, light grid, a sans-serif font that has
 * glyphs for non-ASCII text, anti-aliased lines and text), the palette, drawing offscreen into an
 * RGB picture (headless Java2D: no display needed) and writing PNG files atomically.
 */
public final class Charts {

	/** Ten well-separated colours (matplotlib's "tab10"), used in turn for series and groups. */
	private static final int[] PALETTE = { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
		0xbcbd22, 0x17becf };

	static final Color TEXT = new Color(0x22, 0x22, 0x22), GRID = new Color(0xdd, 0xdd, 0xdd);

	/** The font family of every chart text: Java's logical sans-serif font, present in every JRE. */
	static final String FONT = Font.SANS_SERIF;

	private Charts() {}

	/** Palette colour {@code i} as 0xAARRGGBB, repeating after ten. */
	public static int colour(final int i) {
		return 0xff000000 | PALETTE[Math.floorMod(i, PALETTE.length)];
	}

	static Color awt(final int argb) {
		return new Color(argb, true);
	}

	/** Applies the common look to a chart (titles, legend, plot background and grid). */
	static void style(final JFreeChart chart) {
		final StandardChartTheme theme = new StandardChartTheme("VoxelSeg");
		theme.setExtraLargeFont(new Font(FONT, Font.BOLD, 18));
		theme.setLargeFont(new Font(FONT, Font.PLAIN, 15));
		theme.setRegularFont(new Font(FONT, Font.PLAIN, 13));
		theme.setSmallFont(new Font(FONT, Font.PLAIN, 11));
		theme.setTitlePaint(TEXT);
		theme.setSubtitlePaint(TEXT);
		theme.setAxisLabelPaint(TEXT);
		theme.setTickLabelPaint(TEXT);
		theme.setLegendItemPaint(TEXT);
		theme.setChartBackgroundPaint(Color.WHITE);
		theme.setPlotBackgroundPaint(Color.WHITE);
		theme.setLegendBackgroundPaint(Color.WHITE);
		theme.setPlotOutlinePaint(new Color(0x55, 0x55, 0x55));
		theme.setDomainGridlinePaint(GRID);
		theme.setRangeGridlinePaint(GRID);
		theme.setAxisOffset(RectangleInsets.ZERO_INSETS);
		theme.setShadowVisible(false);
		theme.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
		theme.apply(chart);
		chart.setAntiAlias(true);
		chart.setTextAntiAlias(true);
		chart.setPadding(new RectangleInsets(6, 8, 6, 8));
		final LegendTitle legend = chart.getLegend();
		if (legend != null) {
			legend.setPosition(RectangleEdge.TOP);
			legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
		}
	}

	/** The chart drawn into a {@code w}×{@code h} RGB picture; {@code info}, when given, receives the plot's data area. */
	static BufferedImage draw(final JFreeChart chart, final int w, final int h, final ChartRenderingInfo info) {
		final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
		final Graphics2D g = img.createGraphics();
		try {
			g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
			g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
			g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
			g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
			chart.draw(g, new Rectangle2D.Double(0, 0, w, h), info);
		}
		finally {
			g.dispose();
		}
		return img;
	}

	/** Pictures next to each other, left to right, on white, top-aligned. */
	public static BufferedImage sideBySide(final List<BufferedImage> pictures) {
		return arrange(pictures, true);
	}

	/** Pictures one under the other, top to bottom, on white, left-aligned. */
	public static BufferedImage stacked(final List<BufferedImage> pictures) {
		return arrange(pictures, false);
	}

	private static BufferedImage arrange(final List<BufferedImage> pictures, final boolean across) {
		if (pictures.isEmpty()) throw new IllegalArgumentException("no pictures to arrange");
		int w = 0, h = 0;
		for (final BufferedImage p : pictures) {
			w = across ? w + p.getWidth() : Math.max(w, p.getWidth());
			h = across ? Math.max(h, p.getHeight()) : h + p.getHeight();
		}
		final BufferedImage all = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
		final Graphics2D g = all.createGraphics();
		try {
			g.setColor(Color.WHITE);
			g.fillRect(0, 0, w, h);
			int at = 0;
			for (final BufferedImage p : pictures) {
				g.drawImage(p, across ? at : 0, across ? 0 : at, null);
				at += across ? p.getWidth() : p.getHeight();
			}
		}
		finally {
			g.dispose();
		}
		return all;
	}

	/**
	 * Writes a picture as a PNG file: to a temporary file beside it, renamed into place, so that
	 * a failure leaves no partial file.
	 *
	 * @throws IOException naming the file when it cannot be written
	 */
	public static void writePng(final BufferedImage picture, final Path png) throws IOException {
		try {
			AtomicFiles.write(png, out -> {
				if (!ImageIO.write(picture, "png", out)) throw new IOException("no PNG writer in this Java runtime");
			});
		}
		catch (final IOException e) {
			throw new IOException("cannot write the chart " + png + ": " + e.getMessage(), e);
		}
	}

	/** A stroke {@code width} pixels wide, dashed or solid, with round joins. */
	static BasicStroke stroke(final float width, final boolean dashed) {
		return dashed ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] { 4 * width + 4,
			3 * width + 2 }, 0f) : new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
	}
}
