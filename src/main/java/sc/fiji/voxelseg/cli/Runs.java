package sc.fiji.voxelseg.cli;

import java.nio.file.Path;

import sc.fiji.voxelseg.train.RunFiles;
import sc.fiji.voxelseg.train.Trainer;

/** The resume guard of the launcher's training subcommands. */
final class Runs {

	private Runs() {}

	/** A run from the checkpoint it is given, or a fresh one (then the checkpoint argument is unused). */
	interface Run {

		Trainer.Result run(Path checkpoint) throws Exception;
	}

	/**
	 * With {@code --resume}, continues the checkpoint beside {@code bundle} (a usage error when there
	 * is none); without it, starts afresh unless that checkpoint exists from an earlier run, which is a
	 * usage error naming {@code --resume}, so that a run is never overwritten by accident.
	 */
	static Trainer.Result startOrResume(final Path bundle, final boolean resume, final Run resumed, final Run fresh) throws Exception {
		final Path ckpt;
		try {
			ckpt = new RunFiles(bundle).checkpointToResume(resume, "add --resume", "another --out");
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException((resume ? "--resume: " : "") + e.getMessage());
		}
		return ckpt != null ? resumed.run(ckpt) : fresh.run(Trainer.checkpointPath(bundle));
	}
}
