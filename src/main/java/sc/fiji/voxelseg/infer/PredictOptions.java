package sc.fiji.voxelseg.infer;

import java.util.Locale;

/**
 * How a {@link Predictor} runs.
 *
 * @param mode whole volume on the model grid, sliding window over patches, or automatic (whole when
 *          the plan puts the image on the model's input grid, as the seeds do; sliding otherwise)
 * @param overlap sliding-window overlap as a share of the patch (nnU-Net: 0.5)
 * @param mirror test-time mirroring: average the predictions of the 8 flips of x, y and z
 * @param largestComponent keep only the largest 6-connected component of each organ
 * @param probabilities also return a probability map per class on the original grid (K float
 *          volumes the size of the input: memory-hungry on large CTs)
 * @param checkIntensities refuse an image whose intensities cannot be what the plan expects (e.g. an
 *          8-bit picture given to a CT model that windows Hounsfield units)
 */
public record PredictOptions(Mode mode, double overlap, boolean mirror, boolean largestComponent, boolean probabilities,
	boolean checkIntensities) implements java.io.Serializable
{

	/** Whole volume, sliding window, or chosen from the plan. */
	public enum Mode {
		AUTO, WHOLE, SLIDING;

		public static Mode parse(final String s) {
			try {
				return valueOf(s.trim().toUpperCase(Locale.ROOT));
			}
			catch (final IllegalArgumentException e) {
				throw new IllegalArgumentException("unknown prediction mode '" + s + "': use auto, whole or sliding");
			}
		}
	}

	public PredictOptions {
		if (!(overlap >= 0 && overlap < 1)) throw new IllegalArgumentException("overlap must be in [0, 1), not " + overlap);
	}

	public static PredictOptions defaults() {
		return new PredictOptions(Mode.AUTO, 0.5, false, false, false, true);
	}

	public PredictOptions withMode(final Mode m) {
		return new PredictOptions(m, overlap, mirror, largestComponent, probabilities, checkIntensities);
	}

	public PredictOptions withOverlap(final double o) {
		return new PredictOptions(mode, o, mirror, largestComponent, probabilities, checkIntensities);
	}

	public PredictOptions withMirror(final boolean m) {
		return new PredictOptions(mode, overlap, m, largestComponent, probabilities, checkIntensities);
	}

	public PredictOptions withLargestComponent(final boolean l) {
		return new PredictOptions(mode, overlap, mirror, l, probabilities, checkIntensities);
	}

	public PredictOptions withProbabilities(final boolean p) {
		return new PredictOptions(mode, overlap, mirror, largestComponent, p, checkIntensities);
	}

	public PredictOptions withCheckIntensities(final boolean c) {
		return new PredictOptions(mode, overlap, mirror, largestComponent, probabilities, c);
	}
}
