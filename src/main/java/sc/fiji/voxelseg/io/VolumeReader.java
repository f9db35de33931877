package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Path;

import sc.fiji.voxelseg.image.Volume;

/**
 * A reader for a volume format that lives outside the core {@code io} package (the DICOM series
 * reader, which needs ImageJ's DICOM decoder). Implementations are found with
 * {@link java.util.ServiceLoader} through {@code META-INF/services/sc.fiji.voxelseg.io.VolumeReader}.
 */
public interface VolumeReader {

	/** Short name, e.g. {@code DICOM}. */
	String name();

	/**
	 * Whether this reader takes {@code path}: a folder, or a file whose name or first bytes
	 * ({@code head}, up to 352 bytes; empty for a folder) identify the format.
	 */
	boolean accepts(Path path, byte[] head);

	Volume read(Path path, ReadOptions opt) throws IOException;
}
