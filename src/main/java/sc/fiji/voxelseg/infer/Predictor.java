package sc.fiji.voxelseg.infer;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import net.imglib2.img.array.ArrayImgs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
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
 * own {@link NDScope}, so memory stays that of one window plus the probability accumulators on the
 * model grid and the byte label map on the image grid.
 */
public final class Predictor implements AutoCloseable {

	private final SegmentationModel model;

	public Predictor(final SegmentationModel model) {
		this.model = model;
	}

	/** Loads a bundle or TorchScript model on {@code device} (auto, cpu, gpu:N). */
	public static Predictor load(final Path path, final String device) throws IOException {
		return new Predictor(SegmentationModel.load(path, TorchEngine.device(device)));
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
		final Voxels.Stats s = Voxels.stats(image.image());
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

	/** Softmax probabilities per class on the preprocessed grid {@code d} (x, y, z). */
	float[][] probabilities(final float[] img, final int[] d, final PredictOptions o, final Progress p, final int[] windows) {
		final int[] in = model.inputShape();
		final boolean whole = o.mode() == PredictOptions.Mode.WHOLE || o.mode() == PredictOptions.Mode.AUTO && in[0] == d[0] &&
			in[1] == d[1] && in[2] == d[2];
		final int div = model.divisor();
		// the window: the whole volume rounded up to the divisor, or the model's patch
		final int[] w = new int[3];
		for (int a = 0; a < 3; a++) w[a] = whole ? (d[a] + div - 1) / div * div : in[a];
		final int[][] starts = new int[3][];
		for (int a = 0; a < 3; a++) starts[a] = whole ? new int[] { 0 } : starts(d[a], w[a], o.overlap());
		final int k = model.classes().maxIndex() + 1;
		final int n = d[0] * d[1] * d[2];
		final float[][] acc = new float[k][n];
		final float[] weight = new float[n];
		final float[] gauss = whole ? null : gaussian(w);
		final int total = starts[0].length * starts[1].length * starts[2].length;
		int done = 0;
		final float[] buf = new float[w[0] * w[1] * w[2]];
		for (final int z0 : starts[2]) {
			for (final int y0 : starts[1]) {
				for (final int x0 : starts[0]) {
					p.checkCanceled();
					p.progress(done, total);
					copyWindow(img, d, buf, w, x0, y0, z0);
					final float[] prob = window(buf, w, k, o.mirror());
					windows[0] += o.mirror() ? 8 : 1;
					accumulate(prob, gauss, w, acc, weight, d, x0, y0, z0, k);
					done++;
				}
			}
		}
		p.progress(total, total);
		for (int i = 0; i < n; i++) {
			final float inv = weight[i] > 0 ? 1 / weight[i] : 0;
			for (int c = 0; c < k; c++) acc[c][i] *= inv;
		}
		return acc;
	}

	/** Softmax of one window (K × window voxels), averaged over the 8 flips when mirroring. */
	private float[] window(final float[] buf, final int[] w, final int k, final boolean mirror) {
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final NDArray x = model.manager().create(FloatBuffer.wrap(buf), new Shape(1, 1, w[2], w[1], w[0]));
			NDArray sum = model.logits(x).softmax(1);
			if (mirror) {
				for (int f = 1; f < 8; f++) {
					final int[] axes = flipAxes(f);
					sum = sum.add(model.logits(x.flip(axes)).softmax(1).flip(axes));
				}
				sum = sum.div(8f);
			}
			if (sum.getShape().get(1) != k) {
				throw new IllegalStateException("the model returned " + sum.getShape().get(1) + " classes, its class table has " + k);
			}
			return sum.toFloatArray();
		}
	}

	/** Tensor axes (2 = z, 3 = y, 4 = x) flipped by mirroring variant {@code f} (bits: x, y, z). */
	private static int[] flipAxes(final int f) {
		final List<Integer> a = new ArrayList<>();
		if ((f & 1) != 0) a.add(4);
		if ((f & 2) != 0) a.add(3);
		if ((f & 4) != 0) a.add(2);
		return a.stream().mapToInt(Integer::intValue).toArray();
	}

	private static void copyWindow(final float[] img, final int[] d, final float[] buf, final int[] w, final int x0, final int y0,
		final int z0)
	{
		java.util.Arrays.fill(buf, 0);
		for (int z = 0; z < w[2]; z++) {
			final int zz = z0 + z;
			if (zz >= d[2]) break;
			for (int y = 0; y < w[1]; y++) {
				final int yy = y0 + y;
				if (yy >= d[1]) break;
				final int len = Math.min(w[0], d[0] - x0);
				System.arraycopy(img, x0 + d[0] * (yy + d[1] * zz), buf, (z * w[1] + y) * w[0], len);
			}
		}
	}

	private static void accumulate(final float[] prob, final float[] gauss, final int[] w, final float[][] acc, final float[] weight,
		final int[] d, final int x0, final int y0, final int z0, final int k)
	{
		final int wv = w[0] * w[1] * w[2];
		for (int z = 0; z < w[2]; z++) {
			final int zz = z0 + z;
			if (zz >= d[2]) break;
			for (int y = 0; y < w[1]; y++) {
				final int yy = y0 + y;
				if (yy >= d[1]) break;
				final int len = Math.min(w[0], d[0] - x0);
				final int src = (z * w[1] + y) * w[0], dst = x0 + d[0] * (yy + d[1] * zz);
				for (int x = 0; x < len; x++) {
					final float g = gauss == null ? 1 : gauss[src + x];
					weight[dst + x] += g;
					for (int c = 0; c < k; c++) acc[c][dst + x] += g * prob[c * wv + src + x];
				}
			}
		}
	}

	/**
	 * Window starts along an axis of {@code n} voxels for windows of {@code p} (nnU-Net's rule):
	 * {@code ceil((n - p) / (p·(1 - overlap))) + 1} windows spread evenly from 0 to {@code n - p}; one
	 * window at 0 when {@code n ≤ p} (the volume is padded).
	 */
	static int[] starts(final int n, final int p, final double overlap) {
		if (n <= p) return new int[] { 0 };
		final double step = p * (1 - overlap);
		final int count = (int) Math.ceil((n - p) / step) + 1;
		final int[] s = new int[count];
		for (int i = 0; i < count; i++) s[i] = (int) Math.round((double) i * (n - p) / (count - 1));
		return s;
	}

	/** The importance of each window voxel: a Gaussian with σ = size/8 per axis, maximum 1, at least 1e-3. */
	static float[] gaussian(final int[] w) {
		final double[][] g = new double[3][];
		for (int a = 0; a < 3; a++) {
			g[a] = new double[w[a]];
			final double c = (w[a] - 1) / 2.0, s = w[a] / 8.0;
			for (int i = 0; i < w[a]; i++) g[a][i] = Math.exp(-(i - c) * (i - c) / (2 * s * s));
		}
		final float[] out = new float[w[0] * w[1] * w[2]];
		double max = 0;
		for (int z = 0, i = 0; z < w[2]; z++) for (int y = 0; y < w[1]; y++) for (int x = 0; x < w[0]; x++, i++) {
			out[i] = (float) (g[0][x] * g[1][y] * g[2][z]);
			max = Math.max(max, out[i]);
		}
		for (int i = 0; i < out.length; i++) out[i] = (float) Math.max(out[i] / max, 1e-3);
		return out;
	}

	@Override
	public void close() {
		model.close();
	}
}
