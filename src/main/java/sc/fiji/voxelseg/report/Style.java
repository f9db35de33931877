package sc.fiji.voxelseg.report;

/** Colours and spacing shared by the charts. */
final class Style {

	static final int BACKGROUND = Raster.WHITE;
	static final int TEXT = Raster.rgb(0x22, 0x22, 0x22);
	static final int AXIS = Raster.rgb(0x33, 0x33, 0x33);
	static final int GRID = Raster.rgb(0xe4, 0xe4, 0xe4);

	/** Ten well-separated colours (matplotlib's "tab10"), used in turn for series and groups. */
	private static final int[] PALETTE = { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
		0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf };

	private Style() {}

	/** Palette colour {@code i}, repeating after ten. */
	static int colour(final int i) {
		return 0xff000000 | PALETTE[Math.floorMod(i, PALETTE.length)];
	}

	/** Space between chart parts at font scale {@code s}. */
	static int pad(final int s) {
		return 5 * s;
	}

	/** Length of a tick mark at font scale {@code s}. */
	static int tick(final int s) {
		return 3 * s;
	}
}
