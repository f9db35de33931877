package sc.fiji.voxelseg.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A chart legend laid out in rows, each row centred: a swatch (a short line, or a filled box)
 * then the name, entries separated by three character widths.
 */
final class Legend {

	/** One legend entry: a line swatch (with a marker when {@code marker}) or a box swatch. */
	static final class Entry {

		final String name;
		final int colour, lineWidth;
		final boolean box, marker, dashed;

		Entry(final String name, final int colour, final boolean box, final int lineWidth,
			final boolean marker, final boolean dashed)
		{
			this.name = name;
			this.colour = colour;
			this.box = box;
			this.lineWidth = lineWidth;
			this.marker = marker;
			this.dashed = dashed;
		}
	}

	private final List<Entry> entries;
	private final int scale;

	Legend(final List<Entry> entries, final int scale) {
		this.entries = List.copyOf(entries);
		this.scale = scale;
	}

	boolean isEmpty() {
		return entries.isEmpty();
	}

	private int swatch() {
		return 18 * scale;
	}

	private int entryWidth(final Entry e) {
		return swatch() + 4 * scale + Raster.textWidth(e.name, scale);
	}

	private int gap() {
		return 3 * BitmapFont.ADVANCE * scale;
	}

	private int rowHeight() {
		return Raster.textHeight(scale) + 2 * scale;
	}

	/** The entries of each row when rows may be at most {@code maxWidth} pixels wide. */
	private List<List<Entry>> rows(final int maxWidth) {
		final List<List<Entry>> rows = new ArrayList<>();
		List<Entry> row = new ArrayList<>();
		int w = 0;
		for (final Entry e : entries) {
			final int ew = entryWidth(e);
			if (!row.isEmpty() && w + gap() + ew > maxWidth) {
				rows.add(row);
				row = new ArrayList<>();
				w = 0;
			}
			w += (row.isEmpty() ? 0 : gap()) + ew;
			row.add(e);
		}
		if (!row.isEmpty()) rows.add(row);
		return rows;
	}

	/** The height the legend takes when rows may be at most {@code maxWidth} pixels wide. */
	int height(final int maxWidth) {
		final int n = rows(maxWidth).size();
		return n == 0 ? 0 : n * rowHeight() - 2 * scale;
	}

	/** Draws the legend with its top at {@code y}, rows centred on column {@code cx}. */
	void draw(final Raster r, final int cx, final int y, final int maxWidth) {
		int top = y;
		for (final List<Entry> row : rows(maxWidth)) {
			int w = 0;
			for (final Entry e : row)
				w += (w == 0 ? 0 : gap()) + entryWidth(e);
			int x = Math.max(0, cx - w / 2);
			for (final Entry e : row) {
				// the swatch is centred on the capital height (rows 0..6 of 8)
				final int mid = top + 7 * scale / 2;
				if (e.box) {
					r.fillRect(x + 3 * scale, top, swatch() - 6 * scale, 7 * scale, Raster.tint(e.colour,
						0.55));
					r.drawRect(x + 3 * scale, top, swatch() - 6 * scale, 7 * scale, e.colour);
				}
				else {
					final int lw = Math.max(1, e.lineWidth);
					if (e.dashed) r.dashedLine(x, mid, x + swatch() - 1, mid, lw, 4 * scale, 2 * scale,
						e.colour);
					else r.line(x, mid, x + swatch() - 1, mid, lw, e.colour);
					if (e.marker) r.marker(x + swatch() / 2, mid, Raster.Marker.CIRCLE, 3 * scale + 1,
						e.colour);
				}
				r.text(x + swatch() + 4 * scale, top, e.name, scale, Style.TEXT);
				x += entryWidth(e) + gap();
			}
			top += rowHeight();
		}
	}
}
