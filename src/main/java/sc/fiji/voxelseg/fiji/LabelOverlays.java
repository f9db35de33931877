package sc.fiji.voxelseg.fiji;

import java.awt.image.DirectColorModel;
import java.util.Set;

import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.process.ColorProcessor;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;

/**
 * ImageJ overlays that show a label map on top of the image it was made for.
 * <p>
 * Each slice with at least one shown voxel gets one {@link ImageRoi} at position {@code z + 1}
 * holding an ARGB plane (a {@link ColorProcessor} with an alpha channel): shown voxels have their
 * class colour and alpha 255, all others alpha 0; the roi's {@link ImageRoi#setOpacity opacity}
 * blends the whole plane with the image. Slices without shown voxels get no roi. Memory: 4 bytes
 * per pixel of each such slice.
 * <p>
 * {@link Style#OUTLINE} colours only the boundary voxels of each class within its slice: a voxel
 * whose left, right, upper or lower neighbour (4-connectivity, in-plane) holds another value or
 * lies outside the image. Outlines are drawn per slice because the overlay is viewed per slice.
 * <p>
 * The rois are also {@link ImageRoi#setZeroTransparent zero transparent}, because ImageJ keeps
 * only that (not the alpha channel) when it clones a roi, e.g. in Image > Overlay > Flatten; a
 * class coloured black or nearly black is therefore drawn dark grey ({@code #030303}).
 * <p>
 * Class 0 (background) is never drawn. Everything here works headless: nothing is shown.
 */
public final class LabelOverlays {

	/** How classes are drawn. */
	public enum Style {
		/** Every voxel of a class in its colour. */
		FILLED,
		/** Only the in-plane boundary voxels of each class. */
		OUTLINE
	}

	private LabelOverlays() {}

	/** Sets the overlay of {@code image} to {@code labels}, all foreground classes shown. */
	public static void apply(final ImagePlus image, final Volume labels, final Style style,
		final double opacity)
	{
		image.setOverlay(overlay(image, labels, style, opacity, null));
	}

	/**
	 * An overlay for {@code image} showing {@code labels}.
	 *
	 * @param image the image the label map belongs to (same width, height and slices)
	 * @param labels a label map; without a class table, {@link ClassTable#distinctColour} colours
	 *          are used
	 * @param opacity 0 (invisible) to 1 (opaque)
	 * @param classes the class indices to show, or {@code null} for all but background
	 * @throws IllegalArgumentException naming both sizes if they differ
	 */
	public static Overlay overlay(final ImagePlus image, final Volume labels, final Style style,
		final double opacity, final Set<Integer> classes)
	{
		final int w = image.getWidth(), h = image.getHeight(), d = image.getStackSize();
		if (labels.width() != w || labels.height() != h || labels.depth() != d)
			throw new IllegalArgumentException("label map " + Volume.formatDims(labels.dims()) +
				" does not match image '" + image.getTitle() + "' " + w + "×" + h + "×" + d);
		if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException(
			"overlay opacity must lie between 0 and 1, got " + opacity);
		final int[] colours = colourTable(labels, classes);
		final Overlay overlay = new Overlay();
		final int n = w * h;
		final int[] lab = new int[n];
		for (int z = 0; z < d; z++) {
			readPlane(labels.image(), z, lab);
			final int[] argb = style == Style.OUTLINE ? outline(lab, w, h, colours) : filled(lab,
				colours);
			if (argb == null) continue;
			final ColorProcessor cp = new ColorProcessor(w, h, argb);
			// the alpha mask makes ImageRoi draw unlabelled pixels transparent
			cp.setColorModel(new DirectColorModel(32, 0x00ff0000, 0x0000ff00, 0x000000ff,
				0xff000000));
			final ImageRoi roi = new ImageRoi(0, 0, cp);
			// ImageJ drops the alpha channel when it clones an ImageRoi (flatten, duplicate) and
			// then keeps only "zero transparent": so black must stay the one transparent colour
			roi.setZeroTransparent(true);
			roi.setOpacity(opacity);
			roi.setPosition(z + 1);
			roi.setName("labels z=" + (z + 1));
			overlay.add(roi);
		}
		return overlay;
	}

	/** ARGB per label value: 0 for values not shown. */
	private static int[] colourTable(final Volume labels, final Set<Integer> shown) {
		final ClassTable table = labels.classes();
		int max = table == null ? 0 : table.maxIndex();
		if (table == null) for (final RealType<?> t : Views.flatIterable(labels.image()))
			max = Math.max(max, (int) t.getRealDouble());
		if (max > 65535) throw new IllegalArgumentException("label value " + max +
			" is too large for an overlay (at most 65535)");
		final int[] colours = new int[max + 1];
		for (int i = 1; i <= max; i++) {
			if (shown != null && !shown.contains(i)) continue;
			if (table == null) colours[i] = 0xff000000 | ClassTable.distinctColour(i);
			else if (table.contains(i)) {
				final LabelClass c = table.get(i);
				colours[i] = 0xff000000 | (c.rgb() & 0xffffff);
			}
			if (colours[i] != 0) colours[i] = visible(colours[i]);
		}
		return colours;
	}

	/**
	 * {@code argb}, or a dark grey for colours ImageJ's zero-transparent ImageRoi would hide
	 * (pixel value at most 1, i.e. black or nearly so).
	 */
	static int visible(final int argb) {
		final int r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;
		return r + g + b < 9 ? 0xff030303 : argb;
	}

	private static void readPlane(final RandomAccessibleInterval<? extends RealType<?>> img,
		final int z, final int[] out)
	{
		final Cursor<? extends RealType<?>> c = Views.flatIterable(Views.hyperSlice(img, 2, z))
			.cursor();
		for (int i = 0; i < out.length; i++)
			out[i] = (int) c.next().getRealDouble();
	}

	private static int colour(final int[] colours, final int label) {
		return label > 0 && label < colours.length ? colours[label] : 0;
	}

	private static int[] filled(final int[] lab, final int[] colours) {
		int[] argb = null;
		for (int i = 0; i < lab.length; i++) {
			final int c = colour(colours, lab[i]);
			if (c == 0) continue;
			if (argb == null) argb = new int[lab.length];
			argb[i] = c;
		}
		return argb;
	}

	private static int[] outline(final int[] lab, final int w, final int h, final int[] colours) {
		int[] argb = null;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				final int i = y * w + x;
				final int l = lab[i];
				final int c = colour(colours, l);
				if (c == 0) continue;
				final boolean boundary = x == 0 || x == w - 1 || y == 0 || y == h - 1 ||
					lab[i - 1] != l || lab[i + 1] != l || lab[i - w] != l || lab[i + w] != l;
				if (!boundary) continue;
				if (argb == null) argb = new int[lab.length];
				argb[i] = c;
			}
		}
		return argb;
	}
}
