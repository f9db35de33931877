package sc.fiji.voxelseg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The core serves Fiji menus, macros, scripts and the headless launcher alike: no source file
 * outside the Fiji faces ({@code fiji}, {@code command}) and the launcher ({@code cli}) may name
 * ImageJ ({@code ij.}), SciJava or Swing, checked on the source text itself.
 */
class CoreSourcesTest {

	private static final Pattern FORBIDDEN = Pattern.compile("\\b(ij|org\\.scijava|javax\\.swing)\\.[A-Za-z]");
	private static final Set<String> FACES = Set.of("fiji", "command", "cli");

	@Test
	void coreSourcesNameNoImageJSciJavaOrSwing() throws Exception {
		final Path root = Paths.get("src", "main", "java", "sc", "fiji", "voxelseg");
		final List<String> found = new ArrayList<>();
		int files = 0;
		try (Stream<Path> s = Files.walk(root)) {
			for (final Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
				final Path rel = root.relativize(p);
				if (rel.getNameCount() > 1 && FACES.contains(rel.getName(0).toString())) continue;
				files++;
				final Matcher m = FORBIDDEN.matcher(Files.readString(p, StandardCharsets.UTF_8));
				while (m.find()) found.add(rel + ": " + m.group());
			}
		}
		assertTrue(files >= 100, files + " core source files");
		assertEquals(List.of(), found);
	}

	/** The launcher ({@code cli}) names neither ImageJ nor SciJava: {@code --run} reaches the Fiji face by name. */
	@Test
	void launcherNamesNoImageJOrSciJava() throws Exception {
		final Path cli = Paths.get("src", "main", "java", "sc", "fiji", "voxelseg", "cli");
		final List<String> found = new ArrayList<>();
		int files = 0;
		try (Stream<Path> s = Files.list(cli)) {
			for (final Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
				files++;
				final Matcher m = FORBIDDEN.matcher(Files.readString(p, StandardCharsets.UTF_8));
				while (m.find()) found.add(p.getFileName() + ": " + m.group());
			}
		}
		assertTrue(files >= 10, files + " launcher source files");
		assertEquals(List.of(), found);
	}
}
