package sc.fiji.voxelseg.train;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Prepares batches on a background thread, a few steps ahead, so that cutting patches and
 * augmentation overlap the training step. Batches come out in step order; a failure on the loader
 * thread is rethrown by {@link #next}.
 */
public final class BatchLoader implements AutoCloseable {

	private static final int AHEAD = 2;

	private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(AHEAD);
	private final Thread thread;
	private volatile boolean closed;

	/** Starts loading the batches of steps {@code first}, {@code first + 1}, ... */
	public BatchLoader(final BatchSource sampler, final long first) {
		thread = new Thread(() -> {
			try {
				for (long s = first; !closed; s++) {
					final Batch b = sampler.batch(s);
					while (!closed && !queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
						// wait for room
					}
				}
			}
			catch (final InterruptedException e) {
				Thread.currentThread().interrupt();
			}
			catch (final RuntimeException | Error e) {
				try {
					queue.put(e);
				}
				catch (final InterruptedException ie) {
					Thread.currentThread().interrupt();
				}
			}
		}, "voxelseg-batch-loader");
		thread.setDaemon(true);
		thread.start();
	}

	/** The next batch, waiting for it if the loader is behind. */
	public Batch next() throws InterruptedException {
		final Object o = queue.take();
		if (o instanceof RuntimeException e) throw new IllegalStateException("preparing a training batch failed: " + e.getMessage(), e);
		if (o instanceof Error e) throw e;
		return (Batch) o;
	}

	@Override
	public void close() {
		closed = true;
		thread.interrupt();
		try {
			thread.join(5000);
		}
		catch (final InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}
}
