package sc.fiji.voxelseg.image;

import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.basictypeaccess.array.ArrayDataAccess;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/**
 * Flat access to the voxels of a 3D image in x-fastest order, with fast paths for the array- and
 * plane-backed images that readers and the ImageJ bridge produce.
 */
public final class Voxels {

	private Voxels() {}

	/**
	 * The primitive array backing {@code img} ({@code byte[]}, {@code short[]}, {@code int[]},
	 * {@code float[]}, ...) if it is a single-array {@link ArrayImg}, else {@code null}. Unsigned
	 * types share the signed Java array: read them through {@link #floats}.
	 */
	public static Object backingArray(final RandomAccessibleInterval<?> img) {
		if (img instanceof ArrayImg<?, ?> a) {
			final Object access = a.update(null);
			if (access instanceof ArrayDataAccess<?> ada) return ada.getCurrentStorageArray();
		}
		return null;
	}

	/**
	 * The voxel values as a new float array, x fastest. {@code float[]}-backed images are copied
	 * with {@code System.arraycopy}; others go through a flat cursor.
	 */
	public static float[] floats(final RandomAccessibleInterval<? extends RealType<?>> img) {
		final long n = count(img);
		final float[] out = new float[(int) n];
		final Object arr = backingArray(img);
		if (arr instanceof float[] f && f.length == n) {
			System.arraycopy(f, 0, out, 0, (int) n);
			return out;
		}
		if (img instanceof PlanarImg<?, ?> p && p.numDimensions() == 3) {
			final int plane = (int) (img.dimension(0) * img.dimension(1));
			final Object first = p.getPlane(0).getCurrentStorageArray();
			if (first instanceof float[]) {
				for (int z = 0; z < p.numSlices(); z++)
					System.arraycopy(p.getPlane(z).getCurrentStorageArray(), 0, out, z * plane, plane);
				return out;
			}
		}
		int i = 0;
		final Cursor<? extends RealType<?>> c = Views.flatIterable(img).cursor();
		while (c.hasNext())
			out[i++] = c.next().getRealFloat();
		return out;
	}

	public static long count(final RandomAccessibleInterval<?> img) {
		long n = 1;
		for (int d = 0; d < img.numDimensions(); d++)
			n *= img.dimension(d);
		if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("image of " + n +
			" voxels exceeds the 2^31 voxel limit of a single array; crop or resample it first");
		return n;
	}

	/** Minimum, maximum, mean and the count of non-finite voxels. */
	public record Stats(double min, double max, double mean, long nonFinite) {}

	public static Stats stats(final RandomAccessibleInterval<? extends RealType<?>> img) {
		double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
		long n = 0, bad = 0;
		for (final RealType<?> t : Views.flatIterable(img)) {
			final double v = t.getRealDouble();
			if (!Double.isFinite(v)) {
				bad++;
				continue;
			}
			if (v < min) min = v;
			if (v > max) max = v;
			sum += v;
			n++;
		}
		return new Stats(n == 0 ? Double.NaN : min, n == 0 ? Double.NaN : max, n == 0 ? Double.NaN :
			sum / n, bad);
	}
}
