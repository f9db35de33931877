package sc.fiji.voxelseg.command;

import java.util.function.BooleanSupplier;

import org.scijava.app.StatusService;

import sc.fiji.voxelseg.util.Progress;

/** Adapts core {@link Progress} reports to SciJava's status bar and a command's cancel state. */
public final class StatusProgress implements Progress {

	private final StatusService status;
	private final BooleanSupplier canceled;
	private String message = "";

	public StatusProgress(final StatusService status, final BooleanSupplier canceled) {
		this.status = status;
		this.canceled = canceled;
	}

	@Override
	public void status(final String m) {
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
		return canceled != null && canceled.getAsBoolean();
	}
}
