package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ij.ImagePlus;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.console.ConsoleArgument;
import org.scijava.console.ConsoleService;
import org.scijava.module.Module;

/**
 * The README's Fiji examples, run as written: every {@code run("Title", "options");} line of its
 * macro block, in order, and every {@code ImageJ-linux64 --headless --run ...} line. Only the
 * {@code /data/...} paths change, to files of the same names in a temporary folder: a phantom CT
 * for the volume the macro opens, a small model bundle and a folder of small CTs for the headless
 * lines.
 * <p>
 * The macro lines run through {@link CommandRunner} (ImageJ's option syntax: keys, spaces or
 * commas, values in square brackets) with ImageJ's batch mode on, and image inputs are found by
 * title with {@code WindowManager.getImage}, so each line must name the image the line before it
 * made. The headless lines go, split into words as a shell would, to SciJava's
 * {@link ConsoleService} in a context holding VoxelSeg's commands, and then the startup operations
 * run: the console-argument handlers that take {@code --run TITLE OPTIONS} when Fiji's launcher
 * passes them on to ImageJ2 (a command found by its exact title, the options parsed by SciJava's
 * {@code ParseService}, strings in quotes), and what ImageJ2 does once it has started.
 * <p>
 * Not covered: a real Fiji (none runs here); imagej-legacy (not on Maven Central), whose macro
 * interpreter parses the macro's options and whose converters find images by title, here stood in
 * for by {@code CommandRunner} and the title lookup; a legacy-mode launcher, which turns
 * {@code --run} into an ImageJ 1.x macro call instead; the launcher process itself (its
 * {@code --headless} switch is passed to the console service, and no JVM exits here); another
 * SciJava version than this build's, as an installed Fiji may hold. The values
 * SciJava remembers for a command the headless lines run are cleared before and after it.
 */
class ReadmeExamplesTest {

	/** The README, or another copy of it to check ({@code -Dvoxelseg.readme=FILE}). */
	static final Path README = Path.of(System.getProperty("voxelseg.readme", "README.md"));

	/** A macro line: {@code run("Title", "options");} with no quote inside either string. */
	static final Pattern MACRO_RUN = Pattern.compile("run\\(\"([^\"]+)\",\\s*\"([^\"]*)\"\\);");

	static Context context;
	static CommandRunner runner;

	@TempDir
	Path tmp;

	@BeforeAll
	static void start() {
		context = new Context();
		runner = new CommandRunner(context, (v, t) -> t == ImagePlus.class ? ij.WindowManager.getImage(v) : null);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	/** The lines of the README's fenced blocks of a language, in order (blank lines and {@code //} comments left out). */
	static List<String> blockLines(final String language) throws Exception {
		final List<String> out = new ArrayList<>();
		boolean in = false;
		for (final String line : Files.readAllLines(README, StandardCharsets.UTF_8)) {
			if (line.startsWith("```")) {
				in = !in && line.substring(3).trim().equals(language);
				continue;
			}
			if (in && !line.isBlank() && !line.trim().startsWith("//")) out.add(line.trim());
		}
		return out;
	}

	/** The line with every {@code /data/} path moved under {@code root}; nothing else changes. */
	static String mapped(final String line, final Path root) {
		final String r = root.toString();
		assertFalse(r.contains(" ") || r.contains(","), "a temporary folder a macro value can hold: " + r);
		return line.replace("/data/", r + "/data/");
	}

	/** The {@code /data/...} paths in a line. */
	static List<String> dataPaths(final String line) {
		final List<String> out = new ArrayList<>();
		final Matcher m = Pattern.compile("/data/[^\\s,\\]\"]+").matcher(line);
		while (m.find()) out.add(m.group());
		return out;
	}

	@Test
	void macroExampleRunsAsWritten() throws Exception {
		final List<String> lines = blockLines("javascript");
		assertFalse(lines.isEmpty(), "the README has a macro example");
		// the volumes the macro opens, as phantom CTs under the same names
		final Path cohort = tmp.resolve("cohort");
		runner.run(runner.find("Generate Phantom Cohort"), CommandRunner.parse("output_dir=[" + cohort + "],cases=1,seed=1,grid=32"));
		final Path phantom = sc.fiji.voxelseg.io.TrainingDataset.read(cohort).cases().get(0).image();
		for (final String line : lines) {
			for (final String p : dataPaths(line)) {
				final Path target = tmp.resolve(p.substring(1));
				if (Files.exists(target)) continue;
				assertTrue(p.endsWith(".nii.gz"), "a /data/ path the macro test can stand in for: " + p);
				Files.createDirectories(target.getParent());
				Files.copy(phantom, target);
			}
		}
		final List<ImagePlus> made = new ArrayList<>();
		ij.macro.Interpreter.batchMode = true;
		try {
			ImagePlus last = null;
			for (final String line : lines) {
				final Matcher m = MACRO_RUN.matcher(line);
				assertTrue(m.matches(), "a macro line of the form run(\"Title\", \"options\"); : " + line);
				final org.scijava.command.CommandInfo info = runner.find(m.group(1));
				final Map<String, String> options = CommandRunner.parse(mapped(m.group(2), tmp));
				// an image input names an image open by then (ImageJ would otherwise take the value for a file to open)
				for (final org.scijava.module.ModuleItem<?> item : info.inputs())
					if (item.getType() == ImagePlus.class && options.containsKey(item.getName())) assertNotNull(ij.WindowManager.getImage(
						options.get(item.getName())), line + ": no open image is titled " + options.get(item.getName()));
				final Module module = runner.run(info, options);
				for (final Map.Entry<String, Object> o : module.getOutputs().entrySet()) {
					if (!(o.getValue() instanceof ImagePlus imp)) continue;
					made.add(imp);
					// the next line finds it by its title
					assertSame(imp, ij.WindowManager.getImage(imp.getTitle()), line + ": output " + o.getKey() + " found by its title");
					last = imp;
				}
			}
			assertNotNull(last, "the macro makes an image");
			// the last line's resampling target, read from the line itself
			final Matcher shape = Pattern.compile("target=shape x=(\\d+) y=(\\d+) z=(\\d+)").matcher(lines.get(lines.size() - 1));
			if (shape.find()) {
				assertEquals(Integer.parseInt(shape.group(1)), last.getWidth());
				assertEquals(Integer.parseInt(shape.group(2)), last.getHeight());
				assertEquals(Integer.parseInt(shape.group(3)), last.getStackSize());
			}
		}
		finally {
			ij.macro.Interpreter.batchMode = false;
			ij.WindowManager.setTempCurrentImage(null);
			for (final ImagePlus imp : made) ij.macro.Interpreter.removeBatchModeImage(imp);
		}
	}

	/** The words of a shell command line: whitespace-separated, with double- or single-quoted parts. */
	static List<String> words(final String line) {
		final List<String> out = new ArrayList<>();
		final StringBuilder w = new StringBuilder();
		boolean any = false;
		char quote = 0;
		for (final char c : line.toCharArray()) {
			if (quote != 0) {
				if (c == quote) quote = 0;
				else w.append(c);
			}
			else if (c == '"' || c == '\'') {
				quote = c;
				any = true;
			}
			else if (Character.isWhitespace(c)) {
				if (any) out.add(w.toString());
				w.setLength(0);
				any = false;
			}
			else {
				w.append(c);
				any = true;
			}
		}
		assertEquals(0, quote, "closed quotes: " + line);
		if (any) out.add(w.toString());
		return out;
	}

	@Test
	void headlessExamplesRunAsWritten() throws Exception {
		final List<String> lines = blockLines("bash").stream().filter(l -> l.startsWith("ImageJ-linux64")).toList();
		assertFalse(lines.isEmpty(), "the README has headless Fiji examples");
		final Path data = Files.createDirectories(tmp.resolve("data"));
		final ConsoleService console = context.service(ConsoleService.class);
		for (final String line : lines) {
			final List<String> args = words(mapped(line, tmp));
			args.remove(0);
			assertTrue(args.contains("--headless"), "headless: " + line);
			final int run = args.indexOf("--run");
			assertTrue(run >= 0 && args.size() == run + 3, "--run TITLE OPTIONS: " + line);
			// the options as Fiji's --run reads them
			final Map<String, String> options = new java.util.LinkedHashMap<>();
			try {
				final org.scijava.parse.Items items = context.service(org.scijava.parse.ParseService.class).parse(args.get(run + 2));
				assertTrue(items.isMap(), "key=value options: " + line);
				items.asMap().forEach((k, v) -> options.put(k, String.valueOf(v)));
			}
			catch (final IllegalArgumentException e) {
				fail("Fiji's --run cannot parse the options of " + line + ": " + e.getMessage());
			}
			// the inputs the line names, made under their names
			for (final Map.Entry<String, String> o : options.entrySet()) {
				if (!o.getValue().startsWith(data.toString())) continue;
				final Path p = Path.of(o.getValue());
				switch (o.getKey()) {
					case "model" -> {
						if (!Files.exists(p)) sc.fiji.voxelseg.cli.SegmentCascadeTest.coarse(p);
					}
					case "input" -> {
						if (p.getFileName().toString().endsWith(".nii.gz")) sc.fiji.voxelseg.cli.SegmentCascadeTest.ct(p, 1);
						else {
							Files.createDirectories(p);
							sc.fiji.voxelseg.cli.SegmentCascadeTest.ct(p.resolve("a_0000.nii.gz"), 1);
							sc.fiji.voxelseg.cli.SegmentCascadeTest.ct(p.resolve("b_0000.nii.gz"), 2);
						}
					}
					case "output" -> assertFalse(Files.exists(p), "a fresh output: " + p);
					default -> fail("a /data/ path the test cannot stand in for, " + o.getKey() + "=" + o.getValue() + ": " + line);
				}
			}
			// Fiji's console handlers must take this --run (an unknown title is otherwise ignored, and nothing runs)
			final LinkedList<String> fromRun = new LinkedList<>(args.subList(run, args.size()));
			final ConsoleArgument handler = console.getHandler(fromRun);
			assertNotNull(handler, "a console argument takes " + fromRun + " (the title must be a command's exact title)");
			// SciJava remembers the inputs of a command it runs: none from elsewhere are to fill the line's gaps, and none stay
			final Class<?> command = runner.find(args.get(run + 1)).loadClass();
			final org.scijava.prefs.PrefService prefs = context.service(org.scijava.prefs.PrefService.class);
			prefs.clear(command);
			try {
				console.processArgs(args.toArray(String[]::new));
				// ImageJ2 runs what --run asked for once it has started
				context.service(org.scijava.startup.StartupService.class).executeOperations();
			}
			finally {
				prefs.clear(command);
			}
			// what it wrote
			final Path out = Path.of(options.get("output"));
			assertTrue(Files.exists(out), line + " wrote " + out);
			if (line.contains("bioimage.io package")) assertTrue(sc.fiji.voxelseg.model.BioImageIo.isPackage(out), "a bioimage.io package: " + out);
			final String input = options.get("input");
			if (input != null && Files.isDirectory(Path.of(input))) {
				try (var files = Files.list(Path.of(input))) {
					for (final Path f : files.toList()) {
						final String label = Commands.baseName(f).replaceAll("_0000$", "") + ".nii.gz";
						assertTrue(Files.exists(out.resolve(label)), line + ": label map " + label + " in " + out);
					}
				}
			}
		}
	}
}
