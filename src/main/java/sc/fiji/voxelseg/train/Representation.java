package sc.fiji.voxelseg.train;

import java.util.Locale;

/** The voxel-level representation loss added to supervised training, if any. */
public enum Representation {
	/** The segmentation loss alone. */
	NONE,
	/** Seed 000's voxel-level Siamese loss (SimSiam heads, stop-gradient, no negatives). */
	SIAMESE,
	/** Seed 000's SCL baseline: a supervised contrastive (InfoNCE) loss on the same voxels. */
	CONTRASTIVE;

	/** The name used in settings summaries and on the command line. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static Representation parse(final String s) {
		final String n = s.trim().toLowerCase(Locale.ROOT);
		for (final Representation r : values()) if (r.id().equals(n)) return r;
		if (n.equals("scl")) return CONTRASTIVE;
		throw new IllegalArgumentException("unknown representation '" + s + "': use none, siamese or contrastive");
	}
}
