package sc.fiji.voxelseg.report;

import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;

/**
 * A chart drawn as the charts draw themselves ({@link Charts#draw}), with the data area
 * JFreeChart reports, so that a test can find the pixel of a value with the chart's own axes and
 * look at what was drawn there. Colours are probed with a tolerance, since lines and text are
 * anti-aliased.
 */
record Drawn(JFreeChart chart, BufferedImage image, Rectangle2D area) {

	static Drawn of(final JFreeChart chart, final int w, final int h) {
		final ChartRenderingInfo info = new ChartRenderingInfo();
		final BufferedImage img = Charts.draw(chart, w, h, info);
		return new Drawn(chart, img, info.getPlotInfo().getDataArea());
	}

	static Drawn of(final LinePlot p) {
		return of(p.chart(), p.width(), p.height());
	}

	XYPlot xy() {
		return chart.getXYPlot();
	}

	/** The column of {@code x} on the domain axis. */
	double px(final double x) {
		return xy().getDomainAxis().valueToJava2D(x, area, xy().getDomainAxisEdge());
	}

	/** The row of {@code y} on range axis {@code axis} (0 left, 1 right). */
	double py(final double y, final int axis) {
		return xy().getRangeAxis(axis).valueToJava2D(y, area, xy().getRangeAxisEdge(axis));
	}

	double py(final double y) {
		return py(y, 0);
	}

	int rgb(final int x, final int y) {
		return image.getRGB(x, y) & 0xffffff;
	}

	/**
	 * Whether the pixel is drawn in (a blend with white of) the pure colour {@code rgb}: each
	 * channel lies between the colour's and white, and the pixel is at least 40 % of the way from
	 * white to the colour.
	 */
	boolean tinted(final int x, final int y, final int rgb) {
		if (x < 0 || y < 0 || x >= image.getWidth() || y >= image.getHeight()) return false;
		final int p = rgb(x, y);
		double share = -1;
		for (int sh = 0; sh <= 16; sh += 8) {
			final int c = rgb >> sh & 0xff, v = p >> sh & 0xff;
			if (c == 255) {
				if (v < 235) return false;
				continue;
			}
			final double t = (255.0 - v) / (255.0 - c);
			if (t < -0.1 || t > 1.1) return false;
			if (share >= 0 && Math.abs(t - share) > 0.25) return false;
			share = share < 0 ? t : Math.min(share, t);
		}
		return share >= 0.4;
	}

	/** Whether some pixel of the rectangle (inclusive, clipped to the picture) is {@link #tinted}. */
	boolean has(final double x0, final double y0, final double x1, final double y1, final int rgb) {
		for (int y = (int) Math.floor(Math.min(y0, y1)); y <= (int) Math.ceil(Math.max(y0, y1)); y++)
			for (int x = (int) Math.floor(Math.min(x0, x1)); x <= (int) Math.ceil(Math.max(x0, x1)); x++)
				if (tinted(x, y, rgb)) return true;
		return false;
	}

	/** Whether some pixel within {@code r} pixels of (x, y) is {@link #tinted}. */
	boolean near(final double x, final double y, final double r, final int rgb) {
		return has(x - r, y - r, x + r, y + r, rgb);
	}

	/** How many pixels of the picture are {@link #tinted}. */
	int count(final int rgb) {
		int n = 0;
		for (int y = 0; y < image.getHeight(); y++)
			for (int x = 0; x < image.getWidth(); x++)
				if (tinted(x, y, rgb)) n++;
		return n;
	}
}
