package sc.fiji.voxelseg.phantom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

/**
 * Writes a phantom cohort as an nnU-Net training set:
 *
 * <pre>
 * outDir/dataset.json
 * outDir/cases.json                      (every case's parameters, see {@link PhantomCase#parameters})
 * outDir/imagesTr/case_000_0000.nii.gz   (int16 HU)
 * outDir/labelsTr/case_000.nii.gz        (uint8, class table in a NIfTI extension)
 * outDir/imagesUnlabeled/...             (optional: images without labels)
 * outDir/imagesTs/..., labelsTs/...      (optional: held-out test cases)
 * </pre>
 *
 * {@code dataset.json} has the nnU-Net v2 keys ({@code channel_names}, {@code labels} name →
 * value, {@code numTraining}, {@code file_ending}), the v1/MSD {@code training} list of image and
 * label paths, the generator settings under {@code voxelseg_phantom} and the class table with
 * colours under {@code voxelseg_classes}. {@link TrainingDataset#read} reads it back.
 * <p>
 * All-or-nothing: cases are generated into a hidden staging folder inside {@code outDir}; only
 * when every case is written are they moved into place and {@code dataset.json} written last. A
 * cancelled or failed run removes the staging folder and leaves {@code outDir} as it was.
 */
public final class PhantomCohort {

	/** Case files of an earlier run, replaced by a new run in the same folder. */
	private static final Pattern CASE_FILE = Pattern.compile("case_\\d{3,}(_0000)?\\.nii\\.gz");

	private PhantomCohort() {}

	/**
	 * Generates {@code config.cases()} cases into {@code outDir}, reporting progress per case and
	 * checking for cancellation between cases.
	 *
	 * @return the dataset as read back from the written {@code dataset.json}
	 * @throws Progress.CanceledException if cancelled; nothing of the run is left behind
	 */
	public static TrainingDataset write(final PhantomConfig config, final Path outDir,
		final Progress progress) throws IOException
	{
		return write(config, 0, outDir, progress);
	}

	/**
	 * {@link #write(PhantomConfig, Path, Progress)} plus {@code testCases} held-out cases in
	 * {@code imagesTs/} and {@code labelsTs/}: cases {@code config.cases()} to
	 * {@code config.cases() + testCases - 1} of the same generator, so they are new cases that do
	 * not change the training ones.
	 */
	public static TrainingDataset write(final PhantomConfig config, final int testCases, final Path outDir,
		final Progress progress) throws IOException
	{
		return write(new Layout(config, 0, testCases, config.variation(), config.variation()), outDir, progress);
	}

	/**
	 * Which cases go where: case indices {@code 0..n-1} ({@code n = config.cases()}) are the
	 * labeled training cases, drawn from {@code labeledProfile}; then {@code unlabeled} cases whose
	 * images go to {@code imagesUnlabeled/}, then {@code test} cases in {@code imagesTs/} and
	 * {@code labelsTs/}, both drawn from {@code otherProfile}. A case depends only on (seed, index,
	 * profile).
	 */
	public record Layout(PhantomConfig config, int unlabeled, int test, PhantomVariation.Profile labeledProfile,
		PhantomVariation.Profile otherProfile)
	{

		public Layout {
			if (unlabeled < 0 || test < 0) throw new IllegalArgumentException("unlabeled and test cases must be >= 0, got " + unlabeled +
				" and " + test);
		}

		/**
		 * The domain-shift split: labeled cases from {@link PhantomVariation.Profile#SOURCE}
		 * (portal-venous, low noise, no pathology), unlabeled and test cases from
		 * {@link PhantomVariation.Profile#TARGET} (mixed phases, more noise, pathologies).
		 */
		public static Layout domainShift(final PhantomConfig config, final int unlabeled, final int test) {
			return new Layout(config, unlabeled, test, PhantomVariation.Profile.SOURCE, PhantomVariation.Profile.TARGET);
		}

		int total() {
			return config.cases() + unlabeled + test;
		}

		/** 0 labeled training, 1 unlabeled, 2 test. */
		int part(final int index) {
			return index < config.cases() ? 0 : index < config.cases() + unlabeled ? 1 : 2;
		}

		PhantomVariation.Profile profile(final int index) {
			return part(index) == 0 ? labeledProfile : otherProfile;
		}
	}

	private static final String[] PART_NAMES = { "train", "unlabeled", "test" };
	private static final String[] IMAGE_DIRS = { "imagesTr", "imagesUnlabeled", "imagesTs" };
	private static final String[] LABEL_DIRS = { "labelsTr", null, "labelsTs" };

	/**
	 * Writes the cases of {@code layout}, and {@code cases.json}: every case's parameters (its part,
	 * variation, contrast phase, kernel, noise, spacing, habitus, field of view, rotation,
	 * pathologies with their positions, metal, and each tissue's HU).
	 */
	public static TrainingDataset write(final Layout layout, final Path outDir, final Progress progress) throws IOException {
		Files.createDirectories(outDir);
		final Path staging = Files.createTempDirectory(outDir, ".phantom-staging-");
		final PhantomGenerator gen = new PhantomGenerator(layout.config());
		final int n = layout.total();
		final JsonArray cases = new JsonArray();
		try {
			for (int i = 0; i < n; i++) {
				progress.checkCanceled();
				final String id = PhantomGenerator.caseId(i);
				progress.status("Phantom case " + (i + 1) + "/" + n + " (" + id + ")");
				final PhantomCase c = gen.generate(i, layout.profile(i));
				NiftiIO.write(c.image(), staging.resolve(imageName(id)));
				if (layout.part(i) != 1) NiftiIO.write(c.labels(), staging.resolve(labelName(id)));
				final JsonObject par = c.parameters().deepCopy();
				par.addProperty("part", PART_NAMES[layout.part(i)]);
				cases.add(par);
				progress.progress(i + 1, n);
			}
			progress.checkCanceled();
			publish(layout, outDir, staging, cases);
		}
		finally {
			sc.fiji.voxelseg.util.AtomicFiles.deleteTree(staging);
		}
		progress.status("Wrote " + n + " phantom cases to " + outDir);
		return TrainingDataset.read(outDir);
	}

	static String imageName(final String id) {
		return id + "_0000.nii.gz";
	}

	static String labelName(final String id) {
		return id + ".nii.gz";
	}

	private static void publish(final Layout layout, final Path outDir, final Path staging, final JsonArray cases) throws IOException {
		final Path json = outDir.resolve("dataset.json");
		Files.deleteIfExists(json);
		final Set<String> fresh = new HashSet<>();
		for (int i = 0; i < layout.total(); i++) {
			final String id = PhantomGenerator.caseId(i);
			final int part = layout.part(i);
			fresh.add(outDir.resolve(IMAGE_DIRS[part]).resolve(imageName(id)).toString());
			if (LABEL_DIRS[part] != null) fresh.add(outDir.resolve(LABEL_DIRS[part]).resolve(labelName(id)).toString());
		}
		for (final String d : List.of("imagesTr", "labelsTr", "imagesUnlabeled", "imagesTs", "labelsTs")) {
			final Path dir = outDir.resolve(d);
			if (!Files.isDirectory(dir)) continue;
			try (Stream<Path> s = Files.list(dir)) {
				for (final Path p : (Iterable<Path>) s::iterator) {
					final String name = p.getFileName().toString();
					if (CASE_FILE.matcher(name).matches() && !fresh.contains(p.toString())) Files.delete(p);
				}
			}
		}
		Files.createDirectories(outDir.resolve("imagesTr"));
		Files.createDirectories(outDir.resolve("labelsTr"));
		for (int i = 0; i < layout.total(); i++) {
			final String id = PhantomGenerator.caseId(i);
			final int part = layout.part(i);
			final Path images = Files.createDirectories(outDir.resolve(IMAGE_DIRS[part]));
			AtomicFiles.move(staging.resolve(imageName(id)), images.resolve(imageName(id)));
			if (LABEL_DIRS[part] != null) {
				final Path labels = Files.createDirectories(outDir.resolve(LABEL_DIRS[part]));
				AtomicFiles.move(staging.resolve(labelName(id)), labels.resolve(labelName(id)));
			}
		}
		Json.write(outDir.resolve("cases.json"), cases);
		Json.write(json, datasetJson(layout));
	}

	/** The {@code dataset.json} content for a cohort. */
	static JsonObject datasetJson(final Layout layout) {
		final PhantomConfig config = layout.config();
		final int testCases = layout.test(), first = config.cases() + layout.unlabeled();
		final ClassTable table = ClassTable.abdomen();
		final JsonObject o = new JsonObject();
		o.addProperty("name", "VoxelSegPhantom");
		o.addProperty("description",
			"Synthetic abdominal CT phantoms (int16 HU) with eight organ labels; cases.json lists each case's parameters");
		o.addProperty("reference", "generated by VoxelSeg's PhantomGenerator");
		o.addProperty("licence", "CC0");
		o.addProperty("tensorImageSize", "3D");
		final JsonObject channels = new JsonObject();
		channels.addProperty("0", "CT");
		o.add("channel_names", channels);
		o.add("modality", channels.deepCopy());
		final JsonObject labels = new JsonObject();
		for (final LabelClass c : table.classes())
			labels.addProperty(c.name(), c.index());
		o.add("labels", labels);
		o.addProperty("numTraining", config.cases());
		o.addProperty("numTest", testCases);
		o.addProperty("file_ending", ".nii.gz");
		final JsonArray training = new JsonArray();
		for (int i = 0; i < config.cases(); i++) {
			final String id = PhantomGenerator.caseId(i);
			final JsonObject e = new JsonObject();
			e.addProperty("image", "./imagesTr/" + imageName(id));
			e.addProperty("label", "./labelsTr/" + labelName(id));
			training.add(e);
		}
		o.add("training", training);
		final JsonArray test = new JsonArray();
		for (int i = first; i < first + testCases; i++) test.add("./imagesTs/" + imageName(PhantomGenerator.caseId(i)));
		o.add("test", test);
		final JsonObject gen = new JsonObject();
		gen.addProperty("generator", PhantomGenerator.class.getName());
		gen.addProperty("seed", config.seed());
		gen.addProperty("cases", config.cases());
		gen.addProperty("unlabeled_cases", layout.unlabeled());
		gen.addProperty("test_cases", testCases);
		gen.addProperty("variation", layout.labeledProfile().id());
		if (layout.otherProfile() != layout.labeledProfile()) gen.addProperty("unlabeled_and_test_variation", layout.otherProfile().id());
		gen.addProperty("scale", config.scale());
		gen.addProperty("noise_scale", config.noiseScale());
		o.add("voxelseg_phantom", gen);
		final JsonArray classes = new JsonArray();
		for (final LabelClass c : table.classes()) {
			final JsonObject e = new JsonObject();
			e.addProperty("index", c.index());
			e.addProperty("name", c.name());
			e.addProperty("color", c.hexColour());
			classes.add(e);
		}
		o.add("voxelseg_classes", classes);
		return o;
	}

}
