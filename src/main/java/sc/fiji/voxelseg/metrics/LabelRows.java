package sc.fiji.voxelseg.metrics;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImg;
import net.imglib2.img.basictypeaccess.array.ArrayDataAccess;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.ByteType;
import net.imglib2.type.numeric.integer.IntType;
import net.imglib2.type.numeric.integer.ShortType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedIntType;
import net.imglib2.type.numeric.integer.UnsignedShortType;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;

/**
 * Reads the x rows of a label volume as {@code int} class indices, straight from the primitive
 * arrays of array- and plane-backed images (one array per z slice for the latter), and through a
 * float copy otherwise. Values must be whole numbers in {@code [0, MAX_LABEL]}.
 */
final class LabelRows {

	/** The largest class index the metrics accept. */
	static final int MAX_LABEL = 65535;

	private enum Kind {
		U8, S8, U16, S16, U32, S32, F32
	}

	private final String name;
	private final Kind kind;
	/** One array per z slice (plane-backed), or a single array for all voxels. */
	private final Object[] planes;
	private final int planeSize;
	private final long nx, ny;

	private LabelRows(final String name, final Kind kind, final Object[] planes,
		final int planeSize, final Volume v)
	{
		this.name = name;
		this.kind = kind;
		this.planes = planes;
		this.planeSize = planeSize;
		this.nx = v.width();
		this.ny = v.height();
	}

	/** @param name what to call the volume in error messages, e.g. "prediction" */
	static LabelRows of(final Volume v, final String name) {
		final RandomAccessibleInterval<? extends RealType<?>> img = v.image();
		final long count = Voxels.count(img);
		final Object type = img.getType();
		final Kind kind = type instanceof UnsignedByteType ? Kind.U8 : type instanceof ByteType
			? Kind.S8 : type instanceof UnsignedShortType ? Kind.U16 : type instanceof ShortType
				? Kind.S16 : type instanceof UnsignedIntType ? Kind.U32 : type instanceof IntType
					? Kind.S32 : null;
		if (kind != null) {
			if (img instanceof ArrayImg<?, ?> a && a.update(null) instanceof ArrayDataAccess<?> ada)
				return new LabelRows(name, kind, new Object[] { ada.getCurrentStorageArray() },
					(int) count, v);
			if (img instanceof PlanarImg<?, ?> p && p.numSlices() == v.depth()) {
				final Object[] planes = new Object[p.numSlices()];
				for (int z = 0; z < planes.length; z++)
					planes[z] = p.getPlane(z).getCurrentStorageArray();
				return new LabelRows(name, kind, planes, v.width() * v.height(), v);
			}
		}
		return new LabelRows(name, Kind.F32, new Object[] { Voxels.floats(img) }, (int) count, v);
	}

	/**
	 * Reads {@code n} labels starting at flat index {@code offset} (x fastest; the run must not
	 * cross a z slice) into {@code dst}.
	 *
	 * @throws IllegalArgumentException for a value that is not a class index
	 */
	void row(final int offset, final int n, final int[] dst) {
		final Object a = planes[offset / planeSize];
		final int o = offset % planeSize;
		switch (kind) {
			case U8 -> {
				final byte[] b = (byte[]) a;
				for (int i = 0; i < n; i++)
					dst[i] = b[o + i] & 0xff;
			}
			case S8 -> {
				final byte[] b = (byte[]) a;
				for (int i = 0; i < n; i++)
					dst[i] = check(b[o + i], offset + i);
			}
			case U16 -> {
				final short[] s = (short[]) a;
				for (int i = 0; i < n; i++)
					dst[i] = s[o + i] & 0xffff;
			}
			case S16 -> {
				final short[] s = (short[]) a;
				for (int i = 0; i < n; i++)
					dst[i] = check(s[o + i], offset + i);
			}
			case U32, S32 -> {
				final int[] s = (int[]) a;
				for (int i = 0; i < n; i++)
					dst[i] = check(kind == Kind.U32 ? s[o + i] & 0xffffffffL : s[o + i], offset + i);
			}
			case F32 -> {
				final float[] f = (float[]) a;
				for (int i = 0; i < n; i++) {
					final float v = f[o + i];
					final int l = (int) v;
					if (l != v) throw notALabel(v, offset + i);
					dst[i] = check(l, offset + i);
				}
			}
		}
	}

	private int check(final long v, final int index) {
		if (v < 0 || v > MAX_LABEL) throw notALabel(v, index);
		return (int) v;
	}

	private IllegalArgumentException notALabel(final double v, final int index) {
		return new IllegalArgumentException(name + ": voxel (" + index % nx + ", " + (index / nx) %
			ny + ", " + index / (nx * ny) + ") holds " +
			(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v)) +
			", not a class index (a whole number in 0.." + MAX_LABEL + ")");
	}
}
