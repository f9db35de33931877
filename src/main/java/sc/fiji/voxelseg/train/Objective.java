package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * What the supervised regime minimises (not a trainer extension point: regimes are, see
 * {@link Regime}), given the network's forward output (logits and hidden features, see
 * {@link sc.fiji.voxelseg.nn.SegmentationNetwork}) and the labels. The supervised objective is a
 * segmentation loss; representation-learning objectives add terms on the hidden features and may
 * own parameters (projection heads) that the trainer optimises with the network's.
 */
public interface Objective extends AutoCloseable {

	/**
	 * The scalar loss of one batch, recorded for autograd.
	 *
	 * @param labels N × D × H × W class indices
	 * @param step the 0-based optimisation step (for ramps)
	 */
	NDArray loss(ParameterStore ps, NDList output, NDArray labels, long step);

	/** Parameters of the objective's own blocks, initialised on {@code manager}; none by default. */
	default List<Parameter> parameters(final NDManager manager) {
		return List.of();
	}

	/**
	 * The values of the objective's own parameters, for training checkpoints (they are not part of
	 * the model); null when it has none.
	 */
	default byte[] saveState() {
		return null;
	}

	/**
	 * Restores values written by {@link #saveState} into the parameters that
	 * {@link #parameters(NDManager)} created, so that a resumed run continues exactly.
	 *
	 * @throws IOException if the state does not fit this objective's parameters
	 */
	default void loadState(final byte[] state) throws IOException {
		if (state != null) throw new IOException("the checkpoint holds objective parameters, but this objective has none");
	}

	@Override
	default void close() {}
}
