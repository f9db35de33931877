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

	/** Reads {@code file}; a malformed file gets an IOException naming it. */
	public static <T> T read(final Path file, final Class<T> type) throws IOException {
		final String s = Files.readString(file, StandardCharsets.UTF_8);
		try {
			final T t = GSON.fromJson(s, type);
			if (t == null) throw new IOException(file + ": empty JSON file");
			return t;
		}
		catch (final JsonParseException e) {
			throw new IOException(file + ": not valid JSON for " + type.getSimpleName() + " (" + e
				.getMessage() + ")", e);
		}
	}
}
