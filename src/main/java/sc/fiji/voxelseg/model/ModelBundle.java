package sc.fiji.voxelseg.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Digests;

/**
 * A trained model on disk: a folder, or a {@code .zip} of the same files, holding
 * <ul>
 * <li>{@code model.json}: format and version, the network configuration, the class table, the
 * preprocessing plan, the model input (whole volume on the model grid, or patch size), the
 * training settings, state and history, and the size and SHA-256 of the weights;</li>
 * <li>{@code weights.params}: the network parameters (DJL's parameter stream);</li>
 * <li>{@code optimiser.bin} in training checkpoints: the optimiser state, for resuming;</li>
 * <li>{@code objective.params} in checkpoints of runs whose objective has parameters of its own
 * (the training-only feature heads of representation learning), for resuming. Model bundles never
 * hold it: a model is the segmentation network alone.</li>
 * </ul>
 * Bundles are written to a temporary sibling and renamed, so a crash never leaves half a bundle.
 * Loading checks every part and says what is wrong or what differs.
 */
public final class ModelBundle {

	public static final String FORMAT = "voxelseg-model";
	public static final int FORMAT_VERSION = 1;
	public static final String DESCRIPTION = "model.json";
	public static final String WEIGHTS = "weights.params";
	public static final String OPTIMISER = "optimiser.bin";
	public static final String OBJECTIVE = "objective.params";

	private final NetworkConfig network;
	private final ClassTable classes;
	private final PreprocessingPlan plan;
	private final int[] inputShape;
	private final JsonObject training;
	private final byte[] weights;
	private final byte[] optimiser;
	private final byte[] objective;
	private final String created;

	/**
	 * @param inputShape the model input {x, y, z}: the model grid for whole-volume models, the patch
	 *          size for patch models
	 * @param training settings, state and history (free-form JSON written by the trainer), or null
	 * @param optimiser optimiser state for checkpoints, or null
	 */
	public ModelBundle(final NetworkConfig network, final ClassTable classes, final PreprocessingPlan plan, final int[] inputShape,
		final JsonObject training, final byte[] weights, final byte[] optimiser)
	{
		this(network, classes, plan, inputShape, training, weights, optimiser, null, Instant.now().toString());
	}

	private ModelBundle(final NetworkConfig network, final ClassTable classes, final PreprocessingPlan plan, final int[] inputShape,
		final JsonObject training, final byte[] weights, final byte[] optimiser, final byte[] objective, final String created)
	{
		if (patches(training) != null) {
			// a patch network predicts one organ's mask at a time: background and organ
			if (network.classes() != 2) {
				throw new IllegalArgumentException("a patch network has 2 outputs (background and the organ), not " + network.classes());
			}
		}
		else if (classes.maxIndex() + 1 != network.classes()) {
			throw new IllegalArgumentException("the class table has indices 0.." + classes.maxIndex() + " but the network has " +
				network.classes() + " outputs");
		}
		if (inputShape == null || inputShape.length != 3) throw new IllegalArgumentException("the model input shape needs x, y and z");
		this.network = network;
		this.classes = classes;
		this.plan = plan;
		this.inputShape = inputShape.clone();
		this.training = training == null ? new JsonObject() : training;
		this.weights = weights;
		this.optimiser = optimiser;
		this.objective = objective;
		this.created = created;
	}

	/** Captures the current parameters of {@code net}. */
	public static byte[] weightsOf(final SegmentationNetwork net) {
		final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			net.saveParameters(out);
		}
		catch (final IOException e) {
			throw new IllegalStateException("cannot serialise the network parameters", e);
		}
		return bytes.toByteArray();
	}

	public NetworkConfig network() {
		return network;
	}

	public ClassTable classes() {
		return classes;
	}

	public PreprocessingPlan plan() {
		return plan;
	}

	/** Model input {x, y, z}. */
	public int[] inputShape() {
		return inputShape.clone();
	}

	public JsonObject training() {
		return training;
	}

	/** The optimiser state of a checkpoint, or null. */
	public byte[] optimiserState() {
		return optimiser;
	}

	public byte[] weights() {
		return weights;
	}

	/** The parameters of a checkpoint's training objective (see {@link #OBJECTIVE}), or null. */
	public byte[] objectiveState() {
		return objective;
	}

	public String created() {
		return created;
	}

	/** This bundle with other training information and optimiser state. */
	public ModelBundle withTraining(final JsonObject t, final byte[] optimiserState) {
		return new ModelBundle(network, classes, plan, inputShape, t, weights, optimiserState, objective, created);
	}

	/** This bundle with the parameters of a training objective, or null for none. */
	public ModelBundle withObjectiveState(final byte[] state) {
		return new ModelBundle(network, classes, plan, inputShape, training, weights, optimiser, state, created);
	}

	/**
	 * Whether this is a pretrained backbone rather than a segmentation model: its training settings
	 * hold self-supervised pretraining settings (seed 004) or a contrastive method on patches (seed
	 * 002). Its head was never trained; {@code train --init} starts from its backbone.
	 */
	public boolean pretrained() {
		final JsonObject s = settings(training);
		if (s == null) return false;
		final JsonObject p = patches(training);
		return s.has("pretraining") && !s.get("pretraining").isJsonNull() || p != null && p.has("method") && !p.get("method").isJsonNull();
	}

	/**
	 * Whether this is a cascade model (seed 002's second stage, or a cascade trained from random
	 * weights): a network that segments one organ at a time in organ-centred patches with an attention
	 * channel, which {@code segment --coarse} runs on a coarse model's segmentation. Its network has
	 * two outputs, its class table the organs it was trained on, and its input shape is the patch.
	 */
	public boolean cascade() {
		return patches(training) != null && !pretrained();
	}

	/** The patch settings of a patch model's training ({@code training.settings.patches}), or null. */
	private static JsonObject patches(final JsonObject training) {
		final JsonObject s = settings(training);
		final JsonElement p = s == null ? null : s.get("patches");
		return p != null && p.isJsonObject() ? p.getAsJsonObject() : null;
	}

	private static JsonObject settings(final JsonObject training) {
		final JsonElement s = training == null ? null : training.get("settings");
		return s != null && s.isJsonObject() ? s.getAsJsonObject() : null;
	}

	/**
	 * Refuses a pretrained backbone where a segmentation model is expected.
	 *
	 * @param what the bundle's name for the message
	 */
	public void requireSegmentation(final Object what) {
		if (cascade()) {
			throw new IllegalArgumentException(what + " is a cascade model: it segments one organ at a time in patches around a coarse " +
				"segmentation. Run it with segment --model " + what + " --coarse COARSE_MODEL");
		}
		if (pretrained() && patches(training) != null) {
			throw new IllegalArgumentException(what + " is a pretrained backbone (contrastive pretraining on organ patches), not a " +
				"segmentation model: its decoder was never trained. Train a cascade from it with train --mode decoder --init " + what +
				" --attention labels|COARSE_MODEL, then segment with --coarse");
		}
		if (pretrained()) {
			throw new IllegalArgumentException(what + " is a pretrained backbone (self-supervised pretraining), not a segmentation " +
				"model: its head was never trained. Train a segmentation model from it with train --init " + what + " (fine-tuning, or " +
				"--mode linear)");
		}
	}

	/**
	 * Refuses a segmentation model where a pretrained backbone is expected.
	 *
	 * @param what the bundle's name for the message
	 */
	public void requirePretrained(final Object what) {
		if (!pretrained()) {
			throw new IllegalArgumentException(what + " is a segmentation model, not a pretrained backbone: --init takes the output of " +
				"voxelseg pretrain. To continue training a segmentation model, use --resume with its checkpoint");
		}
	}

	/**
	 * Builds the network and loads the weights into it, on {@code manager}'s device.
	 *
	 * @throws IOException if the weights do not fit the described network
	 */
	public SegmentationNetwork network(final NDManager manager) throws IOException {
		final SegmentationNetwork net = network.build();
		final List<Shape> declared = new ArrayList<>();
		for (final var p : net.getParameters()) declared.add(p.getValue().getShape());
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(weights))) {
			net.loadParameters(manager, in);
		}
		catch (final MalformedModelException | IOException | RuntimeException e) {
			throw new IOException(oneLine("the weights do not fit the network the bundle describes (" + network.describe() + "): " +
				(e instanceof java.io.EOFException ? "the weights end early" : e.toString())), e);
		}
		int i = 0;
		for (final var p : net.getParameters()) {
			final Shape got = p.getValue().getArray().getShape();
			if (!got.equals(declared.get(i++))) {
				throw new IOException("the weights do not fit the network the bundle describes (" + network.describe() + "): " +
					"parameter " + p.getKey() + " holds " + got + " where the network needs " + declared.get(i - 1));
			}
		}
		if (!net.isInitialized()) net.initialize(manager, DataType.FLOAT32, new Shape(1, network.inChannels(), 8, 8, 8));
		return net;
	}

	/**
	 * Refuses a bundle whose network or classes are not the expected ones, listing what differs.
	 *
	 * @param expectedNetwork null to accept any network
	 * @param expectedClasses null to accept any classes
	 */
	public void requireCompatible(final NetworkConfig expectedNetwork, final ClassTable expectedClasses, final String what) {
		final List<String> d = new ArrayList<>();
		if (expectedNetwork != null && !expectedNetwork.equals(network)) {
			d.add("network: the bundle has " + network.describe() + ", expected " + expectedNetwork.describe());
		}
		if (expectedClasses != null && !expectedClasses.equals(classes)) {
			d.add("classes differ (" + classes.difference(expectedClasses) + ")");
		}
		if (!d.isEmpty()) throw new IllegalArgumentException(what + " does not match: " + String.join("; ", d));
	}

	/** The description written as {@code model.json}. */
	public JsonObject description() {
		final JsonObject o = new JsonObject();
		o.addProperty("format", FORMAT);
		o.addProperty("format_version", FORMAT_VERSION);
		o.addProperty("created", created);
		final JsonObject n = new JsonObject();
		n.addProperty("architecture", network.architecture().id());
		n.addProperty("in_channels", network.inChannels());
		n.addProperty("classes", network.classes());
		n.addProperty("levels", network.levels());
		n.addProperty("base_width", network.baseWidth());
		n.addProperty("kernel", network.kernel());
		n.addProperty("norm", network.norm().name().toLowerCase(Locale.ROOT));
		o.add("network", n);
		o.add("classes", classes.toJson());
		o.add("preprocessing", JsonParser.parseString(plan.toJson()));
		final JsonObject in = new JsonObject();
		final com.google.gson.JsonArray shape = new com.google.gson.JsonArray();
		for (final int s : inputShape) shape.add(s);
		in.add("shape_xyz", shape);
		o.add("input", in);
		o.add("training", training);
		final JsonObject w = new JsonObject();
		w.addProperty("file", WEIGHTS);
		w.addProperty("bytes", weights.length);
		w.addProperty("sha256", Digests.sha256(weights));
		o.add("weights", w);
		if (optimiser != null) {
			final JsonObject s = new JsonObject();
			s.addProperty("file", OPTIMISER);
			s.addProperty("bytes", optimiser.length);
			s.addProperty("sha256", Digests.sha256(optimiser));
			o.add("optimiser", s);
		}
		if (objective != null) {
			final JsonObject s = new JsonObject();
			s.addProperty("file", OBJECTIVE);
			s.addProperty("bytes", objective.length);
			s.addProperty("sha256", Digests.sha256(objective));
			o.add("objective", s);
		}
		return o;
	}

	/** Writes the bundle as a folder, or as a zip when {@code target} ends with {@code .zip}, atomically. */
	public void save(final Path target) throws IOException {
		final Map<String, byte[]> files = new java.util.LinkedHashMap<>();
		files.put(DESCRIPTION, sc.fiji.voxelseg.util.Json.gson().toJson(description()).getBytes(StandardCharsets.UTF_8));
		files.put(WEIGHTS, weights);
		if (optimiser != null) files.put(OPTIMISER, optimiser);
		if (objective != null) files.put(OBJECTIVE, objective);
		if (isZip(target)) {
			AtomicFiles.write(target, out -> {
				final ZipOutputStream zip = new ZipOutputStream(out);
				for (final Map.Entry<String, byte[]> e : files.entrySet()) {
					zip.putNextEntry(new ZipEntry(e.getKey()));
					zip.write(e.getValue());
					zip.closeEntry();
				}
				zip.finish();
			});
			return;
		}
		final Path abs = target.toAbsolutePath();
		final Path parent = abs.getParent();
		Files.createDirectories(parent);
		if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IOException(abs + " exists and is not a folder");
		if (Files.isDirectory(abs) && !Files.isRegularFile(abs.resolve(DESCRIPTION)) && !isEmpty(abs)) {
			throw new IOException(abs + " is a folder that holds other files; choose a new folder for the model");
		}
		recover(abs);
		AtomicFiles.removeStale(abs);
		final Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
		final Path old = previous(abs);
		try {
			for (final Map.Entry<String, byte[]> e : files.entrySet()) {
				Files.write(tmp.resolve(e.getKey()), e.getValue());
				AtomicFiles.readableByAll(tmp.resolve(e.getKey()));
			}
			AtomicFiles.readableByAll(tmp);
			// Two renames: a stop between them leaves the complete old bundle as .NAME.old, which
			// load() reads and the next save() puts back first.
			if (Files.exists(abs)) Files.move(abs, old);
			Files.move(tmp, abs);
			sc.fiji.voxelseg.util.AtomicFiles.deleteTree(old);
		}
		finally {
			sc.fiji.voxelseg.util.AtomicFiles.deleteTree(tmp);
		}
	}

	/** Where a folder bundle's previous version waits while the new one is renamed in. */
	private static Path previous(final Path abs) {
		return abs.resolveSibling("." + abs.getFileName() + ".old");
	}

	/**
	 * Repairs what a save stopped between its two renames left behind: with the bundle missing,
	 * the previous version goes back in place; with both present, the previous version goes.
	 */
	private static void recover(final Path abs) throws IOException {
		if (abs.getParent() == null || isZip(abs)) return;
		final Path old = previous(abs);
		if (!Files.isDirectory(old)) return;
		if (!Files.exists(abs)) {
			if (Files.isRegularFile(old.resolve(DESCRIPTION))) {
				try {
					Files.move(old, abs);
				}
				catch (final IOException e) {
					// a read-only folder: load() reads .NAME.old where it is
				}
			}
		}
		else if (Files.isRegularFile(abs.resolve(DESCRIPTION))) sc.fiji.voxelseg.util.AtomicFiles.deleteTree(old);
	}

	/**
	 * Reads and checks a bundle folder or zip.
	 *
	 * @throws IOException naming the file and what is wrong: missing parts, a newer format, damaged
	 *           or truncated weights
	 */
	public static ModelBundle load(final Path source) throws IOException {
		try {
			return loadParts(source);
		}
		catch (final IOException e) {
			throw sc.fiji.voxelseg.io.VolumeFormatException.oneLine(e); // messages echo values from the bundle
		}
	}

	private static ModelBundle loadParts(final Path source) throws IOException {
		recover(source.toAbsolutePath());
		try (Parts parts = Parts.open(source)) {
			final byte[] desc = parts.read(DESCRIPTION, MAX_DESCRIPTION_BYTES);
			if (desc == null) throw new IOException(source + ": not a VoxelSeg model bundle (no " + DESCRIPTION + " inside)");
			final String text = new String(desc, StandardCharsets.UTF_8);
			sc.fiji.voxelseg.util.Json.checkDepth(text, source + ": " + DESCRIPTION);
			final JsonObject o;
			try {
				o = JsonParser.parseString(text).getAsJsonObject();
			}
			catch (final JsonParseException | IllegalStateException e) {
				throw new IOException(oneLine(source + ": " + DESCRIPTION + " is not valid JSON (" + e.getMessage() + ")"), e);
			}
			try {
				return fromDescription(source, o, parts);
			}
			catch (final IOException e) {
				throw e;
			}
			catch (final RuntimeException e) {
				throw new IOException(oneLine(source + ": " + DESCRIPTION + " is incomplete or invalid (" + e + ")"), e);
			}
		}
	}

	/** The largest {@code model.json} read: a description, not data. */
	static final int MAX_DESCRIPTION_BYTES = 16 << 20;

	private static ModelBundle fromDescription(final Path source, final JsonObject o, final Parts parts) throws IOException {
		if (!o.has("format") || !o.get("format").isJsonPrimitive() || !FORMAT.equals(o.get("format").getAsString())) {
			throw new IOException(oneLine(source + ": " + DESCRIPTION + " is not a VoxelSeg model description (format " + o.get(
				"format") + ")"));
		}
		final int version = o.get("format_version").getAsInt();
		if (version > FORMAT_VERSION) {
			throw new IOException(source + ": the bundle has format version " + version + ", written by a newer VoxelSeg; this " +
				"version reads format " + FORMAT_VERSION + " and older. Update VoxelSeg");
		}
		final JsonObject n = o.getAsJsonObject("network");
		final NetworkConfig cfg = new NetworkConfig(Architecture.parse(n.get("architecture").getAsString()), n.get("in_channels")
			.getAsInt(), n.get("classes").getAsInt(), n.get("levels").getAsInt(), n.get("base_width").getAsInt(), n.get("kernel")
				.getAsInt(), Norm.valueOf(n.get("norm").getAsString().toUpperCase(Locale.ROOT)));
		final ClassTable classes = ClassTable.fromJson(o.getAsJsonArray("classes"));
		final PreprocessingPlan plan = PreprocessingPlan.fromJson(o.get("preprocessing").toString());
		final int[] shape = new int[3];
		final var arr = o.getAsJsonObject("input").getAsJsonArray("shape_xyz");
		if (arr.size() != 3) throw new IOException(source + ": input shape_xyz " + arr + " needs 3 sizes (x, y, z)");
		for (int i = 0; i < 3; i++) {
			shape[i] = arr.get(i).getAsInt();
			if (shape[i] < 1 || shape[i] > MAX_INPUT_EDGE) throw new IOException(oneLine(source + ": input shape_xyz " + arr +
				" holds " + shape[i] + "; every size must be between 1 and " + MAX_INPUT_EDGE));
		}
		// What the parts may weigh follows from the declared network, never from the zip's own claims.
		final long bound = cfg.parameterBytesBound();
		final byte[] w = checked(source, parts, WEIGHTS, o.getAsJsonObject("weights"), bound);
		final byte[] opt = o.has("optimiser") ? checked(source, parts, OPTIMISER, o.getAsJsonObject("optimiser"), 3 * bound) : null;
		final byte[] obj = o.has("objective") ? checked(source, parts, OBJECTIVE, o.getAsJsonObject("objective"), 3 * bound +
			(64L << 20)) : null;
		final JsonElement t = o.get("training");
		return new ModelBundle(cfg, classes, plan, shape, t != null && t.isJsonObject() ? t.getAsJsonObject() : null, w, opt, obj,
			o.has("created") ? o.get("created").getAsString() : "");
	}

	/** The largest model input edge a description may give (voxels). */
	static final int MAX_INPUT_EDGE = 4096;

	private static String oneLine(final String s) {
		return sc.fiji.voxelseg.io.VolumeFormatException.oneLine(s);
	}

	/**
	 * The files of a bundle folder or zip, read one at a time and never beyond a cap: a zip entry
	 * is inflated through a stream that stops at the cap whatever the zip's headers claim, and a zip
	 * that names one file twice (readers disagree on which one counts) is refused.
	 */
	private static final class Parts implements AutoCloseable {

		private final Path source;
		private final java.util.zip.ZipFile zip;

		private Parts(final Path source, final java.util.zip.ZipFile zip) {
			this.source = source;
			this.zip = zip;
		}

		static Parts open(final Path source) throws IOException {
			if (Files.isDirectory(source)) return new Parts(source, null);
			if (!Files.exists(source) && Files.isDirectory(previous(source.toAbsolutePath()))) {
				return new Parts(previous(source.toAbsolutePath()), null); // a save stopped between its renames
			}
			if (!Files.isRegularFile(source)) throw new IOException(source + ": no such model bundle (expected a folder or a .zip)");
			final java.util.zip.ZipFile z;
			try {
				z = new java.util.zip.ZipFile(source.toFile());
			}
			catch (final IOException e) {
				throw new IOException(oneLine(source + ": not a readable model bundle zip (" + e.getMessage() + ")"), e);
			}
			try {
				final java.util.Set<String> names = new java.util.HashSet<>();
				final var en = z.entries();
				while (en.hasMoreElements()) {
					final String name = en.nextElement().getName();
					if (!names.add(name)) throw new IOException(oneLine(source + ": the zip holds '" + name +
						"' twice; zip tools disagree on which one counts, so the bundle is refused"));
				}
			}
			catch (final IOException | RuntimeException e) {
				z.close();
				if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(source.toString())) throw io;
				throw new IOException(oneLine(source + ": not a readable model bundle zip (" + e.getMessage() + ")"), e);
			}
			return new Parts(source, z);
		}

		/** The bytes of {@code name}, or null if absent; more than {@code cap} bytes is an error. */
		byte[] read(final String name, final long cap) throws IOException {
			if (zip == null) {
				final Path f = source.resolve(name);
				if (!Files.isRegularFile(f)) return null;
				final long size = Files.size(f);
				if (size > cap) throw tooLarge(name, size, cap);
				return Files.readAllBytes(f);
			}
			final ZipEntry e = zip.getEntry(name);
			if (e == null || e.isDirectory()) return null;
			if (e.getSize() > cap) throw tooLarge(name, e.getSize(), cap);
			try (InputStream in = zip.getInputStream(e)) {
				final byte[] b = in.readNBytes((int) Math.min(cap + 1, Integer.MAX_VALUE - 8));
				if (b.length > cap) throw tooLarge(name, b.length, cap);
				return b;
			}
			catch (final java.util.zip.ZipException | java.io.EOFException ex) {
				throw new IOException(oneLine(source + ": " + name + " is damaged inside the zip (" + ex.getMessage() + ")"), ex);
			}
		}

		private IOException tooLarge(final String name, final long size, final long cap) {
			return new IOException(source + ": " + name + " holds " + (size > cap ? "more than " + cap : size) +
				" bytes, more than the bundle's description allows (" + cap + "); the bundle is damaged or not a VoxelSeg model");
		}

		@Override
		public void close() throws IOException {
			if (zip != null) zip.close();
		}
	}

	private static byte[] checked(final Path source, final Parts parts, final String name, final JsonObject meta, final long bound)
		throws IOException
	{
		final long expected = meta.get("bytes").getAsLong();
		if (expected < 0 || expected > bound) throw new IOException(source + ": the description says " + name + " holds " + expected +
			" bytes, but the network it describes needs at most " + bound + "; the bundle is damaged");
		final byte[] b = parts.read(name, expected);
		if (b == null) throw new IOException(source + ": the bundle lacks " + name);
		if (b.length != expected) {
			throw new IOException(source + ": " + name + " has " + b.length + " bytes, the description says " + expected +
				(b.length < expected ? " (the bundle is truncated)" : ""));
		}
		if (!Digests.sha256(b).equals(meta.get("sha256").getAsString())) {
			throw new IOException(source + ": " + name + " is damaged (its SHA-256 differs from the description)");
		}
		return b;
	}

	/** Whether a path names a zip bundle. */
	public static boolean isZip(final Path p) {
		return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip");
	}

	private static boolean isEmpty(final Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.findAny().isEmpty();
		}
	}

}
