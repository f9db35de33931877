package sc.fiji.voxelseg.nn;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Seed 003's voxel-wise feature discriminator. Two stages:
 * <ol>
 * <li>{@link #fuse}: the encoder maps {@code E_1..E_L} (deepest first, N × C_j × d_j × h_j × w_j)
 * each pass a 1×1×1 convolution to a common width, are upsampled trilinearly to the grid of the
 * finest of them and summed; a 3×3×3 convolution with LeakyReLU(0.2) fuses the sum. Output
 * N × width × d × h × w.</li>
 * <li>{@link #classify}: sampled voxel vectors of the fused map (S × width) go through two MLP
 * layers (Linear + LeakyReLU(0.2), width {@code hidden}) and then through the prediction branch of
 * their class, one Linear(hidden, 1) per class: output the S logits of "real" (labeled).</li>
 * </ol>
 * The paper says "convolution layer" and "two MLPs" without sizes or activations; 1×1×1 for
 * channel adjustment, a 3×3×3 fusion and DCGAN's LeakyReLU(0.2) (the paper's discriminator
 * optimiser follows DCGAN) are the choices made here. Each row's logit is read from its own branch
 * through a one-hot mask, so a branch's weights get gradient from its class's rows only.
 * Training-only: never part of a model bundle.
 */
public final class FeatureDiscriminator extends NetBlock {

	/** The negative slope of the LeakyReLUs. */
	public static final float SLOPE = 0.2f;

	private final int[] channels;
	private final int width, hidden, classes;
	private final List<Conv3dBlock> inputs = new ArrayList<>();
	private final Conv3dBlock fuse;
	private final LinearBlock fc1, fc2;
	private final List<LinearBlock> branches = new ArrayList<>();

	/**
	 * @param channels channels of the encoder maps it takes, deepest first
	 * @param width common channel count of the fused map
	 * @param hidden width of the MLP layers
	 * @param classes K: one prediction branch per class
	 */
	public FeatureDiscriminator(final int[] channels, final int width, final int hidden, final int classes) {
		if (channels.length < 1 || width < 1 || hidden < 1 || classes < 1) {
			throw new IllegalArgumentException("bad feature discriminator: " + channels.length + " maps, width " + width + ", hidden " +
				hidden + ", " + classes + " classes");
		}
		this.channels = channels.clone();
		this.width = width;
		this.hidden = hidden;
		this.classes = classes;
		for (int j = 0; j < channels.length; j++) inputs.add(addChildBlock("in" + (j + 1), new Conv3dBlock(channels[j], width, 1, 1, 0, true)));
		fuse = addChildBlock("fuse", Conv3dBlock.same(width, width, 3, true));
		fc1 = addChildBlock("fc1", new LinearBlock(width, hidden, true));
		fc2 = addChildBlock("fc2", new LinearBlock(hidden, hidden, true));
		for (int c = 0; c < classes; c++) branches.add(addChildBlock("branch" + c, new LinearBlock(hidden, 1, true)));
	}

	public int width() {
		return width;
	}

	public int classes() {
		return classes;
	}

	/** How many encoder maps it takes (the deepest ones). */
	public int maps() {
		return channels.length;
	}

	/** The prediction branch of class {@code c}. */
	public LinearBlock branch(final int c) {
		return branches.get(c);
	}

	/** The fused map of the encoder maps (deepest first), on the finest map's grid. */
	public NDArray fuse(final ParameterStore ps, final List<NDArray> maps, final boolean training) {
		if (maps.size() != channels.length) {
			throw new IllegalArgumentException("the discriminator takes " + channels.length + " encoder maps, got " + maps.size());
		}
		final NDArray finest = maps.get(maps.size() - 1);
		NDArray sum = null;
		for (int j = 0; j < maps.size(); j++) {
			final NDArray a = inputs.get(j).forward(ps, new NDList(maps.get(j)), training).head();
			final NDArray up = release(Upsample.trilinearLike(a, finest), a);
			sum = sum == null ? up : release(sum.add(up), sum, up);
		}
		final NDArray f = release(fuse.forward(ps, new NDList(sum), training).head(), sum);
		return release(Activation.leakyRelu(f, SLOPE), f);
	}

	/**
	 * The "real" logits of voxel rows of the fused map, each through its class's branch.
	 *
	 * @param rows S × width
	 * @param labels the class of each row, 0..K-1
	 * @return S logits
	 */
	public NDArray classify(final ParameterStore ps, final NDArray rows, final int[] labels, final boolean training) {
		if (rows.getShape().get(0) != labels.length) throw new IllegalArgumentException(rows.getShape() + " rows for " + labels.length + " labels");
		final NDArray a = fc1.forward(ps, new NDList(rows), training).head();
		final NDArray b = release(Activation.leakyRelu(a, SLOPE), a);
		final NDArray c = release(fc2.forward(ps, new NDList(b), training).head(), b);
		final NDArray h = release(Activation.leakyRelu(c, SLOPE), c);
		final NDList outs = new NDList(classes);
		for (final LinearBlock br : branches) outs.add(br.forward(ps, new NDList(h), training).head());
		final NDArray all = NDArrays.concat(outs, 1); // S × K
		final float[] mask = new float[labels.length * classes];
		for (int i = 0; i < labels.length; i++) {
			if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("class " + labels[i] + " outside 0.." + (classes - 1));
			mask[i * classes + labels[i]] = 1;
		}
		final NDArray m = rows.getManager().create(mask, new Shape(labels.length, classes)).toDevice(rows.getDevice(), false);
		return all.mul(m).sum(new int[] { 1 });
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList in, final boolean training,
		final PairList<String, Object> params)
	{
		return new NDList(fuse(ps, in, training));
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape f = inputShapes[inputShapes.length - 1];
		return new Shape[] { new Shape(f.get(0), width, f.get(2), f.get(3), f.get(4)) };
	}
}
