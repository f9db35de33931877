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

import sc.fiji.voxelseg.infer.Predictor;

/**
 * Keeps loaded models between command runs, so that a macro segmenting a hundred images loads the
 * model once. A model is reloaded when its file changes; the two most recently used stay loaded.
 */
@Plugin(type = Service.class)
public class ModelCacheService extends AbstractService implements SciJavaService {

	private static final int KEEP = 2;

	private record Key(Path path, long modified, String device) {}

	private final Map<Key, Predictor> cache = new LinkedHashMap<>(4, 0.75f, true);
	private int loads;

	/** The predictor for {@code model} on {@code device}, loading it on first use. */
	public synchronized Predictor predictor(final Path model, final String device) throws IOException {
		final Path abs = model.toAbsolutePath().normalize();
		final Path stamp = Files.isDirectory(abs) && Files.exists(abs.resolve("model.json")) ? abs.resolve("model.json") : abs;
		final long modified = Files.exists(stamp) ? Files.getLastModifiedTime(stamp).toMillis() : -1;
		final Key key = new Key(abs, modified, device);
		Predictor p = cache.get(key);
		if (p != null) return p;
		cache.entrySet().removeIf(e -> {
			if (e.getKey().path().equals(abs) && e.getKey().device().equals(device)) {
				e.getValue().close();
				return true;
			}
			return false;
		});
		p = Predictor.load(abs, device);
		loads++;
		cache.put(key, p);
		while (cache.size() > KEEP) {
			final var eldest = cache.entrySet().iterator().next();
			eldest.getValue().close();
			cache.remove(eldest.getKey());
		}
		return p;
	}

	/** How many times a model was read from disk (for tests and diagnostics). */
	public synchronized int loads() {
		return loads;
	}

	@Override
	public synchronized void dispose() {
		for (final Predictor p : cache.values()) p.close();
		cache.clear();
	}
}
