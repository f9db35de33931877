package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.util.Progress;

/**
 * {@code voxelseg study} through the launcher, with real training in processes of their own: a
 * study killed with SIGKILL during its second cell leaves no cell training and no result row of
 * that cell, and the rerun skips the finished cell and completes the rest. Bad designs fail before
 * any training with a message naming the problem.
 */
class StudyCommandTest {

	@TempDir
	static Path tmp;

	private static Path data;

	@BeforeAll
	static void cohort() throws Exception {
		data = tmp.resolve("data");
		PhantomCohort.write(PhantomConfig.ofGrid(4, 5, 32), 2, data, Progress.NONE);
	}

	private static List<String> args(final Path out) {
		return List.of("study", "--data", data.toString(), "--out", out.toString(), "--arm", "plain=", "--arm", "narrow=--width 2",
			"--fractions", "0.5", "--seeds", "0", "--steps", "60", "--parallel", "1", "--train", "--shape 32,32,16 --width 4 --levels 3 --batch 1");
	}

	private record Run(int code, String out, String err) {}

	private static Run run(final List<String> argv) {
		final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		final int code = Main.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
			StandardCharsets.UTF_8));
		return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	@Test
	void killedStudyResumesWithoutPartialRows() throws Exception {
		final Path out = tmp.resolve("killed");
		final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
			"-Djava.awt.headless=true", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
		cmd.addAll(args(out));
		final Process study = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
		final Path firstDone = out.resolve("cells/plain/f0.5/s0/done.json");
		final Path secondLog = out.resolve("cells/narrow/f0.5/s0/train.log");
		final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
		while (!(Files.exists(firstDone) && Files.exists(secondLog) && Files.size(secondLog) > 0)) {
			assertTrue(study.isAlive(), "the study ended before its second cell trained: " + Files.readString(tmp.resolve("killed.log")));
			assertTrue(System.nanoTime() < deadline, "the second cell did not start training in time");
			Thread.sleep(100);
		}
		final List<ProcessHandle> children = study.descendants().toList();
		study.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
		study.waitFor();
		for (final ProcessHandle c : children) c.onExit().get(30, TimeUnit.SECONDS);
		for (final ProcessHandle c : children) assertFalse(c.isAlive(), "cell process " + c.pid() + " outlived the study");
		assertFalse(Files.exists(out.resolve("cells/narrow/f0.5/s0/done.json")));
		assertFalse(Files.exists(out.resolve("results.csv")), "results are written only from finished cells, at the end");
		final FileTime firstTime = Files.getLastModifiedTime(firstDone);

		final Run again = run(args(out));
		assertEquals(0, again.code(), again.err());
		assertTrue(again.out().contains("2 cells: 1 run, 1 done before, 0 failed"), again.out());
		assertEquals(firstTime, Files.getLastModifiedTime(firstDone), "the finished cell was not run again");
		final List<String> rows = Files.readAllLines(out.resolve("results.csv"));
		assertEquals(1 + 2 * 2 * 8, rows.size(), "2 arms × 2 test cases × 8 organs");
		assertTrue(again.out().contains("narrow − plain at 50 % labels"), again.out());
		assertTrue(Files.exists(out.resolve("report.md")));
		assertTrue(Files.exists(out.resolve("curves_narrow.png")));
	}

	@Test
	void badDesignsFailBeforeTraining() throws Exception {
		final Path out = tmp.resolve("bad");
		final List<String> unknown = new ArrayList<>(args(out));
		unknown.set(unknown.indexOf("narrow=--width 2"), "narrow=--widht 2");
		Run r = run(unknown);
		assertEquals(2, r.code());
		assertTrue(r.err().contains("arm narrow: unknown option --widht"), r.err());
		final List<String> few = new ArrayList<>(args(out));
		few.set(few.indexOf("0.5"), "0.1");
		r = run(few);
		assertEquals(1, r.code());
		assertTrue(r.err().contains("label fraction 0.1 of 4 training cases rounds to no labeled case"), r.err());
		final Path noTest = tmp.resolve("notest");
		PhantomCohort.write(PhantomConfig.ofGrid(2, 6, 32), noTest, Progress.NONE);
		final List<String> missing = new ArrayList<>(args(out));
		missing.set(missing.indexOf(data.toString()), noTest.toString());
		r = run(missing);
		assertEquals(1, r.code());
		assertTrue(r.err().contains("no test set") && r.err().contains("--folds K"), r.err());
		final List<String> reserved = new ArrayList<>(args(out));
		reserved.set(reserved.indexOf("plain="), "plain=--iterations 5");
		r = run(reserved);
		assertEquals(2, r.code());
		assertTrue(r.err().contains("arm plain sets --iterations"), r.err());
		assertFalse(Files.exists(out.resolve("cells")), "nothing trained");
	}

	@Test
	void quotedOptionsStayTogether() {
		assertEquals(List.of("--a", "b c", "--d", ""), sc.fiji.voxelseg.study.StudyDesign.words(" --a 'b c'  --d \"\" "));
	}
}
