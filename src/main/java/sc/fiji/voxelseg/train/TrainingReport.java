package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;

/** The training-curve picture: loss and validation Dice against the step. */
final class TrainingReport {

	private TrainingReport() {}

	static void writeCurve(final Path png, final TrainingHistory history) throws IOException {
		// rendered by the report package once it is available
	}
}
