package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The MLP heads of seed 000's voxel-level feature layer for one hidden layer: voxel feature
 * vectors f (S × C, one row per sampled voxel, C the hidden map's channels) go through the
 * projection MLP, {@code z = proj(f)}, and the prediction MLP, {@code p = pred(z)}; both are
 * S × width. The paper bases the heads on SimSiam with "the dimensions of all hidden layers set to
 * 64" and no further detail, so they follow SimSiam's two-layer (CIFAR) heads with every width
 * equal to {@code width}:
 * <ul>
 * <li>proj: Linear(C, w, no bias), BatchNorm1d(w), ReLU, Linear(w, w, no bias), BatchNorm1d(w,
 * not affine);</li>
 * <li>pred: Linear(w, w, no bias), BatchNorm1d(w), ReLU, Linear(w, w).</li>
 * </ul>
 * Batch normalisation uses the statistics of the S sampled voxels (all classes and volumes of the
 * batch together), as SimSiam's heads do with a batch of images; see {@link BatchNorm1dBlock}.
 * The supervised-contrastive baseline uses the projection only ({@code withPredictor = false}).
 * The heads are training-only: they are not part of the segmentation network and never reach a
 * model bundle.
 * <p>
 * Forward: input (S × C), output {@code (z)} or {@code (z, p)}.
 */
public final class VoxelFeatureHeads extends NetBlock {

	private final int in, width;
	private final LinearBlock projFc1, projFc2, predFc1, predFc2;
	private final BatchNorm1dBlock projBn1, projBn2, predBn1;

	public VoxelFeatureHeads(final int in, final int width, final boolean withPredictor) {
		if (in < 1 || width < 1) throw new IllegalArgumentException("bad voxel feature heads " + in + "->" + width);
		this.in = in;
		this.width = width;
		projFc1 = addChildBlock("proj_fc1", new LinearBlock(in, width, false));
		projBn1 = addChildBlock("proj_bn1", new BatchNorm1dBlock(width, true));
		projFc2 = addChildBlock("proj_fc2", new LinearBlock(width, width, false));
		projBn2 = addChildBlock("proj_bn2", new BatchNorm1dBlock(width, false));
		if (withPredictor) {
			predFc1 = addChildBlock("pred_fc1", new LinearBlock(width, width, false));
			predBn1 = addChildBlock("pred_bn1", new BatchNorm1dBlock(width, true));
			predFc2 = addChildBlock("pred_fc2", new LinearBlock(width, width, true));
		}
		else {
			predFc1 = null;
			predBn1 = null;
			predFc2 = null;
		}
	}

	public int inFeatures() {
		return in;
	}

	public int width() {
		return width;
	}

	public boolean hasPredictor() {
		return predFc1 != null;
	}

	/** {@code z = proj(f)}: S × C to S × width. */
	public NDArray project(final ParameterStore ps, final NDArray f, final boolean training) {
		final NDArray a = projFc1.forward(ps, new NDList(f), training).head();
		final NDArray b = release(projBn1.forward(ps, new NDList(a), training).head(), a);
		final NDArray c = release(b.getNDArrayInternal().relu(), b);
		final NDArray d = release(projFc2.forward(ps, new NDList(c), training).head(), c);
		return release(projBn2.forward(ps, new NDList(d), training).head(), d);
	}

	/** {@code p = pred(z)}: S × width to S × width. */
	public NDArray predict(final ParameterStore ps, final NDArray z, final boolean training) {
		if (predFc1 == null) throw new IllegalStateException("these heads were built without a prediction MLP");
		final NDArray a = predFc1.forward(ps, new NDList(z), training).head();
		final NDArray b = release(predBn1.forward(ps, new NDList(a), training).head(), a);
		final NDArray c = release(b.getNDArrayInternal().relu(), b);
		return release(predFc2.forward(ps, new NDList(c), training).head(), c);
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training,
		final PairList<String, Object> params)
	{
		final NDArray z = project(ps, inputs.head(), training);
		return predFc1 == null ? new NDList(z) : new NDList(z, predict(ps, z, training));
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape z = new Shape(inputShapes[0].get(0), width);
		return predFc1 == null ? new Shape[] { z } : new Shape[] { z, z };
	}
}
