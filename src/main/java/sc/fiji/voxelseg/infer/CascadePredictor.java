package sc.fiji.voxelseg.infer;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

import net.imglib2.Cursor;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.agcl.Cascade;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.model.BundleModel;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.Grid;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Resampler;
import sc.fiji.voxelseg.util.Progress;

/**
 * Cascade segmentation (seed 002, AGCL's second stage, in 3D): a coarse model segments the image,
 * then a cascade model refines one organ at a time in patches around it and the organs are fused.
 * Keeps both models loaded (load once, predict many).
 * <p>
 * For an image on any grid: (a) the coarse model, any segmentation model, gives a label map on the
 * image grid ({@link Predictor}; with the largest-component option it keeps each organ's largest
 * component there too, so that stray voxels do not stretch an organ's box); (b) the cascade model's
 * plan puts the image and that label map on its grid (trilinear and nearest neighbour, as in
 * training); (c) for every organ of the cascade model's class table present in the coarse map
 * (classes match by index), its patches ({@link Cascade#organMaps}) run through the network in
 * inference mode, a bounded batch per pass, and the softmax's organ channel is pasted into the
 * organ's probability map; (d) the labels go back onto the image grid the way {@link Predictor}
 * takes them there: the class probabilities (the organs', and background's {@code 1 - max}) are
 * interpolated trilinearly and their arg-max taken ({@link Resampler#linearArgmax}), so organ
 * boundaries are interpolated as a one-stage model's are. On the cascade model's own grid that
 * arg-max is exactly {@link sc.fiji.voxelseg.agcl.MaskFusion#fuse}: an organ where its probability is
 * the highest and above 0.5, ties to the lower class. Voxels the plan cropped away are background.
 * <p>
 * Memory on the cascade model's grid: the preprocessed image and one float map per organ present (at
 * most K + 1 float maps for K organs; background's map reuses the image's), the byte label maps, and
 * one batch of patches, which holds at most half the grid's voxels ({@link Cascade#batchFor}); a
 * whole-volume pass of a K-class model on the same grid holds K probability maps, the image and the
 * network's activations on the whole grid. On the image grid, the coarse stage's label map is
 * filtered in place. The coarse stage itself is one ordinary {@link Predictor} pass.
 */
public final class CascadePredictor implements AutoCloseable {

	private final SegmentationModel model;
	private final Predictor coarse;
	private final String modelName, coarseName;
	/** The cascade model's intensity rules, which Predictor applies to a plan. */
	private final Predictor checks;

	/**
	 * @param model the cascade model: its classes are the organ table, its input shape the patch, its
	 *          logits N × 2 × D × H × W for inputs N × 2 × D × H × W (image, organ mask)
	 * @param coarse the coarse model, or null for a predictor that only {@link #refine}s segmentations
	 *          it is given
	 * @param modelName the cascade model's name in messages (its file)
	 * @param coarseName the coarse model's name in messages
	 * @throws IllegalArgumentException if the class tables disagree or share no organ
	 */
	public CascadePredictor(final SegmentationModel model, final Predictor coarse, final String modelName, final String coarseName) {
		this.model = model;
		this.coarse = coarse;
		this.modelName = modelName;
		this.coarseName = coarseName;
		if (model.classes().maxIndex() > 255) {
			throw new IllegalArgumentException("cascade model " + modelName + " has class indices up to " + model.classes().maxIndex() +
				"; the cascade fuses at most 255 organs");
		}
		if (model.inputShape() == null || model.inputShape().length != 3) {
			throw new IllegalArgumentException("cascade model " + modelName + " does not say its patch size");
		}
		if (coarse != null) requireCompatible(model.classes(), coarse.classes(), modelName, coarseName);
		this.checks = new Predictor(model);
	}

	/** A predictor that refines coarse segmentations it is given ({@link #refine}). */
	public CascadePredictor(final SegmentationModel model) {
		this(model, null, "the cascade model", "the coarse segmentation");
	}

	/**
	 * Loads a cascade bundle and its coarse model (a bundle or TorchScript file) on {@code device}
	 * (auto, cpu, gpu:N).
	 *
	 * @throws IllegalArgumentException if {@code model} is not a cascade model, or the class tables do
	 *           not fit together
	 */
	public static CascadePredictor load(final Path model, final Path coarse, final String device) throws IOException {
		return load(ModelBundle.load(model), model.toString(), coarse, device);
	}

	/** {@link #load(Path, Path, String)} for a bundle already read, named {@code modelName} in messages. */
	public static CascadePredictor load(final ModelBundle model, final String modelName, final Path coarse, final String device)
		throws IOException
	{
		requireCascade(model, modelName);
		final Predictor c = Predictor.load(coarse, device);
		PatchNetwork m = null;
		try {
			m = PatchNetwork.load(model, TorchEngine.device(device));
			return new CascadePredictor(m, c, modelName, coarse.toString());
		}
		catch (final IOException | RuntimeException e) {
			if (m != null) m.close();
			c.close();
			throw e;
		}
	}

	/** Refuses a bundle that is not a cascade model, saying what to do instead. */
	public static void requireCascade(final ModelBundle b, final String name) {
		if (!b.cascade()) {
			throw new IllegalArgumentException(name + " is not a cascade model (it segments whole volumes" + (b.pretrained()
				? ", or is a pretrained backbone" : "") + "): segment with it alone, without a coarse model");
		}
		if (b.network().inChannels() != 2 || b.network().classes() != 2) {
			throw new IllegalArgumentException("cascade model " + name + " has a network of " + b.network().inChannels() + " inputs and " + b
				.network().classes() + " outputs; a cascade model takes 2 (image, organ mask) and gives 2 (background, organ)");
		}
	}

	/** Whether {@code model} is a cascade bundle (a TorchScript file never is). */
	public static boolean isCascade(final Path model) throws IOException {
		return cascadeBundle(model) != null;
	}

	/**
	 * The bundle at {@code model} if it is a cascade model, else null (TorchScript files never are), so
	 * that a caller deciding between {@link Predictor} and a cascade reads it once.
	 */
	public static ModelBundle cascadeBundle(final Path model) throws IOException {
		final String n = model.getFileName().toString().toLowerCase(Locale.ROOT);
		if (Files.isRegularFile(model) && (n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".torchscript"))) return null;
		final ModelBundle b = ModelBundle.load(model);
		return b.cascade() ? b : null;
	}

	/**
	 * Refuses a coarse class table that does not fit the cascade model's: a shared index with another
	 * name (case aside), or no organ in common. Generic names ({@code class_3}) match any name.
	 */
	public static void requireCompatible(final ClassTable model, final ClassTable coarse, final String modelName, final String coarseName) {
		int shared = 0;
		for (final LabelClass c : model.classes()) {
			if (c.index() == 0 || !coarse.contains(c.index())) continue;
			final String a = c.name(), b = coarse.get(c.index()).name();
			if (!a.equalsIgnoreCase(b) && !generic(a, c.index()) && !generic(b, c.index())) {
				throw new IllegalArgumentException(String.format(Locale.ROOT, "the class tables do not match: class %d is '%s' in cascade " +
					"model %s but '%s' in coarse model %s; use a coarse model trained on the same class table", c.index(), a, modelName, b,
					coarseName));
			}
			shared++;
		}
		if (shared == 0) {
			throw new IllegalArgumentException("coarse model " + coarseName + " segments none of the organs of cascade model " + modelName +
				" (cascade model: " + organs(model) + "; coarse model: " + organs(coarse) + ")");
		}
	}

	private static boolean generic(final String name, final int index) {
		return name.equals("class_" + index);
	}

	private static String organs(final ClassTable t) {
		final StringJoiner j = new StringJoiner(", ").setEmptyValue("none");
		for (final LabelClass c : t.classes()) if (c.index() != 0) j.add(c.index() + " " + c.name());
		return j.toString();
	}

	/** The cascade model. */
	public SegmentationModel model() {
		return model;
	}

	/** The coarse model's predictor, or null. */
	public Predictor coarse() {
		return coarse;
	}

	/** The classes of the labels: the cascade model's organ table. */
	public ClassTable classes() {
		return model.classes();
	}

	/** One line: both models and where they run. */
	public String describe() {
		return "cascade " + model.describe() + (coarse == null ? "" : "; coarse " + coarse.model().describe());
	}

	/**
	 * Segments {@code image} (any grid, raw intensities as stored: HU for CT): the coarse model's
	 * segmentation, then {@link #refine}. The options apply to both stages, except that the coarse
	 * stage returns no probabilities.
	 *
	 * @throws IllegalStateException if this predictor has no coarse model
	 */
	public Prediction predict(final Volume image, final PredictOptions o, final Progress progress) {
		if (coarse == null) throw new IllegalStateException("no coarse model to segment the image first; refine a coarse segmentation instead");
		final long t0 = System.nanoTime();
		final Progress p = progress == null ? Progress.NONE : progress;
		p.status("Coarse segmentation");
		final Prediction c = coarse.predict(image, o.withProbabilities(false), p);
		final Prediction f = refine(image, c.labels(), o, p, true);
		return new Prediction(f.labels(), f.probabilities(), (System.nanoTime() - t0) / 1e9, c.windows() + f.windows());
	}

	/**
	 * The cascade's second stage on a coarse segmentation of {@code image}: steps (b) to (d) of the
	 * class description. {@code coarseLabels} must share the image's grid and is left as it is; its
	 * values that are not organs of the cascade model count as background, and a class table it carries
	 * must agree with the cascade model's ({@link #requireCompatible}).
	 *
	 * @return the label map on the image grid with the cascade model's classes; with
	 *         {@link PredictOptions#probabilities()} one float volume per class index 0..K on the image
	 *         grid (0 for organs the coarse map lacks); windows: the network passes
	 */
	public Prediction refine(final Volume image, final Volume coarseLabels, final PredictOptions o, final Progress progress) {
		return refine(image, coarseLabels, o, progress, false);
	}

	/** @param ours whether {@code coarseLabels} may be overwritten (the coarse stage's own result) */
	private Prediction refine(final Volume image, final Volume coarseLabels, final PredictOptions o, final Progress progress,
		final boolean ours)
	{
		final long t0 = System.nanoTime();
		final Progress p = progress == null ? Progress.NONE : progress;
		checks.check(image, o);
		image.requireSameGrid(coarseLabels, "image", "coarse segmentation");
		if (coarseLabels.classes() != null) requireCompatible(model.classes(), coarseLabels.classes(), modelName, coarseName);
		final int[] organs = model.classes().classes().stream().mapToInt(LabelClass::index).filter(i -> i > 0).toArray();
		p.status("Preprocessing for the cascade model");
		final Volume organMap = new Volume(ArrayImgs.unsignedBytes(organsOnly(coarseLabels, organs, ours), image.dims()), image.spacing(), image
			.origin(), image.direction(), model.classes(), VoxelType.UINT8);
		final PreprocessingPlan.Result r = model.plan().apply(image, organMap);
		final PreprocessingPlan.Trace trace = r.trace();
		final Grid grid = trace.result(), original = trace.original();
		final int[] d = { (int) grid.dims()[0], (int) grid.dims()[1], (int) grid.dims()[2] };
		final Object backing = Voxels.backingArray(r.image().image());
		// the preprocessed image is ours to overwrite unless the plan handed back the caller's array, which is then copied
		final boolean owned = backing instanceof float[] f && f.length == grid.voxelCount() && backing != Voxels.backingArray(image.image());
		final float[] img = owned ? (float[]) backing : Voxels.floats(r.image().image());
		final byte[] lab = labelBytes(r.labels());
		p.checkCanceled();
		p.status("Organ patches");
		final int[] patch = model.inputShape();
		final Cascade.OrganMaps m = Cascade.organMaps(img, lab, d, organs, patch, o.overlap(), Cascade.batchFor(d, patch),
			(x, n, size) -> organProbabilities(x, n, size, o.mirror()), p);
		p.checkCanceled();
		p.status("Labels on the image grid");
		// the image is no longer needed: background's probability takes its place
		final float[] background = Cascade.background(m.maps(), img.length, img);
		final List<Integer> present = new ArrayList<>();
		present.add(0);
		for (int k = 1; k < m.maps().length; k++) if (m.maps()[k] != null) present.add(k);
		final float[][] scores = new float[present.size()][];
		scores[0] = background;
		for (int i = 1; i < scores.length; i++) scores[i] = m.maps()[present.get(i)];
		final byte[] out = Resampler.linearArgmax(scores, grid, original);
		final byte[] lut = new byte[256];
		for (int i = 0; i < scores.length; i++) lut[i] = (byte) (int) present.get(i);
		for (int i = 0; i < out.length; i++) out[i] = lut[out[i] & 0xff];
		final int[] od = { (int) original.dims()[0], (int) original.dims()[1], (int) original.dims()[2] };
		if (o.largestComponent()) Components.keepLargest(out, od[0], od[1], od[2]);
		final Volume labels = new Volume(ArrayImgs.unsignedBytes(out, original.dims()), original.spacing(), original.origin(), original
			.direction(), model.classes(), VoxelType.UINT8);
		final List<Volume> maps = new ArrayList<>();
		if (o.probabilities()) {
			for (int c = 0; c <= model.classes().maxIndex(); c++) {
				p.checkCanceled();
				final int i = present.indexOf(c);
				if (i < 0) {
					maps.add(Volume.ofFloats(new float[(int) original.voxelCount()], original.dims(), original.spacing(), original.origin(),
						original.direction()));
					continue;
				}
				final Volume onModel = Volume.ofFloats(scores[i], grid.dims(), grid.spacing(), grid.origin(), grid.direction());
				maps.add(Resampler.resample(onModel, original, Interpolation.LINEAR, c == 0 ? 1 : 0, null));
			}
		}
		return new Prediction(labels, maps, (System.nanoTime() - t0) / 1e9, m.patches() * (o.mirror() ? 8 : 1));
	}

	/**
	 * The organ channel of the softmax for a batch of patches (n × 2 × pz × py × px), n × pz × py × px,
	 * in its own scope; averaged over the 8 flips of x, y and z when mirroring.
	 */
	private float[] organProbabilities(final float[] patches, final int n, final int[] size, final boolean mirror) {
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final NDArray x = model.manager().create(FloatBuffer.wrap(patches), new Shape(n, 2, size[2], size[1], size[0]));
			NDArray prob = organ(model.logits(x));
			if (mirror) {
				for (int f = 1; f < 8; f++) {
					final List<Integer> axes = new ArrayList<>();
					if ((f & 1) != 0) axes.add(4);
					if ((f & 2) != 0) axes.add(3);
					if ((f & 4) != 0) axes.add(2);
					final int[] in = axes.stream().mapToInt(Integer::intValue).toArray(), outAxes = axes.stream().mapToInt(a -> a - 1).toArray();
					prob = prob.add(organ(model.logits(x.flip(in))).flip(outAxes));
				}
				prob = prob.div(8f);
			}
			return prob.toFloatArray();
		}
	}

	private NDArray organ(final NDArray logits) {
		if (logits.getShape().dimension() != 5 || logits.getShape().get(1) != 2) {
			throw new IllegalStateException("cascade model " + modelName + " returned logits of shape " + logits.getShape() +
				"; a cascade model gives 2 channels (background, organ)");
		}
		return logits.softmax(1).get(":, 1");
	}

	/**
	 * The coarse map as unsigned bytes holding only the cascade model's organs (every other value 0),
	 * without a float copy of the volume: an unsigned-byte map that holds nothing else is used as it
	 * is (the usual case, both models sharing one class table), else filtered in place when allowed,
	 * else copied.
	 *
	 * @param inPlace whether an unsigned-byte map may be filtered in place instead of copied
	 */
	static byte[] organsOnly(final Volume labels, final int[] organs, final boolean inPlace) {
		final boolean[] keep = new boolean[256];
		keep[0] = true;
		for (final int k : organs) keep[k] = true;
		final int n = (int) labels.voxelCount();
		final Object a = Voxels.backingArray(labels.image());
		if (a instanceof byte[] b && b.length == n && labels.voxelType() == VoxelType.UINT8) {
			int first = 0;
			while (first < n && keep[b[first] & 0xff]) first++;
			if (first == n) return b;
			final byte[] out = inPlace ? b : b.clone();
			for (int i = first; i < n; i++) if (!keep[out[i] & 0xff]) out[i] = 0;
			return out;
		}
		final byte[] out = new byte[n];
		int i = 0;
		final Cursor<? extends RealType<?>> c = Views.flatIterable(labels.image()).cursor();
		while (c.hasNext()) {
			final double v = c.next().getRealDouble();
			if (v >= 1 && v <= 255 && v == Math.rint(v) && keep[(int) v]) out[i] = (byte) (int) v;
			i++;
		}
		return out;
	}

	/** The label map on the model grid as unsigned bytes (nearest-neighbour resampling keeps the byte array). */
	private static byte[] labelBytes(final Volume v) {
		final Object a = Voxels.backingArray(v.image());
		if (a instanceof byte[] b && b.length == v.voxelCount()) return b;
		return organsOnly(v, java.util.stream.IntStream.rangeClosed(1, 255).toArray(), false);
	}

	/**
	 * A cascade bundle's network in inference mode, as {@link BundleModel} runs it, without the
	 * bundle's serialised weights, which a {@link BundleModel} keeps (60 MB for the seed's U-Net) and
	 * which would sit beside the coarse model's whole-volume pass, the cascade's peak.
	 */
	private static final class PatchNetwork implements SegmentationModel {

		private final ClassTable classes;
		private final PreprocessingPlan plan;
		private final int[] patch;
		private final int divisor;
		private final String description;
		private final NDManager manager;
		private final SegmentationNetwork net;
		private final ParameterStore ps;

		private PatchNetwork(final ModelBundle b, final NDManager manager, final SegmentationNetwork net) {
			this.classes = b.classes();
			this.plan = b.plan();
			this.patch = b.inputShape();
			this.divisor = b.network().divisor();
			this.description = b.network().describe() + ", " + TorchEngine.describe(manager.getDevice());
			this.manager = manager;
			this.net = net;
			this.ps = new ParameterStore(manager, false);
		}

		static PatchNetwork load(final ModelBundle b, final Device device) throws IOException {
			TorchEngine.engine();
			final NDManager m = NDManager.newBaseManager(device);
			try {
				return new PatchNetwork(b, m, b.network(m));
			}
			catch (final IOException | RuntimeException e) {
				m.close();
				throw e;
			}
		}

		@Override
		public ClassTable classes() {
			return classes;
		}

		@Override
		public PreprocessingPlan plan() {
			return plan;
		}

		@Override
		public int[] inputShape() {
			return patch.clone();
		}

		@Override
		public int divisor() {
			return divisor;
		}

		@Override
		public NDArray logits(final NDArray input) {
			TorchEngine.setGradMode(false);
			final NDList out = net.forward(ps, new NDList(input), false);
			for (int i = 1; i < out.size(); i++) out.get(i).close();
			return out.get(0);
		}

		@Override
		public NDManager manager() {
			return manager;
		}

		@Override
		public String describe() {
			return description;
		}

		@Override
		public void close() {
			manager.close();
		}
	}

	@Override
	public void close() {
		try {
			model.close();
		}
		finally {
			if (coarse != null) coarse.close();
		}
	}
}
