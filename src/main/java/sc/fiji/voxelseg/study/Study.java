package sc.fiji.voxelseg.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.ClassMetrics;
import sc.fiji.voxelseg.metrics.FolderEvaluation;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

/**
 * Runs a {@link StudyDesign}: every (arm, fraction, seed, fold) cell trains a model on its split's
 * view ({@link StudySplits}), segments the test images with it and scores them (Dice, HD95 and ASSD
 * per organ, MedPy's convention); then {@code results.csv} and the report ({@link StudyReport}).
 * <p>
 * Files under the study folder: {@code study.json} (the design), {@code splits/} (the views),
 * {@code cells/ARM/fF/sS[/kK]/} per cell ({@code model.zip} with its checkpoint, history and curve,
 * {@code predictions/}, {@code train.log}, {@code segment.log}, and {@code done.json} once the cell
 * is complete, written last and atomically), {@code results.csv}, the report, and {@code runs.csv}
 * (one line per run of the study: its wall time against its cells' process time).
 * <p>
 * Resuming: a rerun skips cells with a {@code done.json}; a cell killed during training continues
 * from its checkpoint, exactly; during segmentation, with the images not yet written. A cell that
 * fails is reported (its {@code failed.txt} says why) and the others go on; the next run tries it
 * again. {@code results.csv} is rewritten from the completed cells only, so it never holds a row
 * of an unfinished cell.
 */
public final class Study {

	/** How a cell's model is trained and applied; the launcher runs each in its own process ({@link LauncherRunner}). */
	public interface CellRunner {

		/**
		 * Checks an arm's train options without training.
		 *
		 * @throws IllegalArgumentException naming the first bad option
		 */
		default void check(final List<String> options) throws Exception {}

		/**
		 * Trains with the given {@code train} options (they name the data, the output bundle, the
		 * seed, the budget, and {@code --resume} when a checkpoint exists), writing its output to
		 * {@code log}.
		 */
		void train(List<String> options, Slot slot, Path log) throws Exception;

		/** Segments every image of {@code images} into {@code predictions}, skipping those already written. */
		void segment(Path model, Path images, Path predictions, Slot slot, Path log) throws Exception;

		/**
		 * Segments as {@link #segment(Path, Path, Path, Slot, Path)}, as a cascade on {@code coarse}'s
		 * segmentation when it is not null ({@code segment --coarse}).
		 */
		default void segment(final Path model, final Path coarse, final Path images, final Path predictions, final Slot slot,
			final Path log) throws Exception
		{
			if (coarse != null) throw new UnsupportedOperationException("this runner segments no cascades");
			segment(model, images, predictions, slot, log);
		}

		/** Checks a stage's {@code pretrain} options without training. */
		default void checkPretrain(final List<String> options) throws Exception {}

		/** Pretrains with the given {@code pretrain} options (a stage), writing its output to {@code log}. */
		default void pretrain(final List<String> options, final Slot slot, final Path log) throws Exception {
			throw new UnsupportedOperationException("this runner runs no pretraining stages");
		}
	}

	/**
	 * What a cell may use: {@code threads} intra-op threads, and {@code 1/share} of the machine's
	 * memory (cells run {@code share} at a time).
	 */
	public record Slot(int threads, int share) {}

	/** An arm whose train options are unknown or invalid. */
	public static final class BadArmException extends IllegalArgumentException {

		private static final long serialVersionUID = 1L;

		BadArmException(final String message) {
			super(message);
		}
	}

	/** What a run did. */
	public record Outcome(int cells, int ran, int skipped, List<String> failed, double seconds, double cellSeconds, Path results,
		Path report, List<StudyReport.Comparison> comparisons) {}

	private Study() {}

	/**
	 * Runs every cell not yet done, then writes {@code results.csv} and the report.
	 *
	 * @throws BadArmException if an arm's train options are unknown or invalid (before any training)
	 * @throws IOException if the dataset or the design is unusable (before any training), or the
	 *           study folder cannot be written
	 */
	public static Outcome run(final StudyDesign design, final CellRunner runner, final Progress progress) throws IOException,
		InterruptedException
	{
		final StudySplits splits = new StudySplits(design);
		for (final String arm : design.arms().keySet()) {
			// an arm that uses another cell's bundle is checked when it runs, as that bundle does not exist yet
			if (!design.references(arm).isEmpty()) continue;
			try {
				runner.check(withoutCoarse(design.trainOptions(arm), null));
			}
			catch (final IllegalArgumentException e) {
				throw new BadArmException("arm " + arm + ": " + e.getMessage());
			}
			catch (final InterruptedException | IOException e) {
				throw e;
			}
			catch (final Exception e) {
				throw new IOException("arm " + arm + ": its options could not be checked: " + e.getMessage(), e);
			}
		}
		for (final Map.Entry<String, List<String>> stage : design.stages().entrySet()) {
			if (!design.references(stage.getKey()).isEmpty()) continue;
			try {
				runner.checkPretrain(stage.getValue());
			}
			catch (final IllegalArgumentException e) {
				throw new BadArmException("stage " + stage.getKey() + ": " + e.getMessage());
			}
			catch (final InterruptedException | IOException e) {
				throw e;
			}
			catch (final Exception e) {
				throw new IOException("stage " + stage.getKey() + ": its options could not be checked: " + e.getMessage(), e);
			}
		}
		Files.createDirectories(design.out());
		try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(design.out().resolve(".lock"),
			java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock lock = ch.tryLock()) {
			if (lock == null) throw new IOException("another study is running in " + design.out() + "; wait for it, or choose another --out");
			return runLocked(design, splits, runner, progress);
		}
	}

	private static Outcome runLocked(final StudyDesign design, final StudySplits splits, final CellRunner runner, final Progress progress)
		throws IOException, InterruptedException
	{
		Json.write(design.out().resolve("study.json"), designJson(design));
		final List<StudyDesign.Cell> cells = design.runOrder();
		final Slot slot = new Slot(Math.max(1, Runtime.getRuntime().availableProcessors() / design.parallel()), design.parallel());
		final long t0 = System.nanoTime();
		final List<String> failed = Collections.synchronizedList(new ArrayList<>());
		final int[] counts = new int[2];
		final double[] cellSeconds = new double[1];
		final ExecutorService pool = Executors.newFixedThreadPool(design.parallel());
		try {
			final List<Future<?>> futures = new ArrayList<>();
			final Map<StudyDesign.Cell, Future<?>> byCell = new java.util.HashMap<>();
			for (final StudyDesign.Cell c : cells) {
				// the cells it uses were submitted before it, so they run (or ran) before it starts waiting: no deadlock
				final List<StudyDesign.Cell> needs = new ArrayList<>();
				for (final String r : design.references(c.arm())) needs.add(new StudyDesign.Cell(r, c.fraction(), c.seed(), c.fold()));
				final Future<?> future = pool.submit(() -> {
					for (final StudyDesign.Cell n : needs) {
						try {
							byCell.get(n).get();
						}
						catch (final ExecutionException e) {
							// its own task reports it; this cell finds its bundle missing below
						}
					}
					progress.checkCanceled();
					final Path dir = c.dir(design.out());
					final boolean stage = design.isStage(c.arm());
					if (Files.isRegularFile(dir.resolve(stage ? TRAINED : "done.json"))) {
						if (!stage) checkDone(dir, design, c);
						synchronized (counts) {
							counts[1]++;
						}
						return null;
					}
					progress.status("Study: " + (stage ? "stage " : "") + c);
					try {
						for (final StudyDesign.Cell n : needs) {
							if (!Files.isRegularFile(n.dir(design.out()).resolve(design.isStage(n.arm()) ? TRAINED : "done.json"))) {
								throw new IOException("it uses the bundle of " + n + ", which did not finish");
							}
						}
						final double s = stage ? runStage(design, splits, runner, c, slot) : runCell(design, splits, runner, c, slot);
						synchronized (counts) {
							counts[0]++;
							cellSeconds[0] += s;
						}
						Files.deleteIfExists(dir.resolve("failed.txt"));
					}
					catch (final Progress.CanceledException e) {
						throw e;
					}
					catch (final Exception e) {
						final String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
						failed.add(c + ": " + why.replace('\n', ' '));
						progress.status("Study: " + c + " failed: " + why);
						AtomicFiles.writeString(dir.resolve("failed.txt"), why + "\n");
					}
					return null;
				});
				byCell.put(c, future);
				futures.add(future);
			}
			for (final Future<?> f : futures) {
				try {
					f.get();
				}
				catch (final ExecutionException e) {
					if (e.getCause() instanceof Progress.CanceledException ce) throw ce;
					if (e.getCause() instanceof IOException io) throw io;
					throw new IOException(e.getCause().getMessage(), e.getCause());
				}
			}
		}
		finally {
			pool.shutdownNow();
		}
		final List<String> f = new ArrayList<>(failed);
		Collections.sort(f);
		final Outcome written = report(design);
		logRun(design, t0, counts[0], counts[1], f.size(), cellSeconds[0]);
		return new Outcome(cells.size(), counts[0], counts[1], f, (System.nanoTime() - t0) / 1e9, cellSeconds[0], written.results(),
			written.report(), written.comparisons());
	}

	/**
	 * Writes {@code results.csv} and the report from the cells finished so far, training nothing
	 * (also a snapshot of a study that is still running elsewhere, or was stopped); the outcome
	 * counts the finished cells as skipped.
	 */
	public static Outcome report(final StudyDesign design) throws IOException {
		final List<StudyReport.Row> rows = rows(design);
		final Path results = design.out().resolve("results.csv");
		AtomicFiles.writeString(results, StudyReport.csv(rows));
		final Path report = StudyReport.write(design, rows);
		int done = 0;
		for (final StudyDesign.Cell c : design.cells()) if (Files.isRegularFile(c.dir(design.out()).resolve("done.json"))) done++;
		return new Outcome(design.cells().size(), 0, done, List.of(), 0, 0, results, report, StudyReport.comparisons(design, rows));
	}

	/**
	 * Appends this run to {@code runs.csv}: when it ended, its wall time, the cells it ran, skipped and
	 * lost, and the seconds its cells' processes took (so the study's own share of the time can be
	 * read off, and parallel runs compared).
	 */
	private static void logRun(final StudyDesign design, final long t0, final int ran, final int skipped, final int failed,
		final double cellSeconds) throws IOException
	{
		final Path log = design.out().resolve("runs.csv");
		final StringBuilder b = new StringBuilder(Files.exists(log) ? Files.readString(log)
			: "ended,wall_s,cells_run,cells_skipped,cells_failed,cell_process_s,parallel,threads_per_cell\n");
		b.append(String.format(Locale.ROOT, "%s,%.1f,%d,%d,%d,%.1f,%d,%d%n", java.time.Instant.now(), (System.nanoTime() - t0) / 1e9, ran,
			skipped, failed, cellSeconds, design.parallel(), Math.max(1, Runtime.getRuntime().availableProcessors() / design.parallel())));
		AtomicFiles.writeString(log, b.toString());
	}

	/** Trains, segments and scores one cell; returns the seconds its training and segmentation took. */
	private static double runCell(final StudyDesign design, final StudySplits splits, final CellRunner runner, final StudyDesign.Cell c,
		final Slot slot) throws Exception
	{
		final Path dir = c.dir(design.out());
		Files.createDirectories(dir);
		final StudySplits.View view = splits.view(c.seed(), c.fraction(), c.fold());
		final StudySplits.Split split = splits.split(c.seed(), c.fraction(), c.fold());
		final Path model = dir.resolve(StudyDesign.MODEL);
		final Path trained = dir.resolve(TRAINED);
		final Path[] coarse = new Path[1];
		final List<String> options = withoutCoarse(design.resolve(design.trainOptions(c.arm()), c), coarse);
		double trainSeconds = 0;
		if (!Files.isRegularFile(trained)) {
			final List<String> o = new ArrayList<>(List.of("--data", view.dataset().toString(), "--out", model.toString(), "--seed", Long
				.toString(c.seed()), "--iterations", Long.toString(design.steps()), "--val", "0"));
			o.addAll(options);
			if (Files.exists(sc.fiji.voxelseg.train.Trainer.checkpointPath(model))) o.add("--resume");
			final long t = System.nanoTime();
			runner.train(o, slot, dir.resolve("train.log"));
			trainSeconds = (System.nanoTime() - t) / 1e9;
			final JsonObject j = new JsonObject();
			j.addProperty("seconds", trainSeconds);
			Json.write(trained, j);
		}
		else trainSeconds = Json.read(trained, JsonObject.class).get("seconds").getAsDouble();
		final Path predictions = dir.resolve("predictions");
		final long t = System.nanoTime();
		runner.segment(model, coarse[0], view.testImages(), predictions, slot, dir.resolve("segment.log"));
		final double segmentSeconds = (System.nanoTime() - t) / 1e9;
		final List<CaseMetrics> metrics = FolderEvaluation.evaluate(predictions, view.testLabels(), MetricOptions.defaults(), Progress.NONE);
		final JsonObject done = new JsonObject();
		done.add("cell", cellJson(c));
		done.add("options", strings(design.trainOptions(c.arm())));
		done.addProperty("steps", design.steps());
		done.add("labeled", strings(split.labeled()));
		done.addProperty("unlabeled", split.unlabeled().size() + splits.extraUnlabeled());
		done.add("test", strings(split.test()));
		done.addProperty("train_seconds", trainSeconds);
		done.addProperty("segment_seconds", segmentSeconds);
		final JsonArray rows = new JsonArray();
		for (final CaseMetrics cm : metrics) {
			for (final ClassMetrics m : cm.classes()) {
				final JsonArray r = new JsonArray();
				r.add(cm.caseId());
				r.add(m.classIndex());
				r.add(m.className());
				r.add(Double.toString(m.dice()));
				r.add(Double.toString(m.hd95()));
				r.add(Double.toString(m.assd()));
				r.add(m.status().name());
				rows.add(r);
			}
		}
		done.add("rows", rows);
		Json.write(dir.resolve("done.json"), done);
		return trainSeconds + segmentSeconds;
	}

	/** The marker of a cell whose training finished (a stage is done with it). */
	static final String TRAINED = "trained.json";

	/**
	 * Options without {@code --coarse MODEL}, which is the segmentation's and not a train option;
	 * the model goes into {@code coarse[0]} when {@code coarse} is not null.
	 */
	static List<String> withoutCoarse(final List<String> options, final Path[] coarse) {
		final List<String> o = new ArrayList<>(options);
		final int i = o.indexOf(StudyDesign.COARSE);
		if (i >= 0) {
			if (coarse != null) coarse[0] = Path.of(o.get(i + 1));
			o.remove(i + 1);
			o.remove(i);
		}
		return o;
	}

	/**
	 * A stage: {@code pretrain} on the cell's labeled cases with the study's seed, the stage's options
	 * (references resolved) and, unless they give their own, the study's budget and no held-out
	 * cases. Nothing is scored; the bundle is what arms refer to.
	 */
	private static double runStage(final StudyDesign design, final StudySplits splits, final CellRunner runner, final StudyDesign.Cell c,
		final Slot slot) throws Exception
	{
		final Path dir = c.dir(design.out());
		Files.createDirectories(dir);
		final StudySplits.View view = splits.view(c.seed(), c.fraction(), c.fold());
		final Path model = dir.resolve(StudyDesign.MODEL);
		final List<String> stage = design.resolve(design.stages().get(c.arm()), c);
		final List<String> o = new ArrayList<>(List.of("--data", view.dataset().toString(), "--out", model.toString(), "--seed", Long
			.toString(c.seed())));
		if (!stage.contains("--iterations")) o.addAll(List.of("--iterations", Long.toString(design.steps())));
		if (!stage.contains("--val")) o.addAll(List.of("--val", "0"));
		o.addAll(stage);
		if (Files.exists(sc.fiji.voxelseg.train.Trainer.checkpointPath(model))) o.add("--resume");
		final long t = System.nanoTime();
		runner.pretrain(o, slot, dir.resolve("pretrain.log"));
		final double seconds = (System.nanoTime() - t) / 1e9;
		final JsonObject j = new JsonObject();
		j.addProperty("seconds", seconds);
		j.add("options", strings(design.stages().get(c.arm())));
		Json.write(dir.resolve(TRAINED), j);
		return seconds;
	}

	/** A finished cell must have been run with the options the design now gives its arm. */
	private static void checkDone(final Path dir, final StudyDesign design, final StudyDesign.Cell c) throws IOException {
		final JsonObject done = Json.read(dir.resolve("done.json"), JsonObject.class);
		if (!done.get("options").equals(strings(design.trainOptions(c.arm()))) || done.get("steps").getAsLong() != design.steps()) {
			throw new IOException("cell " + c + " in " + dir + " was run with other options or another budget (" + done.get("options") + ", " +
				done.get("steps") + " steps): use another --out, or remove that cell's folder to run it again");
		}
	}

	/** The rows of every completed cell, in the design's cell order. */
	static List<StudyReport.Row> rows(final StudyDesign design) throws IOException {
		final List<StudyReport.Row> rows = new ArrayList<>();
		for (final StudyDesign.Cell c : design.cells()) {
			final Path done = c.dir(design.out()).resolve("done.json");
			if (!Files.isRegularFile(done)) continue;
			final JsonObject j = Json.read(done, JsonObject.class);
			for (final JsonElement e : j.getAsJsonArray("rows")) {
				final JsonArray r = e.getAsJsonArray();
				rows.add(new StudyReport.Row(c, r.get(0).getAsString(), r.get(1).getAsInt(), r.get(2).getAsString(), Double.parseDouble(r.get(3)
					.getAsString()), Double.parseDouble(r.get(4).getAsString()), Double.parseDouble(r.get(5).getAsString()), r.get(6)
						.getAsString()));
			}
		}
		return rows;
	}

	private static JsonObject cellJson(final StudyDesign.Cell c) {
		final JsonObject o = new JsonObject();
		o.addProperty("arm", c.arm());
		o.addProperty("fraction", c.fraction());
		o.addProperty("seed", c.seed());
		o.addProperty("fold", c.fold());
		return o;
	}

	private static JsonObject designJson(final StudyDesign d) {
		final JsonObject o = new JsonObject();
		o.addProperty("data", d.data().toAbsolutePath().toString());
		final JsonObject arms = new JsonObject();
		d.arms().forEach((k, v) -> arms.add(k, strings(v)));
		if (!d.stages().isEmpty()) {
			final JsonObject stages = new JsonObject();
			d.stages().forEach((k, v) -> stages.add(k, strings(v)));
			o.add("stages", stages);
		}
		o.add("arms", arms);
		o.add("common", strings(d.common()));
		final JsonArray f = new JsonArray();
		d.fractions().forEach(f::add);
		o.add("fractions", f);
		final JsonArray s = new JsonArray();
		d.seeds().forEach(s::add);
		o.add("seeds", s);
		o.addProperty("steps", d.steps());
		o.addProperty("folds", d.folds());
		o.addProperty("reference", d.reference());
		o.addProperty("parallel", d.parallel());
		o.addProperty("withheld_labels", d.dropWithheld() ? "dropped" : "unlabeled");
		return o;
	}

	private static JsonArray strings(final List<String> l) {
		final JsonArray a = new JsonArray();
		l.forEach(a::add);
		return a;
	}

	/** One line per run for the launcher: what ran, what failed, and the machinery's share of the time. */
	public static String describe(final Outcome o) {
		return String.format(Locale.ROOT, "%d cells: %d run, %d done before, %d failed; %.0f s in all, %.0f s of it training and segmenting " +
			"(%.1f %% other work)", o.cells(), o.ran(), o.skipped(), o.failed().size(), o.seconds(), o.cellSeconds(), o.cellSeconds() > 0
				? 100 * (o.seconds() - o.cellSeconds()) / o.cellSeconds() : 0);
	}
}
