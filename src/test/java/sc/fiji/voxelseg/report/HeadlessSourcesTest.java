package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The charts must run headless in the core: no source file of this package may name AWT, Swing,
 * javax.imageio, ImageJ ({@code ij.}) or SciJava, checked on the source text itself.
 */
class HeadlessSourcesTest {

	private static final Pattern FORBIDDEN = Pattern.compile(
		"\\b(java\\.awt|javax\\.swing|javax\\.imageio|ij|org\\.scijava)\\.[A-Za-z]");

	@Test
	void reportSourcesNameNoDesktopOrImageJPackage() throws Exception {
		final Path dir = Paths.get("src", "main", "java", "sc", "fiji", "voxelseg", "report");
		final List<String> found = new ArrayList<>();
		int files = 0;
		try (Stream<Path> s = Files.list(dir)) {
			for (final Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
				files++;
				final Matcher m = FORBIDDEN.matcher(Files.readString(p, StandardCharsets.UTF_8));
				while (m.find())
					found.add(p.getFileName() + ": " + m.group());
			}
		}
		assertTrue(files >= 8, files + " source files");
		assertEquals(List.of(), found);
	}
}
