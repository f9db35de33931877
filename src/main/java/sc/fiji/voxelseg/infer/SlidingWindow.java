package sc.fiji.voxelseg.infer;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.util.Progress;

/**
 * Class probabilities of a whole volume from a network that sees one window at a time: windows of
 * the patch size spread with the given overlap (nnU-Net's rule), each window's softmax weighted by
 * a Gaussian centred on it (σ = patch/8) so that window borders count little, optional test-time
 * mirroring over the 8 flips; or the whole volume in one pass. Every window runs in its own
 * {@link NDScope}. Used by the {@link Predictor} and by the trainer's validation.
 */
public final class SlidingWindow {

	private final NDManager manager;
	private final int classes;
	private final UnaryOperator<NDArray> logits;

	/**
	 * @param manager where input windows are created (the network's device)
	 * @param classes K, the channels of the logits
	 * @param logits the network: N × 1 × D × H × W to N × K × D × H × W, in inference mode
	 */
	public SlidingWindow(final NDManager manager, final int classes, final UnaryOperator<NDArray> logits) {
		this.manager = manager;
		this.classes = classes;
		this.logits = logits;
	}

	/**
	 * Softmax probabilities per class on the grid {@code d} (x, y, z) of {@code img} (x fastest).
	 *
	 * @param patch the window {x, y, z}, or null for the whole volume in one pass (padded up to
	 *          multiples of {@code div})
	 * @param windows incremented by the network passes run
	 */
	public float[][] probabilities(final float[] img, final int[] d, final int[] patch, final int div, final double overlap,
		final boolean mirror, final Progress p, final int[] windows)
	{
		final boolean whole = patch == null;
		final int[] in = patch;
		// the window: the whole volume rounded up to the divisor, or the model's patch
		final int[] w = new int[3];
		for (int a = 0; a < 3; a++) w[a] = whole ? (d[a] + div - 1) / div * div : in[a];
		final int[][] starts = new int[3][];
		for (int a = 0; a < 3; a++) starts[a] = whole ? new int[] { 0 } : starts(d[a], w[a], overlap);
		final int k = classes;
		final int n = d[0] * d[1] * d[2];
		final float[][] acc = new float[k][n];
		// one window that is the volume: its probabilities are the result, nothing to weight
		final boolean exact = whole && w[0] == d[0] && w[1] == d[1] && w[2] == d[2];
		final float[] weight = exact ? null : new float[n];
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
					final float[] prob = window(buf, w, k, mirror);
					windows[0] += mirror ? 8 : 1;
					if (exact) for (int c = 0; c < k; c++) System.arraycopy(prob, c * n, acc[c], 0, n);
					else accumulate(prob, gauss, w, acc, weight, d, x0, y0, z0, k);
					done++;
				}
			}
		}
		p.progress(total, total);
		if (exact) return acc;
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
			final NDArray x = manager.create(FloatBuffer.wrap(buf), new Shape(1, 1, w[2], w[1], w[0]));
			NDArray sum = logits.apply(x).softmax(1);
			if (mirror) {
				for (int f = 1; f < 8; f++) {
					final int[] axes = flipAxes(f);
					sum = sum.add(logits.apply(x.flip(axes)).softmax(1).flip(axes));
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

}
