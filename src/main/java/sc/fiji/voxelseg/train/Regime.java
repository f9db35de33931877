package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;

/**
 * What distinguishes one training regime (supervised, semi-supervised, pretraining) inside the
 * {@link Trainer}'s common loop, which owns the network, its optimiser, the schedule, validation,
 * checkpoints and reports: the trainer's one extension point. Per step the loop calls
 * {@link #backward} inside the step's memory scope; if the loss is finite it applies its optimiser
 * to the network's parameters and those {@link #open} returned and then calls {@link #afterUpdate}. Whatever else the regime owns (a teacher, a discriminator and its
 * optimiser) travels in checkpoints through {@link #saveState}.
 */
public interface Regime extends AutoCloseable {

	/** The batches, for the training cases left after the validation split. */
	BatchSource batches();

	/**
	 * Builds the regime's own blocks for the trained network on {@code root}'s device (before a
	 * checkpoint's state, if any, is loaded) and returns the parameters that the network's optimiser
	 * trains besides the network's.
	 *
	 * @param total steps of the whole run
	 */
	List<Parameter> open(NDManager root, SegmentationNetwork net, long total);

	/**
	 * Forward and backward passes of one batch, leaving gradients on the network and on
	 * {@link #parameters}; returns the loss. A non-finite loss must leave every weight the regime
	 * owns untouched, so the trainer can stop with the last checkpoint valid.
	 */
	double backward(ParameterStore ps, NDManager root, Batch batch, long step);

	/** Runs after the network's optimiser step of {@code step} (outside any gradient collector). */
	default void afterUpdate(final long step) {}

	/** The regime's own state for checkpoints; null when it has none. */
	byte[] saveState();

	/** Restores what {@link #saveState} wrote, after {@link #open}. */
	void loadState(byte[] state) throws IOException;

	/**
	 * Whether the regime validates the network itself ({@link #validate}), as pretraining does with
	 * its loss on held-out views; otherwise the trainer measures Dice on the validation cases.
	 */
	default boolean validatesItself() {
		return false;
	}

	/** The regime's own validation after {@code step} steps, in inference mode, without gradients. */
	default TrainingHistory.Validation validate(final ParameterStore ps, final NDManager root, final long step) {
		throw new UnsupportedOperationException("this regime has no validation of its own");
	}

	/** The network that is validated and written into the model bundle. */
	default SegmentationNetwork exported(final SegmentationNetwork trained) {
		return trained;
	}

	/** The loss terms of the last {@link #backward}, for the message when training diverges; empty if none. */
	default String lastTermsText() {
		return "";
	}

	/**
	 * Bytes the regime needs beyond what {@link MemoryEstimate#training} counts for the network on
	 * the regime's batches (a teacher, its forward pass, a discriminator), for the pre-flight check.
	 */
	default long extraMemory(final NetworkConfig cfg, final int[] shape) {
		return 0;
	}

	/** A line for the end of training (what the regime saw over the run's steps); empty if none. */
	default String summary() {
		return "";
	}

	/** A few words for the start-of-training status line. */
	default String describe() {
		return "";
	}

	@Override
	default void close() {}
}
