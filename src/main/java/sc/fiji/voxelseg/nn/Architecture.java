package sc.fiji.voxelseg.nn;

import java.util.Locale;

/** The segmentation network families VoxelSeg builds. */
public enum Architecture {
	/** 3D U-Net (Çiçek et al. 2016). */
	UNET,
	/** VNet (Milletari et al. 2016). */
	VNET;

	/** The name used in bundles, commands and the launcher. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static Architecture parse(final String s) {
		for (final Architecture a : values()) {
			if (a.id().equalsIgnoreCase(s.trim()) || a.name().equalsIgnoreCase(s.trim().replace("-", ""))) return a;
		}
		throw new IllegalArgumentException("unknown architecture '" + s + "': use unet or vnet");
	}
}
