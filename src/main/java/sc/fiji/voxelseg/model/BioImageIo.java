package sc.fiji.voxelseg.model;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import javax.imageio.ImageIO;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.Npy;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.Crops;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Digests;
import sc.fiji.voxelseg.util.Json;

/**
 * bioimage.io model packages, format {@value #FORMAT_VERSION}: a zip with {@code rdf.yaml}, the
 * network's ONNX export ({@link OnnxExport}), test input and output tensors as {@code .npy}, a
 * cover image and a README.
 * <p>
 * The package's input is the image after the plan's geometric steps (crop, resampling), in its own
 * intensities (HU for CT): those steps have no bioimage.io operation, so the input axes and
 * description state the grid. The plan's intensity steps become bioimage.io preprocessing: an HU
 * window is {@code clip} then {@code scale_linear}, a z-score {@code zero_mean_unit_variance}, a
 * percentile clip {@code scale_range} then {@code clip} to [0, 1]. (VoxelSeg windows while it
 * resamples; a consumer that resamples first gets the same values but near the window's edges.) A
 * plan whose geometric step reads windowed intensities (a foreground crop after a percentile clip)
 * cannot be split so: its package takes the fully preprocessed image and says so. The output is
 * the softmax probabilities, one channel per class. The whole {@link ModelDescription} is kept
 * under {@code config.voxelseg}, so VoxelSeg runs its own packages on any image as it runs the
 * bundle.
 * <p>
 * Reading ({@link #load}) takes VoxelSeg's packages and other 0.5 packages with ONNX weights (run
 * by ONNX Runtime) or TorchScript weights (run by libtorch, preferred where both are present), one
 * 5D input (batch, channel, three space axes) and one output of the same layout; their intensity
 * preprocessing becomes a plan where it maps onto VoxelSeg's steps.
 */
public final class BioImageIo {

	/** The format version written; any 0.5.x is read. */
	public static final String FORMAT_VERSION = "0.5.4";
	static final String RDF = "rdf.yaml", WEIGHTS = "weights.onnx", TEST_IN = "test_input.npy", TEST_OUT = "test_output.npy",
		COVER = "cover.png", README = "README.md";
	static final String IN_ID = "image", OUT_ID = "probabilities";
	/** How far a package's own test output may differ from what ONNX Runtime gives for its test input. */
	public static final double TOLERANCE = 1e-4;
	private static final String[] SPACE = { "z", "y", "x" };

	private BioImageIo() {}

	/** One pre- or postprocessing operation of a tensor. */
	public record Op(String id, Map<String, Object> kwargs) {

		Map<String, Object> yaml() {
			final Map<String, Object> m = new LinkedHashMap<>();
			m.put("id", id);
			if (!kwargs.isEmpty()) m.put("kwargs", kwargs);
			return m;
		}
	}

	/**
	 * The plan split at the last geometric step: the bioimage.io operations for the intensity steps
	 * after the split, and the steps before it, which produce the package's input. Null when the
	 * plan cannot be split so.
	 */
	record Split(PreprocessingPlan input, List<Op> ops) {}

	static Split split(final PreprocessingPlan plan) {
		final List<Step> geometric = new ArrayList<>(), intensity = new ArrayList<>();
		for (final Step s : plan.steps()) {
			if (s.geometric()) {
				if (!intensity.isEmpty()) {
					// a crop that reads intensities, or a pad that fills with a value, cannot move before an intensity step
					if (s instanceof Step.ForegroundCrop || s instanceof Step.CropOrPad) return null;
					// statistics (z-score, percentiles) taken before a crop or resampling differ after it; a window is pointwise
					if (intensity.stream().anyMatch(i -> !(i instanceof Step.Window))) return null;
				}
				geometric.add(s);
			}
			else intensity.add(s);
		}
		final List<Op> ops = new ArrayList<>();
		for (final Step s : intensity) {
			if (s instanceof Step.Window w) {
				final double range = w.upper() - w.lower();
				ops.add(new Op("clip", kwargs("min", w.lower(), "max", w.upper())));
				ops.add(new Op("scale_linear", kwargs("gain", 1 / range, "offset", -w.lower() / range)));
			}
			else if (s instanceof Step.ZScore z && z.maskAbove() == null) {
				ops.add(new Op("zero_mean_unit_variance", kwargs("axes", List.of(SPACE))));
			}
			else if (s instanceof Step.PercentileClip p) {
				ops.add(new Op("scale_range", kwargs("axes", List.of(SPACE), "min_percentile", p.low(), "max_percentile", p.high())));
				ops.add(new Op("clip", kwargs("min", 0.0, "max", 1.0)));
			}
			else return null;
		}
		return new Split(new PreprocessingPlan(geometric), ops);
	}

	private static Map<String, Object> kwargs(final Object... kv) {
		final Map<String, Object> m = new LinkedHashMap<>();
		for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
		return m;
	}

	/** {@code ops} applied to one sample's values, as a bioimage.io consumer applies them. */
	static float[] apply(final List<Op> ops, final float[] x) {
		final float[] y = x.clone();
		for (final Op op : ops) {
			final Map<String, Object> k = op.kwargs();
			switch (op.id()) {
				case "clip" -> {
					final double lo = number(k, "min", Double.NEGATIVE_INFINITY), hi = number(k, "max", Double.POSITIVE_INFINITY);
					for (int i = 0; i < y.length; i++) y[i] = (float) Math.max(lo, Math.min(hi, y[i]));
				}
				case "scale_linear" -> {
					final double g = number(k, "gain", 1), o = number(k, "offset", 0);
					for (int i = 0; i < y.length; i++) y[i] = (float) (g * y[i] + o);
				}
				case "zero_mean_unit_variance" -> {
					double s = 0, ss = 0;
					for (final float v : y) s += v;
					final double mean = s / y.length;
					for (final float v : y) ss += (v - mean) * (v - mean);
					final double sd = Math.sqrt(ss / y.length), eps = number(k, "eps", 1e-6);
					for (int i = 0; i < y.length; i++) y[i] = (float) ((y[i] - mean) / (sd + eps));
				}
				case "scale_range" -> {
					final double lo = percentile(y, number(k, "min_percentile", 0)), hi = percentile(y, number(k, "max_percentile", 100));
					final double eps = number(k, "eps", 1e-6);
					for (int i = 0; i < y.length; i++) y[i] = (float) ((y[i] - lo) / (hi - lo + eps));
				}
				case "ensure_dtype" -> {
					// float32 throughout
				}
				default -> throw new IllegalArgumentException("preprocessing '" + op.id() + "' is not supported (supported: clip, scale_linear, " +
					"zero_mean_unit_variance, scale_range, ensure_dtype)");
			}
		}
		return y;
	}

	private static double number(final Map<String, Object> k, final String key, final double dflt) {
		final Object v = k.get(key);
		if (v == null) return dflt;
		if (v instanceof Number n) return n.doubleValue();
		throw new IllegalArgumentException("kwarg " + key + " must be a number, not " + v);
	}

	/** NumPy's default percentile: linear between the two nearest order statistics. */
	static double percentile(final float[] v, final double q) {
		final float[] s = v.clone();
		Arrays.sort(s);
		final double pos = q / 100 * (s.length - 1);
		final int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, s.length - 1);
		return s[lo] + (pos - lo) * (s[hi] - s[lo]);
	}

	/**
	 * Writes {@code bundle} as a bioimage.io package: a zip when {@code target} ends in {@code .zip},
	 * else a folder. Test tensors come from a phantom CT through the package's own input plan.
	 *
	 * @param meta name, description, authors, licence, citation (see {@link Meta})
	 */
	public static void export(final ModelBundle bundle, final Path target, final Meta meta) throws IOException {
		bundle.requireSegmentation("the model");
		if (bundle.network().inChannels() != 1) {
			throw new IllegalArgumentException("bioimage.io export takes single-channel models; this one has " + bundle.network().inChannels() +
				" input channels");
		}
		final ModelDescription d = ModelDescription.of(bundle, true);
		final Split sp = split(bundle.plan());
		final PreprocessingPlan inputPlan = sp == null ? bundle.plan() : sp.input();
		final List<Op> ops = sp == null ? List.of() : sp.ops();
		final Map<String, byte[]> files = new LinkedHashMap<>();
		final ByteArrayOutputStream onnx = new ByteArrayOutputStream();
		OnnxExport.graph(bundle).write(onnx, meta.name(), "bioimage.io", null);
		files.put(WEIGHTS, onnx.toByteArray());
		// test input: a phantom CT through the input plan, centre-cropped to the model input
		final Volume phantom = new PhantomGenerator(new PhantomConfig(1, 42, 1, 1)).generate(0).image();
		Volume in = inputPlan.apply(phantom).image();
		final int[] shape = bundle.inputShape();
		in = Crops.crop(in, Crops.centredBox(in, new long[] { shape[0], shape[1], shape[2] }), 0);
		final float[] x = Voxels.floats(in.image());
		final long[] tshape = { 1, 1, shape[2], shape[1], shape[0] };
		final float[] probs;
		try (BundleModel m = BundleModel.load(bundle, Device.cpu()); NDManager nm = NDManager.newBaseManager(Device.cpu())) {
			final NDArray t = nm.create(apply(ops, x), new Shape(tshape));
			probs = m.logits(t).softmax(1).toFloatArray();
		}
		final int k = d.outputChannels();
		files.put(TEST_IN, Npy.bytes(new Npy.Array(x, tshape)));
		files.put(TEST_OUT, Npy.bytes(new Npy.Array(probs, new long[] { 1, k, shape[2], shape[1], shape[0] })));
		files.put(COVER, cover(apply(ops, x), probs, shape, k, d.classes()));
		files.put(README, readme(bundle, meta, sp, inputPlan).getBytes(StandardCharsets.UTF_8));
		files.put(RDF, rdf(bundle, d, meta, ops, inputPlan, sp == null, in.spacing(), files).getBytes(StandardCharsets.UTF_8));
		if (target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
			AtomicFiles.write(target, out -> {
				try (ZipOutputStream z = new ZipOutputStream(out)) {
					for (final Map.Entry<String, byte[]> e : files.entrySet()) {
						z.putNextEntry(new ZipEntry(e.getKey()));
						z.write(e.getValue());
						z.closeEntry();
					}
				}
			});
		}
		else {
			Files.createDirectories(target);
			for (final Map.Entry<String, byte[]> e : files.entrySet()) AtomicFiles.write(target.resolve(e.getKey()), o -> o.write(e.getValue()));
		}
	}

	/** The package's descriptive fields. */
	public record Meta(String name, String description, List<String> authors, String license, String citeText, String citeUrl) {

		public Meta {
			if (name == null || name.length() < 5 || name.length() > 128 || !name.matches("[A-Za-z0-9_+\\- ()]+")) {
				throw new IllegalArgumentException("a bioimage.io model name has 5 to 128 letters, digits, spaces and _+-(); not '" + name + "'");
			}
			if (license == null || !license.matches("[A-Za-z0-9.+\\-]+")) {
				throw new IllegalArgumentException("the licence must be an SPDX identifier such as MIT, Apache-2.0 or CC-BY-4.0; not '" + license +
					"'");
			}
			if (authors.isEmpty() || authors.stream().anyMatch(a -> a.isBlank() || a.contains("/") || a.contains("\\"))) {
				throw new IllegalArgumentException("a bioimage.io model needs at least one author, names without / or \\; got " + authors);
			}
		}

		public static Meta defaults(final ModelBundle b, final String name) {
			return new Meta(name, "3D segmentation of " + String.join(", ", foreground(b.classes())) + " by a VoxelSeg " + b.network()
				.describe(), List.of("VoxelSeg user"), "MIT", "VoxelSeg: label-efficient 3D medical image segmentation in Fiji",
				"https://github.com/voxelseg/voxelseg");
		}
	}

	private static List<String> foreground(final ClassTable c) {
		final List<String> n = new ArrayList<>();
		for (final LabelClass l : c.classes()) if (l.index() != 0) n.add(l.name());
		return n;
	}

	private static String rdf(final ModelBundle b, final ModelDescription d, final Meta meta, final List<Op> ops, final PreprocessingPlan inputPlan,
		final boolean whole, final double[] spacing, final Map<String, byte[]> files)
	{
		final int div = d.divisor();
		final Map<String, Object> r = new LinkedHashMap<>();
		r.put("format_version", FORMAT_VERSION);
		r.put("type", "model");
		r.put("name", meta.name());
		r.put("description", clip(meta.description(), 1024));
		final List<Object> authors = new ArrayList<>();
		for (final String a : meta.authors()) authors.add(Map.of("name", a));
		r.put("authors", authors);
		r.put("cite", List.of(kwargs("text", meta.citeText(), "url", meta.citeUrl())));
		r.put("license", meta.license());
		r.put("documentation", README);
		r.put("covers", List.of(COVER));
		r.put("tags", List.of("3d", "semantic-segmentation", "ct", b.network().architecture().id(), "voxelseg"));
		r.put("version", "1.0.0");
		final List<Object> inAxes = new ArrayList<>(), outAxes = new ArrayList<>();
		inAxes.add(Map.of("type", "batch"));
		inAxes.add(kwargs("type", "channel", "channel_names", List.of(IN_ID)));
		outAxes.add(Map.of("type", "batch"));
		final List<String> names = new ArrayList<>();
		for (int c = 0; c < d.outputChannels(); c++) names.add(identifier(d.classes(), c));
		outAxes.add(kwargs("type", "channel", "channel_names", names));
		for (int a = 0; a < 3; a++) {
			final Map<String, Object> ax = kwargs("type", "space", "id", SPACE[a], "size", kwargs("min", div, "step", div));
			final Map<String, Object> ox = kwargs("type", "space", "id", SPACE[a], "size", kwargs("tensor_id", IN_ID, "axis_id", SPACE[a]));
			// the voxel size is known only when the plan resamples to a spacing (a fixed grid's spacing depends on the image)
			if (inputPlan.steps().stream().anyMatch(s -> s instanceof Step.ResampleToSpacing)) {
				ax.put("unit", "millimeter");
				ax.put("scale", spacing[2 - a]);
				ox.put("unit", "millimeter");
				ox.put("scale", spacing[2 - a]);
			}
			inAxes.add(ax);
			outAxes.add(ox);
		}
		final Map<String, Object> input = new LinkedHashMap<>();
		input.put("id", IN_ID);
		input.put("description", clip(whole ? "The image preprocessed by VoxelSeg's plan (see README)" : "The image on the model's grid " +
			"(see README: " + describe(inputPlan) + "), in its own intensities", 128));
		input.put("axes", inAxes);
		input.put("test_tensor", tensorFile(TEST_IN, files));
		input.put("data", Map.of("type", "float32"));
		if (!ops.isEmpty()) {
			final List<Object> pre = new ArrayList<>();
			for (final Op o : ops) pre.add(o.yaml());
			input.put("preprocessing", pre);
		}
		final Map<String, Object> output = new LinkedHashMap<>();
		output.put("id", OUT_ID);
		output.put("description", "Softmax probabilities, one channel per class");
		output.put("axes", outAxes);
		output.put("test_tensor", tensorFile(TEST_OUT, files));
		output.put("data", kwargs("type", "float32", "range", List.of(0.0, 1.0)));
		r.put("inputs", List.of(input));
		r.put("outputs", List.of(output));
		r.put("weights", Map.of("onnx", kwargs("source", WEIGHTS, "sha256", Digests.sha256(files.get(WEIGHTS)), "opset_version",
			sc.fiji.voxelseg.onnx.OnnxGraph.OPSET)));
		r.put("config", Map.of("voxelseg", Json.toJson(d.toJson())));
		final DumperOptions o = new DumperOptions();
		o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
		o.setWidth(120);
		return new Yaml(o).dump(r);
	}

	private static Map<String, Object> tensorFile(final String name, final Map<String, byte[]> files) {
		return kwargs("source", name, "sha256", Digests.sha256(files.get(name)));
	}

	/** A class name as a Python identifier, as channel names must be. */
	private static String identifier(final ClassTable c, final int index) {
		String n = c.names().getOrDefault(index, "class_" + index).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
		if (n.isEmpty() || Character.isDigit(n.charAt(0))) n = "c_" + n;
		return n;
	}

	private static String clip(final String s, final int n) {
		return s.length() <= n ? s : s.substring(0, n - 1) + "…";
	}

	private static String describe(final PreprocessingPlan p) {
		return p.steps().isEmpty() ? "the image as it is" : p.toString();
	}

	private static String readme(final ModelBundle b, final Meta meta, final Split sp, final PreprocessingPlan inputPlan) {
		final StringBuilder s = new StringBuilder("# ").append(meta.name()).append("\n\n").append(meta.description()).append("\n\n");
		s.append("Exported by VoxelSeg from a trained bundle: ").append(b.network().describe()).append(".\n\n");
		s.append("## Input\n\n");
		if (sp == null) {
			s.append("The image preprocessed by the whole VoxelSeg plan `").append(b.plan().toString()).append("`: its steps have no ")
				.append("bioimage.io operations. VoxelSeg applies it itself (`voxelseg segment --model <this package>`).\n\n");
		}
		else {
			s.append("The image after `").append(describe(inputPlan)).append("`, in its own intensities (HU for CT): crops and resampling ")
				.append("have no bioimage.io operation, so the image must be on that grid already. The intensity steps are the package's ")
				.append("preprocessing. VoxelSeg itself windows while it resamples; resampling first changes values only near the ")
				.append("window's edges. `voxelseg segment --model <this package>` applies the whole plan to any image.\n\n");
		}
		s.append("Spatial sizes: multiples of ").append(b.network().divisor()).append(" (z, y, x). Trained on ").append(b.inputShape()[0])
			.append("×").append(b.inputShape()[1]).append("×").append(b.inputShape()[2]).append(" (x×y×z).\n\n");
		s.append("## Output\n\nSoftmax probabilities, one channel per class: ").append(b.classes().names().values()).append(
			". The label map is their arg-max.\n\n");
		s.append("## Validation\n\n`test_input.npy` is a phantom CT on the model's input; `test_output.npy` is VoxelSeg's prediction for it ")
			.append("(libtorch). ONNX Runtime reproduces it within 1e-4.\n");
		return s.toString();
	}

	private static byte[] cover(final float[] x, final float[] probs, final int[] shape, final int k, final ClassTable classes) throws IOException {
		final int nx = shape[0], ny = shape[1], nz = shape[2], z = nz / 2, plane = nx * ny;
		float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
		for (int i = 0; i < plane; i++) {
			lo = Math.min(lo, x[z * plane + i]);
			hi = Math.max(hi, x[z * plane + i]);
		}
		final BufferedImage img = new BufferedImage(2 * nx, ny, BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < ny; y++) for (int i = 0; i < nx; i++) {
			final int v = hi > lo ? (int) (255 * (x[z * plane + y * nx + i] - lo) / (hi - lo)) : 0;
			img.setRGB(i, y, v << 16 | v << 8 | v);
			int best = 0;
			for (int c = 1; c < k; c++) if (probs[(c * nz + z) * plane + y * nx + i] > probs[(best * nz + z) * plane + y * nx + i]) best = c;
			final LabelClass lc = best < classes.classes().size() ? classes.classes().get(best) : null;
			img.setRGB(nx + i, y, best == 0 || lc == null ? v / 3 << 16 | v / 3 << 8 | v / 3 : lc.rgb());
		}
		final int f = Math.max(1, (512 + 2 * nx - 1) / (2 * nx));
		final BufferedImage big = new BufferedImage(2 * nx * f, ny * f, BufferedImage.TYPE_INT_RGB);
		final java.awt.Graphics2D g = big.createGraphics();
		g.drawImage(img, 0, 0, 2 * nx * f, ny * f, null);
		g.dispose();
		final ByteArrayOutputStream out = new ByteArrayOutputStream();
		ImageIO.write(big, "png", out);
		return out.toByteArray();
	}

	// ---- reading ---------------------------------------------------------------------------------

	/**
	 * A package as read: its rdf.yaml and how to read the files it names (relative to the rdf.yaml,
	 * in a zip or a folder).
	 */
	public record Package(Path source, Map<String, Object> rdf, java.util.function.Function<String, byte[]> files, Path dir) {

		byte[] file(final String name) throws IOException {
			final byte[] b = name.contains("..") || name.startsWith("/") ? null : files.apply(name);
			if (b == null) throw new IOException(source + ": the package has no file " + name + " (rdf.yaml names it)");
			return b;
		}

		/** The file {@code name} on disk, for a package in a folder; null in a zip. */
		Path path(final String name) {
			return dir == null || name.contains("..") || name.startsWith("/") ? null : inside(dir, name);
		}
	}

	/** The regular file {@code name} resolved in {@code dir}, or null if it is not one or lies outside. */
	private static Path inside(final Path dir, final String name) {
		final Path f = dir.resolve(name).normalize();
		return f.startsWith(dir) && Files.isRegularFile(f) ? f : null;
	}

	/** Whether {@code p} is a bioimage.io package: an rdf.yaml, a folder holding one, or a zip holding one. */
	public static boolean isPackage(final Path p) {
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (Files.isRegularFile(p) && (n.endsWith("rdf.yaml") || n.equals("bioimageio.yaml"))) return true;
		if (Files.isDirectory(p)) return Files.isRegularFile(p.resolve(RDF));
		if (Files.isRegularFile(p) && n.endsWith(".zip")) {
			try (ZipFile z = new ZipFile(p.toFile())) {
				return java.util.Collections.list(z.entries()).stream().anyMatch(e -> e.getName().replaceFirst("^.*/", "").equals(RDF));
			}
			catch (final IOException e) {
				return false;
			}
		}
		return false;
	}

	/** Reads a package from a zip, a folder, or its rdf.yaml (the files beside it); only the files rdf.yaml names are read, when used. */
	public static Package read(final Path source) throws IOException {
		final java.util.function.Function<String, byte[]> files;
		final byte[] rdfBytes;
		Path folder = null;
		if (Files.isRegularFile(source) && source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
			final Map<String, byte[]> entries = new LinkedHashMap<>();
			try (ZipFile z = new ZipFile(source.toFile())) {
				for (final ZipEntry e : java.util.Collections.list(z.entries())) {
					if (e.isDirectory()) continue;
					try (InputStream in = z.getInputStream(e)) {
						entries.put(e.getName(), in.readAllBytes());
					}
				}
			}
			// the rdf.yaml at the shallowest level; names in it are relative to its folder
			final String rdfEntry = entries.keySet().stream().filter(n -> n.equals(RDF) || n.endsWith("/" + RDF)).min(java.util.Comparator
				.comparingInt(String::length)).orElse(null);
			if (rdfEntry == null) throw new IOException(source + ": not a bioimage.io package: it holds no rdf.yaml");
			final String prefix = rdfEntry.substring(0, rdfEntry.length() - RDF.length());
			rdfBytes = entries.get(rdfEntry);
			files = n -> entries.get(prefix + n);
		}
		else {
			final Path rdf = Files.isDirectory(source) ? source.resolve(RDF) : source;
			if (!Files.isRegularFile(rdf)) throw new IOException(source + ": not a bioimage.io package: it holds no rdf.yaml");
			rdfBytes = Files.readAllBytes(rdf);
			final Path dir = rdf.toAbsolutePath().getParent();
			folder = dir;
			files = n -> {
				try {
					final Path f = inside(dir, n);
					return f == null ? null : Files.readAllBytes(f);
				}
				catch (final IOException e) {
					return null;
				}
			};
		}
		final Object parsed;
		try {
			parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(new String(rdfBytes, StandardCharsets.UTF_8));
		}
		catch (final RuntimeException e) {
			throw new IOException(source + ": rdf.yaml is not valid YAML: " + e.getMessage().replace('\n', ' '), e);
		}
		if (!(parsed instanceof Map<?, ?> m)) throw new IOException(source + ": rdf.yaml is not a YAML mapping");
		@SuppressWarnings("unchecked")
		final Map<String, Object> rdf = (Map<String, Object>) m;
		final Object version = rdf.get("format_version"), type = rdf.get("type");
		if (!"model".equals(type)) throw new IOException(source + ": rdf.yaml describes a " + type + ", not a model");
		if (version == null || !version.toString().matches("0\\.5\\.\\d+")) {
			throw new IOException(source + ": rdf.yaml has format_version " + version + "; VoxelSeg reads bioimage.io model format 0.5.x " +
				"(update older packages with bioimageio.spec's update_format)");
		}
		return new Package(source, rdf, files, folder);
	}

	/** The weight formats VoxelSeg runs, in the order it prefers them with libtorch as the engine. */
	static final List<String> WEIGHT_FORMATS = List.of("torchscript", "onnx");

	/** {@link #load(Path, Device, boolean)} on the CPU with libtorch preferred. */
	public static SegmentationModel load(final Path source) throws IOException {
		return load(source, Device.cpu(), false);
	}

	/**
	 * Loads a package as a model. Its {@code torchscript} weights run on libtorch (on
	 * {@code device}), its {@code onnx} weights on ONNX Runtime (on the CPU). With both, libtorch
	 * runs the TorchScript weights unless {@code onnxRuntime} asks for ONNX Runtime.
	 *
	 * @throws IllegalArgumentException for {@code onnxRuntime} and a package with TorchScript weights only
	 */
	public static SegmentationModel load(final Path source, final Device device, final boolean onnxRuntime) throws IOException {
		final Package p = read(source);
		final Map<String, Object> weights = map(p, p.rdf(), "weights");
		if (WEIGHT_FORMATS.stream().noneMatch(weights::containsKey)) {
			throw new IOException(source + ": the package has weights in " + weights.keySet() + "; VoxelSeg runs bioimage.io models with " +
				"onnx weights (ONNX Runtime) or torchscript weights (libtorch); export the model to one of them");
		}
		final boolean torchscript = weights.containsKey("torchscript") && !(onnxRuntime && weights.containsKey("onnx"));
		if (torchscript && onnxRuntime) {
			throw new IllegalArgumentException(source + " has TorchScript weights only, which only libtorch runs: choose libtorch (the " +
				"launcher's --engine torch, Fiji's cpu, gpu or auto device), or add ONNX weights to the package");
		}
		final String format = torchscript ? "torchscript" : "onnx";
		final Map<String, Object> w = map(p, weights, format);
		final String name = String.valueOf(w.get("source"));
		final byte[] bytes = p.file(name);
		final Object sha = w.get("sha256");
		if (sha != null && !sha.toString().equalsIgnoreCase(Digests.sha256(bytes))) {
			throw new IOException(source + ": " + name + " does not match its sha256 in rdf.yaml (damaged or replaced)");
		}
		final ModelDescription d = description(p);
		if (!torchscript) {
			OnnxRuntimeCheck.require(source);
			return OnnxModel.of(bytes, d, source);
		}
		// libtorch loads from a file: the package's own where it is one, else a temporary copy
		final Path onDisk = p.path(name);
		if (onDisk != null) return TorchScriptModel.of(onDisk, d, device, onDisk);
		final Path tmp = Files.createTempFile("voxelseg-", ".pt");
		try {
			Files.write(tmp, bytes);
			return TorchScriptModel.of(tmp, d, device, Path.of(source + "!" + name));
		}
		finally {
			Files.deleteIfExists(tmp);
		}
	}

	/**
	 * The description of a package: VoxelSeg's own under {@code config.voxelseg}, else one built from
	 * the rdf: classes from the output channel names, intensity preprocessing as plan steps, the
	 * input size from the smallest valid size of at least 64 voxels per axis.
	 */
	static ModelDescription description(final Package p) throws IOException {
		final Object config = p.rdf().get("config");
		if (config instanceof Map<?, ?> c && c.get("voxelseg") != null) return ModelDescription.parse(c.get("voxelseg").toString(), p.source() + " (config.voxelseg)");
		final List<Map<String, Object>> inputs = list(p, p.rdf(), "inputs"), outputs = list(p, p.rdf(), "outputs");
		if (inputs.size() != 1 || outputs.isEmpty()) {
			throw new IOException(p.source() + ": the model has " + inputs.size() + " inputs; VoxelSeg runs models with one image input");
		}
		final Map<String, Object> in = inputs.get(0), out = outputs.get(0);
		final List<Map<String, Object>> inAxes = list(p, in, "axes"), outAxes = list(p, out, "axes");
		final String layout = layout(inAxes);
		if (!layout.equals("bczyx") && !layout.equals("czyx")) {
			throw new IOException(p.source() + ": input axes " + layout + "; VoxelSeg runs 3D models with axes batch, channel, z, y, x");
		}
		int channels = 1;
		final int[] shape = new int[3];
		int divisor = 1;
		for (final Map<String, Object> ax : inAxes) {
			if ("channel".equals(ax.get("type"))) channels = ((List<?>) ax.get("channel_names")).size();
			if (!"space".equals(ax.get("type"))) continue;
			final int a = 2 - Arrays.asList(SPACE).indexOf(String.valueOf(ax.get("id")));
			final Object size = ax.get("size");
			if (size instanceof Number n) shape[a] = n.intValue();
			else if (size instanceof Map<?, ?> s && s.get("min") instanceof Number min && s.get("step") instanceof Number step) {
				int v = min.intValue();
				while (v < 64 && step.intValue() > 0) v += step.intValue();
				shape[a] = v;
				divisor = step.intValue() > 0 ? step.intValue() : divisor;
			}
			else throw new IOException(p.source() + ": input axis " + ax.get("id") + " has size " + size + "; VoxelSeg needs a number or {min, step}");
		}
		List<String> names = null;
		for (final Map<String, Object> ax : outAxes) if ("channel".equals(ax.get("type"))) names = castList(ax.get("channel_names"));
		if (names == null) throw new IOException(p.source() + ": the output has no channel axis; VoxelSeg runs models with one channel per class");
		final List<LabelClass> classes = new ArrayList<>();
		final ClassTable generic = ClassTable.generic(names.size() - 1);
		for (int i = 0; i < names.size(); i++) classes.add(new LabelClass(i, names.get(i), generic.classes().get(i).rgb()));
		final List<Step> steps = new ArrayList<>();
		final List<Map<String, Object>> pre = in.get("preprocessing") == null ? List.of() : list(p, in, "preprocessing");
		for (int i = 0; i < pre.size(); i++) {
			final String id = String.valueOf(pre.get(i).get("id"));
			final Map<String, Object> k = pre.get(i).get("kwargs") instanceof Map<?, ?> km ? castMap(km) : Map.of();
			final Map<String, Object> next = i + 1 < pre.size() ? pre.get(i + 1) : null;
			if (id.equals("clip") && next != null && "scale_linear".equals(next.get("id")) && next.get("kwargs") instanceof Map<?, ?> nk) {
				final double lo = number(k, "min", Double.NaN), hi = number(k, "max", Double.NaN);
				final double g = number(castMap(nk), "gain", 1), o = number(castMap(nk), "offset", 0);
				if (Math.abs(g * lo + o) < 1e-6 && Math.abs(g * hi + o - 1) < 1e-6) {
					steps.add(Step.Window.of(HuWindow.custom(lo, hi)));
					i++;
					continue;
				}
			}
			if (id.equals("zero_mean_unit_variance")) steps.add(new Step.ZScore(null));
			else if (id.equals("scale_range")) {
				steps.add(new Step.PercentileClip(number(k, "min_percentile", 0), number(k, "max_percentile", 100)));
				if (next != null && "clip".equals(next.get("id"))) i++;
			}
			else if (!id.equals("ensure_dtype")) {
				throw new IOException(p.source() + ": input preprocessing '" + id + "' has no VoxelSeg equivalent (VoxelSeg maps clip + " +
					"scale_linear as an intensity window, zero_mean_unit_variance, scale_range)");
			}
		}
		boolean softmaxAfter = false;
		if (out.get("postprocessing") instanceof List<?> post) for (final Object o : post) if (o instanceof Map<?, ?> om && "softmax".equals(om.get("id"))) softmaxAfter = true;
		final Object data = out.get("data");
		final boolean unitRange = data instanceof Map<?, ?> dm && dm.get("range") instanceof List<?> r && r.size() == 2 && Double.valueOf(0)
			.equals(asDouble(r.get(0))) && Double.valueOf(1).equals(asDouble(r.get(1)));
		return new ModelDescription(new ClassTable(classes), new PreprocessingPlan(steps), shape, divisor, channels, !softmaxAfter && unitRange);
	}

	private static Double asDouble(final Object o) {
		return o instanceof Number n ? n.doubleValue() : null;
	}

	private static String layout(final List<Map<String, Object>> axes) {
		final StringBuilder b = new StringBuilder();
		for (final Map<String, Object> ax : axes) {
			final String t = String.valueOf(ax.get("type"));
			b.append(t.equals("space") ? String.valueOf(ax.get("id")) : t.substring(0, 1));
		}
		return b.toString();
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> castMap(final Map<?, ?> m) {
		return (Map<String, Object>) m;
	}

	@SuppressWarnings("unchecked")
	private static <T> List<T> castList(final Object o) {
		return (List<T>) o;
	}

	private static Map<String, Object> map(final Package p, final Map<String, Object> in, final String key) throws IOException {
		if (!(in.get(key) instanceof Map<?, ?> m)) throw new IOException(p.source() + ": rdf.yaml has no " + key + " mapping");
		return castMap(m);
	}

	private static List<Map<String, Object>> list(final Package p, final Map<String, Object> in, final String key) throws IOException {
		if (!(in.get(key) instanceof List<?> l)) throw new IOException(p.source() + ": rdf.yaml has no " + key + " list");
		return castList(l);
	}

	/**
	 * Runs a package on its own test input (with its preprocessing) and returns the largest
	 * difference from its test output, with the weights {@link #load} prefers.
	 */
	public static double reproduce(final Path source) throws IOException {
		return reproduce(source, false);
	}

	/** {@link #reproduce(Path)} with the ONNX weights on ONNX Runtime when {@code onnxRuntime}. */
	public static double reproduce(final Path source, final boolean onnxRuntime) throws IOException {
		final Package p = read(source);
		final Map<String, Object> in = list(p, p.rdf(), "inputs").get(0), out = list(p, p.rdf(), "outputs").get(0);
		final Npy.Array x = Npy.read(p.file(fileName(p, in)), "test input"), want = Npy.read(p.file(fileName(p, out)), "test output");
		final List<Op> ops = new ArrayList<>();
		if (in.get("preprocessing") instanceof List<?> pre) {
			for (final Object o : pre) {
				final Map<String, Object> m = castMap((Map<?, ?>) o);
				ops.add(new Op(String.valueOf(m.get("id")), m.get("kwargs") instanceof Map<?, ?> k ? castMap(k) : Map.of()));
			}
		}
		try (SegmentationModel m = load(source, Device.cpu(), onnxRuntime)) {
			final float[] in2 = apply(ops, x.data());
			final float[] got = m instanceof OnnxModel o ? o.run(in2, x.shape()) : ((TorchScriptModel) m).run(in2, x.shape());
			if (got.length != want.data().length) throw new IOException(source + ": the output has " + got.length + " values, the test output " + want.data().length);
			double worst = 0;
			for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.data()[i]));
			return worst;
		}
	}

	private static String fileName(final Package p, final Map<String, Object> tensor) throws IOException {
		if (!(tensor.get("test_tensor") instanceof Map<?, ?> t) || t.get("source") == null) {
			throw new IOException(p.source() + ": tensor " + tensor.get("id") + " has no test_tensor");
		}
		return String.valueOf(t.get("source"));
	}
}
