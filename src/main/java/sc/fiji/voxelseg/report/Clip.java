package sc.fiji.voxelseg.report;

/** Liang–Barsky clipping of line segments to an axis-aligned rectangle. */
final class Clip {

	private Clip() {}

	/**
	 * The part of the segment ({@code x0}, {@code y0})–({@code x1}, {@code y1}) inside
	 * [{@code xmin}, {@code xmax}] × [{@code ymin}, {@code ymax}] as {x0, y0, x1, y1}, or null when
	 * none of it is; the direction is kept.
	 */
	static double[] segment(final double x0, final double y0, final double x1, final double y1,
		final double xmin, final double ymin, final double xmax, final double ymax)
	{
		final double dx = x1 - x0, dy = y1 - y0;
		final double[] p = { -dx, dx, -dy, dy };
		final double[] q = { x0 - xmin, xmax - x0, y0 - ymin, ymax - y0 };
		double t0 = 0, t1 = 1;
		for (int i = 0; i < 4; i++) {
			if (p[i] == 0) {
				if (q[i] < 0) return null;
				continue;
			}
			final double t = q[i] / p[i];
			if (p[i] < 0) {
				if (t > t1) return null;
				if (t > t0) t0 = t;
			}
			else {
				if (t < t0) return null;
				if (t < t1) t1 = t;
			}
		}
		return new double[] { x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy };
	}
}
