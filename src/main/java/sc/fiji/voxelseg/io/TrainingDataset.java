package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.util.Json;

/**
 * A single-channel training set in the nnU-Net layout ({@code dataset.json}, {@code imagesTr/},
 * {@code labelsTr/}), as {@link PhantomCohort} writes it and as nnU-Net v1 (MSD) and v2 datasets
 * come.
 * <p>
 * Cases are taken from the {@code "training"} list when there is one (v1/MSD; an entry naming
 * {@code imagesTr/x.nii.gz} also matches the converted {@code imagesTr/x_0000.nii.gz}), else from
 * the {@code imagesTr/*_0000} files with the dataset's {@code file_ending} (v2). Classes come from
 * {@code "voxelseg_classes"} (with colours) when present, else from {@code "labels"} (v2:
 * name → value; v1: "value" → name).
 * <p>
 * {@link #read} fails with an {@link IOException} naming the problem when the dataset is empty,
 * files are missing, an image and its label have different case ids, or {@code numTraining}
 * disagrees with the case list.
 */
public final class TrainingDataset {

	/** One training case: id, image (channel 0) and label map. */
	public record Case(String id, Path image, Path label) {}

	private final Path root;
	private final ClassTable classes;
	private final List<Case> cases;
	private final String fileEnding;
	private final JsonObject json;

	private TrainingDataset(final Path root, final ClassTable classes, final List<Case> cases,
		final String fileEnding, final JsonObject json)
	{
		this.root = root;
		this.classes = classes;
		this.cases = List.copyOf(cases);
		this.fileEnding = fileEnding;
		this.json = json;
	}

	/** The dataset folder. */
	public Path root() {
		return root;
	}

	public ClassTable classes() {
		return classes;
	}

	public List<Case> cases() {
		return cases;
	}

	public int size() {
		return cases.size();
	}

	/** E.g. {@code .nii.gz}. */
	public String fileEnding() {
		return fileEnding;
	}

	/** The parsed {@code dataset.json} (a copy). */
	public JsonObject json() {
		return json.deepCopy();
	}

	/**
	 * Reads a dataset from its folder or its {@code dataset.json}.
	 *
	 * @throws IOException if the file is missing or malformed, lists no cases, or names missing or
	 *           mismatched files
	 */
	public static TrainingDataset read(final Path folderOrJson) throws IOException {
		final Path file = Files.isDirectory(folderOrJson) ? folderOrJson.resolve("dataset.json")
			: folderOrJson;
		if (!Files.isRegularFile(file)) throw new IOException("no dataset.json at " + file);
		final Path root = file.toAbsolutePath().getParent();
		final JsonObject json = Json.read(file, JsonObject.class);
		final String ending = json.has("file_ending") ? json.get("file_ending").getAsString()
			: ".nii.gz";
		if (json.has("channel_names") && json.getAsJsonObject("channel_names").size() > 1)
			throw new IOException(file + ": " + json.getAsJsonObject("channel_names").size() +
				" input channels; VoxelSeg trains on single-channel images");
		final ClassTable classes = classes(file, json);
		final List<Case> cases = json.has("training") && json.getAsJsonArray("training").size() > 0
			? listed(file, root, json.getAsJsonArray("training"), ending) : scanned(root, ending);
		if (cases.isEmpty()) throw new IOException(file + ": the dataset has no training cases (no " +
			"\"training\" list and no imagesTr/*_0000" + ending + " files)");
		if (json.has("numTraining") && json.get("numTraining").getAsInt() != cases.size())
			throw new IOException(file + ": numTraining is " + json.get("numTraining").getAsInt() +
				" but the dataset has " + cases.size() + " cases");
		final List<String> missing = new ArrayList<>();
		final Set<String> ids = new HashSet<>();
		for (final Case c : cases) {
			if (!ids.add(c.id())) throw new IOException(file + ": case " + c.id() + " appears twice");
			if (!Files.isRegularFile(c.image())) missing.add(root.relativize(c.image()).toString());
			if (!Files.isRegularFile(c.label())) missing.add(root.relativize(c.label()).toString());
		}
		if (!missing.isEmpty()) throw new IOException(file + ": " + missing.size() +
			" missing file(s) in " + root + ": " + String.join(", ", missing.subList(0, Math.min(10,
				missing.size()))) + (missing.size() > 10 ? ", ..." : ""));
		return new TrainingDataset(root, classes, cases, ending, json);
	}

	private static ClassTable classes(final Path file, final JsonObject json) throws IOException {
		try {
			if (json.has("voxelseg_classes")) {
				final List<LabelClass> list = new ArrayList<>();
				for (final JsonElement e : json.getAsJsonArray("voxelseg_classes")) {
					final JsonObject o = e.getAsJsonObject();
					final String colour = o.has("color") ? o.get("color").getAsString() : null;
					final int index = o.get("index").getAsInt();
					list.add(new LabelClass(index, o.get("name").getAsString(), colour == null ? ClassTable
						.distinctColour(index) : Integer.parseInt(colour.replace("#", ""), 16)));
				}
				return new ClassTable(list);
			}
			if (!json.has("labels")) throw new IOException(file + ": no \"labels\" table");
			final List<LabelClass> list = new ArrayList<>();
			for (final Map.Entry<String, JsonElement> e : json.getAsJsonObject("labels").entrySet()) {
				final JsonElement v = e.getValue();
				if (v.isJsonArray()) throw new IOException(file + ": label \"" + e.getKey() +
					"\" is a region (a list of values); VoxelSeg needs one value per class");
				final String key = e.getKey();
				if (v.getAsJsonPrimitive().isNumber()) {
					final int index = v.getAsInt();
					list.add(new LabelClass(index, key, ClassTable.distinctColour(index)));
				}
				else {
					final int index = Integer.parseInt(key.trim());
					list.add(new LabelClass(index, v.getAsString(), ClassTable.distinctColour(index)));
				}
			}
			return new ClassTable(list);
		}
		catch (final IllegalArgumentException | IllegalStateException | ClassCastException
				| NullPointerException e)
		{
			throw new IOException(file + ": bad class table (" + e.getMessage() + ")", e);
		}
	}

	private static List<Case> listed(final Path file, final Path root, final JsonArray training,
		final String ending) throws IOException
	{
		final List<Case> out = new ArrayList<>();
		int n = 0;
		for (final JsonElement e : training) {
			if (!e.isJsonObject() || !e.getAsJsonObject().has("image") || !e.getAsJsonObject().has(
				"label")) throw new IOException(file + ": training entry " + n +
					" needs \"image\" and \"label\"");
			Path image = root.resolve(e.getAsJsonObject().get("image").getAsString()).normalize();
			final Path label = root.resolve(e.getAsJsonObject().get("label").getAsString()).normalize();
			final String imageName = image.getFileName().toString();
			if (!Files.exists(image) && imageName.endsWith(ending)) {
				final Path converted = image.resolveSibling(stem(imageName, ending) + "_0000" + ending);
				if (Files.exists(converted)) image = converted;
			}
			final String imageId = caseIdOfImage(image.getFileName().toString(), ending);
			final String labelId = stem(label.getFileName().toString(), ending);
			if (!imageId.equals(labelId)) throw new IOException(file + ": training entry " + n +
				" pairs image " + root.relativize(image) + " (case " + imageId + ") with label " + root
					.relativize(label) + " (case " + labelId + ")");
			out.add(new Case(labelId, image, label));
			n++;
		}
		return out;
	}

	private static List<Case> scanned(final Path root, final String ending) throws IOException {
		final Path images = root.resolve("imagesTr");
		if (!Files.isDirectory(images)) return Collections.emptyList();
		final List<Case> out = new ArrayList<>();
		try (Stream<Path> s = Files.list(images)) {
			for (final Path p : (Iterable<Path>) s.sorted()::iterator) {
				final String name = p.getFileName().toString();
				if (!name.endsWith("_0000" + ending) || name.startsWith(".")) continue;
				final String id = caseIdOfImage(name, ending);
				out.add(new Case(id, p, root.resolve("labelsTr").resolve(id + ending)));
			}
		}
		return out;
	}

	private static String stem(final String name, final String ending) {
		return name.endsWith(ending) ? name.substring(0, name.length() - ending.length()) : name;
	}

	private static String caseIdOfImage(final String name, final String ending) {
		final String s = stem(name, ending);
		return s.matches(".*_\\d{4}") ? s.substring(0, s.length() - 5) : s;
	}

	/**
	 * Reads every case and checks that its label map lies on its image's grid.
	 *
	 * @throws IOException naming the first case whose files cannot be read or do not match
	 */
	public void checkGrids() throws IOException {
		for (final Case c : cases) {
			final Volume image = NiftiIO.read(c.image());
			final Volume label = NiftiIO.read(c.label());
			try {
				image.requireSameGrid(label, "image " + root.relativize(c.image()), "label map " + root
					.relativize(c.label()));
			}
			catch (final IllegalArgumentException e) {
				throw new IOException(e.getMessage(), e);
			}
		}
	}
}
