package sc.fiji.voxelseg.command;

import java.util.function.BooleanSupplier;

import org.scijava.app.StatusService;

import sc.fiji.voxelseg.util.Progress;

/**
 * Adapts core {@link Progress} reports to SciJava's status bar and a command's cancel state. A run
 * is also cancelled when the user presses Esc in ImageJ (the key every ImageJ operation stops on;
 * SciJava's own cancel state turns true only when something calls {@code cancel()}, which nothing
 * in the Fiji GUI does while a command runs) and when the command's thread is interrupted. The
 * Esc flag is cleared when the command starts, so an earlier Esc does not stop it. Each stage
 * (every status line but the per-step ones) is also a line in the Log window.
 */
public final class StatusProgress implements Progress {

	private final StatusService status;
	private final BooleanSupplier canceled;
	private String message = "";

	public StatusProgress(final StatusService status, final BooleanSupplier canceled) {
		this.status = status;
		this.canceled = canceled;
		ij.IJ.resetEscape();
	}

	/** What the Log window's lines start with. */
	static final String LOG_PREFIX = "VoxelSeg: ";

	/**
	 * Shows {@code m} in the status bar and, unless it is a per-step training line (those start with
	 * "step " and come every second), as a line in ImageJ's Log window, once per change: the stages
	 * of a long command stay readable after the status bar has moved on.
	 */
	@Override
	public void status(final String m) {
		if (!m.startsWith("step ") && !m.equals(message)) ij.IJ.log(LOG_PREFIX + m);
		message = m;
		if (status != null) status.showStatus(m);
	}

	@Override
	public void progress(final long done, final long total) {
		if (status != null) status.showStatus((int) Math.min(Integer.MAX_VALUE, done), (int) Math.min(
			Integer.MAX_VALUE, total), message);
	}

	@Override
	public boolean isCanceled() {
		return canceled != null && canceled.getAsBoolean() || ij.IJ.escapePressed() || Thread.currentThread().isInterrupted();
	}
}
