package sc.fiji.voxelseg.preprocess;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonDeserializationContext;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonSerializationContext;
import com.google.gson.JsonSerializer;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * The preprocessing of a model: an ordered list of {@link Step}s, saved as JSON beside the model so
 * that inference replays exactly what training saw and puts predictions back on the original grid
 * ({@link #invert}).
 * <p>
 * {@link #apply} returns the processed image (and label map), plus a {@link Trace} of the grids it
 * went through. A window step directly followed by a resampling step runs fused, in one pass over
 * the source (same result as windowing first).
 */
public final class PreprocessingPlan {

	public static final int FORMAT_VERSION = 1;

	private static final Map<String, Class<? extends Step>> OPS = Map.of("window", Step.Window.class,
		"zscore", Step.ZScore.class, "percentile_clip", Step.PercentileClip.class, "foreground_crop",
		Step.ForegroundCrop.class, "crop_or_pad", Step.CropOrPad.class, "resample_shape",
		Step.ResampleToShape.class, "resample_spacing", Step.ResampleToSpacing.class);

	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().registerTypeAdapter(
		Step.class, new StepAdapter()).create();

	private final List<Step> steps;

	public PreprocessingPlan(final List<Step> steps) {
		this.steps = List.copyOf(steps);
	}

	public List<Step> steps() {
		return Collections.unmodifiableList(steps);
	}

	/**
	 * The seeds' supervised CT plan (000, 003): soft-tissue window [-200, 250] HU to [0, 1], then
	 * the 128×128×64 (x×y×z) model grid.
	 */
	public static PreprocessingPlan seedsCt() {
		return new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE),
			new Step.ResampleToShape(new long[] { 128, 128, 64 })));
	}

	/** Seed 004's CT pretraining plan: body crop (> -500 HU), wide window, 1×1×2 mm. */
	public static PreprocessingPlan pretrainCt() {
		return new PreprocessingPlan(List.of(new Step.ForegroundCrop(-500, 0), Step.Window.of(
			HuWindow.WIDE), new Step.ResampleToSpacing(new double[] { 1, 1, 2 })));
	}

	/**
	 * Seed 004's MRI plan: 0.01-99.9 percentile clip to [0, 1], crop to the smallest box holding
	 * the voxels above 0.3, 1.5 mm isotropic.
	 */
	public static PreprocessingPlan mri() {
		return new PreprocessingPlan(List.of(new Step.PercentileClip(0.01, 99.9), new Step.ForegroundCrop(0.3, 0),
			new Step.ResampleToSpacing(new double[] { 1.5, 1.5, 1.5 })));
	}

	/** The preset names, each with what it is, as the faces list them. */
	public static final java.util.Map<String, String> PRESETS = java.util.Map.of(
		"abdomen-ct-128", "soft-tissue window [-200, 250] HU, 128×128×64 model grid (the supervised papers' plan)",
		"ct-body-2mm", "body crop above -500 HU, wide window [-1350, 1000] HU, 1×1×2 mm (self-supervised pretraining's plan)",
		"mri-1.5mm", "0.01–99.9 percentile clip, crop to intensity above 0.3, 1.5 mm isotropic");

	/**
	 * The earlier names of the presets, {@code old=current} separated by commas: they still work
	 * everywhere a preset is named (launcher options, plan files, Fiji dialogs and macros).
	 */
	public static final String PRESET_ALIASES = "seeds-ct=abdomen-ct-128,pretrain-ct=ct-body-2mm,mri=mri-1.5mm";

	/** The current name of a preset named by its current or its earlier name, or null when there is no such preset. */
	public static String presetName(final String name) {
		final String n = name.trim().toLowerCase(java.util.Locale.ROOT);
		if (PRESETS.containsKey(n)) return n;
		for (final String pair : PRESET_ALIASES.split(",")) {
			final String[] kv = pair.split("=");
			if (kv[0].equals(n)) return kv[1];
		}
		return null;
	}

	/**
	 * The preset plans by name: {@code abdomen-ct-128} ({@link #seedsCt}), {@code ct-body-2mm}
	 * ({@link #pretrainCt}) or {@code mri-1.5mm} ({@link #mri}); the earlier names
	 * ({@link #PRESET_ALIASES}) still work.
	 */
	public static PreprocessingPlan preset(final String name) {
		final String n = presetName(name);
		if (n == null) throw new IllegalArgumentException("unknown preprocessing preset '" + name + "': use abdomen-ct-128 (soft-tissue " +
			"window, 128×128×64), ct-body-2mm (body crop, wide window, 1×1×2 mm) or mri-1.5mm");
		return switch (n) {
			case "abdomen-ct-128" -> seedsCt();
			case "ct-body-2mm" -> pretrainCt();
			default -> mri();
		};
	}

	/** What an application did: the grid the input was on and the grid the output is on. */
	public record Trace(Grid original, Grid result) {}

	/** The output of {@link #apply}: image, label map (or null) and trace. */
	public record Result(Volume image, Volume labels, Trace trace) {}

	/** Applies the plan to an image alone. */
	public Result apply(final Volume image) {
		return apply(image, null);
	}

	/**
	 * Applies the plan to an image and its label map (null for none), which must share the image's
	 * grid.
	 */
	public Result apply(final Volume image, final Volume labels) {
		if (labels != null) image.requireSameGrid(labels, "image", "label map");
		Volume img = image, lab = labels;
		for (int i = 0; i < steps.size(); i++) {
			final Step s = steps.get(i);
			final Step next = i + 1 < steps.size() ? steps.get(i + 1) : null;
			if (s instanceof Step.Window w && next != null && resampleGrid(next, img) != null) {
				final Grid g = resampleGrid(next, img);
				img = Resampler.resample(img, g, Interpolation.LINEAR, 0, w.window());
				if (lab != null) lab = Resampler.resample(lab, g, Interpolation.NEAREST);
				i++;
				continue;
			}
			if (s instanceof Step.Window w) img = Intensity.window(img, w.window());
			else if (s instanceof Step.ZScore z) img = Intensity.zScore(img, z.maskAbove() == null
				? Double.NaN : z.maskAbove());
			else if (s instanceof Step.PercentileClip p) img = Intensity.percentileClip(img, p.low(), p
				.high());
			else if (s instanceof Step.ForegroundCrop f) {
				final Crops.Box box = Crops.foregroundBox(img, f.threshold(), f.margin());
				img = Crops.crop(img, box, 0);
				if (lab != null) lab = Crops.crop(lab, box, 0);
			}
			else if (s instanceof Step.CropOrPad c) {
				final Crops.Box box = Crops.centredBox(img, c.shape());
				img = Crops.crop(img, box, c.fill());
				if (lab != null) lab = Crops.crop(lab, box, 0);
			}
			else {
				final Grid g = resampleGrid(s, img);
				img = Resampler.resample(img, g, Interpolation.LINEAR);
				if (lab != null) lab = Resampler.resample(lab, g, Interpolation.NEAREST);
			}
		}
		return new Result(img, lab, new Trace(Grid.of(image), Grid.of(img)));
	}

	private static Grid resampleGrid(final Step s, final Volume v) {
		if (s instanceof Step.ResampleToShape r) return Resampler.shapeGrid(Grid.of(v), r.shape());
		if (s instanceof Step.ResampleToSpacing r) return Resampler.spacingGrid(Grid.of(v), r
			.spacing());
		return null;
	}

	/**
	 * Puts a volume on the model grid (a prediction) back onto the grid the input came from:
	 * nearest neighbour for label maps, trilinear for probabilities. Voxels the plan cropped away
	 * get {@code outside} (0, background, for labels).
	 */
	public static Volume invert(final Volume onResultGrid, final Trace trace,
		final Interpolation interp, final double outside)
	{
		if (!java.util.Arrays.equals(onResultGrid.dims(), trace.result().dims()))
			throw new IllegalArgumentException("volume " + Volume.formatDims(onResultGrid.dims()) +
				" is not on the preprocessed grid " + trace.result());
		final Volume placed = onResultGrid.withGeometry(trace.result().spacing(), trace.result()
			.origin(), trace.result().direction());
		return Resampler.resample(placed, trace.original(), interp, outside, null);
	}

	public String toJson() {
		final JsonObject o = new JsonObject();
		o.addProperty("format_version", FORMAT_VERSION);
		o.add("steps", GSON.toJsonTree(steps.toArray(new Step[0]), Step[].class));
		return GSON.toJson(o);
	}

	public static PreprocessingPlan fromJson(final String json) {
		final JsonObject o;
		try {
			o = GSON.fromJson(json, JsonObject.class);
		}
		catch (final JsonParseException e) {
			throw new IllegalArgumentException("preprocessing plan is not valid JSON: " + e.getMessage(), e);
		}
		if (o == null || !o.has("steps")) throw new IllegalArgumentException(
			"preprocessing plan has no \"steps\"");
		final int v = o.has("format_version") ? o.get("format_version").getAsInt() : 1;
		if (v > FORMAT_VERSION) throw new IllegalArgumentException("preprocessing plan format " + v +
			" is newer than this VoxelSeg understands (" + FORMAT_VERSION + "); update VoxelSeg");
		final Step[] s;
		try {
			s = GSON.fromJson(o.get("steps"), Step[].class);
		}
		catch (final JsonParseException | IllegalStateException | UnsupportedOperationException e) {
			throw new IllegalArgumentException("preprocessing plan: " + e.getMessage(), e);
		}
		final List<Step> list = new ArrayList<>();
		for (final Step st : s)
			list.add(st);
		return new PreprocessingPlan(list);
	}

	public void save(final Path file) throws IOException {
		AtomicFiles.writeString(file, toJson() + "\n");
	}

	public static PreprocessingPlan load(final Path file) throws IOException {
		try {
			return fromJson(java.nio.file.Files.readString(file));
		}
		catch (final IllegalArgumentException e) {
			throw new IOException(file + ": " + e.getMessage(), e);
		}
	}

	@Override
	public boolean equals(final Object o) {
		return o instanceof PreprocessingPlan p && p.toJson().equals(toJson());
	}

	@Override
	public int hashCode() {
		return toJson().hashCode();
	}

	@Override
	public String toString() {
		final StringBuilder sb = new StringBuilder();
		for (final Step s : steps)
			sb.append(sb.length() == 0 ? "" : " -> ").append(GSON.toJsonTree(s, Step.class).toString());
		return sb.toString();
	}

	/** Writes and reads steps as JSON objects tagged with {@code "op"}. */
	private static final class StepAdapter implements JsonSerializer<Step>, JsonDeserializer<Step> {

		private static final Gson PLAIN = new Gson();

		@Override
		public JsonElement serialize(final Step src, final Type t, final JsonSerializationContext c) {
			final JsonObject o = new JsonObject();
			o.addProperty("op", src.op());
			PLAIN.toJsonTree(src).getAsJsonObject().entrySet().forEach(e -> o.add(e.getKey(), e
				.getValue()));
			return o;
		}

		@Override
		public Step deserialize(final JsonElement json, final Type t,
			final JsonDeserializationContext c)
		{
			if (!json.isJsonObject() || !json.getAsJsonObject().has("op")) throw new JsonParseException(
				"a plan step needs an \"op\" (one of " + OPS.keySet() + ")");
			final String op = json.getAsJsonObject().get("op").getAsString();
			final Class<? extends Step> type = OPS.get(op);
			if (type == null) throw new JsonParseException("unknown plan step \"" + op + "\" (known: " + OPS
				.keySet() + ")");
			final Step s = PLAIN.fromJson(json, type);
			validate(s);
			return s;
		}
	}

	private static void validate(final Step s) {
		if (s instanceof Step.ResampleToShape r) checkLen(r.shape(), "resample_shape.shape");
		else if (s instanceof Step.CropOrPad c) checkLen(c.shape(), "crop_or_pad.shape");
		else if (s instanceof Step.ResampleToSpacing r) {
			if (r.spacing() == null || r.spacing().length != 3) throw new JsonParseException(
				"resample_spacing.spacing needs 3 values {x, y, z} in mm");
		}
		else if (s instanceof Step.Window w) {
			try {
				w.window();
			}
			catch (final IllegalArgumentException e) {
				throw new JsonParseException(e.getMessage());
			}
		}
	}

	private static void checkLen(final long[] a, final String what) {
		if (a == null || a.length != 3) throw new JsonParseException(what +
			" needs 3 sizes {x, y, z}");
		for (final long v : a)
			if (v < 1) throw new JsonParseException(what + " needs positive sizes");
	}
}
