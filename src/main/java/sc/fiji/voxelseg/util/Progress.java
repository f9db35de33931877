package sc.fiji.voxelseg.util;

/**
 * How long work reports progress and learns that it was cancelled. Commands adapt it to SciJava's
 * {@code StatusService}; the launcher prints a progress line. Implementations must be cheap to
 * call and safe from worker threads.
 */
public interface Progress {

	/** A short message about the current stage. */
	void status(String message);

	/**
	 * Something the user should know that does not stop the work (a training case without
	 * foreground, say). By default a status line that starts with "Warning:".
	 */
	default void warning(final String message) {
		status("Warning: " + message);
	}

	/** {@code done} of {@code total} units of the current stage are finished. */
	default void progress(final long done, final long total) {}

	/** Whether the user asked to stop; long work checks this between steps. */
	default boolean isCanceled() {
		return false;
	}

	/** Throws {@link CanceledException} if the user asked to stop. */
	default void checkCanceled() {
		if (isCanceled()) throw new CanceledException();
	}

	Progress NONE = message -> {};

	/** Thrown by work that stopped because it was cancelled. */
	final class CanceledException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		public CanceledException() {
			super("cancelled by the user");
		}
	}
}
