package sc.fiji.voxelseg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sc.fiji.voxelseg.study.Study;
import sc.fiji.voxelseg.study.StudyDesign;
import sc.fiji.voxelseg.study.StudyReport;

/**
 * {@code study}: named arms of ordinary {@code train} options, trained and scored at several label
 * fractions and seeds on paired splits, with {@code results.csv} and a report ({@link Study}). Every
 * cell runs the launcher's own {@code train} and {@code segment} in a process of its own, so a cell
 * that fails or runs out of memory does not take the study with it, and cells can run side by side
 * with their share of the threads.
 */
final class StudyCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "study --data DATASET --out DIR --arm NAME=\"train options\" [--arm ...] --fractions 0.1,0.2 --seeds 0,1,2,3,4 " +
			"--steps N [--folds K] [--reference NAME] [--train \"options for every arm\"] [--withheld unlabeled|drop] [--parallel 1]";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Map<String, List<String>> arms = new LinkedHashMap<>();
		final List<String> rest = new ArrayList<>();
		for (int i = 0; i < argv.size(); i++) {
			final String s = argv.get(i);
			final String value;
			if (s.equals("--arm")) {
				if (i + 1 >= argv.size()) throw new Args.UsageException("option --arm needs a value NAME=\"train options\"");
				value = argv.get(++i);
			}
			else if (s.startsWith("--arm=")) value = s.substring(6);
			else {
				rest.add(s);
				continue;
			}
			final int eq = value.indexOf('=');
			final String name = (eq < 0 ? value : value.substring(0, eq)).trim();
			if (name.isEmpty()) throw new Args.UsageException("--arm '" + value + "' has no name: use NAME=\"train options\"");
			if (arms.put(name, words(eq < 0 ? "" : value.substring(eq + 1))) != null) throw new Args.UsageException("arm '" + name +
				"' is given twice");
		}
		final Args a = new Args(rest, Set.of());
		final Path data = a.path("data"), dir = a.path("out");
		final List<Double> fractions = new ArrayList<>();
		for (final String f : a.require("fractions").split(",")) fractions.add(number("--fractions", f));
		final List<Long> seeds = new ArrayList<>();
		for (final String s : a.require("seeds").split(",")) seeds.add((long) number("--seeds", s));
		final long steps = a.getLong("steps", 0);
		if (steps < 1) throw new Args.UsageException("--steps N (steps per cell, at least 1) is required");
		final List<String> common = words(a.get("train", ""));
		final StudyDesign design;
		try {
			final String withheld = a.get("withheld", "unlabeled").trim();
			if (!withheld.equals("unlabeled") && !withheld.equals("drop")) throw new Args.UsageException("--withheld '" + withheld +
				"': use unlabeled (the withheld training cases join the unlabeled pool) or drop");
			design = new StudyDesign(data, dir, arms, common, fractions, seeds, steps, a.getInt("folds", 0), a.get("reference", null), a
				.getInt("parallel", 1), withheld.equals("drop"));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		a.checkAllUsed();
		for (final String arm : arms.keySet()) {
			try {
				TrainCommand.check(design.trainOptions(arm));
			}
			catch (final Args.UsageException e) {
				throw new Args.UsageException("arm " + arm + ": " + e.getMessage());
			}
		}
		final TerminalProgress progress = new TerminalProgress(System.err);
		final Study.Outcome o = Study.run(design, new ProcessRunner(), progress);
		out.println(Study.describe(o));
		for (final String f : o.failed()) out.println("failed: " + f);
		out.println("results " + o.results() + ", report " + o.report());
		for (final StudyReport.Comparison c : o.comparisons()) {
			if (!c.level().equals("seed, case")) continue;
			out.printf(java.util.Locale.ROOT, "%s − %s at %s labels: %+.3f Dice [%+.3f, %+.3f], Wilcoxon p %.3g (%d seed × case pairs)%n", c
				.arm(), design.reference(), StudyDesign.percent(c.fraction()), c.meanDifference(), c.low(), c.high(), c.wilcoxonP(), c.pairs());
		}
		if (!o.failed().isEmpty()) throw new IllegalStateException(o.failed().size() + " cell(s) failed; rerun the same command to retry them");
	}

	private static double number(final String what, final String v) {
		try {
			return Double.parseDouble(v.trim());
		}
		catch (final NumberFormatException e) {
			throw new Args.UsageException(what + " needs comma-separated numbers, got '" + v + "'");
		}
	}

	/** Splits options at white space; single or double quotes keep a value with spaces together. */
	static List<String> words(final String s) {
		final List<String> w = new ArrayList<>();
		final StringBuilder b = new StringBuilder();
		char quote = 0;
		boolean any = false;
		for (int i = 0; i < s.length(); i++) {
			final char c = s.charAt(i);
			if (quote != 0) {
				if (c == quote) quote = 0;
				else b.append(c);
			}
			else if (c == '"' || c == '\'') {
				quote = c;
				any = true;
			}
			else if (Character.isWhitespace(c)) {
				if (any || b.length() > 0) w.add(b.toString());
				b.setLength(0);
				any = false;
			}
			else b.append(c);
		}
		if (quote != 0) throw new Args.UsageException("unbalanced quote in '" + s + "'");
		if (any || b.length() > 0) w.add(b.toString());
		return w;
	}

	/** Runs {@code train} and {@code segment} of this launcher in a new JVM with the same class path and settings. */
	static final class ProcessRunner implements Study.CellRunner {

		@Override
		public void train(final List<String> options, final int threads, final Path log) throws Exception {
			final List<String> cmd = new ArrayList<>(List.of("train"));
			cmd.addAll(options);
			launch(cmd, threads, log);
		}

		@Override
		public void segment(final Path model, final Path images, final Path predictions, final int threads, final Path log)
			throws Exception
		{
			launch(List.of("segment", "--model", model.toString(), "--in", images.toString(), "--out", predictions.toString()), threads, log);
		}

		private static void launch(final List<String> args, final int threads, final Path log) throws IOException, InterruptedException {
			final List<String> cmd = new ArrayList<>();
			cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
			cmd.add("-Xmx" + Math.max(64, Runtime.getRuntime().maxMemory() >> 20) + "m");
			for (final String k : System.getProperties().stringPropertyNames()) {
				if ((k.startsWith("voxelseg.") || k.startsWith("ai.djl.") || k.equals("java.awt.headless") || k.equals("ENGINE_CACHE_DIR")) &&
					!k.equals("voxelseg.threads") && !k.startsWith("ai.djl.pytorch.num_")) cmd.add("-D" + k + "=" + System.getProperty(k));
			}
			cmd.add("-Dvoxelseg.threads=" + threads);
			cmd.add("-D" + Main.EXIT_WITH_PARENT + "=true");
			cmd.add("-cp");
			cmd.add(System.getProperty("java.class.path"));
			cmd.add(Main.class.getName());
			cmd.addAll(args);
			Files.createDirectories(log.getParent());
			final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
			try {
				final int code = p.waitFor();
				if (code != 0) throw new IOException(args.get(0) + " exited with " + code + ": " + lastError(log) + " (log " + log + ")");
			}
			finally {
				p.destroyForcibly();
			}
		}

		private static String lastError(final Path log) throws IOException {
			final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
			for (int i = lines.size() - 1; i >= 0; i--) if (lines.get(i).startsWith("voxelseg: error:")) return lines.get(i).substring(16).trim();
			return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
		}
	}
}
