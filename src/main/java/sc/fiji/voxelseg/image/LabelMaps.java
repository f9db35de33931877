package sc.fiji.voxelseg.image;

import java.util.Locale;
import java.util.TreeSet;

import net.imglib2.Cursor;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

/** Turning intensity volumes into validated label maps. */
public final class LabelMaps {

	private LabelMaps() {}

	/**
	 * The label map of {@code v} with class table {@code table}: values must be whole numbers found
	 * in the table. The result is stored as uint8 (up to 255 classes) or int32.
	 *
	 * @param name what to call the volume in error messages (e.g. its file)
	 */
	public static Volume asLabelMap(final Volume v, final ClassTable table, final String name) {
		final int n = (int) sc.fiji.voxelseg.image.Voxels.count(v.image());
		final boolean small = table.maxIndex() <= 255;
		final byte[] b = small ? new byte[n] : null;
		final int[] ints = small ? null : new int[n];
		final Cursor<? extends RealType<?>> c = Views.flatIterable(v.image()).cursor();
		final boolean[] known = new boolean[table.maxIndex() + 1];
		for (final LabelClass lc : table.classes())
			known[lc.index()] = true;
		int i = 0;
		final TreeSet<Long> unknown = new TreeSet<>();
		while (c.hasNext()) {
			final double val = c.next().getRealDouble();
			final long l = (long) val;
			if (l != val) throw new IllegalArgumentException(String.format(Locale.ROOT,
				"%s: voxel %s holds %s, but a label map holds whole class indices", name, position(i, v),
				val));
			if (l < 0 || l >= known.length || !known[(int) l]) {
				if (unknown.size() < 10) unknown.add(l);
				i++;
				continue;
			}
			if (small) b[i++] = (byte) l;
			else ints[i++] = (int) l;
		}
		if (!unknown.isEmpty()) throw new IllegalArgumentException(name + ": label values " + unknown +
			" are not in the class table " + table.names());
		final long[] dims = v.dims();
		final var img = small ? ArrayImgs.unsignedBytes(b, dims) : ArrayImgs.ints(ints, dims);
		return new Volume(img, v.spacing(), v.origin(), v.direction(), table, small ? VoxelType.UINT8
			: VoxelType.INT32);
	}

	/**
	 * {@code v} as a label map: itself if it already is one, else with generic classes
	 * {@code class_1..class_max} for its largest value (validated as in {@link #asLabelMap}).
	 */
	public static Volume asLabelMap(final Volume v, final String name) {
		if (v.isLabelMap()) return v;
		final double max = Voxels.stats(v.image()).max();
		return asLabelMap(v, ClassTable.generic(Math.max(1, (int) Math.min(max, 65535))), name);
	}

	private static String position(final long i, final Volume v) {
		final long w = v.width(), h = v.height();
		return "(" + i % w + ", " + (i / w) % h + ", " + i / (w * h) + ")";
	}

	/** The number of voxels of each class index 0..maxIndex. */
	public static long[] histogram(final Volume labels) {
		final long[] hist = new long[labels.classes() == null ? 256 : labels.classes().maxIndex() + 1];
		for (final RealType<?> t : Views.flatIterable(labels.image())) {
			final int l = (int) t.getRealDouble();
			if (l >= 0 && l < hist.length) hist[l]++;
		}
		return hist;
	}
}
