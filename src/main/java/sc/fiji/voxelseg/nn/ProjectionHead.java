package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.loss.DenseContrastiveLoss;
import sc.fiji.voxelseg.loss.VoxelRepresentationLoss;

/**
 * The projection head of dense self-supervised pretraining (seed 004, vox2vec): voxel feature
 * vectors (S × in, one row per sampled voxel) to L2-normalised embeddings (S × out) for
 * {@link DenseContrastiveLoss}. It is vox2vec's three-layer MLP,
 * <ul>
 * <li>Linear(in, h), BatchNorm1d(h), ReLU,</li>
 * <li>Linear(h, h), BatchNorm1d(h), ReLU,</li>
 * <li>Linear(h, out), then each row divided by its length,</li>
 * </ul>
 * with biases in every linear layer and affine batch normalisation (PyTorch's defaults, as vox2vec
 * writes it), h = in and out = {@value #DEFAULT_OUT} unless given. The normalisation is
 * {@link VoxelRepresentationLoss#normalizeRows}: vox2vec's {@code F.normalize}, except that a zero
 * row stays zero with zero gradient.
 * <p>
 * Batch normalisation always uses the statistics of the rows it is given
 * ({@link BatchNorm1dBlock}), as vox2vec's head does in training, the only mode in which it runs:
 * the head is dropped after pretraining and never reaches a model bundle. vox2vec applies it to
 * each view's rows separately, so that the statistics are those of one view; call
 * {@link #project} once per view to do the same.
 * <p>
 * Parameters, in the order of PyTorch's {@code parameters()}: fc1 weight (h, in), bias (h); bn1
 * weight, bias (h); fc2 weight (h, h), bias (h); bn2 weight, bias (h); fc3 weight (out, h), bias
 * (out).
 * <p>
 * Forward: input (S × in), output (S × out).
 */
public final class ProjectionHead extends NetBlock {

	/** vox2vec's embedding width. */
	public static final int DEFAULT_OUT = 128;

	private final int in, hidden, out;
	private final LinearBlock fc1, fc2, fc3;
	private final BatchNorm1dBlock bn1, bn2;

	/** vox2vec's head on {@code in} features: h = in, out = {@value #DEFAULT_OUT}. */
	public ProjectionHead(final int in) {
		this(in, in, DEFAULT_OUT);
	}

	public ProjectionHead(final int in, final int hidden, final int out) {
		if (in < 1 || hidden < 1 || out < 1) {
			throw new IllegalArgumentException("bad projection head " + in + "->" + hidden + "->" + out);
		}
		this.in = in;
		this.hidden = hidden;
		this.out = out;
		fc1 = addChildBlock("fc1", new LinearBlock(in, hidden, true));
		bn1 = addChildBlock("bn1", new BatchNorm1dBlock(hidden, true));
		fc2 = addChildBlock("fc2", new LinearBlock(hidden, hidden, true));
		bn2 = addChildBlock("bn2", new BatchNorm1dBlock(hidden, true));
		fc3 = addChildBlock("fc3", new LinearBlock(hidden, out, true));
	}

	public int inFeatures() {
		return in;
	}

	public int hiddenWidth() {
		return hidden;
	}

	public int outFeatures() {
		return out;
	}

	/** The unit-length embeddings of one view's voxels: S × in to S × out. */
	public NDArray project(final ParameterStore ps, final NDArray x, final boolean training) {
		final NDArray a = fc1.forward(ps, new NDList(x), training).head();
		final NDArray b = release(bn1.forward(ps, new NDList(a), training).head(), a);
		final NDArray c = release(b.getNDArrayInternal().relu(), b);
		final NDArray d = release(fc2.forward(ps, new NDList(c), training).head(), c);
		final NDArray e = release(bn2.forward(ps, new NDList(d), training).head(), d);
		final NDArray f = release(e.getNDArrayInternal().relu(), e);
		final NDArray g = release(fc3.forward(ps, new NDList(f), training).head(), f);
		return release(VoxelRepresentationLoss.normalizeRows(g), g);
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training,
		final PairList<String, Object> params)
	{
		return new NDList(project(ps, inputs.head(), training));
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return new Shape[] { new Shape(inputShapes[0].get(0), out) };
	}
}
