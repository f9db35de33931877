package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.ToLongBiFunction;

import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;

/**
 * The memory a training configuration needs, estimated before training starts so that a setting
 * that cannot fit is refused with a message (and a smaller setting that fits) instead of the
 * process dying. The estimate counts the feature maps autograd keeps per voxel and level (each
 * convolution unit keeps its convolution, normalisation and activation outputs), the gradients of
 * the largest maps during the backward pass, the parameters with their gradients and Adam
 * moments, and a fixed allowance for libtorch and the JVM. The factors were calibrated against the
 * resident memory measured on CPU (see docs/BENCHMARKS.md).
 */
public final class MemoryEstimate {

	/** libtorch, the JVM heap in use and the cohort: a fixed allowance. */
	static final long BASE = 1L << 30;
	/**
	 * Peak over the counted activation bytes. Calibrated on the seed's U-Net at 128×128×64
	 * (scripts/bench/TrainBench.java): measured peaks 4.11 GiB (batch 1) and 7.38 GiB (batch 2)
	 * gave 0.71 and 0.76; 0.86 puts the estimate at 4.70 and 8.18 GiB. The count includes the
	 * decoder's upsampled maps, which GPU training forms and CPU training no longer does; on the
	 * CPU the peaks are now 3.99 and 6.98 GiB under glibc's malloc and 4.20 and 7.46 GiB under
	 * jemalloc (which the launcher preloads), so the estimate stays 10–18% above them.
	 */
	static final double FACTOR = 0.86;
	/**
	 * The same for the VNet, whose count falls well short of its measured peak (its PReLUs, two
	 * clamps and a multiply each, see PReLUBlock, likely keep more maps than counted). Calibrated
	 * on {@code NetworkConfig.vnet(1, 9)} at 128×128×64: measured peaks 5.14 GiB (batch 1) and
	 * 8.99 GiB (batch 2); 2.1 puts the estimate at 5.84 and 9.99 GiB.
	 */
	static final double VNET_FACTOR = 2.1;
	/**
	 * Copies of its parameters that a VNet holds beyond weights, gradients and the two Adam
	 * moments. Calibrated with scripts/bench/memory.sh (docs/BENCHMARKS.md): at 32×32×32 and
	 * 64×64×32 the default VNet's measured peaks stood 1.0 to 1.6 GiB above the estimate whatever
	 * the batch, about 8 times its 174 MiB of weights (its 5³ kernels' channels-last copies, their
	 * gradients' conversions and the convolutions' workspaces grow with the kernels); the U-Net's
	 * peaks, with 3³ kernels, showed no such gap.
	 */
	static final double VNET_PARAMETER_COPIES = 8;

	private MemoryEstimate() {}

	/** Bytes needed to train {@code cfg} on batches of {@code batch} samples of {@code shape} {x, y, z}. */
	public static long training(final NetworkConfig cfg, final int batch, final int[] shape) {
		final double v = (double) shape[0] * shape[1] * shape[2];
		double floats = 0; // activation floats per sample
		final int l = cfg.levels();
		for (int i = 0; i < l; i++) {
			final double vi = v / Math.pow(8, i);
			final int w = cfg.width(i);
			if (cfg.architecture() == Architecture.UNET) {
				final int mid = Math.max(w / 2, i == 0 ? cfg.inChannels() : cfg.width(i - 1));
				floats += 3.0 * (mid + w) * vi; // encoder: 2 units × (conv, norm, relu)
				// pool; up (the decoder convolves it and the skip map without concatenating them,
				// see UNet3d); 2 decoder units
				if (i < l - 1) floats += w * vi / 8 + (w + 3.0 * 2 * w) * vi;
			}
			else if (cfg.architecture() == Architecture.FPN) {
				final int mid = Math.max(w / 2, i == 0 ? cfg.inChannels() : cfg.width(i - 1));
				floats += 3.0 * (mid + w) * vi; // encoder, as the U-Net's
				// pool; lateral, its upsampling, skip and sum; 2 decoder units
				if (i < l - 1) floats += w * vi / 8 + (w / 8.0 + 3.0 * w) * vi + 3.0 * 2 * w * vi;
				floats += (cfg.baseWidth() + 2.0 * cfg.classes()) * vi; // balanced map, head and its upsampling
			}
			else {
				final int convs = i == 0 ? 1 : Math.min(i, 3) + 1;
				floats += 3.0 * w * convs * vi + 2.0 * w * vi; // units, residual sum and PReLU
				if (i < l - 1) floats += (3.0 * w + 2 * w + 3.0 * 2 * w * (i >= 2 ? 2 : 1) + 4 * w) * vi;
			}
		}
		floats += 6.0 * cfg.classes() * v; // logits, softmax, one-hot and loss terms
		final double activations = floats * 4 * batch;
		// weights, gradients, two Adam moments, and the VNet's further copies
		final double params = parameterCount(cfg) * 4.0 * (4 + (cfg.architecture() == Architecture.VNET ? VNET_PARAMETER_COPIES : 0));
		final double factor = cfg.architecture() == Architecture.VNET ? VNET_FACTOR : FACTOR;
		return BASE + (long) (factor * activations + params);
	}

	/** Parameter count without building the network (convolution weights dominate; norms and biases added). */
	static double parameterCount(final NetworkConfig cfg) {
		return cfg.build().parameterCount();
	}

	/** Bytes this machine can give: MemAvailable from /proc/meminfo, else the JVM's view of free memory. */
	public static long available() {
		final long share = share(System.getProperty(SHARE));
		return share == 1 ? machineAvailable() : machineAvailable() / share;
	}

	/**
	 * System property: the number of runs sharing this machine's memory (a study's cells in
	 * parallel); each run's pre-flight check then counts on its share of what is available.
	 */
	public static final String SHARE = "voxelseg.memoryShare";

	private static long share(final String s) {
		if (s == null || s.isBlank()) return 1;
		try {
			return Math.max(1, Long.parseLong(s.trim()));
		}
		catch (final NumberFormatException e) {
			throw new IllegalArgumentException(SHARE + " must be a whole number, not '" + s + "'");
		}
	}

	private static long machineAvailable() {
		try {
			for (final String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
				if (line.startsWith("MemAvailable:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
				}
			}
		}
		catch (final IOException | RuntimeException e) {
			// not Linux: fall through
		}
		final var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
		if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getFreeMemorySize();
		return Long.MAX_VALUE;
	}

	/**
	 * Refuses a configuration that does not fit in {@code available} bytes, naming the largest
	 * smaller settings that would.
	 *
	 * @throws IllegalArgumentException with the estimate and the suggestions
	 */
	public static void check(final NetworkConfig cfg, final int batch, final int[] shape, final long available) {
		check(cfg, batch, shape, available, (c, s) -> 0L);
	}

	/**
	 * As {@link #check(NetworkConfig, int, int[], long)}, with {@code extra} bytes (for a
	 * configuration and sample shape) beyond the network's training, such as a teacher network.
	 *
	 * @return the bytes the configuration needs, when they fit
	 */
	public static long check(final NetworkConfig cfg, final int batch, final int[] shape, final long available,
		final ToLongBiFunction<NetworkConfig, int[]> extra)
	{
		final long need = need(cfg, batch, shape, extra);
		if (need <= available) return need;
		final StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
			"training %s on batches of %d × %d×%d×%d needs about %s, but %s is available. ", cfg.describe(), batch, shape[0],
			shape[1], shape[2], gib(need), gib(available)));
		final String fix = suggestion(cfg, batch, shape, available, extra);
		s.append(fix == null ? "Even the smallest setting does not fit; free memory or use a machine with more." : "Try " + fix + ".");
		throw new IllegalArgumentException(s.toString());
	}

	/** Bytes to train a configuration on batches of a sample shape, with the extra bytes. */
	private static long need(final NetworkConfig cfg, final int batch, final int[] shape, final ToLongBiFunction<NetworkConfig, int[]> extra) {
		return training(cfg, batch, shape) + extra.applyAsLong(cfg, shape);
	}

	private static String suggestion(final NetworkConfig cfg, final int batch, final int[] shape, final long available,
		final ToLongBiFunction<NetworkConfig, int[]> extra)
	{
		final java.util.List<String> out = new java.util.ArrayList<>();
		for (int b = batch / 2; b >= 1; b /= 2) {
			final long n = need(cfg, b, shape, extra);
			if (n <= available) {
				out.add("batch size " + b + " (about " + gib(n) + ")");
				break;
			}
		}
		final int div = cfg.divisor();
		final int[] p = shape.clone();
		for (int k = 0; k < 6; k++) {
			int longest = 0;
			for (int a = 1; a < 3; a++) if (p[a] > p[longest]) longest = a;
			final int next = Math.max(div, (p[longest] / 2) / div * div);
			if (next == p[longest]) break;
			p[longest] = next;
			final long n = need(cfg, 1, p, extra);
			if (n <= available) {
				out.add("batch 1 on patches of " + p[0] + "×" + p[1] + "×" + p[2] + " (about " + gib(n) + ")");
				break;
			}
		}
		for (int w = cfg.baseWidth() / 2; w >= 4; w /= 2) {
			final NetworkConfig c = cfg.withBaseWidth(w);
			final long n = need(c, batch, shape, extra);
			if (n <= available) {
				out.add("base width " + w + " (about " + gib(n) + ")");
				break;
			}
		}
		return out.isEmpty() ? null : String.join(", or ", out);
	}

	public static String gib(final long bytes) {
		return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
	}
}
