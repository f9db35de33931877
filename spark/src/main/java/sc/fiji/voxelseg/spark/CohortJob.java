package sc.fiji.voxelseg.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.CohortFiles;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SegmentationMetrics;
import sc.fiji.voxelseg.model.TorchScriptModel;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Digests;

/**
 * Cohort jobs on Apache Spark, one task per case: segmentation ({@link Segment}: each executor
 * loads the model once per task thread, from a broadcast of the model file or a shared path for a
 * bundle folder, and runs VoxelSeg's {@link Predictor} with the threads it is given,
 * {@code spark.task.cpus}), preprocessing ({@link Preprocess}), and evaluation of existing label
 * maps.
 * Inputs and outputs are Hadoop paths or URIs (local files, HDFS, S3, ... whatever Hadoop's file
 * systems read on the executors).
 * <ul>
 * <li>A label map is written under a temporary name and renamed: a task killed midway leaves no
 * partial file, and its retry or a rerun skips cases whose output exists.</li>
 * <li>A case that fails (unreadable, wrong geometry, ...) becomes a row with its error; the job
 * goes on.</li>
 * <li>With ground truth, each case is evaluated as {@code evaluate} does, and the driver writes
 * the same report.</li>
 * </ul>
 */
public final class CohortJob {

	/** What one case came to. */
	public record CaseResult(String caseId, String input, String output, String status, String error, double seconds, int attempt,
		String executor, CaseMetrics metrics) implements Serializable {}

	/** The job's settings: what each case gets ({@code work}; null to evaluate the inputs as they are), where outputs go. */
	public record Options(CaseWork work, List<String> inputs, String out, String truth, boolean overwrite) implements Serializable {}

	/** What every task reads: the options, the job's Hadoop configuration, and the truth files by case id. */
	record Context(Options options, Broadcast<SerializableConfiguration> hadoop, Map<String, String> truth) implements Serializable {}

	/** What a task makes of one case: a file from a file. */
	public interface CaseWork extends Serializable {

		/** The output's file name for an input's. */
		String outputName(String inputName);

		/** Writes the case's output for the local file {@code input} to the local file {@code output}. */
		void write(Path input, Path output) throws Exception;
	}

	/**
	 * Segmentation with a model: the model file, with its sidecar when it has one, as a broadcast; a
	 * bundle folder or a bioimage.io package's folder by its path, which every executor must see.
	 *
	 * @param key the model's identity on executors (its content hash, or its path)
	 */
	public record Segment(String model, Broadcast<Map<String, byte[]>> files, String key, PredictOptions predict, Predictor.Engine engine,
		int threads) implements CaseWork
	{

		public static Segment of(final JavaSparkContext sc, final Path model, final PredictOptions predict, final Predictor.Engine engine,
			final int threads) throws IOException
		{
			final Path abs = model.toAbsolutePath();
			final String name = abs.getFileName().toString();
			// an rdf.yaml names files beside it: its folder goes by path
			if (!Files.isRegularFile(abs) || name.endsWith("rdf.yaml") || name.equals("bioimageio.yaml")) {
				final Path shared = Files.isRegularFile(abs) ? abs.getParent() : abs;
				return new Segment(shared.toString(), null, shared.toString(), predict, engine, threads);
			}
			final Map<String, byte[]> files = new java.util.LinkedHashMap<>();
			files.put(name, Files.readAllBytes(abs));
			final Path side = TorchScriptModel.sidecar(abs);
			if (!side.equals(abs) && Files.isRegularFile(side)) files.put(side.getFileName().toString(), Files.readAllBytes(side));
			return new Segment(abs.toString(), sc.broadcast(files), Digests.sha256(files.values().toArray(byte[][]::new)) + "/" + name, predict,
				engine, threads);
		}

		@Override
		public String outputName(final String inputName) {
			return CohortFiles.labelMapName(inputName);
		}

		@Override
		public void write(final Path input, final Path output) throws Exception {
			final Predictor p = borrow(this);
			try {
				NiftiIO.write(p.predict(VolumeIO.read(input), predict, null).labels(), output);
			}
			finally {
				giveBack(this, p);
			}
		}
	}

	/** Preprocessing with a plan (its JSON): the preprocessed image, named as the input, as NIfTI. */
	public record Preprocess(String planJson) implements CaseWork {

		@Override
		public String outputName(final String inputName) {
			return CohortFiles.stem(inputName) + ".nii.gz";
		}

		@Override
		public void write(final Path input, final Path output) throws Exception {
			NiftiIO.write(PreprocessingPlan.fromJson(planJson).apply(VolumeIO.read(input)).image(), output);
		}
	}

	private CohortJob() {}

	/** The inputs: every volume file in each folder given, or the files given, as Hadoop path strings, sorted. */
	public static List<String> listInputs(final List<String> inputs, final Configuration conf) throws IOException {
		final List<String> out = new ArrayList<>();
		for (final String in : inputs) {
			final org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(in);
			final FileSystem fs = p.getFileSystem(conf);
			if (!fs.exists(p)) throw new IOException(in + " does not exist");
			if (fs.getFileStatus(p).isDirectory()) {
				final List<String> found = new ArrayList<>();
				for (final FileStatus s : fs.listStatus(p)) if (s.isFile() && CohortFiles.isVolume(s.getPath().getName())) found.add(s.getPath().toString());
				found.sort(null);
				if (found.isEmpty()) throw new IOException(in + " holds no volume files (.nii, .nii.gz, .nrrd, .mha, .mhd)");
				out.addAll(found);
			}
			else out.add(p.toString());
		}
		return out;
	}

	/** Runs the job and returns one result per case, in input order. */
	public static List<CaseResult> run(final SparkSession spark, final Options o) throws IOException {
		final JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
		final Configuration conf = sc.hadoopConfiguration();
		final List<String> cases = listInputs(o.inputs(), conf);
		final Map<String, String> truth = new java.util.HashMap<>();
		if (o.truth() != null) {
			// the truth files by case id, any volume format, as evaluate pairs them
			for (final String t : listInputs(List.of(o.truth()), conf)) {
				final String id = CohortFiles.caseId(new org.apache.hadoop.fs.Path(t).getName());
				if (id != null) truth.put(id, t);
			}
		}
		final Context ctx = new Context(o, sc.broadcast(new SerializableConfiguration(conf)), truth);
		final JavaRDD<String> rdd = sc.parallelize(cases, Math.max(1, cases.size()));
		return new ArrayList<>(rdd.map(c -> processCase(c, ctx)).collect());
	}

	/** Per executor JVM: the model's folder, written from the broadcast once, by key. */
	private static final Map<String, Path> MODEL_FILES = new ConcurrentHashMap<>();
	/** Per executor JVM: loaded predictors not in use, by model and engine; each task borrows one. */
	private static final Map<String, java.util.concurrent.ConcurrentLinkedQueue<Predictor>> IDLE = new ConcurrentHashMap<>();
	private static final java.util.Set<Predictor> ALL = ConcurrentHashMap.newKeySet();

	static {
		// the executor's end closes every predictor (libtorch weights, ONNX Runtime sessions) and the model copies
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			for (final Predictor p : ALL) p.close();
			for (final Path f : MODEL_FILES.values()) {
				try {
					AtomicFiles.deleteTree(f);
				}
				catch (final IOException e) {
					// temporary copies only
				}
			}
		}, "voxelseg-predictors"));
	}

	private static Predictor borrow(final Segment w) throws IOException {
		final String key = w.key() + "/" + w.engine();
		final Predictor idle = IDLE.computeIfAbsent(key, k -> new java.util.concurrent.ConcurrentLinkedQueue<>()).poll();
		if (idle != null) return idle;
		final Path file;
		if (w.files() == null) file = Path.of(w.model());
		else {
			final Path dir = MODEL_FILES.computeIfAbsent(w.key(), k -> {
				try {
					final Path d = Files.createTempDirectory("voxelseg-model");
					for (final Map.Entry<String, byte[]> e : w.files().value().entrySet()) Files.write(d.resolve(e.getKey()), e.getValue());
					return d;
				}
				catch (final IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			});
			file = dir.resolve(Path.of(w.model()).getFileName().toString());
		}
		if (System.getProperty("voxelseg.threads") == null) System.setProperty("voxelseg.threads", Integer.toString(w.threads()));
		TorchEngine.engine();
		final Predictor p = Predictor.load(file, "cpu", w.engine());
		ALL.add(p);
		return p;
	}

	private static void giveBack(final Segment w, final Predictor p) {
		IDLE.get(w.key() + "/" + w.engine()).add(p);
	}

	/**
	 * One case on an executor: skip it if its output exists, else make the output (written locally,
	 * then published under a temporary name and renamed), then evaluate it against the truth.
	 */
	static CaseResult processCase(final String input, final Context ctx) {
		final Options o = ctx.options();
		final long t0 = System.nanoTime();
		final TaskContext tc = TaskContext.get();
		final int attempt = tc == null ? 0 : tc.attemptNumber();
		final String executor = org.apache.spark.SparkEnv.get() == null ? "driver" : org.apache.spark.SparkEnv.get().executorId();
		final Configuration conf = ctx.hadoop().value().value();
		final org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(input);
		final String labelName = CohortFiles.labelMapName(in.getName());
		final String caseId = labelName.substring(0, labelName.length() - ".nii.gz".length());
		final org.apache.hadoop.fs.Path target = o.work() == null ? in : new org.apache.hadoop.fs.Path(o.out(), o.work().outputName(in.getName()));
		Path local = null, tmpOut = null;
		try {
			String status = o.work() == null ? "evaluated" : "done";
			if (o.work() != null && target.getFileSystem(conf).exists(target) && !o.overwrite()) status = "skipped";
			if (status.equals("done")) {
				local = localCopy(in, conf);
				tmpOut = Files.createTempFile("voxelseg-out", ".nii.gz");
				o.work().write(local, tmpOut);
				publish(tmpOut, target, conf, () -> FaultInjection.beforeRename(caseId, attempt));
			}
			CaseMetrics metrics = null;
			if (o.truth() != null) {
				final String t = ctx.truth().get(caseId);
				if (t == null) throw new IOException("no ground truth for case " + caseId + " (" + in.getName() + ") in " + o.truth());
				final org.apache.hadoop.fs.Path truth = new org.apache.hadoop.fs.Path(t);
				final Path lt = localCopy(truth, conf), lp = localCopy(target, conf);
				try {
					metrics = SegmentationMetrics.evaluate(caseId, VolumeIO.read(lp), VolumeIO.read(lt), MetricOptions.defaults());
				}
				finally {
					dropCopy(lt, truth, conf);
					dropCopy(lp, target, conf);
				}
			}
			return new CaseResult(caseId, input, target.toString(), status, null, (System.nanoTime() - t0) / 1e9, attempt, executor, metrics);
		}
		catch (final FaultInjection.Killed e) {
			throw e; // the task dies, as if its executor were lost; Spark retries it
		}
		catch (final Exception | OutOfMemoryError e) {
			String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
			m = m.replace('\n', ' ');
			return new CaseResult(caseId, input, null, "failed", in.getName() + ": " + m, (System.nanoTime() - t0) / 1e9, attempt, executor, null);
		}
		finally {
			try {
				if (tmpOut != null) Files.deleteIfExists(tmpOut);
				if (local != null) dropCopy(local, in, conf);
			}
			catch (final IOException e) {
				// temporary files only
			}
		}
	}

	/** Deletes {@code local} when it is a copy of {@code p} rather than {@code p} itself. */
	private static void dropCopy(final Path local, final org.apache.hadoop.fs.Path p, final Configuration conf) throws IOException {
		if (!local.toString().equals(localPathOf(p, conf))) Files.deleteIfExists(local);
	}

	/** The local file of a Hadoop path on the local file system, else null. */
	private static String localPathOf(final org.apache.hadoop.fs.Path p, final Configuration conf) throws IOException {
		final FileSystem fs = p.getFileSystem(conf);
		return fs instanceof LocalFileSystem || "file".equals(fs.getScheme()) ? Path.of(fs.makeQualified(p).toUri()).toString() : null;
	}

	/** A local file with the path's content: the file itself on the local file system, else a copy (same extension). */
	private static Path localCopy(final org.apache.hadoop.fs.Path p, final Configuration conf) throws IOException {
		final String local = localPathOf(p, conf);
		if (local != null) return Path.of(local);
		final String n = p.getName();
		if (n.toLowerCase(Locale.ROOT).endsWith(".mhd") || n.toLowerCase(Locale.ROOT).endsWith(".nhdr")) {
			throw new IOException(p + ": a header with a detached data file is read from local files only; convert it to .nii.gz, .nrrd or .mha");
		}
		final Path tmp = Files.createTempFile("voxelseg-in", n.toLowerCase(Locale.ROOT).endsWith(".nii.gz") ? ".nii.gz" : n.substring(Math.max(0,
			n.lastIndexOf('.'))));
		try (InputStream in = p.getFileSystem(conf).open(p)) {
			Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
		}
		return tmp;
	}

	/**
	 * Moves a finished local file to {@code target}: copied beside it under a hidden temporary name,
	 * then renamed. Temporary files that an earlier, killed attempt left for the same target go
	 * first (tasks of one case never run at once: speculation is off).
	 */
	private static void publish(final Path file, final org.apache.hadoop.fs.Path target, final Configuration conf, final Runnable beforeRename)
		throws IOException
	{
		final FileSystem fs = target.getFileSystem(conf);
		final org.apache.hadoop.fs.Path dir = target.getParent();
		fs.mkdirs(dir);
		final String prefix = "." + target.getName() + ".";
		for (final FileStatus s : fs.listStatus(dir, p -> p.getName().startsWith(prefix) && (p.getName().endsWith(".part") || p.getName()
			.endsWith(".part.crc")))) fs.delete(s.getPath(), false);
		final org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, prefix + java.util.UUID.randomUUID() + ".part");
		try (OutputStream out = fs.create(tmp, true)) {
			Files.copy(file, out);
		}
		beforeRename.run();
		if (fs.exists(target)) fs.delete(target, false);
		if (!fs.rename(tmp, target)) {
			fs.delete(tmp, false);
			throw new IOException("cannot rename " + tmp + " to " + target);
		}
		// the local file system writes a .crc beside each file; keep the folder to label maps
		fs.delete(new org.apache.hadoop.fs.Path(dir, "." + target.getName() + ".crc"), false);
	}

	/** The per-case table: case, status, error, seconds, attempt, executor, input, output. */
	public static Dataset<Row> table(final SparkSession spark, final List<CaseResult> results) {
		final StructType t = new StructType().add("case_id", DataTypes.StringType).add("status", DataTypes.StringType).add("error",
			DataTypes.StringType).add("seconds", DataTypes.DoubleType).add("attempt", DataTypes.IntegerType).add("executor",
				DataTypes.StringType).add("input", DataTypes.StringType).add("output", DataTypes.StringType);
		final List<Row> rows = new ArrayList<>();
		for (final CaseResult r : results) rows.add(RowFactory.create(r.caseId(), r.status(), r.error(), r.seconds(), r.attempt(), r.executor(),
			r.input(), r.output()));
		return spark.createDataFrame(rows, t);
	}

	/** The per-(case, class) metrics, as {@code evaluate}'s cases.csv has them. */
	public static Dataset<Row> metricsTable(final SparkSession spark, final List<CaseResult> results) {
		final StructType t = new StructType().add("case_id", DataTypes.StringType).add("class_index", DataTypes.IntegerType).add("class_name",
			DataTypes.StringType).add("dice", DataTypes.DoubleType).add("jaccard", DataTypes.DoubleType).add("hd95", DataTypes.DoubleType).add(
				"assd", DataTypes.DoubleType).add("status", DataTypes.StringType);
		final List<Row> rows = new ArrayList<>();
		for (final CaseResult r : results) {
			if (r.metrics() == null) continue;
			r.metrics().classes().forEach(c -> rows.add(RowFactory.create(r.caseId(), c.classIndex(), c.className(), c.dice(), c.jaccard(), c
				.hd95(), c.assd(), c.status().name())));
		}
		return spark.createDataFrame(rows, t);
	}
}
