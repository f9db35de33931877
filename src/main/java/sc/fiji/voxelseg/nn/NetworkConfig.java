package sc.fiji.voxelseg.nn;

import java.util.Objects;

/**
 * What a segmentation network is: saved in model bundles, so that loading weights can check that
 * they belong to the same network.
 *
 * @param architecture U-Net, VNet or feature pyramid network
 * @param inChannels image channels (1 for CT or one MRI sequence)
 * @param classes output classes K, background included
 * @param levels resolution levels (the input level included); spatial sizes must be divisible by
 *          2^(levels-1)
 * @param baseWidth channels at the first level; they double at each level down
 * @param kernel convolution kernel edge (3 for U-Net, 5 for VNet as published)
 * @param norm normalisation after each convolution
 */
public record NetworkConfig(Architecture architecture, int inChannels, int classes, int levels, int baseWidth, int kernel, Norm norm) {

	public NetworkConfig {
		Objects.requireNonNull(architecture, "architecture");
		Objects.requireNonNull(norm, "norm");
		if (inChannels < 1) throw new IllegalArgumentException("a network needs at least 1 input channel, not " + inChannels);
		if (classes < 2) throw new IllegalArgumentException("a segmentation network needs at least 2 classes (background and one organ), not " + classes);
		if (levels < 2 || levels > 7) throw new IllegalArgumentException("levels must be between 2 and 7, not " + levels);
		if (baseWidth < 2 || baseWidth % 2 != 0) throw new IllegalArgumentException("base width must be an even number ≥ 2, not " + baseWidth);
		if (kernel < 1 || kernel % 2 == 0) throw new IllegalArgumentException("kernel must be odd, not " + kernel);
		if (inChannels > MAX_IN_CHANNELS) throw new IllegalArgumentException("at most " + MAX_IN_CHANNELS + " input channels, not " + inChannels);
		if (classes > MAX_CLASSES) throw new IllegalArgumentException("at most " + MAX_CLASSES + " classes, not " + classes);
		if (baseWidth > MAX_BASE_WIDTH) throw new IllegalArgumentException("base width must be at most " + MAX_BASE_WIDTH + ", not " + baseWidth);
		if (kernel > MAX_KERNEL) throw new IllegalArgumentException("kernel must be at most " + MAX_KERNEL + ", not " + kernel);
	}

	/** Limits far above any network here, which keep a damaged description from asking for terabytes. */
	public static final int MAX_IN_CHANNELS = 64, MAX_CLASSES = 65536, MAX_BASE_WIDTH = 1024, MAX_KERNEL = 15;

	/**
	 * An upper bound on the bytes of this network's parameter stream (float32 values plus DJL's
	 * per-parameter headers), worked from the shapes alone: at each level at most 16 convolutions of
	 * {@code kernel³ × width²} weights (U-Net and VNet hold 2 to 6), the input and output
	 * convolutions, and 1 MiB for names and headers. Used to cap what a bundle may make VoxelSeg
	 * inflate.
	 */
	public long parameterBytesBound() {
		final long k3 = (long) kernel * kernel * kernel;
		long n = k3 * inChannels * baseWidth * 2L + (long) baseWidth * classes * 2L + classes;
		for (int l = 0; l < levels; l++) {
			final long w = width(l);
			n += 16 * k3 * w * w + 64 * w;
		}
		return 4 * n + (1L << 20);
	}

	/** The seed's 3D U-Net: 4 levels, 64 channels at the first, 3×3×3 kernels, batch norm (about 15.4 M parameters). */
	public static NetworkConfig unet(final int inChannels, final int classes) {
		return new NetworkConfig(Architecture.UNET, inChannels, classes, 4, 64, 3, Norm.BATCH);
	}

	/** Milletari's VNet: 5 levels, 16 channels at the first, 5×5×5 kernels, PReLU, batch norm. */
	public static NetworkConfig vnet(final int inChannels, final int classes) {
		return new NetworkConfig(Architecture.VNET, inChannels, classes, 5, 16, 5, Norm.BATCH);
	}

	/**
	 * The feature pyramid network of seed 004's released code: 5 levels, 32 channels at the first,
	 * 3×3×3 kernels, batch norm; every level balanced to 32 channels (160 in all).
	 */
	public static NetworkConfig fpn(final int inChannels, final int classes) {
		return new NetworkConfig(Architecture.FPN, inChannels, classes, 5, 32, 3, Norm.BATCH);
	}

	/** The default configuration of an architecture. */
	public static NetworkConfig defaults(final Architecture a, final int inChannels, final int classes) {
		switch (a) {
			case UNET:
				return unet(inChannels, classes);
			case VNET:
				return vnet(inChannels, classes);
			default:
				return fpn(inChannels, classes);
		}
	}

	public NetworkConfig withLevels(final int l) {
		return new NetworkConfig(architecture, inChannels, classes, l, baseWidth, kernel, norm);
	}

	public NetworkConfig withBaseWidth(final int w) {
		return new NetworkConfig(architecture, inChannels, classes, levels, w, kernel, norm);
	}

	public NetworkConfig withKernel(final int k) {
		return new NetworkConfig(architecture, inChannels, classes, levels, baseWidth, k, norm);
	}

	public NetworkConfig withNorm(final Norm n) {
		return new NetworkConfig(architecture, inChannels, classes, levels, baseWidth, kernel, n);
	}

	public NetworkConfig withClasses(final int k) {
		return new NetworkConfig(architecture, inChannels, k, levels, baseWidth, kernel, norm);
	}

	/** Channels at level {@code i} (0 = full resolution). */
	public int width(final int i) {
		return baseWidth << i;
	}

	/** Spatial sizes must be multiples of this. */
	public int divisor() {
		return 1 << (levels - 1);
	}

	/** The smallest size of at least {@code n} (and at least one divisor) that the network can take along an axis. */
	public long fit(final long n) {
		final int d = divisor();
		return Math.max(d, (n + d - 1) / d * d);
	}

	/** Builds the network (parameters not yet initialised). */
	public SegmentationNetwork build() {
		switch (architecture) {
			case UNET:
				return new UNet3d(this);
			case VNET:
				return new VNet(this);
			default:
				return new FPN3d(this);
		}
	}

	/** A one-line description, e.g. "unet, 4 levels, 64 base channels, 3³ kernels, batch norm, 1 → 9". */
	public String describe() {
		return architecture.id() + ", " + levels + " levels, " + baseWidth + " base channels, " + kernel + "³ kernels, " +
			norm.name().toLowerCase(java.util.Locale.ROOT) + " norm, " + inChannels + " → " + classes + " classes";
	}
}
