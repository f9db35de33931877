package sc.fiji.voxelseg.train;

import java.util.Arrays;
import java.util.Locale;

/**
 * How training batches are cut from the cases.
 *
 * @param mode whole volumes on the model grid (the seeds' 128×128×64) or random patches
 * @param patch patch size {x, y, z} (patch mode)
 * @param foregroundFraction share of patches centred on a random foreground voxel (nnU-Net: 1/3);
 *          the rest are centred anywhere
 */
public record Sampling(Mode mode, int[] patch, double foregroundFraction) {

	/** Whole volumes or patches. */
	public enum Mode {
		WHOLE, PATCH;

		public static Mode parse(final String s) {
			try {
				return valueOf(s.trim().toUpperCase(Locale.ROOT));
			}
			catch (final IllegalArgumentException e) {
				throw new IllegalArgumentException("unknown sampling '" + s + "': use whole or patch");
			}
		}
	}

	public Sampling {
		if (mode == Mode.PATCH) {
			if (patch == null || patch.length != 3) throw new IllegalArgumentException("patch sampling needs a patch size x,y,z");
			for (final int p : patch) if (p < 1) throw new IllegalArgumentException("patch size must be positive: " + Arrays.toString(patch));
		}
		if (!(foregroundFraction >= 0 && foregroundFraction <= 1)) {
			throw new IllegalArgumentException("foreground fraction must be in [0, 1], not " + foregroundFraction);
		}
	}

	public static Sampling whole() {
		return new Sampling(Mode.WHOLE, null, 0);
	}

	public static Sampling patches(final int x, final int y, final int z, final double foregroundFraction) {
		return new Sampling(Mode.PATCH, new int[] { x, y, z }, foregroundFraction);
	}

	@Override
	public boolean equals(final Object o) {
		return o instanceof Sampling s && s.mode == mode && Arrays.equals(s.patch, patch) && s.foregroundFraction == foregroundFraction;
	}

	@Override
	public int hashCode() {
		return mode.hashCode() * 31 + Arrays.hashCode(patch);
	}

	@Override
	public String toString() {
		return mode == Mode.WHOLE ? "whole volumes" : "patches " + patch[0] + "×" + patch[1] + "×" + patch[2] + ", " +
			Math.round(foregroundFraction * 100) + "% centred on foreground";
	}
}
