package sc.fiji.voxelseg.train;

import java.util.concurrent.atomic.AtomicInteger;

import sc.fiji.voxelseg.util.Progress;

/** A progress that asks a training run to stop once it has reported {@code steps} steps done. */
final class CancelAfter implements Progress {

	private final int steps;
	private final AtomicInteger done = new AtomicInteger();

	CancelAfter(final int steps) {
		this.steps = steps;
	}

	@Override
	public void status(final String message) {}

	@Override
	public void progress(final long stepsDone, final long total) {
		done.set((int) stepsDone);
	}

	@Override
	public boolean isCanceled() {
		return done.get() >= steps;
	}
}
