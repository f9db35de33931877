package sc.fiji.voxelseg.loss;

import java.util.Locale;

/**
 * Where hidden feature maps and labels meet for voxel sampling. A hidden map of a U-Net is coarser
 * than the label map by a power of two per axis.
 */
public enum FeatureGrid {
	/**
	 * Seed 000: the labels (and the current prediction) are brought to the feature map's grid by
	 * nearest-neighbour downsampling, and voxels of that grid are sampled.
	 */
	DOWNSAMPLE_LABELS,
	/**
	 * Seed 003's "context resizing": the feature map is upsampled trilinearly to the label grid and
	 * voxels of the label grid are sampled. Only the sampled voxels' features are interpolated, with
	 * the weights {@link sc.fiji.voxelseg.nn.Upsample#trilinear} uses, so the full-resolution map is
	 * never built.
	 */
	UPSAMPLE_FEATURES;

	/** The name used in settings summaries and on the command line: {@code labels} or {@code features}. */
	public String id() {
		return this == DOWNSAMPLE_LABELS ? "labels" : "features";
	}

	public static FeatureGrid parse(final String s) {
		final String n = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
		for (final FeatureGrid g : values()) if (g.id().equals(n) || g.name().toLowerCase(Locale.ROOT).equals(n)) return g;
		throw new IllegalArgumentException("unknown feature grid '" + s + "': use labels (downsample the labels) or features " +
			"(upsample the features)");
	}
}
