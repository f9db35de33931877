package sc.fiji.voxelseg.train;

/**
 * Where a trainer's batches come from: batch {@code s} as a pure function of the step, so a
 * resumed run draws the batches the uninterrupted one would have drawn.
 */
public interface BatchSource {

	/** The batch of step {@code step}. */
	Batch batch(long step);

	/** Sample shape {x, y, z}. */
	int[] sampleShape();

	/** Volumes per batch. */
	int batchSize();

	/** Steps in one epoch. */
	long stepsPerEpoch();
}
