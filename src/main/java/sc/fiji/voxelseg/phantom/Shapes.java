package sc.fiji.voxelseg.phantom;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Implicit shapes in world millimetres (RAS+) used to paint the phantom: deformed ellipsoid blobs
 * and tubes along smooth centrelines.
 */
final class Shapes {

	private Shapes() {}

	/**
	 * An ellipsoid with semi-axes {@code (a, b, c)} mm along local axes u, v, w, where u and v are
	 * rotated by {@code theta} (radians, counter-clockwise seen from above, i.e. from +z) in the
	 * axial plane and w is world z.
	 */
	static final class Ellipsoid {

		final double cx, cy, cz, a, b, c, cos, sin;

		Ellipsoid(final double cx, final double cy, final double cz, final double a, final double b,
			final double c, final double theta)
		{
			this.cx = cx;
			this.cy = cy;
			this.cz = cz;
			this.a = a;
			this.b = b;
			this.c = c;
			this.cos = Math.cos(theta);
			this.sin = Math.sin(theta);
		}

		/** Normalised radius minus 1: negative inside, about (distance / semi-axis) outside. */
		double value(final double x, final double y, final double z) {
			final double dx = x - cx, dy = y - cy;
			final double u = (cos * dx + sin * dy) / a;
			final double v = (-sin * dx + cos * dy) / b;
			final double w = (z - cz) / c;
			return Math.sqrt(u * u + v * v + w * w) - 1;
		}

		double reach() {
			return Math.max(a, Math.max(b, c));
		}
	}

	/**
	 * Smooth random deformation, in normalised units: a sum of separable plane-wave products
	 * {@code A cos(kx x + px) cos(ky y + py) cos(kz z + pz)} with wavelengths 70 to 220 mm, tabulated
	 * per grid axis so that a voxel costs a few multiplications.
	 */
	static final class Wobble {

		final double[] amp;
		final float[][] tx, ty, tz;

		Wobble(final SplittableRandom rng, final double amplitude, final int terms, final double[] wx,
			final double[] wy, final double[] wz)
		{
			amp = new double[terms];
			tx = new float[terms][];
			ty = new float[terms][];
			tz = new float[terms][];
			for (int t = 0; t < terms; t++) {
				amp[t] = amplitude * (0.5 + rng.nextDouble()) / Math.sqrt(terms);
				tx[t] = table(rng, wx);
				ty[t] = table(rng, wy);
				tz[t] = table(rng, wz);
			}
		}

		private static float[] table(final SplittableRandom rng, final double[] coords) {
			final double k = 2 * Math.PI / (70 + 150 * rng.nextDouble());
			final double p = 2 * Math.PI * rng.nextDouble();
			final float[] t = new float[coords.length];
			for (int i = 0; i < t.length; i++)
				t[i] = (float) Math.cos(k * coords[i] + p);
			return t;
		}

		double value(final int i, final int j, final int k) {
			double s = 0;
			for (int t = 0; t < amp.length; t++)
				s += amp[t] * tx[t][i] * ty[t][j] * tz[t][k];
			return s;
		}

		double maxAmplitude() {
			double s = 0;
			for (final double a : amp)
				s += Math.abs(a);
			return s;
		}
	}

	/**
	 * A union of ellipsoids minus other ellipsoids, deformed by a {@link Wobble}. {@link #value} is
	 * negative inside.
	 */
	static final class Blob {

		final List<Ellipsoid> union = new ArrayList<>();
		final List<Ellipsoid> minus = new ArrayList<>();
		Wobble wobble;

		Blob add(final Ellipsoid e) {
			union.add(e);
			return this;
		}

		Blob subtract(final Ellipsoid e) {
			minus.add(e);
			return this;
		}

		double value(final double x, final double y, final double z, final int i, final int j,
			final int k)
		{
			double f = Double.MAX_VALUE;
			for (final Ellipsoid e : union)
				f = Math.min(f, e.value(x, y, z));
			for (final Ellipsoid e : minus)
				f = Math.max(f, -e.value(x, y, z));
			return wobble == null ? f : f + wobble.value(i, j, k);
		}

		/** World bounding box {xmin, xmax, ymin, ymax, zmin, zmax} including the deformation. */
		double[] bounds() {
			final double m = 1 + (wobble == null ? 0 : wobble.maxAmplitude()) + 0.05;
			final double[] b = { Double.MAX_VALUE, -Double.MAX_VALUE, Double.MAX_VALUE,
				-Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE };
			for (final Ellipsoid e : union) {
				final double r = e.reach() * m;
				final double rz = e.c * m;
				b[0] = Math.min(b[0], e.cx - r);
				b[1] = Math.max(b[1], e.cx + r);
				b[2] = Math.min(b[2], e.cy - r);
				b[3] = Math.max(b[3], e.cy + r);
				b[4] = Math.min(b[4], e.cz - rz);
				b[5] = Math.max(b[5], e.cz + rz);
			}
			return b;
		}
	}

	/**
	 * A tube along a Catmull-Rom spline through control points, sampled every {@code step} mm of
	 * arc length, with radius interpolated between the control radii and modulated smoothly.
	 */
	static final class Tube {

		/** Samples: x, y, z, radius (mm), arc length (mm). */
		final List<double[]> samples = new ArrayList<>();

		Tube(final double[][] points, final double[] radii, final double step,
			final SplittableRandom rng, final double radiusJitter)
		{
			final int n = points.length;
			final double phase = 2 * Math.PI * rng.nextDouble();
			final double wave = 2 * Math.PI / (40 + 60 * rng.nextDouble());
			double s = 0;
			double[] prev = null;
			for (int seg = 0; seg < n - 1; seg++) {
				final double[] p0 = points[Math.max(0, seg - 1)], p1 = points[seg], p2 = points[seg + 1],
					p3 = points[Math.min(n - 1, seg + 2)];
				final double len = dist(p1, p2);
				final int m = Math.max(1, (int) Math.ceil(len / step));
				for (int q = seg == 0 ? 0 : 1; q <= m; q++) {
					final double t = q / (double) m;
					final double[] p = new double[5];
					for (int d = 0; d < 3; d++)
						p[d] = catmullRom(p0[d], p1[d], p2[d], p3[d], t);
					if (prev != null) s += dist(prev, p);
					final double r = radii[seg] + (radii[seg + 1] - radii[seg]) * t;
					p[3] = r * (1 + radiusJitter * Math.sin(wave * s + phase));
					p[4] = s;
					samples.add(p);
					prev = p;
				}
			}
		}

		private static double catmullRom(final double p0, final double p1, final double p2,
			final double p3, final double t)
		{
			final double t2 = t * t, t3 = t2 * t;
			return 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 *
				p1 - 3 * p2 + p3) * t3);
		}

		static double dist(final double[] a, final double[] b) {
			final double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
			return Math.sqrt(dx * dx + dy * dy + dz * dz);
		}
	}

	/** Jitters every control point by up to {@code mm} in each axis. */
	static double[][] jitter(final double[][] points, final SplittableRandom rng, final double mm) {
		final double[][] out = new double[points.length][];
		for (int i = 0; i < points.length; i++) {
			out[i] = points[i].clone();
			for (int d = 0; d < 3; d++)
				out[i][d] += mm * (2 * rng.nextDouble() - 1);
		}
		return out;
	}
}
