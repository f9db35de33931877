package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;

import sc.fiji.voxelseg.train.RunFiles;
import sc.fiji.voxelseg.train.TrainingJob;
import sc.fiji.voxelseg.train.TrainingSettings;

/** What the launcher's training subcommands share around {@link TrainingJob}: its wording, usage errors and the files line. */
final class Runs {

	private Runs() {}

	/** A training run of the launcher, fresh or with {@code --resume}, reporting progress on standard error. */
	static TrainingJob job(final TrainingSettings settings, final Path bundle, final boolean resume) {
		return new TrainingJob(settings, bundle, new TerminalProgress(System.err)).resume(resume, "add --resume", "another --out");
	}

	/** The work of a job: one of its {@code on...} calls. */
	interface Work {

		TrainingJob.Outcome run(TrainingJob job) throws Exception;
	}

	/**
	 * Runs {@code work} on {@code job}; the resume guard's refusal is a usage error (naming
	 * {@code --resume} when resuming), so that a run is never overwritten by accident.
	 */
	static TrainingJob.Outcome run(final TrainingJob job, final Work work) throws Exception {
		try {
			return work.run(job);
		}
		catch (final RunFiles.Refused e) {
			throw new Args.UsageException((job.resumes() ? "--resume: " : "") + e.getMessage());
		}
	}

	/** The line naming the checkpoint, curve and history beside the bundle. */
	static void printFiles(final PrintStream out, final TrainingJob.Outcome o) {
		final RunFiles f = new RunFiles(o.result().bundle());
		out.println("checkpoint " + o.result().checkpoint() + ", curve " + f.curve() + ", history " + f.history());
	}
}
