package sc.fiji.voxelseg.metrics;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * A fork/join pool of a chosen size for the loops of the metrics: {@link #forEach} splits an index
 * range into chunks that the pool's threads steal from each other, and nests (a loop inside a
 * loop body runs on the same pool). One thread runs everything on the caller's thread.
 */
final class Parallel implements AutoCloseable {

	private final int threads;
	private final ForkJoinPool pool;

	/** @param threads worker threads; 0 or less means all available processors */
	Parallel(final int threads) {
		this.threads = resolve(threads);
		this.pool = this.threads == 1 ? null : new ForkJoinPool(this.threads);
	}

	/** The thread count {@code threads} stands for: itself, or all processors for 0 or less. */
	static int resolve(final int threads) {
		return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
	}

	int threads() {
		return threads;
	}

	/** Runs {@code body} for every index in {@code [0, n)}, in parallel, and waits for all. */
	void forEach(final int n, final IntConsumer body) {
		if (n <= 0) return;
		if (pool == null || n == 1) {
			for (int i = 0; i < n; i++)
				body.accept(i);
			return;
		}
		// about eight chunks per thread, so uneven lines still balance
		final int grain = Math.max(1, n / (8 * threads));
		final Range task = new Range(0, n, grain, body);
		try {
			// inside a task of this pool (a nested loop), fork in place; else hand the loop to the pool
			if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool) task
				.invoke();
			else pool.invoke(task);
		}
		catch (final RuntimeException | Error e) {
			final Throwable t = unwrap(e);
			if (t instanceof RuntimeException r) throw r;
			throw (Error) t;
		}
	}

	/**
	 * The exception a loop body threw. Fork/join rethrows one from another thread as a copy of the
	 * same class whose message is the original's {@code toString()}, the original as its cause;
	 * callers should see the original message.
	 */
	private static Throwable unwrap(final Throwable e) {
		Throwable t = e;
		while (t.getCause() != null && t.getCause().getClass() == t.getClass() &&
			(t.getCause() instanceof RuntimeException || t.getCause() instanceof Error))
			t = t.getCause();
		return t;
	}

	@Override
	public void close() {
		if (pool != null) pool.shutdown();
	}

	private static final class Range extends RecursiveAction {

		private static final long serialVersionUID = 1L;
		private final int from, to, grain;
		private final transient IntConsumer body;

		Range(final int from, final int to, final int grain, final IntConsumer body) {
			this.from = from;
			this.to = to;
			this.grain = grain;
			this.body = body;
		}

		@Override
		protected void compute() {
			if (to - from <= grain) {
				for (int i = from; i < to; i++)
					body.accept(i);
				return;
			}
			final int mid = (from + to) >>> 1;
			invokeAll(new Range(from, mid, grain, body), new Range(mid, to, grain, body));
		}
	}
}
