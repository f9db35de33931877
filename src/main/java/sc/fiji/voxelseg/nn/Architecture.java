package sc.fiji.voxelseg.nn;

import java.util.Locale;

/** The segmentation network families VoxelSeg builds. */
public enum Architecture {
	/** 3D U-Net (Çiçek et al. 2016). */
	UNET,
	/** VNet (Milletari et al. 2016). */
	VNET,
	/**
	 * A feature pyramid network (Lin et al. 2017) in 3D, the backbone of self-supervised dense
	 * pretraining (seed 004), with a linear head per pyramid level.
	 */
	FPN;

	/** The name used in bundles, commands and the launcher. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static Architecture parse(final String s) {
		for (final Architecture a : values()) {
			if (a.id().equalsIgnoreCase(s.trim()) || a.name().equalsIgnoreCase(s.trim().replace("-", ""))) return a;
		}
		throw new IllegalArgumentException("unknown architecture '" + s + "': use unet, vnet or fpn");
	}
}
