package sc.fiji.voxelseg.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
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

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.CohortFiles;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SegmentationMetrics;
import sc.fiji.voxelseg.nn.TorchEngine;

/**
 * Segments a cohort on Apache Spark: one task per case, each executor loading the model once (per
 * task thread) from a broadcast of the model file, or from a shared path for a bundle folder, and
 * running VoxelSeg's {@link Predictor} with the threads it is given ({@code spark.task.cpus}).
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

	/** The job's settings. */
	public record Options(String model, List<String> inputs, String out, String truth, PredictOptions predict, boolean overwrite,
		Predictor.Engine engine) implements Serializable {}

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

	/**
	 * Runs the job and returns one result per case, in input order. The model travels as a
	 * broadcast when it is one file (a .zip bundle, .onnx, .pt or a bioimage.io .zip), else by its
	 * path, which every executor must see.
	 */
	public static List<CaseResult> run(final SparkSession spark, final Options o) throws IOException {
		final JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
		final Configuration conf = sc.hadoopConfiguration();
		final List<String> cases = listInputs(o.inputs(), conf);
		final Path model = Path.of(o.model());
		final Broadcast<byte[]> bytes = Files.isRegularFile(model) ? sc.broadcast(Files.readAllBytes(model)) : null;
		final String modelName = model.getFileName().toString();
		final int threads = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
		final JavaRDD<String> rdd = sc.parallelize(cases, Math.max(1, cases.size()));
		final List<CaseResult> results = new ArrayList<>(rdd.map(c -> segmentCase(c, o, bytes == null ? null : bytes.value(), modelName,
			threads)).collect());
		return results;
	}

	/** Per executor JVM: the model file written from the broadcast, by content hash. */
	private static final Map<String, Path> MODEL_FILES = new ConcurrentHashMap<>();
	/** Per task thread: the loaded predictor, by model key. */
	private static final ThreadLocal<Map<String, Predictor>> PREDICTORS = ThreadLocal.withInitial(java.util.HashMap::new);

	private static Predictor predictor(final Options o, final byte[] bytes, final String name, final int threads) throws IOException {
		final String key;
		final Path file;
		if (bytes == null) {
			key = o.model();
			file = Path.of(o.model());
		}
		else {
			key = sha256(bytes) + "/" + name;
			file = MODEL_FILES.computeIfAbsent(key, k -> {
				try {
					final Path dir = Files.createTempDirectory("voxelseg-model");
					final Path f = dir.resolve(name);
					Files.write(f, bytes);
					f.toFile().deleteOnExit();
					dir.toFile().deleteOnExit();
					return f;
				}
				catch (final IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			});
		}
		final Map<String, Predictor> mine = PREDICTORS.get();
		Predictor p = mine.get(key + "/" + o.engine());
		if (p == null) {
			if (System.getProperty("voxelseg.threads") == null) System.setProperty("voxelseg.threads", Integer.toString(threads));
			TorchEngine.engine();
			p = Predictor.load(file, "cpu", o.engine());
			mine.put(key + "/" + o.engine(), p);
		}
		return p;
	}

	/** Segments one case on an executor: skip if done, else predict, write atomically, evaluate. */
	static CaseResult segmentCase(final String input, final Options o, final byte[] modelBytes, final String modelName, final int threads) {
		final long t0 = System.nanoTime();
		final TaskContext tc = TaskContext.get();
		final int attempt = tc == null ? 0 : tc.attemptNumber();
		final String executor = org.apache.spark.SparkEnv.get() == null ? "driver" : org.apache.spark.SparkEnv.get().executorId();
		final Configuration conf = new Configuration();
		final org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(input);
		final String caseName = CohortFiles.labelMapName(in.getName());
		final String caseId = caseName.substring(0, caseName.length() - ".nii.gz".length());
		final org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(o.out(), caseName);
		Path local = null, tmpOut = null;
		boolean copied = false;
		try {
			final FileSystem outFs = target.getFileSystem(conf);
			final CaseMetrics[] metrics = { null };
			String status = "done";
			if (outFs.exists(target) && !o.overwrite()) status = "skipped";
			local = localCopy(in, conf);
			copied = !local.toString().equals(localPathOf(in, conf));
			if (status.equals("done")) {
				final Volume image = VolumeIO.read(local);
				final Prediction p = predictor(o, modelBytes, modelName, threads).predict(image, o.predict(), null);
				tmpOut = Files.createTempFile("voxelseg-labels", ".nii.gz");
				NiftiIO.write(p.labels(), tmpOut);
				FaultInjection.afterWrite(caseId, attempt);
				publish(tmpOut, target, conf);
			}
			if (o.truth() != null) {
				final org.apache.hadoop.fs.Path truth = new org.apache.hadoop.fs.Path(o.truth(), caseName);
				final Path lt = localCopy(truth, conf), lp = localCopy(target, conf);
				try {
					metrics[0] = SegmentationMetrics.evaluate(caseId, VolumeIO.read(lp), VolumeIO.read(lt), MetricOptions.defaults());
				}
				finally {
					if (!lt.toString().equals(localPathOf(truth, conf))) Files.deleteIfExists(lt);
					if (!lp.toString().equals(localPathOf(target, conf))) Files.deleteIfExists(lp);
				}
			}
			return new CaseResult(caseId, input, target.toString(), status, null, (System.nanoTime() - t0) / 1e9, attempt, executor, metrics[0]);
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
				if (copied && local != null) Files.deleteIfExists(local);
			}
			catch (final IOException e) {
				// temporary files only
			}
		}
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
		final Path tmp = Files.createTempFile("voxelseg-in", n.toLowerCase(Locale.ROOT).endsWith(".nii.gz") ? ".nii.gz" : n.substring(Math.max(0,
			n.lastIndexOf('.'))));
		try (InputStream in = p.getFileSystem(conf).open(p)) {
			Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
		}
		return tmp;
	}

	/** Moves a finished local file to {@code target}: written beside it under a hidden temporary name, then renamed. */
	private static void publish(final Path file, final org.apache.hadoop.fs.Path target, final Configuration conf) throws IOException {
		final FileSystem fs = target.getFileSystem(conf);
		fs.mkdirs(target.getParent());
		final org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + "." + java.util.UUID
			.randomUUID() + ".part");
		try (OutputStream out = fs.create(tmp, true)) {
			Files.copy(file, out);
		}
		if (fs.exists(target)) fs.delete(target, false);
		if (!fs.rename(tmp, target)) {
			fs.delete(tmp, false);
			throw new IOException("cannot rename " + tmp + " to " + target);
		}
		// the local file system writes a .crc beside each file; keep the folder to label maps
		fs.delete(new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".crc"), false);
	}

	static String sha256(final byte[] b) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
		}
		catch (final java.security.NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
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
