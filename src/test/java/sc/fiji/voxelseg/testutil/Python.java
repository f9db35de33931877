package sc.fiji.voxelseg.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

/**
 * Runs the oracle scripts under {@code src/test/python} with Debian's {@code /usr/bin/python3}
 * (whose numpy, scipy, nibabel and pydicom {@code scripts/install-test-deps.sh} installs) and
 * parses the JSON they print.
 */
public final class Python {

	public static final String INTERPRETER = "/usr/bin/python3";

	private Python() {}

	public static Path script(final String name) {
		return Paths.get("src", "test", "python", name).toAbsolutePath();
	}

	/** Runs {@code script args...}; fails with the script's stderr when it exits non-zero. */
	public static String run(final String script, final String... args) throws IOException,
		InterruptedException
	{
		return run(script(script), args);
	}

	/** Runs the script at {@code path} (a bench peer, say) like {@link #run(String, String...)}. */
	public static String run(final Path path, final String... args) throws IOException, InterruptedException {
		final String script = path.getFileName().toString();
		final List<String> cmd = new ArrayList<>();
		cmd.add(INTERPRETER);
		cmd.add(path.toString());
		cmd.addAll(List.of(args));
		final Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
		final byte[] out = p.getInputStream().readAllBytes();
		final byte[] err = p.getErrorStream().readAllBytes();
		if (!p.waitFor(10, TimeUnit.MINUTES)) {
			p.destroyForcibly();
			throw new IOException(script + " timed out");
		}
		if (p.exitValue() != 0) throw new IOException(script + " failed (exit " + p.exitValue() + "): " +
			new String(err, StandardCharsets.UTF_8) +
			"\n(run scripts/install-test-deps.sh to install the oracle packages)");
		return new String(out, StandardCharsets.UTF_8);
	}

	public static JsonElement json(final String script, final String... args) throws IOException,
		InterruptedException
	{
		return JsonParser.parseString(run(script, args));
	}

	public static JsonElement json(final Path script, final String... args) throws IOException, InterruptedException {
		return JsonParser.parseString(run(script, args));
	}
}
