package sc.fiji.voxelseg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line arguments of one launcher subcommand: {@code --key value} options, {@code --flag}
 * switches and positional arguments. Unknown options are an error, so typos do not pass silently.
 */
final class Args {

	/** A usage error: the launcher prints it with the subcommand's usage and exits with 2. */
	static final class UsageException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		UsageException(final String m) {
			super(m);
		}
	}

	private final Map<String, String> options = new LinkedHashMap<>();
	private final Map<String, List<String>> repeated = new LinkedHashMap<>();
	private final Set<String> flags = new HashSet<>();
	private final List<String> positional = new ArrayList<>();
	private final Set<String> used = new HashSet<>();

	Args(final List<String> args, final Set<String> flagNames) {
		for (int i = 0; i < args.size(); i++) {
			final String a = args.get(i);
			if (a.startsWith("--") && a.length() > 2) {
				final String key = a.substring(2);
				final int eq = key.indexOf('=');
				if (eq > 0) put(key.substring(0, eq), key.substring(eq + 1));
				else if (flagNames.contains(key)) flags.add(key);
				else {
					if (i + 1 >= args.size()) throw new UsageException("option --" + key + " needs a value");
					put(key, args.get(++i));
				}
			}
			else positional.add(a);
		}
	}

	private void put(final String key, final String value) {
		options.put(key, value);
		repeated.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
	}

	/** Every value of an option that may be given several times, in order; empty if none. */
	List<String> all(final String key) {
		used.add(key);
		return List.copyOf(repeated.getOrDefault(key, List.of()));
	}

	String get(final String key, final String def) {
		used.add(key);
		return options.getOrDefault(key, def);
	}

	String require(final String key) {
		used.add(key);
		final String v = options.get(key);
		if (v == null) throw new UsageException("missing --" + key);
		return v;
	}

	Path path(final String key) {
		return Path.of(require(key));
	}

	boolean has(final String key) {
		used.add(key);
		return options.containsKey(key);
	}

	boolean flag(final String key) {
		used.add(key);
		return flags.contains(key);
	}

	int getInt(final String key, final int def) {
		final String v = get(key, null);
		if (v == null) return def;
		try {
			return Integer.parseInt(v);
		}
		catch (final NumberFormatException e) {
			throw new UsageException("--" + key + " needs a whole number, got '" + v + "'");
		}
	}

	long getLong(final String key, final long def) {
		final String v = get(key, null);
		if (v == null) return def;
		try {
			return Long.parseLong(v);
		}
		catch (final NumberFormatException e) {
			throw new UsageException("--" + key + " needs a whole number, got '" + v + "'");
		}
	}

	double getDouble(final String key, final double def) {
		final String v = get(key, null);
		if (v == null) return def;
		try {
			return Double.parseDouble(v);
		}
		catch (final NumberFormatException e) {
			throw new UsageException("--" + key + " needs a number, got '" + v + "'");
		}
	}

	/** A triple such as {@code 128,128,64} or {@code 128x128x64}. */
	static double[] triple(final String what, final String v) {
		final String[] p = v.split("[,x×]");
		if (p.length != 3) throw new UsageException(what + " needs three values x,y,z, got '" + v + "'");
		final double[] d = new double[3];
		try {
			for (int i = 0; i < 3; i++)
				d[i] = Double.parseDouble(p[i].trim());
		}
		catch (final NumberFormatException e) {
			throw new UsageException(what + " needs three numbers x,y,z, got '" + v + "'");
		}
		return d;
	}

	List<String> positional() {
		return positional;
	}

	/** Fails on options and flags no one asked for. */
	void checkAllUsed() {
		for (final String k : options.keySet())
			if (!used.contains(k)) throw new UsageException("unknown option --" + k);
		for (final String k : flags)
			if (!used.contains(k)) throw new UsageException("unknown option --" + k);
	}
}
