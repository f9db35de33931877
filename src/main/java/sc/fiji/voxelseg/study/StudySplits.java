package sc.fiji.voxelseg.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.metrics.FolderEvaluation;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Json;

/**
 * The paired case split of a study, and the dataset folders ("views") its cells train on.
 * <ul>
 * <li>Test cases: the dataset's {@code imagesTs/} scored against {@code labelsTs/}; or, with K
 * folds, fold k of the training cases (folds fixed for the whole study: the sorted case ids
 * shuffled with seed 0, case i of that order in fold {@code i mod K + 1}).</li>
 * <li>Labeled cases for (seed, fraction): the training cases left after the test fold, sorted by
 * id, shuffled with the seed; the first {@code round(fraction · n)} of that order. A seed's
 * labeled sets are therefore nested: its 10 % cases are among its 20 % cases.</li>
 * <li>Unlabeled pool: the other training cases (their images only; none with
 * {@link StudyDesign#dropWithheld}), plus the dataset's own {@code imagesUnlabeled/}.</li>
 * </ul>
 * None of this depends on the arm, so every arm of a (seed, fraction, fold) sees the same cases.
 * A view is a folder {@code splits/sSEED/fFRACTION[/kFOLD]} of the study with its own
 * {@code dataset.json} and links (symbolic where the file system allows, else hard links, else
 * copies) to the dataset's files: {@code imagesTr/}, {@code labelsTr/}, {@code imagesUnlabeled/}
 * and, with folds, {@code imagesTs/} and {@code labelsTs/}. Semi-supervised arms find their
 * unlabeled images in the view's {@code imagesUnlabeled/}, as {@code train --mode semi} looks there
 * by default.
 */
public final class StudySplits {

	/** The cases of one (seed, fraction, fold). */
	public record Split(List<String> labeled, List<String> unlabeled, List<String> test) {}

	/** Where a split's view and its test files are. */
	public record View(Path dataset, Path testImages, Path testLabels) {}

	private final StudyDesign design;
	private final TrainingDataset dataset;
	private final Map<String, TrainingDataset.Case> byId = new LinkedHashMap<>();
	private final List<String> ids = new ArrayList<>();
	private final Map<String, Path> testImages, testLabels;
	private final List<Path> extraUnlabeled = new ArrayList<>();

	/**
	 * Reads the dataset and checks the design against it: a test set or folds, and at least one
	 * labeled case at every fraction.
	 *
	 * @throws IOException if the dataset cannot be read, has no test set while the design has no
	 *           folds, or has too few cases
	 * @throws IllegalArgumentException naming a fraction that leaves no labeled case
	 */
	public StudySplits(final StudyDesign design) throws IOException {
		this.design = design;
		dataset = TrainingDataset.read(design.data());
		for (final TrainingDataset.Case c : dataset.cases()) byId.put(c.id(), c);
		ids.addAll(byId.keySet());
		Collections.sort(ids);
		final Path root = dataset.root();
		if (design.folds() == 0) {
			final Path ti = root.resolve("imagesTs"), tl = root.resolve("labelsTs");
			if (!Files.isDirectory(ti) || !Files.isDirectory(tl)) {
				throw new IOException(root + " has no test set (imagesTs/ and labelsTs/): add them, or give --folds K to cross-validate " +
					"on the training cases");
			}
			testImages = FolderEvaluation.cases(ti);
			testLabels = FolderEvaluation.cases(tl);
			if (testLabels.isEmpty()) throw new IOException(tl + " holds no label maps");
			final List<String> missing = new ArrayList<>();
			for (final String id : testLabels.keySet()) if (!testImages.containsKey(id)) missing.add(id);
			if (!missing.isEmpty()) throw new IOException(ti + " has no image for test case(s) " + missing);
		}
		else {
			testImages = null;
			testLabels = null;
			if (ids.size() < design.folds()) {
				throw new IOException(root + " has " + ids.size() + " training cases, too few for " + design.folds() + " folds");
			}
		}
		final Path unl = root.resolve("imagesUnlabeled");
		if (Files.isDirectory(unl)) {
			try (Stream<Path> s = Files.list(unl)) {
				s.filter(p -> FolderEvaluation.caseId(p) != null).sorted().forEach(extraUnlabeled::add);
			}
		}
		for (final double f : design.fractions()) {
			final int pool = poolSize();
			if (labeledCount(f, pool) < 1) {
				throw new IllegalArgumentException("label fraction " + f + " of " + pool + " training cases" + (design.folds() > 0 ? " (per fold)"
					: "") + " rounds to no labeled case; the smallest usable fraction here is " + (0.5 / pool) + " (one case)");
			}
		}
	}

	/** Images of the dataset's own {@code imagesUnlabeled/}, in every split's unlabeled pool. */
	public int extraUnlabeled() {
		return extraUnlabeled.size();
	}

	/** Training cases available for labels in a fold (all of them without folds; the smallest fold's complement with). */
	private int poolSize() {
		if (design.folds() == 0) return ids.size();
		return ids.size() - (ids.size() + design.folds() - 1) / design.folds();
	}

	static int labeledCount(final double fraction, final int pool) {
		return (int) Math.round(fraction * pool);
	}

	/** Fold of each training case (1..K), or an empty map without folds. */
	Map<String, Integer> folds() {
		final Map<String, Integer> f = new LinkedHashMap<>();
		if (design.folds() == 0) return f;
		final List<String> order = shuffled(ids, 0);
		for (int i = 0; i < order.size(); i++) f.put(order.get(i), i % design.folds() + 1);
		return f;
	}

	/** The cases of one (seed, fraction, fold). */
	public Split split(final long seed, final double fraction, final int fold) {
		final Map<String, Integer> folds = folds();
		final List<String> pool = new ArrayList<>(), test = new ArrayList<>();
		for (final String id : ids) (fold > 0 && folds.get(id) == fold ? test : pool).add(id);
		if (fold == 0) test.addAll(testLabels.keySet());
		final List<String> order = shuffled(pool, seed);
		final int n = labeledCount(fraction, pool.size());
		final List<String> labeled = new ArrayList<>(order.subList(0, n)), unlabeled = design.dropWithheld() ? new ArrayList<>()
			: new ArrayList<>(order.subList(n, order.size()));
		Collections.sort(labeled);
		Collections.sort(unlabeled);
		return new Split(List.copyOf(labeled), List.copyOf(unlabeled), List.copyOf(test));
	}

	/** {@code ids} (sorted) shuffled by Fisher–Yates with {@code SplittableRandom(seed)}. */
	private static List<String> shuffled(final List<String> ids, final long seed) {
		final List<String> l = new ArrayList<>(ids);
		Collections.sort(l);
		final SplittableRandom r = new SplittableRandom(seed);
		for (int i = l.size() - 1; i > 0; i--) Collections.swap(l, i, r.nextInt(i + 1));
		return l;
	}

	/**
	 * The view of (seed, fraction, fold), made on first use: built in a temporary folder and renamed
	 * into place, so that a killed run leaves either a whole view or none.
	 */
	public synchronized View view(final long seed, final double fraction, final int fold) throws IOException {
		Path dir = design.out().resolve("splits").resolve("s" + seed).resolve(StudyDesign.fractionName(fraction));
		if (fold > 0) dir = dir.resolve("k" + fold);
		final Path root = dataset.root();
		final View view = new View(dir, fold > 0 ? dir.resolve("imagesTs") : root.resolve("imagesTs"), fold > 0 ? dir.resolve("labelsTs")
			: root.resolve("labelsTs"));
		if (Files.isRegularFile(dir.resolve("dataset.json"))) return view;
		Files.createDirectories(dir.getParent());
		final Path tmp = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + ".");
		try {
			final Split s = split(seed, fraction, fold);
			final String ending = dataset.fileEnding();
			final JsonArray training = new JsonArray();
			for (final String id : s.labeled()) {
				final TrainingDataset.Case c = byId.get(id);
				link(tmp.resolve("imagesTr").resolve(id + "_0000" + ending), c.image());
				link(tmp.resolve("labelsTr").resolve(id + ending), c.label());
				final JsonObject e = new JsonObject();
				e.addProperty("image", "imagesTr/" + id + "_0000" + ending);
				e.addProperty("label", "labelsTr/" + id + ending);
				training.add(e);
			}
			for (final String id : s.unlabeled()) link(tmp.resolve("imagesUnlabeled").resolve(id + "_0000" + ending), byId.get(id).image());
			for (final Path p : extraUnlabeled) link(tmp.resolve("imagesUnlabeled").resolve(p.getFileName().toString()), p);
			if (fold > 0) {
				for (final String id : s.test()) {
					final TrainingDataset.Case c = byId.get(id);
					link(tmp.resolve("imagesTs").resolve(id + "_0000" + ending), c.image());
					link(tmp.resolve("labelsTs").resolve(id + ending), c.label());
				}
			}
			final JsonObject json = dataset.json().deepCopy();
			json.add("training", training);
			json.addProperty("numTraining", s.labeled().size());
			json.remove("test");
			json.remove("numTest");
			Json.write(tmp.resolve("dataset.json"), json);
			AtomicFiles.move(tmp, dir);
		}
		finally {
			if (Files.exists(tmp)) sc.fiji.voxelseg.util.AtomicFiles.deleteTree(tmp);
		}
		return view;
	}

	private static void link(final Path link, final Path target) throws IOException {
		Files.createDirectories(link.getParent());
		final Path abs = target.toAbsolutePath().normalize();
		try {
			Files.createSymbolicLink(link, abs);
		}
		catch (final UnsupportedOperationException | IOException e) {
			try {
				Files.createLink(link, abs);
			}
			catch (final UnsupportedOperationException | IOException e2) {
				Files.copy(abs, link);
			}
		}
	}

}
