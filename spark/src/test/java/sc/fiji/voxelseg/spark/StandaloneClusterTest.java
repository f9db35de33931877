package sc.fiji.voxelseg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.cli.SegmentCascadeTest;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;

/**
 * The cohort job on a real Spark standalone cluster: a master and two one-core workers started on
 * loopback by {@code spark/scripts/standalone.sh}, each its own JVM, whose executors are further
 * JVMs. What local mode hides shows here: the job's closures and results cross JVMs serialised, the
 * executors find VoxelSeg's classes and load libtorch themselves, and an executor whose JVM halts
 * midway (after its partial output is in the folder) is replaced and its task retried. The oracle
 * is local mode's label maps, which must be identical; at least two executors must have taken
 * cases, and no partial file may be left.
 */
class StandaloneClusterTest {

	@TempDir
	Path tmp;

	@Test
	void aTwoWorkerClusterSegmentsTheCohortAsLocalModeDoes() throws Exception {
		final Path model = SegmentCascadeTest.coarse(tmp.resolve("model.zip"));
		final Path in = CohortJobTest.cohort(tmp.resolve("images"), 6);
		final Path local = tmp.resolve("local");
		assertEquals(0, CohortJobTest.spark("--spark", "local[1]", "--model", model.toString(), "--in", in.toString(), "--out", local.toString())
			.code());
		final int port;
		try (ServerSocket s = new ServerSocket(0)) {
			port = s.getLocalPort();
		}
		final Path cluster = tmp.resolve("cluster"), script = Path.of("scripts", "standalone.sh").toAbsolutePath();
		final String cp = System.getProperty("java.class.path");
		final ProcessBuilder start = new ProcessBuilder("bash", script.toString(), "start", cluster.toString(), Integer.toString(port), "2");
		start.environment().put("SPARK_CP", cp);
		final Process p = start.redirectErrorStream(true).start();
		final String master = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		assertTrue(p.waitFor(90, TimeUnit.SECONDS));
		final Set<String> keys = Set.of("spark.driver.host", "spark.driver.bindAddress", "spark.executor.extraClassPath",
			"spark.executor.extraJavaOptions", "spark.executor.memory", "spark.cores.max");
		try {
			assertEquals(0, p.exitValue(), master);
			System.setProperty("spark.driver.host", "127.0.0.1");
			System.setProperty("spark.driver.bindAddress", "127.0.0.1");
			System.setProperty("spark.executor.extraClassPath", cp);
			// the executor that runs case_003's first attempt halts before renaming its output: an executor lost midway
			System.setProperty("spark.executor.extraJavaOptions", String.join(" ", opens()) + " -Dvoxelseg.threads=1 -D" + FaultInjection.HALT +
				"=case_003");
			System.setProperty("spark.executor.memory", "1g");
			System.setProperty("spark.cores.max", "2");
			final Path out = tmp.resolve("cluster-out");
			final ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
			final int code = SparkCohort.run(List.of("--spark", master, "--model", model.toString(), "--in", in.toString(), "--out", out.toString()),
				new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
			assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
			assertTrue(o.toString(StandardCharsets.UTF_8).contains("segmented 6, skipped 0 already done, failed 0"), o.toString(
				StandardCharsets.UTF_8));
			for (int i = 0; i < 6; i++) {
				final String name = String.format("case_%03d.nii.gz", i);
				assertArrayEquals(Voxels.floats(NiftiIO.read(local.resolve(name)).image()), Voxels.floats(NiftiIO.read(out.resolve(name))
					.image()), name);
			}
			for (final String k : keys) System.clearProperty(k);
			assertEquals(List.of(), CohortJobTest.files(out, "*.part"), "no partial file");
			try (SparkSession s = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate()) {
				final Set<String> executors = new HashSet<>();
				for (final Row r : s.read().parquet(out.resolve("_voxelseg/cases.parquet").toString()).collectAsList()) {
					executors.add(r.getString(5));
					assertEquals(r.getString(0).equals("case_003") ? 1 : 0, r.getInt(4), "attempt of " + r.getString(0));
				}
				assertTrue(executors.size() >= 2, "cases ran on " + executors);
				assertTrue(!executors.contains("driver"), executors.toString());
			}
		}
		finally {
			for (final String k : keys) System.clearProperty(k);
			new ProcessBuilder("bash", script.toString(), "stop", cluster.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
		}
		assertTrue(Files.isDirectory(cluster.resolve("work1")));
	}

	/** The JVM opens of the module's pom, which executors need as the driver does. */
	static List<String> opens() throws Exception {
		final String pom = Files.readString(Path.of("pom.xml"));
		final int a = pom.indexOf("<spark.jvm.opens>") + "<spark.jvm.opens>".length(), b = pom.indexOf("</spark.jvm.opens>");
		return List.of(pom.substring(a, b).trim().split("\\s+"));
	}
}
