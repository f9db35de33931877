package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.nio.file.Path;

import sc.fiji.voxelseg.image.Volume;

public final class DicomSeriesIO {

	private DicomSeriesIO() {}

	public static Volume read(final Path file, final ReadOptions opt) throws IOException {
		throw new VolumeFormatException(file, "this format is not readable yet");
	}
}
