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
		final Path root = file.toAbsolutePath().normalize().getParent();
		try {
			return read(file, root, Json.read(file, JsonObject.class));
		}
		catch (final IOException e) {
			throw VolumeFormatException.oneLine(e); // messages echo names from the file
		}
		catch (final RuntimeException e) {
			// a field of the wrong kind: a string where a number or a list belongs, and so on
			throw new IOException(VolumeFormatException.oneLine(file + ": a field has the wrong type or value (" + e
				.getMessage() + "); see the nnU-Net dataset.json layout"), e);
		}
	}

	private static TrainingDataset read(final Path file, final Path root, final JsonObject json) throws IOException {
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
		if (json.has("numTraining")) {
			final JsonElement nt = json.get("numTraining");
			if (!nt.isJsonPrimitive() || !nt.getAsJsonPrimitive().isNumber() || nt.getAsDouble() != Math.rint(nt
				.getAsDouble())) throw new IOException(VolumeFormatException.oneLine(file + ": numTraining is " + nt +
					", not a whole number"));
			if (nt.getAsDouble() != cases.size()) throw new IOException(file + ": numTraining is " + nt +
				" but the dataset has " + cases.size() + " cases");
		}
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
					final int index = index(o.get("index").getAsString());
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
					final int index = index(v.getAsString());
					list.add(new LabelClass(index, key, ClassTable.distinctColour(index)));
				}
				else {
					final int index = index(key);
					list.add(new LabelClass(index, v.getAsString(), ClassTable.distinctColour(index)));
				}
			}
			return new ClassTable(list);
		}
		catch (final RuntimeException e) {
			throw new IOException(VolumeFormatException.oneLine(file + ": bad class table (" + e.getMessage() +
				"); each class needs a whole index of at least 0 and a name"), e);
		}
	}

	/** A class index: a whole number 0 .. 65535. */
	private static int index(final String v) {
		final double d;
		try {
			d = Double.parseDouble(v.trim());
		}
		catch (final NumberFormatException e) {
			throw new IllegalArgumentException("class index '" + v + "' is not a number");
		}
		if (d != Math.rint(d) || d < 0 || d > 65535) throw new IllegalArgumentException("class index " + v +
			" is not a whole number from 0 to 65535");
		return (int) d;
	}

	/**
	 * A path a training entry names, resolved against the dataset folder; refused when it lies
	 * outside that folder (an absolute path, or one that climbs out with {@code ..}), so that a
	 * dataset.json from elsewhere cannot make VoxelSeg read, and train on, arbitrary files. Links
	 * that the folder's owner put inside it are followed (a study's split views are made of them).
	 */
	private static Path inside(final Path file, final Path root, final String name, final int entry, final String what)
		throws IOException
	{
		final Path p;
		try {
			p = root.resolve(name).normalize();
		}
		catch (final java.nio.file.InvalidPathException e) {
			throw new IOException(VolumeFormatException.oneLine(file + ": training entry " + entry + " names " + what +
				" '" + name + "', which is not a valid path"));
		}
		if (!p.startsWith(root)) throw new IOException(VolumeFormatException.oneLine(file + ": training entry " + entry + " names " +
			what + " '" + name + "', which lies outside the dataset folder " + root +
			"; every image and label must be inside the dataset folder"));
		return p;
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
			Path image = inside(file, root, e.getAsJsonObject().get("image").getAsString(), n, "image");
			final Path label = inside(file, root, e.getAsJsonObject().get("label").getAsString(), n, "label");
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
