package sc.fiji.voxelseg.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.metrics.FolderEvaluation;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

/**
 * The study machinery with a stand-in for training: its "model" of arm {@code exact} segments a test
 * image with the image's own label map, arm {@code nospleen} does the same without the spleen,
 * so every score is known by hand.
 */
class StudyTest {

	@TempDir
	static Path tmp;

	private static Path data;

	@BeforeAll
	static void cohort() throws IOException {
		data = tmp.resolve("data");
		PhantomCohort.write(PhantomConfig.ofGrid(10, 3, 32), 3, data, Progress.NONE);
	}

	private static StudyDesign design(final Path out, final int folds, final List<Double> fractions) {
		final Map<String, List<String>> arms = new LinkedHashMap<>();
		arms.put("exact", List.of());
		arms.put("nospleen", List.of("--width", "8"));
		return new StudyDesign(data, out, arms, List.of("--levels", "3"), fractions, List.of(0L, 1L, 2L), 7, folds, "exact", 1);
	}

	/** Segments with the truth: the test label maps of the split, spleen removed for arm nospleen. */
	private static class TruthRunner implements Study.CellRunner {

		final List<List<String>> trained = Collections.synchronizedList(new ArrayList<>());
		final Set<String> failFor = new HashSet<>();

		@Override
		public void train(final List<String> options, final Study.Slot slot, final Path log) throws IOException {
			trained.add(options);
			final String out = options.get(options.indexOf("--out") + 1);
			for (final String f : failFor) if (out.contains(f)) throw new IOException("training failed on purpose");
			Files.writeString(Path.of(out), String.join(" ", options));
		}

		@Override
		public void segment(final Path model, final Path images, final Path predictions, final Study.Slot slot, final Path log)
			throws IOException
		{
			final boolean noSpleen = Files.readString(model).contains("--width 8");
			Files.createDirectories(predictions);
			final Path labels = images.resolveSibling("labelsTs");
			for (final Map.Entry<String, Path> e : FolderEvaluation.cases(labels).entrySet()) {
				final Path target = predictions.resolve(e.getKey() + ".nii.gz");
				if (Files.exists(target)) continue;
				final Volume v = NiftiIO.read(e.getValue());
				if (noSpleen) erase(v, 1);
				NiftiIO.write(v, target);
			}
		}
	}

	/** Sets the voxels of class {@code c} to background, in place. */
	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static void erase(final Volume v, final int c) {
		for (final Object o : net.imglib2.view.Views.flatIterable((net.imglib2.RandomAccessibleInterval) v.image())) {
			final net.imglib2.type.numeric.RealType t = (net.imglib2.type.numeric.RealType) o;
			if (t.getRealDouble() == c) t.setZero();
		}
	}

	/**
	 * Every arm of a seed and fraction trains on the same labeled cases and scores the same test
	 * cases; a seed's labeled cases at 20 % are among its cases at 50 %; the training gets the
	 * study's data, seed and budget before the arm's options.
	 */
	@Test
	void armsArePaired() throws Exception {
		final StudyDesign d = design(tmp.resolve("paired"), 0, List.of(0.2, 0.5));
		final TruthRunner runner = new TruthRunner();
		final Study.Outcome o = Study.run(d, runner, Progress.NONE);
		assertEquals(12, o.cells());
		assertEquals(12, o.ran());
		for (final long seed : d.seeds()) {
			List<String> small = null;
			for (final double f : d.fractions()) {
				final JsonObject a = done(d, "exact", f, seed), b = done(d, "nospleen", f, seed);
				assertEquals(a.get("labeled"), b.get("labeled"), "seed " + seed + " fraction " + f);
				assertEquals(a.get("test"), b.get("test"));
				assertEquals(Math.round(f * 10), a.getAsJsonArray("labeled").size());
				assertEquals(10 - Math.round(f * 10), a.get("unlabeled").getAsInt());
				final List<String> labeled = new ArrayList<>();
				a.getAsJsonArray("labeled").forEach(e -> labeled.add(e.getAsString()));
				if (small != null) assertTrue(labeled.containsAll(small), "nested: " + small + " in " + labeled);
				small = labeled;
			}
		}
		assertNotEquals(done(d, "exact", 0.5, 0).get("labeled"), done(d, "exact", 0.5, 1).get("labeled"), "seeds draw their own cases");
		final List<String> first = runner.trained.get(0);
		assertEquals(List.of("--seed", "0", "--iterations", "7", "--val", "0", "--levels", "3"), first.subList(4, 12));
		// the view holds the labeled cases and, as unlabeled images, the rest
		final Path view = d.out().resolve("splits/s0/f0.2");
		assertEquals(2, FolderEvaluation.cases(view.resolve("labelsTr")).size());
		assertEquals(8, FolderEvaluation.cases(view.resolve("imagesUnlabeled")).size());
	}

	/**
	 * The scores by hand: arm exact scores Dice 1 for every organ; arm nospleen 0 for the spleen and
	 * 1 for the seven others, so its mean is 7/8 and the paired difference exactly −1/8 at every
	 * pairing, with a zero-width interval.
	 */
	@Test
	void resultsAndComparisonsByHand() throws Exception {
		final StudyDesign d = design(tmp.resolve("scores"), 0, List.of(0.5));
		final Study.Outcome o = Study.run(d, new TruthRunner(), Progress.NONE);
		final List<String> lines = Files.readAllLines(o.results());
		assertEquals(StudyReport.HEADER, lines.get(0));
		assertEquals(1 + 2 * 3 * 3 * 8, lines.size(), "arms × seeds × test cases × organs");
		for (final String l : lines.subList(1, lines.size())) {
			final String[] p = l.split(",");
			final double expected = p[0].equals("nospleen") && p[6].equals("spleen") ? 0 : 1;
			assertEquals(expected, Double.parseDouble(p[7]), l);
		}
		for (final StudyReport.Comparison c : o.comparisons()) {
			assertEquals(-0.125, c.meanDifference(), 1e-12, c.level());
			assertEquals(c.level().equals("seed") ? 3 : 9, c.pairs());
		}
		assertEquals(2, o.comparisons().size());
		final String report = Files.readString(o.report());
		assertTrue(report.contains("| nospleen | 50 % | 3 | 0.875 ± 0.000 |"), report);
		for (final String png : List.of("dice_vs_fraction.png", "organs_f0.5.png")) assertTrue(Files.size(d.out().resolve(png)) > 1000, png);
	}

	/** A failed cell is reported and the others finish; the rerun runs only that cell. */
	@Test
	void failedCellsAreRetriedAndFinishedOnesSkipped() throws Exception {
		final StudyDesign d = design(tmp.resolve("resume"), 0, List.of(0.5));
		final TruthRunner failing = new TruthRunner();
		failing.failFor.add("nospleen/f0.5/s1");
		final Study.Outcome first = Study.run(d, failing, Progress.NONE);
		assertEquals(1, first.failed().size(), first.failed().toString());
		assertTrue(first.failed().get(0).contains("nospleen at 50 % labels, seed 1"), first.failed().get(0));
		assertTrue(Files.exists(d.out().resolve("cells/nospleen/f0.5/s1/failed.txt")));
		assertEquals(5 * 3 * 8, Files.readAllLines(first.results()).size() - 1, "only finished cells have rows");
		final TruthRunner again = new TruthRunner();
		final Study.Outcome second = Study.run(d, again, Progress.NONE);
		assertEquals(1, second.ran());
		assertEquals(5, second.skipped());
		assertEquals(1, again.trained.size());
		assertFalse(Files.exists(d.out().resolve("cells/nospleen/f0.5/s1/failed.txt")));
		assertEquals(6 * 3 * 8, Files.readAllLines(second.results()).size() - 1);
		// a report of the finished cells alone trains nothing and writes the same results
		Files.delete(second.results());
		final Study.Outcome snapshot = Study.report(d);
		assertEquals(6, snapshot.skipped());
		assertEquals(6 * 3 * 8, Files.readAllLines(snapshot.results()).size() - 1);
		// a finished cell whose arm now has other options is refused, not mixed in
		final Map<String, List<String>> arms = new LinkedHashMap<>(d.arms());
		arms.put("nospleen", List.of("--width", "16"));
		final StudyDesign changed = new StudyDesign(data, d.out(), arms, d.common(), d.fractions(), d.seeds(), d.steps(), 0, "exact", 1);
		final IOException e = assertThrows(IOException.class, () -> Study.run(changed, new TruthRunner(), Progress.NONE));
		assertTrue(e.getMessage().contains("other options"), e.getMessage());
	}

	/** With the withheld cases dropped, the unlabeled pool is the dataset's imagesUnlabeled/ alone (a domain shift's). */
	@Test
	void withheldCasesCanBeLeftOut() throws Exception {
		final Path shifted = tmp.resolve("shifted");
		PhantomCohort.write(PhantomCohort.Layout.domainShift(PhantomConfig.ofGrid(4, 8, 32), 3, 2), shifted, Progress.NONE);
		final StudyDesign d = new StudyDesign(shifted, tmp.resolve("drop"), Map.of("exact", List.of()), List.of(), List.of(0.5), List.of(
			0L), 3, 0, null, 1, true);
		Study.run(d, new TruthRunner(), Progress.NONE);
		final Path view = d.out().resolve("splits/s0/f0.5");
		assertEquals(2, FolderEvaluation.cases(view.resolve("labelsTr")).size());
		assertEquals(List.of("case_004", "case_005", "case_006"), new ArrayList<>(FolderEvaluation.cases(view.resolve("imagesUnlabeled"))
			.keySet()), "the dataset's unlabeled images only");
		assertEquals(3, done(d, "exact", 0.5, 0).get("unlabeled").getAsInt());
	}

	/** With folds, each case is tested once per seed, by the models of its fold, and never trained on there. */
	@Test
	void crossValidationTestsEachCaseOnce() throws Exception {
		final StudyDesign d = design(tmp.resolve("folds"), 2, List.of(0.5));
		final Study.Outcome o = Study.run(d, new TruthRunner(), Progress.NONE);
		assertEquals(2 * 3 * 2, o.cells());
		final Set<String> tested = new HashSet<>();
		for (int k = 1; k <= 2; k++) {
			final JsonObject j = Json.read(new StudyDesign.Cell("exact", 0.5, 0, k).dir(d.out()).resolve("done.json"), JsonObject.class);
			final List<String> test = new ArrayList<>(), labeled = new ArrayList<>();
			j.getAsJsonArray("test").forEach(e -> test.add(e.getAsString()));
			j.getAsJsonArray("labeled").forEach(e -> labeled.add(e.getAsString()));
			assertEquals(5, test.size());
			assertEquals(Math.round(0.5 * 5), labeled.size());
			for (final String id : labeled) assertFalse(test.contains(id), id + " trained on and tested in fold " + k);
			tested.addAll(test);
		}
		assertEquals(10, tested.size());
	}

	/** Bad designs are refused before anything runs, with what to do. */
	@Test
	void badInputIsRefusedBeforeTraining() throws Exception {
		final Path noTest = tmp.resolve("notest");
		PhantomCohort.write(PhantomConfig.ofGrid(3, 4, 32), noTest, Progress.NONE);
		final TruthRunner runner = new TruthRunner();
		final Map<String, List<String>> arms = Map.of("a", List.of());
		IOException io = assertThrows(IOException.class, () -> Study.run(new StudyDesign(noTest, tmp.resolve("x1"), arms, List.of(), List
			.of(0.5), List.of(0L), 5, 0, null, 1), runner, Progress.NONE));
		assertTrue(io.getMessage().contains("no test set") && io.getMessage().contains("--folds"), io.getMessage());
		final IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> Study.run(new StudyDesign(data, tmp
			.resolve("x2"), arms, List.of(), List.of(0.01), List.of(0L), 5, 0, null, 1), runner, Progress.NONE));
		assertTrue(few.getMessage().contains("label fraction 0.01 of 10 training cases rounds to no labeled case"), few.getMessage());
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, Map.of("a", List.of(
			"--seed", "3")), List.of(), List.of(0.5), List.of(0L), 5, 0, null, 1));
		assertTrue(e.getMessage().contains("arm a sets --seed"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, arms, List.of(), List.of(1.5), List.of(0L), 5,
			0, null, 1));
		assertTrue(e.getMessage().contains("outside (0, 1]"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, arms, List.of(), List.of(0.5), List.of(0L), 5,
			0, "b", 1));
		assertTrue(e.getMessage().contains("reference arm 'b'"), e.getMessage());
		assertEquals(0, runner.trained.size());
	}

	/**
	 * Stages and references: a stage pretrains once per fraction and seed on that cell's labeled
	 * cases (before the arms that use it, with the study's data, seed and budget, its own options
	 * after them); {@code @NAME} becomes the bundle of that arm or stage in the same fraction and
	 * seed; {@code --coarse} goes to the segmentation, not the training; stages are not scored.
	 * Unknown references and circles are refused before anything runs.
	 */
	@Test
	void stagesAndReferencesRunInOrder() throws Exception {
		final List<String> events = Collections.synchronizedList(new ArrayList<>());
		final TruthRunner runner = new TruthRunner() {

			@Override
			public void train(final List<String> options, final Study.Slot slot, final Path log) throws IOException {
				events.add("train " + options.get(options.indexOf("--out") + 1));
				super.train(options, slot, log);
			}

			@Override
			public void pretrain(final List<String> options, final Study.Slot slot, final Path log) throws IOException {
				final String out = options.get(options.indexOf("--out") + 1);
				events.add("pretrain " + out);
				assertEquals(List.of("--seed", options.get(5), "--iterations", "7", "--val", "0", "--method", "agcl"), options.subList(4, 12));
				Files.writeString(Path.of(out), String.join(" ", options));
			}

			@Override
			public void segment(final Path model, final Path coarse, final Path images, final Path predictions, final Study.Slot slot,
				final Path log) throws IOException
			{
				events.add("segment " + model + (coarse == null ? "" : " coarse " + coarse));
				segment(model, images, predictions, slot, log);
			}
		};
		final Map<String, List<String>> arms = new LinkedHashMap<>();
		arms.put("cascade", List.of("--init", "@pre", "--attention", "@exact", "--coarse", "@exact"));
		arms.put("exact", List.of());
		final StudyDesign d = new StudyDesign(data, tmp.resolve("staged"), arms, List.of(), List.of(0.2), List.of(0L, 1L), 7, 0, "exact", 1,
			false, Map.of("pre", List.of("--method", "agcl")));
		final Study.Outcome o = Study.run(d, runner, Progress.NONE);
		assertTrue(o.failed().isEmpty(), o.failed().toString());
		for (final long seed : d.seeds()) {
			final Path pre = new StudyDesign.Cell("pre", 0.2, seed, 0).dir(d.out()).resolve("model.zip");
			final Path exact = new StudyDesign.Cell("exact", 0.2, seed, 0).dir(d.out()).resolve("model.zip");
			final Path cascade = new StudyDesign.Cell("cascade", 0.2, seed, 0).dir(d.out()).resolve("model.zip");
			final int p = events.indexOf("pretrain " + pre), e = events.indexOf("train " + exact), c = events.indexOf("train " + cascade);
			assertTrue(p >= 0 && e >= 0 && c > p && c > e, "the cascade trains after what it uses: " + events);
			assertTrue(events.contains("segment " + cascade + " coarse " + exact), events.toString());
			final String options = Files.readString(cascade);
			assertTrue(options.contains("--init " + pre) && options.contains("--attention " + exact) && !options.contains("--coarse"),
				options);
			// the stage pretrains on the cell's labeled cases: the same dataset view as the arms
			assertTrue(Files.readString(pre).contains("--data " + d.out().resolve("splits/s" + seed + "/f0.2")), Files.readString(pre));
		}
		assertEquals(4, Study.rows(d).stream().map(r -> r.cell()).distinct().count(), "only the arms are scored");
		final StudyDesign rerun = new StudyDesign(data, tmp.resolve("staged"), arms, List.of(), List.of(0.2), List.of(0L, 1L), 7, 0,
			"exact", 1, false, Map.of("pre", List.of("--method", "agcl")));
		events.clear();
		assertEquals(0, Study.run(rerun, runner, Progress.NONE).ran());
		assertTrue(events.stream().noneMatch(x -> x.startsWith("pretrain") || x.startsWith("train")), events.toString());

		IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, Map.of("a", List.of(
			"--init", "@nothing")), List.of(), List.of(0.5), List.of(0L), 5, 0, null, 1, false, Map.of()));
		assertTrue(bad.getMessage().contains("@nothing"), bad.getMessage());
		bad = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, Map.of("a", List.of("--attention", "@b")), List
			.of(), List.of(0.5), List.of(0L), 5, 0, "a", 1, false, Map.of("b", List.of("--attention", "@a"))));
		assertTrue(bad.getMessage().contains("circle"), bad.getMessage());
		bad = assertThrows(IllegalArgumentException.class, () -> new StudyDesign(data, tmp, Map.of("a", List.of("--coarse")), List.of(),
			List.of(0.5), List.of(0L), 5, 0, null, 1));
		assertTrue(bad.getMessage().contains("--coarse needs a model"), bad.getMessage());
	}

	private static JsonObject done(final StudyDesign d, final String arm, final double f, final long seed) throws IOException {
		return Json.read(new StudyDesign.Cell(arm, f, seed, 0).dir(d.out()).resolve("done.json"), JsonObject.class);
	}
}
