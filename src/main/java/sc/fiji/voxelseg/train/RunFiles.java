package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;

import sc.fiji.voxelseg.model.ModelBundle;

/**
 * The files of a training run beside its output bundle {@code OUT} (a folder, or {@code OUT.zip}):
 * {@code OUT.checkpoint.zip}, {@code OUT.history.csv} and {@code OUT.training.png}, in the bundle's
 * folder.
 *
 * @param bundle the output bundle
 */
public record RunFiles(Path bundle) {

	public Path checkpoint() {
		return sibling(".checkpoint.zip");
	}

	public Path history() {
		return sibling(".history.csv");
	}

	public Path curve() {
		return sibling(".training.png");
	}

	private Path sibling(final String suffix) {
		final String name = bundle.getFileName().toString();
		final String stem = ModelBundle.isZip(bundle) ? name.substring(0, name.length() - 4) : name;
		return bundle.toAbsolutePath().resolveSibling(stem + suffix);
	}

	/**
	 * Reads a checkpoint, refusing a model bundle without training state.
	 *
	 * @throws IOException if the file cannot be read or is no checkpoint
	 */
	public static ModelBundle loadCheckpoint(final Path checkpoint) throws IOException {
		final ModelBundle b = ModelBundle.load(checkpoint);
		if (b.optimiserState() == null || !b.training().has("state")) {
			throw new IOException(checkpoint + " is a model bundle without training state, not a checkpoint; train anew instead");
		}
		return b;
	}
}
