package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that VoxelSeg cannot read as a volume: truncated, a header that lies about sizes or
 * types, an unsupported datatype, a DICOM folder with mixed series. The message names the file and
 * the problem.
 */
public class VolumeFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	public VolumeFormatException(final Path file, final String problem) {
		super(file + ": " + problem);
	}

	public VolumeFormatException(final Path file, final String problem, final Throwable cause) {
		super(file + ": " + problem, cause);
	}
}
