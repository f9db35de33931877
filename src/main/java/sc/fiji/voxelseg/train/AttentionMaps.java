package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.util.Digests;
import sc.fiji.voxelseg.util.Progress;

/**
 * The attention maps of training on organ-centred patches (seed 002, {@link PatchSettings#attention}):
 * for every case of a dataset, a coarse label map on the model grid of the training data, made by
 * the same preprocessing as the ground truth so that it lies on the same voxels. Three sources:
 * <ul>
 * <li>{@value PatchSettings#LABELS}: the ground truth itself, the oracle that measures what the
 * coarse model's errors cost;</li>
 * <li>a coarse VoxelSeg model bundle: its segmentation of each case's image. A model segments the
 * cases it was trained on better than new ones, so masks of those cases would be unrealistically
 * good, and a cascade trained on them would learn to trust its attention more than it should. Those
 * cases (the bundle records them) are therefore cross-fitted: split into K folds, and each fold
 * segmented by a model trained like the bundle (its settings, preprocessing and budget) on the
 * other folds. Cases the bundle did not see are segmented by the bundle itself;</li>
 * <li>a folder of label maps, one per case, named like the case's image file (or its label file).</li>
 * </ul>
 */
public final class AttentionMaps {

	private AttentionMaps() {}

	/**
	 * Each case's attention map on the model grid, by case id.
	 *
	 * @param data the dataset's cases after the plan (their labels for {@value PatchSettings#LABELS})
	 * @throws IOException naming the file that cannot be read
	 * @throws IllegalArgumentException naming the source or case that does not fit
	 */
	public static Map<String, byte[]> load(final String source, final TrainingDataset ds, final TrainingData data, final Progress progress)
		throws IOException
	{
		return load(source, ds, data, DEFAULT_FOLDS, progress);
	}

	/** Folds of cross-fitting by default (fewer when the coarse model saw fewer cases). */
	public static final int DEFAULT_FOLDS = 5;

	/**
	 * Each case's attention map on the model grid, by case id, cross-fitting a coarse bundle's own
	 * training cases in {@code folds} folds (at most one per case; below 2, or with fewer than 2 such
	 * cases, the bundle's own segmentation is used and the optimistic cases are reported).
	 *
	 * @throws IOException naming the file that cannot be read
	 * @throws IllegalArgumentException naming the source or case that does not fit
	 */
	public static Map<String, byte[]> load(final String source, final TrainingDataset ds, final TrainingData data, final int folds,
		final Progress progress) throws IOException
	{
		final Map<String, byte[]> maps = new HashMap<>();
		if (PatchSettings.LABELS.equals(source)) {
			for (final CaseData c : data.cases()) maps.put(c.id(), c.labels());
			return maps;
		}
		final Path p = Path.of(source);
		if (!Files.exists(p)) {
			throw new IllegalArgumentException("attention source " + source + " does not exist: give 'labels', a coarse model bundle or a " +
				"folder of label maps");
		}
		final List<TrainingData.Pair> pairs = new ArrayList<>();
		if (Files.isDirectory(p) && !Files.exists(p.resolve(ModelBundle.DESCRIPTION))) {
			for (final TrainingDataset.Case c : ds.cases()) {
				final Path f = mapFile(p, c);
				pairs.add(new TrainingData.Pair(c.id(), VolumeIO.read(c.image()), VolumeIO.read(f)));
			}
		}
		else {
			final ModelBundle b = ModelBundle.load(p);
			b.requireSegmentation(source);
			final Set<String> seen = trainedOn(b);
			final List<TrainingDataset.Case> own = new ArrayList<>();
			for (final TrainingDataset.Case c : ds.cases()) if (seen.contains(c.id())) own.add(c);
			final int k = Math.min(folds, own.size());
			final Map<String, Volume> crossFitted = k >= 2 ? cachedCrossFit(p, b, own, k, ds, progress) : Map.of();
			final List<String> optimistic = new ArrayList<>();
			try (Predictor predictor = Predictor.load(p, "auto")) {
				int i = 0;
				for (final TrainingDataset.Case c : ds.cases()) {
					progress.checkCanceled();
					progress.progress(i++, ds.size());
					final Volume image = VolumeIO.read(c.image());
					Volume map = crossFitted.get(c.id());
					if (map == null) {
						progress.status("Coarse segmentation of " + c.id() + " for its attention map");
						map = predictor.predict(image, PredictOptions.defaults(), Progress.NONE).labels();
						if (seen.contains(c.id())) optimistic.add(c.id());
					}
					pairs.add(new TrainingData.Pair(c.id(), image, map));
				}
			}
			if (!optimistic.isEmpty()) {
				progress.warning(optimistic.size() + " of " + ds.size() + " cases were training cases of the coarse model " + source + ": " +
					"their attention maps are better than those of new images. For realistic masks give a folder of cross-fitted " +
					"segmentations instead");
			}
		}
		final TrainingData prepared = TrainingData.of(pairs, data.classes(), data.plan(), progress);
		for (final CaseData c : prepared.cases()) maps.put(c.id(), c.labels());
		return maps;
	}

	/**
	 * {@link #crossFit}, kept beside the coarse bundle ({@code BUNDLE.crossfit/}: a label map per case
	 * and what they were made from) so that every run with the same bundle, folds and cases reuses
	 * them: a study's arms that share a coarse model fit it once. The key is the bundle's weights
	 * (SHA-256), the folds and the case ids; a folder with another key is replaced. Written to a
	 * temporary folder and renamed, so a run that stops leaves no partial cache; when two runs fit at
	 * once, the first to finish is kept.
	 */
	static Map<String, Volume> cachedCrossFit(final Path bundle, final ModelBundle coarse, final List<TrainingDataset.Case> own,
		final int k, final TrainingDataset ds, final Progress progress) throws IOException
	{
		final Path abs = bundle.toAbsolutePath();
		final Path cache = abs.resolveSibling(abs.getFileName() + ".crossfit");
		final List<String> ids = new ArrayList<>();
		for (final TrainingDataset.Case c : own) ids.add(c.id());
		java.util.Collections.sort(ids);
		final JsonObject key = new JsonObject();
		key.addProperty("weights_sha256", Digests.sha256(coarse.weights()));
		key.addProperty("folds", k);
		final JsonArray cases = new JsonArray();
		ids.forEach(cases::add);
		key.add("cases", cases);
		// one fit at a time per bundle across processes (a study's cells side by side): the second waits and reuses
		try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(abs.resolveSibling(abs.getFileName() + ".crossfit.lock"),
			java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock lock = lock(ch))
		{
			return cachedCrossFit(cache, key, ids, coarse, own, k, ds, progress);
		}
	}

	/** An exclusive lock on {@code ch}, or null where locking is not possible (another thread of this process holds it). */
	private static java.nio.channels.FileLock lock(final java.nio.channels.FileChannel ch) throws IOException {
		try {
			return ch.lock();
		}
		catch (final java.nio.channels.OverlappingFileLockException e) {
			return null;
		}
	}

	private static Map<String, Volume> cachedCrossFit(final Path cache, final JsonObject key, final List<String> ids, final ModelBundle coarse,
		final List<TrainingDataset.Case> own, final int k, final TrainingDataset ds, final Progress progress) throws IOException
	{
		final Path keyFile = cache.resolve("key.json");
		if (Files.isRegularFile(keyFile)) {
			try {
				if (sc.fiji.voxelseg.util.Json.read(keyFile, JsonObject.class).equals(key)) {
					final Map<String, Volume> maps = new HashMap<>();
					for (final String id : ids) maps.put(id, VolumeIO.read(cache.resolve(id + ".nii.gz")));
					progress.status("Cross-fitted attention maps of " + ids.size() + " cases reused from " + cache);
					return maps;
				}
			}
			catch (final IOException | RuntimeException e) {
				progress.warning("the cross-fitting cache " + cache + " cannot be read (" + e.getMessage() + "); fitting again");
			}
		}
		final Map<String, Volume> maps = crossFit(coarse, own, k, ds, progress);
		final Path tmp = Files.createTempDirectory(cache.getParent(), ".crossfit");
		try {
			for (final Map.Entry<String, Volume> e : maps.entrySet()) sc.fiji.voxelseg.io.NiftiIO.write(e.getValue(), tmp.resolve(e.getKey() +
				".nii.gz"));
			sc.fiji.voxelseg.util.Json.write(tmp.resolve("key.json"), key);
			if (Files.exists(cache)) sc.fiji.voxelseg.util.AtomicFiles.deleteTree(cache);
			Files.move(tmp, cache, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
		}
		catch (final IOException e) {
			// another run wrote it first, or the folder is read-only: the maps are still good
			progress.warning("the cross-fitted attention maps could not be kept in " + cache + ": " + e.getMessage());
		}
		finally {
			sc.fiji.voxelseg.util.AtomicFiles.deleteTree(tmp);
		}
		return maps;
	}

	/**
	 * Cross-fitted segmentations of {@code own} (cases the coarse bundle was trained on): fold j
	 * (cases j, j + k, … in id order) is segmented by a model trained like the bundle on the other
	 * folds, in a temporary folder that is removed afterwards. A semi-supervised bundle is refit
	 * with supervised training of the same network and optimiser (its unlabeled images are not part
	 * of this dataset).
	 */
	static Map<String, Volume> crossFit(final ModelBundle coarse, final List<TrainingDataset.Case> own, final int k,
		final TrainingDataset ds, final Progress progress) throws IOException
	{
		final TrainingSettings settings = TrainingSettings.fromJson(coarse.training().getAsJsonObject("settings"));
		if (settings.semiSupervised != null) {
			progress.warning("the coarse model was trained semi-supervised; its cross-fitting models are trained supervised (same network " +
				"and optimiser)");
			settings.semiSupervised = null;
		}
		final List<TrainingDataset.Case> sorted = new ArrayList<>(own);
		sorted.sort(java.util.Comparator.comparing(TrainingDataset.Case::id));
		final Map<String, Volume> out = new HashMap<>();
		final Path tmp = Files.createTempDirectory("voxelseg-crossfit");
		try {
			for (int j = 0; j < k; j++) {
				final List<TrainingData.Pair> train = new ArrayList<>();
				final List<TrainingDataset.Case> held = new ArrayList<>();
				for (int i = 0; i < sorted.size(); i++) {
					final TrainingDataset.Case c = sorted.get(i);
					if (i % k == j) held.add(c);
					else train.add(new TrainingData.Pair(c.id(), VolumeIO.read(c.image()), VolumeIO.read(c.label())));
				}
				progress.status(String.format(java.util.Locale.ROOT, "Cross-fitting the coarse model, fold %d of %d: training on %d cases, " +
					"segmenting %d", j + 1, k, train.size(), held.size()));
				final TrainingData td = TrainingData.of(train, ds.classes(), coarse.plan(), Progress.NONE);
				final Path model = tmp.resolve("fold" + j);
				new Trainer(td, settings, model, Progress.NONE).train();
				try (Predictor predictor = Predictor.load(model, settings.device)) {
					for (final TrainingDataset.Case c : held) {
						progress.checkCanceled();
						out.put(c.id(), predictor.predict(VolumeIO.read(c.image()), PredictOptions.defaults(), Progress.NONE).labels());
					}
				}
			}
		}
		catch (final InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("cross-fitting was interrupted", e);
		}
		finally {
			sc.fiji.voxelseg.util.AtomicFiles.deleteTree(tmp);
		}
		return out;
	}

	/** The label map of case {@code c} in folder {@code dir}: named like its image, or like its label file. */
	static Path mapFile(final Path dir, final TrainingDataset.Case c) {
		final Path byImage = dir.resolve(c.image().getFileName().toString());
		if (Files.isRegularFile(byImage)) return byImage;
		final Path byLabel = dir.resolve(c.label().getFileName().toString());
		if (Files.isRegularFile(byLabel)) return byLabel;
		throw new IllegalArgumentException("the attention folder " + dir + " has no label map for case " + c.id() + " (looked for " + c
			.image().getFileName() + " and " + c.label().getFileName() + ")");
	}

	/** The case ids a model bundle lists as its training cases. */
	private static Set<String> trainedOn(final ModelBundle b) {
		final Set<String> ids = new HashSet<>();
		final JsonObject t = b.training();
		final JsonElement state = t == null ? null : t.get("state");
		if (state != null && state.isJsonObject() && state.getAsJsonObject().get("training") instanceof JsonArray a) {
			a.forEach(e -> ids.add(e.getAsString()));
		}
		return ids;
	}

	/**
	 * Each case's condition tag from a file: a CSV of {@code case,condition} rows (a header row
	 * {@code case,...} is skipped), or a JSON list of objects with {@code id} and {@code phase} or
	 * {@code condition}, such as the phantom cohort's {@code cases.json}.
	 *
	 * @throws IOException naming the file and line that cannot be read
	 */
	public static Map<String, String> conditions(final Path file) throws IOException {
		if (!Files.isRegularFile(file)) throw new IOException("conditions file " + file + " does not exist");
		final Map<String, String> m = new HashMap<>();
		if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json")) {
			final String text = Files.readString(file);
			sc.fiji.voxelseg.util.Json.checkDepth(text, file.toString());
			final JsonElement root;
			try {
				root = com.google.gson.JsonParser.parseString(text);
			}
			catch (final RuntimeException e) {
				throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
			}
			if (!root.isJsonArray()) throw new IOException(file + " must be a JSON list of cases, each with id and phase (or condition)");
			for (final JsonElement e : root.getAsJsonArray()) {
				if (!e.isJsonObject()) throw new IOException(file + ": every entry must be an object with id and phase (or condition)");
				final JsonObject o = e.getAsJsonObject();
				final JsonElement id = o.get("id"), tag = o.has("condition") ? o.get("condition") : o.get("phase");
				if (id == null || tag == null || !id.isJsonPrimitive() || !tag.isJsonPrimitive()) {
					throw new IOException(file + ": entry " + o.get("id") + " needs an id and a phase (or condition)");
				}
				m.put(id.getAsString(), tag.getAsString());
			}
			return m;
		}
		final List<String> lines = Files.readAllLines(file);
		for (int i = 0; i < lines.size(); i++) {
			final String line = lines.get(i).strip();
			if (line.isEmpty() || line.startsWith("#")) continue;
			final String[] f = line.split("[,;\t]");
			if (f.length < 2 || f[0].isBlank() || f[1].isBlank()) {
				throw new IOException(file + " line " + (i + 1) + ": expected 'case,condition', got '" + line + "'");
			}
			if (m.isEmpty() && i == firstContent(lines) && f[0].strip().equalsIgnoreCase("case")) continue;
			if (m.put(f[0].strip(), f[1].strip()) != null) throw new IOException(file + " line " + (i + 1) + ": case " + f[0].strip() + " is tagged twice");
		}
		if (m.isEmpty()) throw new IOException(file + " tags no case");
		return m;
	}

	private static int firstContent(final List<String> lines) {
		for (int i = 0; i < lines.size(); i++) if (!lines.get(i).isBlank() && !lines.get(i).strip().startsWith("#")) return i;
		return -1;
	}
}
