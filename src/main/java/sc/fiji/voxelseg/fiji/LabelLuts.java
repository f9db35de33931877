package sc.fiji.voxelseg.fiji;

import ij.ImagePlus;
import ij.process.LUT;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;

/**
 * ImageJ lookup tables that show a label map in its class colours.
 * <p>
 * An ImageJ LUT has 256 entries, so only class indices 0..255 get their colour; on a 16-bit label
 * image with higher indices those saturate to the colour of 255.
 */
public final class LabelLuts {

	private LabelLuts() {}

	/** Entry {@code i} is the colour of class {@code i}; indices not in the table are black. */
	public static LUT lut(final ClassTable table) {
		final byte[] r = new byte[256], g = new byte[256], b = new byte[256];
		for (final LabelClass c : table.classes()) {
			if (c.index() > 255) continue;
			r[c.index()] = (byte) c.red();
			g[c.index()] = (byte) c.green();
			b[c.index()] = (byte) c.blue();
		}
		return new LUT(r, g, b);
	}

	/**
	 * Shows {@code imp} (8- or 16-bit, values = class indices) in the class colours: sets the LUT
	 * of the whole stack and the display range 0-255 so that value {@code i} maps to entry
	 * {@code i}.
	 */
	public static void apply(final ImagePlus imp, final ClassTable table) {
		final int bits = imp.getBitDepth();
		if (bits != 8 && bits != 16) throw new IllegalArgumentException("image '" + imp.getTitle() +
			"' is " + bits + "-bit; a label LUT needs an 8- or 16-bit image of class indices");
		final LUT lut = lut(table);
		lut.min = 0;
		lut.max = 255;
		imp.setLut(lut);
		imp.setDisplayRange(0, 255);
	}
}
