package sc.fiji.voxelseg.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/** The one place JSON is configured: pretty, NaN allowed, no HTML escaping. */
public final class Json {

	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
		.serializeSpecialFloatingPointValues().create();

	private Json() {}

	public static Gson gson() {
		return GSON;
	}

	public static String toJson(final Object o) {
		return GSON.toJson(o);
	}

	public static <T> T fromJson(final String s, final Class<T> type) {
		return GSON.fromJson(s, type);
	}

	/** Writes {@code o} as JSON to {@code file} atomically. */
	public static void write(final Path file, final Object o) throws IOException {
		AtomicFiles.writeString(file, GSON.toJson(o) + "\n");
	}

	/** The deepest nesting of arrays and objects a JSON file read here may have. */
	public static final int MAX_DEPTH = 64;

	/** The largest JSON file read here: descriptions and tables, not data. */
	public static final long MAX_BYTES = 64L << 20;

	/**
	 * Refuses JSON nested deeper than {@link #MAX_DEPTH} before a recursive parser overflows its
	 * stack on it.
	 *
	 * @param source what to name in the message (a file)
	 */
	public static void checkDepth(final String s, final Object source) throws IOException {
		int depth = 0;
		boolean string = false;
		for (int i = 0; i < s.length(); i++) {
			final char c = s.charAt(i);
			if (string) {
				if (c == '\\') i++;
				else if (c == '"') string = false;
			}
			else if (c == '"') string = true;
			else if (c == '[' || c == '{') {
				if (++depth > MAX_DEPTH) throw new IOException(source + ": JSON nested more than " + MAX_DEPTH +
					" levels deep; the file is damaged or not what it claims to be");
			}
			else if (c == ']' || c == '}') depth--;
		}
	}

	/** The text of a JSON file, refused when it is larger than {@link #MAX_BYTES}. */
	public static String readText(final Path file) throws IOException {
		final long size = Files.size(file);
		if (size > MAX_BYTES) throw new IOException(file + ": " + size + " bytes is too large for a JSON description (at most " +
			MAX_BYTES + ")");
		return Files.readString(file, StandardCharsets.UTF_8);
	}

	/** Reads {@code file}; a malformed, oversized or too deeply nested file gets an IOException naming it. */
	public static <T> T read(final Path file, final Class<T> type) throws IOException {
		final String s;
		try {
			s = readText(file);
		}
		catch (final java.nio.charset.MalformedInputException e) {
			throw new IOException(file + ": not UTF-8 text, so not a JSON file", e);
		}
		checkDepth(s, file);
		try {
			final T t = GSON.fromJson(s, type);
			if (t == null) throw new IOException(file + ": empty JSON file");
			return t;
		}
		catch (final JsonParseException | IllegalStateException | NumberFormatException e) {
			throw new IOException(file + ": not valid JSON for " + type.getSimpleName() + " (" + e
				.getMessage() + ")", e);
		}
	}
}
