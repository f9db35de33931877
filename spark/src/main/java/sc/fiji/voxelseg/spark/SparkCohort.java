package sc.fiji.voxelseg.spark;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.EvaluationReport;
import sc.fiji.voxelseg.metrics.MetricSummary;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * {@code voxelseg segment|preprocess|evaluate --spark MASTER ...}: cohort jobs on Spark
 * ({@link CohortJob}), started by the launcher ({@code local[N]} runs inside it) or by
 * {@code spark-submit --class sc.fiji.voxelseg.spark.SparkCohort} on a cluster ({@code --spark submit}).
 * Writes the label maps or preprocessed images, then under {@code OUT/_voxelseg/} the per-case table
 * as Parquet and CSV, and with ground truth the per-class metrics as Parquet and CSV and
 * {@code evaluate}'s report (the evaluate job: in {@code OUT}, as the single-machine command).
 */
public final class SparkCohort {

	public static final String USAGE = "segment|preprocess|evaluate --spark local[N]|spark://HOST:PORT|submit ...\n" +
		"  segment --model BUNDLE|MODEL.onnx|PACKAGE.zip --in DIR|FILE|URI [--in ...] --out DIR|URI [--truth DIR] [--mode auto|whole|sliding] " +
		"[--overlap 0.5] [--mirror] [--largest-component] [--engine torch|onnxruntime] [--task-cpus 1] [--overwrite]\n" +
		"  preprocess --in DIR|FILE|URI --out DIR|URI [--plan plan.json | --preset abdomen-ct-128|ct-body-2mm|mri-1.5mm] [--overwrite]\n" +
		"  evaluate --pred DIR --truth DIR --out DIR";

	private static final List<String> FLAGS = List.of("mirror", "largest-component", "overwrite", "no-intensity-check");
	private static final Map<String, List<String>> OPTIONS = Map.of(
		"segment", List.of("spark", "model", "in", "out", "truth", "mode", "overlap", "engine", "task-cpus", "device"),
		"preprocess", List.of("spark", "in", "out", "plan", "preset", "task-cpus"),
		"evaluate", List.of("spark", "pred", "truth", "out", "task-cpus"));

	private SparkCohort() {}

	/** {@code spark-submit} entry: the command, then its options. */
	public static void main(final String[] args) throws Exception {
		if (args.length == 0) System.exit(usage(System.err, "give segment, preprocess or evaluate"));
		System.exit(run(args[0], List.of(args).subList(1, args.length), System.out, System.err));
	}

	/** {@link #run(String, List, PrintStream, PrintStream)} for segment. */
	public static int run(final List<String> argv, final PrintStream out, final PrintStream err) throws Exception {
		return run("segment", argv, out, err);
	}

	/** Runs a cohort job; returns the exit code (1 when a case failed, 2 for a usage error). */
	public static int run(final String command, final List<String> argv, final PrintStream out, final PrintStream err) throws Exception {
		if (!OPTIONS.containsKey(command)) return usage(err, "no Spark job for '" + command + "' (segment, preprocess, evaluate)");
		final Map<String, List<String>> a = new HashMap<>();
		for (int i = 0; i < argv.size(); i++) {
			final String k = argv.get(i);
			if (!k.startsWith("--")) return usage(err, "unexpected argument '" + k + "'");
			final String key = k.substring(2);
			if (FLAGS.contains(key)) a.computeIfAbsent(key, x -> new ArrayList<>()).add("true");
			else if (i + 1 < argv.size()) a.computeIfAbsent(key, x -> new ArrayList<>()).add(argv.get(++i));
			else return usage(err, "--" + key + " needs a value");
		}
		for (final String k : a.keySet()) {
			if (!OPTIONS.get(command).contains(k) && !(command.equals("segment") && FLAGS.contains(k)) && !k.equals("overwrite")) {
				return usage(err, "unknown option --" + k + " for " + command);
			}
		}
		final String master = one(a, "spark", "local[*]"), truth = one(a, "truth", null);
		final String device = one(a, "device", "cpu");
		if (!device.equals("cpu") && !device.equals("auto")) return usage(err, "--device " + device + ": Spark executors run on the CPU here");
		final boolean evaluate = command.equals("evaluate");
		final List<String> required = evaluate ? List.of("pred", "truth", "out") : command.equals("segment") ? List.of("model", "in", "out")
			: List.of("in", "out");
		for (final String r : required) if (!a.containsKey(r)) return usage(err, "--" + String.join(", --", required) + " are required");
		final String outDir = a.get("out").get(0);
		// speculation off: a case's tasks never run at once, so a retry may remove what a dead attempt left
		final SparkSession.Builder b = SparkSession.builder().appName("VoxelSeg " + command).config("spark.task.cpus", one(a, "task-cpus", "1"))
			.config("spark.ui.enabled", "false").config("spark.speculation", "false");
		if (master.startsWith("local")) b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
		if (!master.isEmpty() && !master.equals("submit")) b.master(master);
		// checked before Spark starts
		final PreprocessingPlan plan;
		final PredictOptions po;
		final Predictor.Engine engine;
		try {
			if (command.equals("segment") && !Files.exists(Path.of(one(a, "model", "")))) return usage(err, "--model " + one(a, "model", "") +
				" does not exist");
			plan = command.equals("preprocess") ? plan(a) : null;
			po = PredictOptions.defaults().withMode(PredictOptions.Mode.parse(one(a, "mode", "auto"))).withOverlap(Double.parseDouble(one(a,
				"overlap", "0.5"))).withMirror(a.containsKey("mirror")).withLargestComponent(a.containsKey("largest-component"))
				.withCheckIntensities(!a.containsKey("no-intensity-check"));
			engine = Predictor.Engine.parse(one(a, "engine", "torch"));
		}
		catch (final IllegalArgumentException | java.io.IOException e) {
			return usage(err, e.getMessage());
		}
		try (SparkSession spark = b.getOrCreate()) {
			spark.sparkContext().setLogLevel("WARN");
			final JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
			final int threads = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
			final CohortJob.CaseWork work = switch (command) {
				case "segment" -> CohortJob.Segment.of(sc, Path.of(one(a, "model", "")), po, engine, threads);
				case "preprocess" -> new CohortJob.Preprocess(plan.toJson());
				default -> null;
			};
			final CohortJob.Options o = new CohortJob.Options(work, evaluate ? a.get("pred") : a.get("in"), outDir, truth, a.containsKey("overwrite"));
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
					case "done", "evaluated" -> done++;
					case "skipped" -> skipped++;
					default -> {
						failed.add(r.caseId());
						err.println("voxelseg: error: " + r.error());
					}
				}
				if (r.metrics() != null) metrics.add(r.metrics());
			}
			final String verb = switch (command) {
				case "segment" -> "segmented";
				case "preprocess" -> "preprocessed";
				default -> "evaluated";
			};
			out.printf(Locale.ROOT, "%s %d, skipped %d already done, failed %d on %s in %.1f s; tables in %s%n", verb, done, skipped, failed.size(),
				master, seconds, meta);
			if (truth != null && !metrics.isEmpty()) {
				CohortJob.metricsTable(spark, results).write().mode(SaveMode.Overwrite).parquet(meta + "/metrics.parquet");
				CohortJob.metricsTable(spark, results).coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true").csv(meta + "/metrics.csv");
				if (!meta.contains("://") || meta.startsWith("file:")) {
					// evaluate's report: in OUT itself for the evaluate job, as the single-machine command writes it
					final Path dir = Path.of(meta.replaceFirst("^file:", ""));
					final MetricSummary s = EvaluationReport.write(evaluate ? dir.getParent() : dir.resolve("evaluation"), metrics);
					out.print(EvaluationReport.text(s));
				}
			}
			return failed.isEmpty() ? 0 : 1;
		}
	}

	/** The preprocessing plan of {@code --plan} or {@code --preset} (default abdomen-ct-128). */
	private static PreprocessingPlan plan(final Map<String, List<String>> a) throws java.io.IOException {
		final String file = one(a, "plan", null), preset = one(a, "preset", null);
		if (file != null && preset != null) throw new IllegalArgumentException("give --plan or --preset, not both");
		if (file != null) return PreprocessingPlan.load(Path.of(file));
		return PreprocessingPlan.preset(preset == null ? "abdomen-ct-128" : preset);
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
