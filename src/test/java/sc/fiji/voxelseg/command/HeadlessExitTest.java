package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.command.CommandService;

/**
 * A failed command in headless Fiji ends the JVM with exit status 1, because ImageJ itself exits 0
 * (imagej/imagej2#61). Each case is a child JVM that does what headless Fiji does with
 * {@code --run "Segment Files" 'model="..."'} — a SciJava context, the command run through the
 * CommandService — on a model file that does not exist. Not covered: a real Fiji installation
 * and its launcher (none runs here); the launcher is stood in for by the {@code ij.executable}
 * property that the ImageJ launcher and Jaunch both set.
 */
class HeadlessExitTest {

	@TempDir
	Path tmp;

	/** The child JVM: runs Segment Files on a missing model, then says so and returns normally. */
	public static void main(final String[] args) throws Exception {
		try (Context context = new Context()) {
			final Object module = context.service(CommandService.class).run(SegmentFilesCommand.class, false, Map.of("model", new File(
				args[0]), "input", new File(args[1]), "output", new File(args[2]))).get();
			System.out.println("command returned: " + (module != null));
		}
		catch (final Exception e) {
			System.out.println("command threw: " + e);
		}
		System.out.println("JVM still running");
	}

	private record Run(int exit, String out) {}

	private Run child(final String... properties) throws Exception {
		final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
			"-Djava.awt.headless=true", "-Dai.djl.offline=true"));
		cmd.addAll(List.of(properties));
		cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HeadlessExitTest.class.getName(), tmp.resolve("missing.zip")
			.toString(), tmp.toString(), tmp.resolve("out").toString()));
		final Path log = tmp.resolve("child.log");
		final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the child JVM finished");
		return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
	}

	@Test
	void failedCommandExitsWithStatusOneInHeadlessFiji() throws Exception {
		final Run fiji = child("-Dij.executable=/opt/Fiji.app/ImageJ-linux64");
		assertEquals(1, fiji.exit(), fiji.out());
		assertTrue(fiji.out().contains("VoxelSeg: error: ") && fiji.out().contains("missing.zip"), fiji.out());
		assertFalse(fiji.out().contains("JVM still running"), fiji.out());

		// a script that handles failures itself keeps the JVM
		final Run kept = child("-Dij.executable=/opt/Fiji.app/ImageJ-linux64", "-D" + Commands.EXIT_ON_FAILURE + "=false");
		assertEquals(0, kept.exit(), kept.out());
		assertTrue(kept.out().contains("missing.zip") && kept.out().contains("JVM still running"), kept.out());

		// outside Fiji's launcher (pyimagej, the launcher's --run, tests) nothing exits
		final Run plain = child();
		assertEquals(0, plain.exit(), plain.out());
		assertTrue(plain.out().contains("JVM still running"), plain.out());
	}
}
