package sc.fiji.voxelseg.testutil;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.ReadOptions;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.io.VolumeFormatException;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.model.ModelBundle;

/**
 * Reads hostile inputs in a JVM of its own with a small heap, so that a reader that allocates
 * what a header claims (rather than what the file can hold) fails as {@code OutOfMemoryError}
 * instead of passing on a large test heap. {@link #run} starts it; {@link #main} reads the cases
 * listed in a file ({@code kind<TAB>path} per line, kind {@code volume}, {@code bundle} or
 * {@code dataset}) and prints one result line per case:
 * <ul>
 * <li>{@code OK<TAB>digest}: read; the digest covers grid, geometry and every voxel value;</li>
 * <li>{@code ERR<TAB>message}: refused with the reader's own exception
 * ({@link VolumeFormatException}, or an {@link IOException} for bundles and datasets);</li>
 * <li>{@code CRASH<TAB>what}: anything else, including {@code OutOfMemoryError}.</li>
 * </ul>
 * Volume reads run with no memory cap of their own ({@code maxBytes} unlimited): only the
 * readers' checks against the file's size stand between a lying header and the heap.
 */
public final class FuzzRunner {

	/** The heap of the reading JVM: the files are a few kilobytes, their reads need far less. */
	public static final String HEAP = "-Xmx96m";

	private FuzzRunner() {}

	public static void main(final String[] args) throws Exception {
		final PrintStream out = new PrintStream(new java.io.FileOutputStream(args[1]), true, StandardCharsets.UTF_8);
		final ReadOptions opt = ReadOptions.defaults().optMaxBytes(Long.MAX_VALUE);
		for (final String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
			if (line.isEmpty()) continue;
			final String[] kp = line.split("\t", 2);
			final Path p = Path.of(kp[1]);
			String result;
			try {
				result = "OK\t" + switch (kp[0]) {
					case "volume" -> digest(VolumeIO.read(p, opt));
					case "bundle" -> bundle(p);
					case "dataset" -> TrainingDataset.read(p).size() + " cases";
					default -> throw new IllegalArgumentException(kp[0]);
				};
			}
			catch (final IOException e) {
				final boolean expected = kp[0].equals("volume") ? e instanceof VolumeFormatException : true;
				result = (expected ? "ERR\t" : "CRASH\t" + e.getClass().getName() + ": ") + escapeForLine(String.valueOf(e
					.getMessage()));
			}
			catch (final Throwable t) {
				result = "CRASH\t" + escapeForLine(t.toString());
			}
			out.println(result);
		}
		out.close();
	}

	private static String bundle(final Path p) throws IOException {
		final ModelBundle b = ModelBundle.load(p);
		try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
			b.network(m);
		}
		return b.network().describe();
	}

	/**
	 * The message as it would print, with a marker where it holds what must never reach a
	 * terminal: a line break or another control character.
	 */
	static String escapeForLine(final String s) {
		final StringBuilder b = new StringBuilder();
		for (final char c : s.toCharArray()) {
			if (c < 0x20 || (c >= 0x7f && c < 0xa0)) b.append("<CTRL>");
			else b.append(c);
		}
		return b.toString();
	}

	/** Grid, geometry (to 1e-6) and a SHA-256 of every voxel value as a double. */
	public static String digest(final Volume v) {
		try {
			final MessageDigest md = MessageDigest.getInstance("SHA-256");
			final java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8);
			for (final RealType<?> t : Views.flatIterable(v.image())) {
				bb.clear();
				bb.putDouble(t.getRealDouble());
				md.update(bb.array());
			}
			return Arrays.toString(v.dims()) + " " + round(v.spacing()) + " " + round(v.origin()) + " " + round(v.direction()) +
				" " + HexFormat.of().formatHex(md.digest()).substring(0, 16);
		}
		catch (final java.security.NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	private static String round(final double[] a) {
		final StringBuilder b = new StringBuilder("[");
		for (final double d : a)
			b.append(String.format(java.util.Locale.ROOT, "%.6f,", d + 0.0));
		return b.append(']').toString();
	}

	/** One case's outcome. */
	public record Result(String status, String text) {}

	/**
	 * Reads every case in a forked JVM with {@link #HEAP}; the results come in the order of
	 * {@code cases}. Fails when the JVM does not finish within {@code timeoutSeconds} (a hang).
	 */
	public static List<Result> run(final List<String[]> cases, final Path work, final long timeoutSeconds)
		throws IOException, InterruptedException
	{
		final Path list = work.resolve("cases.tsv"), results = work.resolve("results.tsv");
		final List<String> lines = new ArrayList<>();
		for (final String[] c : cases)
			lines.add(c[0] + "\t" + c[1]);
		Files.write(list, lines, StandardCharsets.UTF_8);
		final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
			"-Djava.awt.headless=true", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), FuzzRunner.class
				.getName(), list.toString(), results.toString()));
		final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("runner.log").toFile())
			.start();
		if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
			p.destroyForcibly();
			final long done = Files.exists(results) ? Files.readAllLines(results).size() : 0;
			throw new AssertionError("the readers hung: case " + done + " (" + (done < cases.size() ? cases.get((int) done)[1] : "?") +
				") did not finish within " + timeoutSeconds + " s");
		}
		final List<String> got = Files.exists(results) ? Files.readAllLines(results, StandardCharsets.UTF_8) : List.of();
		if (got.size() != cases.size()) throw new AssertionError("the reading JVM stopped after " + got.size() + " of " + cases
			.size() + " cases (exit " + p.exitValue() + "): " + String.join("\n", Files.readString(work.resolve("runner.log")).lines().limit(20)
				.toList()));
		final List<Result> out = new ArrayList<>();
		for (final String g : got) {
			final String[] sp = g.split("\t", 2);
			out.add(new Result(sp[0], sp.length > 1 ? sp[1] : ""));
		}
		return out;
	}
}
