package sc.fiji.voxelseg.io;

/**
 * Options shared by the volume readers.
 *
 * @param allowNonFinite accept NaN and infinite voxels (by default they are an error, since every
 *          later step would silently propagate them)
 * @param maxBytes the most memory the voxel data may take; a larger volume is refused with a
 *          message instead of an {@link OutOfMemoryError}
 * @param allowOutsideData let a detached header ({@code .nhdr}, {@code .mhd}) name a data file
 *          outside its own folder (an absolute path, or one that climbs out with {@code ..}); by
 *          default that is refused, so that a header from elsewhere cannot read
 *          {@code /etc/passwd} or {@code /proc/self/environ} in as voxels (links that the
 *          folder's owner put inside it are followed)
 */
public record ReadOptions(boolean allowNonFinite, long maxBytes, boolean allowOutsideData) {

	/**
	 * Strict about NaN/Inf and detached data, bounded by the memory the JVM can still hand out.
	 * The Java property {@code voxelseg.allowOutsideData=true} (for the launcher:
	 * {@code VOXELSEG_JAVA_OPTS=-Dvoxelseg.allowOutsideData=true}) lets detached headers name data
	 * files elsewhere.
	 */
	public static ReadOptions defaults() {
		return new ReadOptions(false, availableBytes(), Boolean.getBoolean("voxelseg.allowOutsideData"));
	}

	public ReadOptions optAllowNonFinite(final boolean allow) {
		return new ReadOptions(allow, maxBytes, allowOutsideData);
	}

	public ReadOptions optMaxBytes(final long max) {
		return new ReadOptions(allowNonFinite, max, allowOutsideData);
	}

	public ReadOptions optAllowOutsideData(final boolean allow) {
		return new ReadOptions(allowNonFinite, maxBytes, allow);
	}

	/**
	 * The data file {@code name} that the detached header {@code header} points to, resolved
	 * against the header's folder; refused unless it lies inside that folder or
	 * {@link #allowOutsideData()} is set.
	 */
	public java.nio.file.Path dataFile(final java.nio.file.Path header, final String name, final String field)
		throws VolumeFormatException
	{
		final java.nio.file.Path dir = header.toAbsolutePath().normalize().getParent();
		final java.nio.file.Path p;
		try {
			p = dir.resolve(name).normalize();
		}
		catch (final java.nio.file.InvalidPathException e) {
			throw new VolumeFormatException(header, field + " '" + name + "' is not a valid file name");
		}
		if (!allowOutsideData && !p.startsWith(dir)) throw new VolumeFormatException(header, field + " '" + name +
			"' points outside the header's folder " + dir +
			"; a detached header may only name a data file beside it (move the data file there, or allow outside data files explicitly)");
		if (!java.nio.file.Files.isRegularFile(p)) throw new VolumeFormatException(header, "its data file '" +
			name + "' (" + field + ") does not exist (looked for " + p +
			"); keep the header and its data file together");
		return p;
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
