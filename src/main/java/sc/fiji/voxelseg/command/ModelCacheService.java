package sc.fiji.voxelseg.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.scijava.plugin.Plugin;
import org.scijava.service.AbstractService;
import org.scijava.service.SciJavaService;
import org.scijava.service.Service;

import sc.fiji.voxelseg.infer.CascadePredictor;
import sc.fiji.voxelseg.infer.Predictor;

/**
 * Keeps loaded models between command runs, so that a macro segmenting a hundred images loads the
 * model once. A model is reloaded when its file changes; the two most recently used stay loaded (a
 * cascade model and its coarse model count as one).
 */
@Plugin(type = Service.class)
public class ModelCacheService extends AbstractService implements SciJavaService {

	private static final int KEEP = 2;

	/** A loaded model: its file and stamp, the coarse model's for a cascade (else null and -1), the device. */
	private record Key(Path path, long modified, Path coarse, long coarseModified, String device) {}

	@FunctionalInterface
	private interface Loader {

		AutoCloseable load() throws IOException;
	}

	private final Map<Key, AutoCloseable> cache = new LinkedHashMap<>(4, 0.75f, true);
	private int loads;

	/** The device choice that runs a model through ONNX Runtime on the CPU. */
	public static final String ONNX_RUNTIME = "cpu (ONNX Runtime)";

	/**
	 * The predictor for {@code model} on {@code device} (auto, cpu, gpu, or {@value #ONNX_RUNTIME}),
	 * loading it on first use.
	 */
	public synchronized Predictor predictor(final Path model, final String device) throws IOException {
		final Path abs = absolute(model);
		final boolean ort = device.equals(ONNX_RUNTIME);
		return (Predictor) get(new Key(abs, modified(abs), null, -1, device), () -> Predictor.load(abs, ort ? "cpu" : device, ort
			? Predictor.Engine.ONNXRUNTIME : Predictor.Engine.TORCH));
	}

	/**
	 * The cascade predictor for cascade model {@code model} refining {@code coarse}'s segmentations on
	 * {@code device}, loading both on first use.
	 */
	public synchronized CascadePredictor cascade(final Path model, final Path coarse, final String device) throws IOException {
		if (device.equals(ONNX_RUNTIME)) throw new IllegalArgumentException("cascade segmentation runs on libtorch only: choose auto, cpu or gpu");
		final Path abs = absolute(model), c = absolute(coarse);
		return (CascadePredictor) get(new Key(abs, modified(abs), c, modified(c), device), () -> CascadePredictor.load(abs, c, device));
	}

	private AutoCloseable get(final Key key, final Loader loader) throws IOException {
		final AutoCloseable hit = cache.get(key);
		if (hit != null) return hit;
		// an older load of the same models (their files changed since) goes
		cache.entrySet().removeIf(e -> {
			final Key k = e.getKey();
			if (k.path().equals(key.path()) && java.util.Objects.equals(k.coarse(), key.coarse()) && k.device().equals(key.device())) {
				close(e.getValue());
				return true;
			}
			return false;
		});
		final AutoCloseable p = loader.load();
		loads++;
		cache.put(key, p);
		while (cache.size() > KEEP) {
			final var eldest = cache.entrySet().iterator().next();
			close(eldest.getValue());
			cache.remove(eldest.getKey());
		}
		return p;
	}

	private static Path absolute(final Path p) {
		return p.toAbsolutePath().normalize();
	}

	private static long modified(final Path abs) throws IOException {
		final Path stamp = Files.isDirectory(abs) && Files.exists(abs.resolve("model.json")) ? abs.resolve("model.json") : abs;
		return Files.exists(stamp) ? Files.getLastModifiedTime(stamp).toMillis() : -1;
	}

	private static void close(final AutoCloseable c) {
		try {
			c.close();
		}
		catch (final Exception e) {
			throw new IllegalStateException("cannot release a loaded model: " + e.getMessage(), e);
		}
	}

	/** How many times a model was read from disk (for tests and diagnostics). */
	public synchronized int loads() {
		return loads;
	}

	@Override
	public synchronized void dispose() {
		for (final AutoCloseable p : cache.values()) close(p);
		cache.clear();
	}
}
