package sc.fiji.voxelseg.preprocess;

import java.util.Arrays;
import java.util.stream.IntStream;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.RawData;

/** Intensity transforms; each returns a new float32 volume on the same grid. */
public final class Intensity {

	private Intensity() {}

	/** Clips to the HU window and scales to [0, 1]. */
	public static Volume window(final Volume v, final HuWindow w) {
		final float[] f = Voxels.floats(v.image());
		parallel(f, x -> w.apply(x));
		return floatVolume(v, f);
	}

	/**
	 * Z-score normalisation {@code (v - mean) / sd}, with mean and sd over all voxels, or over the
	 * voxels above {@code maskAbove} when it is finite (e.g. the body of an MRI). A constant image
	 * is refused.
	 */
	public static Volume zScore(final Volume v, final double maskAbove) {
		final float[] f = Voxels.floats(v.image());
		final double[] ms = meanSd(f, maskAbove);
		if (!(ms[1] > 0)) throw new IllegalArgumentException(
			"z-score normalisation of a constant image (standard deviation 0" + (Double.isFinite(
				maskAbove) ? " over voxels > " + maskAbove : "") + ")");
		final float mean = (float) ms[0], sd = (float) ms[1];
		parallel(f, x -> (x - mean) / sd);
		return floatVolume(v, f);
	}

	/** Mean and (population) standard deviation of the voxels above {@code maskAbove}. */
	static double[] meanSd(final float[] f, final double maskAbove) {
		final boolean all = !Double.isFinite(maskAbove);
		double sum = 0, sq = 0;
		long n = 0;
		for (final float x : f)
			if (all || x > maskAbove) {
				sum += x;
				n++;
			}
		if (n == 0) throw new IllegalArgumentException("no voxel above " + maskAbove +
			" to normalise over");
		final double mean = sum / n;
		for (final float x : f)
			if (all || x > maskAbove) sq += (x - mean) * (x - mean);
		return new double[] { mean, Math.sqrt(sq / n) };
	}

	/**
	 * MRI normalisation: clips to the {@code lowPct}th and {@code highPct}th percentiles (e.g. 0.01
	 * and 99.9) and scales that range to [0, 1]. Percentiles use linear interpolation between order
	 * statistics, as numpy's default.
	 */
	public static Volume percentileClip(final Volume v, final double lowPct, final double highPct) {
		if (!(lowPct >= 0 && highPct <= 100 && lowPct < highPct)) throw new IllegalArgumentException(
			"percentiles need 0 <= low < high <= 100, got " + lowPct + ", " + highPct);
		final float[] f = Voxels.floats(v.image());
		final double[] p = percentiles(f, lowPct, highPct);
		final double lo = p[0], hi = p[1];
		if (!(hi > lo)) throw new IllegalArgumentException("percentile clipping of an image whose " +
			lowPct + "th and " + highPct + "th percentiles are equal (" + lo + ")");
		parallel(f, x -> (float) ((Math.max(lo, Math.min(hi, x)) - lo) / (hi - lo)));
		return floatVolume(v, f);
	}

	/** Percentiles (0-100) with numpy's linear interpolation. */
	public static double[] percentiles(final float[] data, final double... pcts) {
		final float[] s = data.clone();
		Arrays.parallelSort(s);
		final double[] out = new double[pcts.length];
		for (int i = 0; i < pcts.length; i++) {
			final double pos = pcts[i] / 100.0 * (s.length - 1);
			final int lo = (int) Math.floor(pos);
			final int hi = Math.min(lo + 1, s.length - 1);
			out[i] = s[lo] + (pos - lo) * (s[hi] - (double) s[lo]);
		}
		return out;
	}

	interface FloatOp {

		float apply(float x);
	}

	static void parallel(final float[] f, final FloatOp op) {
		final int chunk = 1 << 16;
		IntStream.range(0, (f.length + chunk - 1) / chunk).parallel().forEach(c -> {
			for (int i = c * chunk, e = Math.min(f.length, i + chunk); i < e; i++)
				f[i] = op.apply(f[i]);
		});
	}

	static Volume floatVolume(final Volume like, final float[] f) {
		return new Volume(RawData.wrap(f, VoxelType.FLOAT32, like.dims()), like.spacing(), like
			.origin(), like.direction(), null, VoxelType.FLOAT32);
	}
}
