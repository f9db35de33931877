package sc.fiji.voxelseg.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's help text, readable in a terminal: a subcommand's usage is one long synopsis line
 * followed by sections (one per line, each starting with a few words that name it); this wraps each
 * at a width, breaking only between options, never inside a bracketed option group or a quoted
 * phrase, and indents continuation lines under their first line.
 */
final class Usage {

	/** Columns of the help text. */
	static final int WIDTH = 100;

	private Usage() {}

	/** {@code usage} with every line wrapped at {@code width}: the synopsis under "usage: voxelseg", sections indented. */
	static String format(final String usage, final int width) {
		final StringBuilder b = new StringBuilder();
		final String[] lines = usage.split("\n");
		for (int i = 0; i < lines.length; i++) {
			final String line = lines[i].strip();
			if (line.isEmpty()) continue;
			if (i == 0) wrap(b, "usage: voxelseg ", line, "    ", width);
			else {
				b.append('\n');
				wrap(b, "  ", line, "      ", width);
			}
		}
		return b.toString();
	}

	/** Appends {@code text} after {@code first}, wrapped at {@code width}, continuation lines starting with {@code indent}. */
	private static void wrap(final StringBuilder b, final String first, final String text, final String indent, final int width) {
		int column = first.length();
		b.append(first);
		boolean start = true;
		for (final String unit : units(text)) {
			if (!start && column + 1 + unit.length() > width) {
				b.append('\n').append(indent);
				column = indent.length();
			}
			else if (!start) {
				b.append(' ');
				column++;
			}
			b.append(unit);
			column += unit.length();
			start = false;
		}
	}

	/**
	 * The units a line may break between: words, with a bracketed or parenthesised group (nesting
	 * counted) or a quoted phrase kept whole unless it alone is longer than a line, when it is
	 * broken at its spaces.
	 */
	static List<String> units(final String text) {
		final List<String> units = new ArrayList<>();
		final StringBuilder u = new StringBuilder();
		int depth = 0;
		boolean quoted = false;
		for (int i = 0; i < text.length(); i++) {
			final char c = text.charAt(i);
			if (c == '"') quoted = !quoted;
			else if (!quoted && (c == '[' || c == '(')) depth++;
			else if (!quoted && (c == ']' || c == ')')) depth = Math.max(0, depth - 1);
			if (c == ' ' && depth == 0 && !quoted) {
				if (u.length() > 0) units.add(u.toString());
				u.setLength(0);
			}
			else u.append(c);
		}
		if (u.length() > 0) units.add(u.toString());
		// a group longer than a line is broken at its own spaces
		final List<String> out = new ArrayList<>();
		for (final String s : units) {
			if (s.length() <= WIDTH - 8) out.add(s);
			else for (final String w : s.split(" ")) if (!w.isEmpty()) out.add(w);
		}
		return out;
	}
}
