package sc.fiji.voxelseg.study;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs a study's cells with the headless launcher ({@code train}, {@code segment}) in a new JVM per
 * step: the same Java, the same class path, the VoxelSeg and DJL system properties, the cell's
 * share of the threads. A cell that fails or runs out of memory then never takes the study with it,
 * and a cell process stops when the study's process ends ({@code voxelseg.exitWithParent}), so that
 * a killed study leaves nothing training on its own.
 * <p>
 * The class path is the JVM's own plus whatever the loaders of this class add (Fiji loads its jars
 * through a class loader of its own).
 */
public final class LauncherRunner implements Study.CellRunner {

	/** The launcher's system property that makes it stop with its parent process. */
	public static final String EXIT_WITH_PARENT = "voxelseg.exitWithParent";

	private final String mainClass;

	/** @param mainClass the launcher's main class, {@code sc.fiji.voxelseg.cli.Main} */
	public LauncherRunner(final String mainClass) {
		this.mainClass = mainClass;
	}

	@Override
	public void check(final List<String> options) throws Exception {
		dryRun("train", options);
	}

	/** Runs {@code subcommand --dry-run options} in a process of its own; its error is the check's. */
	private void dryRun(final String subcommand, final List<String> options) throws Exception {
		final List<String> cmd = new ArrayList<>(List.of(subcommand, "--dry-run"));
		cmd.addAll(options);
		final Path log = Files.createTempFile("voxelseg-check", ".log");
		try {
			final int code = launch(cmd, new Study.Slot(1, 1), log);
			if (code != 0) throw new IllegalArgumentException(lastError(log));
		}
		finally {
			Files.deleteIfExists(log);
		}
	}

	@Override
	public void train(final List<String> options, final Study.Slot slot, final Path log) throws Exception {
		final List<String> cmd = new ArrayList<>(List.of("train"));
		cmd.addAll(options);
		require(cmd, slot, log);
	}

	@Override
	public void segment(final Path model, final Path images, final Path predictions, final Study.Slot slot, final Path log)
		throws Exception
	{
		require(List.of("segment", "--model", model.toString(), "--in", images.toString(), "--out", predictions.toString()), slot, log);
	}

	@Override
	public void segment(final Path model, final Path coarse, final Path images, final Path predictions, final Study.Slot slot,
		final Path log) throws Exception
	{
		if (coarse == null) segment(model, images, predictions, slot, log);
		else require(List.of("segment", "--model", model.toString(), "--coarse", coarse.toString(), "--in", images.toString(), "--out",
			predictions.toString()), slot, log);
	}

	@Override
	public void checkPretrain(final List<String> options) throws Exception {
		dryRun("pretrain", options);
	}

	@Override
	public void pretrain(final List<String> options, final Study.Slot slot, final Path log) throws Exception {
		final List<String> cmd = new ArrayList<>(List.of("pretrain"));
		cmd.addAll(options);
		require(cmd, slot, log);
	}

	private void require(final List<String> args, final Study.Slot slot, final Path log) throws IOException, InterruptedException {
		final int code = launch(args, slot, log);
		if (code != 0) throw new IOException(args.get(0) + " exited with " + code + ": " + lastError(log) + " (log " + log + ")");
	}

	private int launch(final List<String> args, final Study.Slot slot, final Path log) throws IOException, InterruptedException {
		final List<String> cmd = new ArrayList<>();
		cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		cmd.add("-Xmx" + Math.max(64, Runtime.getRuntime().maxMemory() >> 20) + "m");
		for (final String k : System.getProperties().stringPropertyNames()) {
			if ((k.startsWith("voxelseg.") || k.startsWith("ai.djl.") || k.equals("java.awt.headless") || k.equals("ENGINE_CACHE_DIR")) && !k
				.equals("voxelseg.threads") && !k.equals(sc.fiji.voxelseg.train.MemoryEstimate.SHARE) && !k.startsWith("ai.djl.pytorch.num_")) cmd.add("-D" + k + "=" + System.getProperty(k));
		}
		cmd.add("-Dvoxelseg.threads=" + slot.threads());
		// cells side by side share the memory: each checks its configuration against its share
		cmd.add("-D" + sc.fiji.voxelseg.train.MemoryEstimate.SHARE + "=" + slot.share());
		cmd.add("-D" + EXIT_WITH_PARENT + "=true");
		cmd.add("-cp");
		cmd.add(classPath());
		cmd.add(mainClass);
		cmd.addAll(args);
		Files.createDirectories(log.toAbsolutePath().getParent());
		final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		try {
			return p.waitFor();
		}
		finally {
			p.destroyForcibly();
		}
	}

	/** The JVM's class path, then the URLs of the URL class loaders above this class. */
	static String classPath() {
		final Set<String> parts = new LinkedHashSet<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
		for (ClassLoader l = LauncherRunner.class.getClassLoader(); l != null; l = l.getParent()) {
			if (!(l instanceof URLClassLoader u)) continue;
			for (final URL url : u.getURLs()) {
				try {
					if (url.getProtocol().equals("file")) parts.add(Path.of(url.toURI()).toString());
				}
				catch (final URISyntaxException | IllegalArgumentException e) {
					// not a local path: the child cannot load from it either
				}
			}
		}
		parts.remove("");
		return String.join(File.pathSeparator, parts);
	}

	private static String lastError(final Path log) throws IOException {
		final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
		for (int i = lines.size() - 1; i >= 0; i--) if (lines.get(i).startsWith("voxelseg: error:")) return lines.get(i).substring(16).trim();
		return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
	}
}
