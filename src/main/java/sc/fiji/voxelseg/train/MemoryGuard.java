package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Watches memory while training runs, so that the kernel's out-of-memory killer never ends a run
 * without a checkpoint or a message: after each step, the trainer asks {@link #check()}, and
 * stops with a checkpoint and the returned reason when memory nears its limit. The limit is what
 * the process held when training started plus what was available to it then (its share, with
 * {@link MemoryEstimate#SHARE}), or an explicit limit; "near" is 95 % of it, or less than
 * {@link #MACHINE_RESERVE} left on the whole machine (other processes grow too).
 */
public final class MemoryGuard {

	/** What the machine must keep free: below this, training stops. */
	public static final long MACHINE_RESERVE = 256L << 20;

	/** The share of the limit at which training stops. */
	public static final double NEAR = 0.95;

	private final long limit;
	private final LongSupplier resident, machineAvailable;

	/**
	 * @param limit bytes this process may hold in all
	 * @param resident the process's resident bytes now
	 * @param machineAvailable bytes the machine could still give now
	 */
	public MemoryGuard(final long limit, final LongSupplier resident, final LongSupplier machineAvailable) {
		this.limit = limit;
		this.resident = resident;
		this.machineAvailable = machineAvailable;
	}

	/**
	 * The guard for this process: {@code limit} bytes if it is positive, else what it holds now
	 * plus its share of what the machine has available; null where resident memory cannot be read
	 * (not Linux).
	 */
	public static MemoryGuard forThisProcess(final long limit) {
		final long now = residentBytes();
		if (now <= 0) return null;
		return new MemoryGuard(limit > 0 ? limit : now + MemoryEstimate.available(), MemoryGuard::residentBytes,
			MemoryGuard::machineAvailableBytes);
	}

	/** Null while memory is fine, else why training must stop now, in one line. */
	public String check() {
		final long r = resident.getAsLong(), free = machineAvailable.getAsLong();
		if (r > NEAR * limit) return String.format(Locale.ROOT, "memory nearly exhausted: the process holds %s of the %s it may use",
			MemoryEstimate.gib(r), MemoryEstimate.gib(limit));
		if (free >= 0 && free < MACHINE_RESERVE) return String.format(Locale.ROOT,
			"memory nearly exhausted: the machine has %s left (the process holds %s)", MemoryEstimate.gib(free), MemoryEstimate.gib(r));
		return null;
	}

	public long limit() {
		return limit;
	}

	/** VmRSS of this process from /proc/self/status, or -1. */
	static long residentBytes() {
		return procField(Path.of("/proc/self/status"), "VmRSS:");
	}

	/** MemAvailable of the machine from /proc/meminfo, or -1. */
	static long machineAvailableBytes() {
		return procField(Path.of("/proc/meminfo"), "MemAvailable:");
	}

	private static long procField(final Path file, final String key) {
		try {
			for (final String line : Files.readAllLines(file)) {
				if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
			}
		}
		catch (final IOException | RuntimeException e) {
			// not Linux
		}
		return -1;
	}

	/** Training stopped by the guard; a checkpoint of the last finished step was written first. */
	public static final class MemoryExhaustedException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		MemoryExhaustedException(final String message) {
			super(message);
		}
	}
}
