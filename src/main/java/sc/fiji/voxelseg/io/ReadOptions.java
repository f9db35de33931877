package sc.fiji.voxelseg.io;

/**
 * Options shared by the volume readers.
 *
 * @param allowNonFinite accept NaN and infinite voxels (by default they are an error, since every
 *          later step would silently propagate them)
 * @param maxBytes the most memory the voxel data may take; a larger volume is refused with a
 *          message instead of an {@link OutOfMemoryError}
 */
public record ReadOptions(boolean allowNonFinite, long maxBytes) {

	/** Strict about NaN/Inf, bounded by the memory the JVM can still hand out. */
	public static ReadOptions defaults() {
		return new ReadOptions(false, availableBytes());
	}

	public ReadOptions optAllowNonFinite(final boolean allow) {
		return new ReadOptions(allow, maxBytes);
	}

	public ReadOptions optMaxBytes(final long max) {
		return new ReadOptions(allowNonFinite, max);
	}

	/** Memory the JVM could still allocate, leaving a quarter for the work that follows. */
	public static long availableBytes() {
		final Runtime rt = Runtime.getRuntime();
		final long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
		return free / 4 * 3;
	}

	/** Throws a {@link VolumeFormatException} if {@code voxels} of {@code bytesPerVoxel} do not fit. */
	public void checkFits(final java.nio.file.Path file, final long[] dims, final long voxels,
		final int bytesPerVoxel) throws VolumeFormatException
	{
		if (voxels > Integer.MAX_VALUE - 8) throw new VolumeFormatException(file, "dimensions " +
			sc.fiji.voxelseg.image.Volume.formatDims(dims) + " (" + voxels +
			" voxels) exceed the 2^31 voxel limit of one array; crop or downsample the volume first");
		final long need = voxels * bytesPerVoxel;
		if (need > maxBytes) throw new VolumeFormatException(file, String.format(
			java.util.Locale.ROOT,
			"volume %s needs %.2f GiB but only %.2f GiB of memory is available; start Java with a larger -Xmx or crop the volume",
			sc.fiji.voxelseg.image.Volume.formatDims(dims), need / (double) (1L << 30), maxBytes /
				(double) (1L << 30)));
	}
}
