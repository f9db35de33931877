package sc.fiji.voxelseg.nn;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one place where VoxelSeg starts DJL's PyTorch engine: offline mode (nothing is downloaded at
 * run time; the CPU libtorch comes from the {@code pytorch-native-cpu} jar), the folder the native
 * library is unpacked to, thread counts and the device.
 * <p>
 * Settings are read from system properties before the engine starts, so they must be set before
 * the first call to {@link #engine()}:
 * <ul>
 * <li>{@code voxelseg.threads}: intra-op threads (default: all processors);</li>
 * <li>{@code ENGINE_CACHE_DIR} (DJL's own name) or {@code voxelseg.engine.cache}: where libtorch is
 * unpacked (default {@code ~/.voxelseg/engine}, 432 MB once).</li>
 * </ul>
 * A CUDA build of libtorch ({@code pytorch-native-cu*} jar of the same version) on the class path
 * makes {@code device=auto} pick the GPU with no code change.
 */
public final class TorchEngine {

	private static Engine engine;

	private TorchEngine() {}

	/** Starts the PyTorch engine once and returns it. */
	public static synchronized Engine engine() {
		if (engine != null) return engine;
		System.setProperty("ai.djl.offline", "true");
		// DJL logs through SLF4J; without a provider SLF4J prints three warning lines on stderr.
		if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
		if (System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null) {
			System.setProperty("ENGINE_CACHE_DIR", cacheDir().toString());
		}
		final int threads = threads();
		System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
		System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
		try {
			engine = Engine.getEngine("PyTorch");
		}
		catch (final RuntimeException | UnsatisfiedLinkError e) {
			final String platform = platformProblem(System.getProperty("os.name"), System.getProperty("os.arch"));
			throw new IllegalStateException(platform != null ? platform + " (" + e.getMessage() + ")" : "cannot start the PyTorch engine " +
				"(libtorch unpacked to " + System.getProperty("ENGINE_CACHE_DIR") + "): " + e.getMessage() +
				". Check that the folder is writable and has 500 MB free.", e);
		}
		JniUtils.setNumThreads(threads);
		return engine;
	}

	/**
	 * The platforms whose CPU libtorch the update site ships (the {@code pytorch-native-cpu} jars'
	 * classifiers, each under {@code jars/PLATFORM/}); the launcher's Maven class path holds the
	 * build machine's one.
	 */
	static final String SHIPPED_PLATFORMS = "linux-x86_64, win-x86_64, osx-aarch64";

	/**
	 * Why the engine cannot start on this platform, naming the operating system and architecture, or
	 * null when VoxelSeg ships libtorch for it. Offline, DJL cannot fetch another platform's build,
	 * and its own message blames the cache folder.
	 */
	static String platformProblem(final String osName, final String osArch) {
		final String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
		final String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
		final boolean x64 = arch.equals("amd64") || arch.equals("x86_64"), arm64 = arch.equals("aarch64") || arch.equals("arm64");
		if ((os.startsWith("linux") || os.startsWith("windows")) && x64 || os.startsWith("mac") && arm64) return null;
		return "cannot start the PyTorch engine: VoxelSeg comes with libtorch for Linux and Windows on x86-64 and macOS on Apple " +
			"silicon (" + SHIPPED_PLATFORMS + ") only, and this is " + osName + " on " + osArch + ". Put the pytorch-native-cpu jar of " +
			"libtorch " + PYTORCH_VERSION + " built for this platform (Maven Central, ai.djl.pytorch:pytorch-native-cpu, classifier e.g. " +
			"linux-aarch64) on the class path";
	}

	/** The libtorch version of the native jar VoxelSeg is built against. */
	static final String PYTORCH_VERSION = "2.7.1";

	/** The folder libtorch is unpacked to when the user has not named one. */
	static Path cacheDir() {
		final String p = System.getProperty("voxelseg.engine.cache");
		if (p != null) return Paths.get(p);
		return Paths.get(System.getProperty("user.home"), ".voxelseg", "engine");
	}

	/** Intra-op thread count: {@code voxelseg.threads}, else all processors. */
	public static int threads() {
		final String t = System.getProperty("voxelseg.threads");
		if (t != null) {
			try {
				final int n = Integer.parseInt(t.trim());
				if (n > 0) return n;
			}
			catch (final NumberFormatException e) {
				// fall through to the error below
			}
			throw new IllegalArgumentException("voxelseg.threads must be a positive integer, not '" + t + "'");
		}
		return Runtime.getRuntime().availableProcessors();
	}

	/**
	 * The device a name selects: {@code auto} (a GPU when the engine has one, else the CPU),
	 * {@code cpu}, {@code gpu} or {@code gpu:N}/{@code cuda:N}.
	 */
	public static Device device(final String name) {
		final Engine e = engine();
		final String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
		if (n.isEmpty() || n.equals("auto")) return e.defaultDevice();
		if (n.equals("cpu")) return Device.cpu();
		if (n.startsWith("gpu") || n.startsWith("cuda")) {
			int id = 0;
			final int colon = n.indexOf(':');
			if (colon >= 0) {
				try {
					id = Integer.parseInt(n.substring(colon + 1));
				}
				catch (final NumberFormatException ex) {
					throw new IllegalArgumentException("device '" + name + "': expected gpu:N with a number N");
				}
			}
			final int count = e.getGpuCount();
			if (id >= count) {
				throw new IllegalArgumentException("device '" + name + "' is not available: the " + e.getEngineName() +
					" " + e.getVersion() + " engine sees " + count + " GPU(s)" + (count == 0
						? " (this libtorch build is CPU-only; put a pytorch-native-cu* jar on the class path for CUDA)"
						: "") + "; use device=cpu or device=auto");
			}
			return Device.gpu(id);
		}
		throw new IllegalArgumentException("unknown device '" + name + "': use auto, cpu, gpu or gpu:N");
	}

	/**
	 * Whether the networks run their convolutions on channels-last (NDHWC) tensors on this device:
	 * on the CPU, unless the system property {@code voxelseg.channelsLast} is {@code false}. libtorch's
	 * CPU convolutions are oneDNN's; given PyTorch's NCDHW tensors, oneDNN reorders every input,
	 * output and gradient to and from its blocked layout, a fifth of a training step of the seed's
	 * U-Net at 128×128×64, and channels-last tensors it convolves as they are (see
	 * docs/BENCHMARKS.md). On a GPU the layout is left as it is: cuDNN chooses its own. With the
	 * property false, k > 1 convolutions still take channels-last weights on the CPU (see
	 * {@link Conv3dBlock}: libtorch's NCDHW convolution has wrong input gradients there).
	 */
	public static boolean channelsLast(final Device device) {
		return !device.isGpu() && !"false".equalsIgnoreCase(System.getProperty("voxelseg.channelsLast", "true").trim());
	}

	/** One line saying which engine, build, device and threads run, for logs and reports. */
	public static String describe(final Device device) {
		final Engine e = engine();
		return e.getEngineName() + " " + e.getVersion() + " on " + device + ", " + JniUtils.getNumThreads() +
			" thread(s)";
	}

	/**
	 * Turns autograd recording on or off for the calling thread. PyTorch keeps this per thread; a new
	 * worker thread starts with recording on, which costs memory during inference.
	 */
	public static void setGradMode(final boolean on) {
		engine();
		JniUtils.setGradMode(on);
	}

	/** Seeds the engine's random generator (weight initialisation, dropout) for repeatable runs. */
	public static void seed(final long seed) {
		engine().setRandomSeed((int) seed);
	}
}
