package sc.fiji.voxelseg.infer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

import net.imglib2.img.array.ArrayImgs;


import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.VoxelTypes;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.Grid;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Resampler;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.util.Progress;

/**
 * Segments images with a loaded model, which it keeps (load once, predict many). For an image on
 * any grid: the model's preprocessing plan is replayed; the network predicts the whole
 * preprocessed volume at once (the seeds' way, on the 128×128×64 model grid) or slides a window of
 * the model's patch size over it (overlap 0.5, each window's softmax weighted by a Gaussian
 * centred on it, σ = patch/8, as nnU-Net); optional test-time mirroring averages the 8 flips; the
 * class probabilities go back onto the image's grid by trilinear interpolation, where their
 * arg-max is the label map (voxels the plan cropped away are background). Every window runs in its
 * own {@code NDScope}, so memory stays that of one window plus the probability accumulators on the
 * model grid and the byte label map on the image grid.
 */
public final class Predictor implements AutoCloseable {

	private final SegmentationModel model;

	public Predictor(final SegmentationModel model) {
		this.model = model;
	}

	/** Loads a bundle, TorchScript or ONNX model on {@code device} (auto, cpu, gpu:N). */
	public static Predictor load(final Path path, final String device) throws IOException {
		return load(path, device, Engine.TORCH);
	}

	/** The engine that runs a bundle's network. */
	public enum Engine {
		/** libtorch through DJL, VoxelSeg's own network code (any device). */
		TORCH,
		/** ONNX Runtime on the CPU, on the network's ONNX export. */
		ONNXRUNTIME;

		public static Engine parse(final String s) {
			switch (s.toLowerCase(java.util.Locale.ROOT)) {
				case "torch":
				case "libtorch":
					return TORCH;
				case "onnxruntime":
				case "onnx":
				case "ort":
					return ONNXRUNTIME;
				default:
					throw new IllegalArgumentException("unknown engine '" + s + "' (torch, onnxruntime)");
			}
		}
	}

	/** {@link #load(Path, String)} with a bundle's network run by {@code engine}. */
	public static Predictor load(final Path path, final String device, final Engine engine) throws IOException {
		return new Predictor(SegmentationModel.load(path, TorchEngine.device(device), engine == Engine.ONNXRUNTIME));
	}

	public SegmentationModel model() {
		return model;
	}

	public ClassTable classes() {
		return model.classes();
	}

	/** Segments {@code image} (any grid, raw intensities as stored: HU for CT). */
	public Prediction predict(final Volume image, final PredictOptions o, final Progress progress) {
		final long t0 = System.nanoTime();
		final Progress p = progress == null ? Progress.NONE : progress;
		check(image, o);
		p.status("Preprocessing");
		final PreprocessingPlan.Result r = model.plan().apply(image);
		final Grid grid = r.trace().result();
		final int[] d = { (int) grid.dims()[0], (int) grid.dims()[1], (int) grid.dims()[2] };
		final float[] img = Voxels.floats(r.image().image());
		final int[] windows = new int[1];
		final float[][] probs = probabilities(img, d, o, p, windows);
		p.checkCanceled();
		p.status("Labels on the image grid");
		final Grid original = r.trace().original();
		final byte[] lab = Resampler.linearArgmax(probs, grid, original);
		final int[] od = { (int) original.dims()[0], (int) original.dims()[1], (int) original.dims()[2] };
		if (o.largestComponent()) Components.keepLargest(lab, od[0], od[1], od[2]);
		final Volume labels = new Volume(ArrayImgs.unsignedBytes(lab, original.dims()), original.spacing(), original.origin(),
			original.direction(), model.classes(), VoxelType.UINT8);
		final List<Volume> maps = new ArrayList<>();
		if (o.probabilities()) {
			for (int c = 0; c < probs.length; c++) {
				p.checkCanceled();
				final Volume onModel = Volume.ofFloats(probs[c], grid.dims(), grid.spacing(), grid.origin(), grid.direction());
				maps.add(Resampler.resample(onModel, original, Interpolation.LINEAR, c == 0 ? 1 : 0, null));
			}
		}
		return new Prediction(labels, maps, (System.nanoTime() - t0) / 1e9, windows[0]);
	}

	/** Refuses images the model cannot have been meant for, saying why. */
	void check(final Volume image, final PredictOptions o) {
		final Voxels.Stats s = stats(image);
		if (s.nonFinite() > 0) {
			throw new IllegalArgumentException("the image has " + s.nonFinite() + " NaN or infinite voxels; the model cannot segment them");
		}
		if (!o.checkIntensities()) return;
		for (final Step step : model.plan().steps()) {
			if (step instanceof Step.Window w && w.lower() < 0 && s.min() >= 0) {
				throw new IllegalArgumentException(String.format(Locale.ROOT,
					"the model expects CT in Hounsfield units (its plan windows [%.0f, %.0f] HU), but the image's values lie in " +
						"[%.0f, %.0f]%s, so it holds no HU (air is -1000). Open the original CT (DICOM or NIfTI) rather than an " +
						"exported picture, or turn the intensity check off if the values are HU", w.lower(), w.upper(), s.min(), s.max(),
					image.voxelType() == VoxelType.UINT8 ? " (8-bit)" : ""));
			}
		}
	}

	/**
	 * {@link Voxels#stats} of the image, read straight from its array for 16-bit and float32 images
	 * (CT's types), in parallel: the generic per-voxel iteration took 0.08 s on a 512×512×200 CT.
	 */
	static Voxels.Stats stats(final Volume image) {
		final Object a = Voxels.backingArray(image.image());
		final VoxelType t = VoxelTypes.of(image.image());
		final boolean int16 = a instanceof short[] && (t == VoxelType.INT16 || t == VoxelType.UINT16);
		if (!(int16 || a instanceof float[] && t == VoxelType.FLOAT32) || java.lang.reflect.Array.getLength(a) != image.voxelCount()) {
			return Voxels.stats(image.image());
		}
		final int n = (int) image.voxelCount(), parts = Math.min(n, 64);
		final double[][] r = new double[parts][];
		IntStream.range(0, parts).parallel().forEach(p -> {
			final int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
			double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0, bad = 0;
			if (int16) {
				final short[] v = (short[]) a;
				final int mask = t == VoxelType.UINT16 ? 0xffff : -1;
				int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
				long total = 0;
				for (int i = from; i < to; i++) {
					final int x = v[i] & mask;
					lo = Math.min(lo, x);
					hi = Math.max(hi, x);
					total += x;
				}
				min = lo;
				max = hi;
				sum = total;
			}
			else {
				final float[] v = (float[]) a;
				for (int i = from; i < to; i++) {
					final float x = v[i];
					if (!Float.isFinite(x)) {
						bad++;
						continue;
					}
					if (x < min) min = x;
					if (x > max) max = x;
					sum += x;
				}
			}
			r[p] = new double[] { min, max, sum, bad };
		});
		double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
		long bad = 0;
		for (final double[] x : r) {
			min = Math.min(min, x[0]);
			max = Math.max(max, x[1]);
			sum += x[2];
			bad += (long) x[3];
		}
		final long good = n - bad;
		return new Voxels.Stats(good == 0 ? Double.NaN : min, good == 0 ? Double.NaN : max, good == 0 ? Double.NaN : sum / good, bad);
	}

	/** Softmax probabilities per class on the preprocessed grid {@code d} (x, y, z). */
	float[][] probabilities(final float[] img, final int[] d, final PredictOptions o, final Progress p, final int[] windows) {
		final int[] in = model.inputShape();
		final boolean whole = o.mode() == PredictOptions.Mode.WHOLE || o.mode() == PredictOptions.Mode.AUTO && in[0] == d[0] &&
			in[1] == d[1] && in[2] == d[2];
		return new SlidingWindow(model.manager(), model.classes().maxIndex() + 1, model::logits).probabilities(img, d, whole ? null : in,
			model.divisor(), o.overlap(), o.mirror(), p, windows);
	}

	@Override
	public void close() {
		model.close();
	}
}
