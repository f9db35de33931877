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
	 * The resume guard's refusal: a resume without a checkpoint, or a fresh run onto one. A face
	 * may present it as a mistake in its arguments (the launcher's usage error) rather than a failure.
	 */
	public static final class Refused extends IllegalArgumentException {

		private static final long serialVersionUID = 1L;

		Refused(final String message) {
			super(message);
		}
	}

	/**
	 * The resume guard of every face: with {@code resume}, the checkpoint to continue (refused when
	 * there is none); without, null for a fresh run, refused when a checkpoint from an earlier run
	 * exists, so that a run is never overwritten by accident.
	 *
	 * @param resumeHow how the face asks to resume (e.g. "add --resume"), for the message
	 * @param elsewhere how the face names another output (e.g. "another --out"), for the message
	 * @throws Refused naming the checkpoint and what to do
	 */
	public Path checkpointToResume(final boolean resume, final String resumeHow, final String elsewhere) {
		final Path ckpt = checkpoint();
		if (resume) {
			if (!java.nio.file.Files.exists(ckpt)) throw new Refused("no checkpoint " + ckpt + " to resume from");
			return ckpt;
		}
		if (java.nio.file.Files.exists(ckpt)) {
			throw new Refused(ckpt + " exists from an earlier run: " + resumeHow + " to continue it, or choose " + elsewhere);
		}
		return null;
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
