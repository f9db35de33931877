package sc.fiji.voxelseg.spark;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.EvaluationReport;
import sc.fiji.voxelseg.metrics.MetricSummary;

/**
 * {@code voxelseg segment --spark MASTER ...}: cohort segmentation on Spark ({@link CohortJob}),
 * started by the launcher ({@code local[N]}, the default, runs inside it) or by
 * {@code spark-submit --class sc.fiji.voxelseg.spark.SparkCohort} on a cluster. Writes the label
 * maps, then under {@code OUT/_voxelseg/}: the per-case table as Parquet and CSV, and with
 * {@code --truth} the per-class metrics as Parquet and CSV and {@code evaluate}'s report.
 */
public final class SparkCohort {

	public static final String USAGE = "segment --spark local[N]|spark://HOST:PORT|yarn --model BUNDLE|MODEL.onnx|PACKAGE.zip --in DIR|FILE|URI " +
		"[--in ...] --out DIR|URI [--truth DIR] [--mode auto|whole|sliding] [--overlap 0.5] [--mirror] [--largest-component] " +
		"[--engine torch|onnxruntime] [--task-cpus 1] [--overwrite]";

	private SparkCohort() {}

	public static void main(final String[] args) throws Exception {
		System.exit(run(List.of(args), System.out, System.err));
	}

	/** Runs the job; returns the exit code (1 when a case failed, 2 for a usage error). */
	public static int run(final List<String> argv, final PrintStream out, final PrintStream err) throws Exception {
		final Map<String, List<String>> a = new HashMap<>();
		final List<String> flags = List.of("mirror", "largest-component", "overwrite", "no-intensity-check");
		for (int i = 0; i < argv.size(); i++) {
			final String k = argv.get(i);
			if (!k.startsWith("--")) return usage(err, "unexpected argument '" + k + "'");
			final String key = k.substring(2);
			if (flags.contains(key)) a.computeIfAbsent(key, x -> new ArrayList<>()).add("true");
			else if (i + 1 < argv.size()) a.computeIfAbsent(key, x -> new ArrayList<>()).add(argv.get(++i));
			else return usage(err, "--" + key + " needs a value");
		}
		for (final String k : a.keySet()) {
			if (!List.of("spark", "model", "in", "out", "truth", "mode", "overlap", "engine", "task-cpus", "device").contains(k) && !flags.contains(k)) {
				return usage(err, "unknown option --" + k);
			}
		}
		if (!a.containsKey("model") || !a.containsKey("in") || !a.containsKey("out")) return usage(err, "--model, --in and --out are required");
		final String model = a.get("model").get(0);
		if (!Files.exists(Path.of(model))) return usage(err, "--model " + model + " does not exist");
		final PredictOptions po;
		final Predictor.Engine engine;
		try {
			po = PredictOptions.defaults().withMode(PredictOptions.Mode.parse(one(a, "mode", "auto"))).withOverlap(Double.parseDouble(one(a,
				"overlap", "0.5"))).withMirror(a.containsKey("mirror")).withLargestComponent(a.containsKey("largest-component"))
				.withCheckIntensities(!a.containsKey("no-intensity-check"));
			engine = Predictor.Engine.parse(one(a, "engine", "torch"));
		}
		catch (final IllegalArgumentException e) {
			return usage(err, e.getMessage());
		}
		final String master = one(a, "spark", "local[*]"), outDir = a.get("out").get(0), truth = one(a, "truth", null);
		final CohortJob.Options o = new CohortJob.Options(Path.of(model).toAbsolutePath().toString(), a.get("in"), outDir, truth, po, a
			.containsKey("overwrite"), engine);
		final SparkSession.Builder b = SparkSession.builder().appName("VoxelSeg segment").config("spark.task.cpus", one(a, "task-cpus", "1"))
			.config("spark.ui.enabled", "false");
		if (master.startsWith("local")) b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
		if (!master.isEmpty() && !master.equals("submit")) b.master(master);
		try (SparkSession spark = b.getOrCreate()) {
			spark.sparkContext().setLogLevel("WARN");
			final long t0 = System.nanoTime();
			final List<CohortJob.CaseResult> results = CohortJob.run(spark, o);
			final double seconds = (System.nanoTime() - t0) / 1e9;
			final String meta = outDir.replaceAll("/+$", "") + "/_voxelseg";
			CohortJob.table(spark, results).write().mode(SaveMode.Overwrite).parquet(meta + "/cases.parquet");
			CohortJob.table(spark, results).coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true").csv(meta + "/cases.csv");
			int done = 0, skipped = 0;
			final List<String> failed = new ArrayList<>();
			final List<CaseMetrics> metrics = new ArrayList<>();
			for (final CohortJob.CaseResult r : results) {
				switch (r.status()) {
					case "done" -> done++;
					case "skipped" -> skipped++;
					default -> {
						failed.add(r.caseId());
						err.println("voxelseg: error: " + r.error());
					}
				}
				if (r.metrics() != null) metrics.add(r.metrics());
			}
			out.printf(Locale.ROOT, "segmented %d, skipped %d already done, failed %d on %s in %.1f s; tables in %s%n", done, skipped, failed.size(),
				master, seconds, meta);
			if (truth != null && !metrics.isEmpty()) {
				CohortJob.metricsTable(spark, results).write().mode(SaveMode.Overwrite).parquet(meta + "/metrics.parquet");
				CohortJob.metricsTable(spark, results).coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true").csv(meta + "/metrics.csv");
				if (!meta.contains("://") || meta.startsWith("file:")) {
					final MetricSummary s = EvaluationReport.write(Path.of(meta.replaceFirst("^file:", ""), "evaluation"), metrics);
					out.print(EvaluationReport.text(s));
				}
			}
			return failed.isEmpty() ? 0 : 1;
		}
	}

	private static String one(final Map<String, List<String>> a, final String k, final String dflt) {
		final List<String> v = a.get(k);
		return v == null ? dflt : v.get(v.size() - 1);
	}

	private static int usage(final PrintStream err, final String why) {
		err.println("voxelseg: error: " + why);
		err.println("usage: voxelseg " + USAGE);
		return 2;
	}
}
