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
 * outside the Fiji faces ({@code fiji}, {@code command}) may import or name ImageJ ({@code ij.}),
 * SciJava or Swing, checked on the source text itself. The launcher ({@code cli}) is held to it
 * too: {@code --run} reaches the Fiji face by name, so its other subcommands load none of them.
 */
class CoreSourcesTest {

	private static final Pattern FORBIDDEN = Pattern.compile("\\b(ij|org\\.scijava|javax\\.swing)\\.[A-Za-z]\\w*(\\.\\w+)*");
	private static final Set<String> FIJI_FACES = Set.of("fiji", "command");

	@Test
	void coreAndLauncherSourcesNameNoImageJSciJavaOrSwing() throws Exception {
		final Path root = Paths.get("src", "main", "java", "sc", "fiji", "voxelseg");
		final List<String> found = new ArrayList<>();
		int files = 0, launcher = 0;
		try (Stream<Path> s = Files.walk(root)) {
			for (final Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
				final Path rel = root.relativize(p);
				final String pkg = rel.getNameCount() > 1 ? rel.getName(0).toString() : "";
				if (FIJI_FACES.contains(pkg)) continue;
				files++;
				if (pkg.equals("cli")) launcher++;
				final Matcher m = FORBIDDEN.matcher(Files.readString(p, StandardCharsets.UTF_8));
				while (m.find()) found.add(rel + ": " + m.group());
			}
		}
		assertTrue(files >= 150, files + " core and launcher source files");
		assertTrue(launcher >= 15, launcher + " launcher source files");
		assertEquals(List.of(), found);
	}
}
