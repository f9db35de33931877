package sc.fiji.voxelseg.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.loss.VoxelFeatures;

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
	 * The fused map's vectors at voxels of a finer (or the same) grid, without computing the whole
	 * map: equal, up to float rounding, to {@code VoxelFeatures.gatherUpsampled(fuse(maps), index,
	 * to)}. Each voxel's value interpolates the fused map at up to 8 cells of the finest encoder
	 * grid; each of those needs the summed input at its 3×3×3 neighbourhood (zero outside the
	 * grid, the convolution's padding); and the summed input at a cell is the sum over the maps of
	 * the 1×1×1 convolution of the map interpolated there (a 1×1×1 convolution commutes with
	 * trilinear interpolation, whose weights sum to one). Cells are computed once however many
	 * voxels share them, and corners of weight zero (all but one when {@code to} is the finest grid
	 * itself) are skipped, so the cost follows the distinct cells the sampled voxels touch instead
	 * of the whole finest grid. This is what the semi-supervised step calls.
	 *
	 * @param index flat indices into the N volumes of grid {@code to} (z, y, x)
	 * @return S × width
	 */
	public NDArray fuseAt(final ParameterStore ps, final List<NDArray> maps, final int[] index, final int[] to, final boolean training) {
		if (maps.size() != channels.length) {
			throw new IllegalArgumentException("the discriminator takes " + channels.length + " encoder maps, got " + maps.size());
		}
		final Shape fs = maps.get(maps.size() - 1).getShape();
		final int[] f = { (int) fs.get(2), (int) fs.get(3), (int) fs.get(4) };
		final int fv = f[0] * f[1] * f[2];
		final long tv = (long) to[0] * to[1] * to[2];
		final int count = index.length;
		if (count == 0) return maps.get(0).getManager().zeros(new Shape(0, width), maps.get(0).getDataType(), maps.get(0).getDevice());
		final int[] slot = new int[Math.toIntExact(fs.get(0) * fv)];
		Arrays.fill(slot, -1);
		// the interpolation corners of each voxel on the finest grid, corner-major as
		// VoxelFeatures.gatherUpsampled takes them, each a row of the distinct corner cells
		final int[] cornerRow = new int[8 * count];
		final float[] weight = new float[8 * count];
		final IntList centres = new IntList();
		final int[] i0 = new int[3], i1 = new int[3];
		final double[] fr = new double[3];
		for (int i = 0; i < count; i++) {
			final long v = index[i] % tv;
			final int vol = (int) (index[i] / tv);
			final int[] o = { (int) (v / ((long) to[1] * to[2])), (int) (v / to[2] % to[1]), (int) (v % to[2]) };
			for (int a = 0; a < 3; a++) {
				double src = (o[a] + 0.5) * ((double) f[a] / to[a]) - 0.5;
				if (src < 0) src = 0;
				i0[a] = Math.min((int) Math.floor(src), f[a] - 1);
				i1[a] = i0[a] < f[a] - 1 ? i0[a] + 1 : i0[a];
				fr[a] = src - i0[a];
			}
			for (int corner = 0; corner < 8; corner++) {
				final int k = corner * count + i;
				final double w = ((corner & 4) != 0 ? fr[0] : 1 - fr[0]) * ((corner & 2) != 0 ? fr[1] : 1 - fr[1]) * ((corner & 1) != 0
					? fr[2] : 1 - fr[2]);
				weight[k] = (float) w;
				// corner 0 always has a positive weight (fr < 1); a corner of weight 0 reuses its row
				if (w == 0) {
					cornerRow[k] = cornerRow[i];
					continue;
				}
				final int z = (corner & 4) != 0 ? i1[0] : i0[0], y = (corner & 2) != 0 ? i1[1] : i0[1], x = (corner & 1) != 0 ? i1[2]
					: i0[2];
				cornerRow[k] = rowOf(slot, centres, vol * fv + (z * f[1] + y) * f[2] + x);
			}
		}
		// the 27 neighbours of each corner cell (kernel order dz, dy, dx), each a row of the distinct
		// cells inside the grid, or of the zero row that follows them (the convolution's padding)
		final int nc = centres.size();
		Arrays.fill(slot, -1);
		final IntList cells = new IntList();
		final int[] tapRow = new int[27 * nc];
		for (int c = 0; c < nc; c++) {
			final int g = centres.get(c), vol = g / fv, pos = g % fv;
			final int cz = pos / (f[1] * f[2]), cy = pos / f[2] % f[1], cx = pos % f[2];
			int t = 0;
			for (int dz = -1; dz <= 1; dz++) for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++, t++) {
				final int z = cz + dz, y = cy + dy, x = cx + dx;
				if (z >= 0 && z < f[0] && y >= 0 && y < f[1] && x >= 0 && x < f[2]) {
					tapRow[c * 27 + t] = rowOf(slot, cells, vol * fv + (z * f[1] + y) * f[2] + x);
				}
				else tapRow[c * 27 + t] = -1;
			}
		}
		final int nu = cells.size();
		for (int k = 0; k < tapRow.length; k++) if (tapRow[k] < 0) tapRow[k] = nu;
		final NDManager m = maps.get(0).getManager();
		// the summed 1×1×1-convolved maps at every distinct cell, then a zero row: (nu + 1) × width
		final int[] cellIndex = cells.toArray();
		NDArray sum = null;
		for (int j = 0; j < maps.size(); j++) {
			// the 1×1×1 convolution on the map's own (coarser) grid, then interpolated: the same
			// values as convolving interpolated rows, but the rows hold the common width instead of
			// the map's channels (up to 8 times fewer for a U-Net's deepest map), which autograd keeps
			final NDArray dense = inputs.get(j).forward(ps, new NDList(maps.get(j)), training).head();
			final NDArray a = release(VoxelFeatures.gatherUpsampled(dense, cellIndex, f), dense);
			sum = sum == null ? a : release(sum.add(a), sum, a);
		}
		final NDArray zero = m.zeros(new Shape(1, width), sum.getDataType(), sum.getDevice());
		final NDArray padded = release(NDArrays.concat(new NDList(sum, zero), 0), sum, zero);
		// the 3×3×3 fuse convolution at each corner cell: (nc × 27·width) · (27·width × width)
		final NDArray taps = release(padded.get(new NDIndex("{}", rows(m, tapRow, padded))), padded);
		final NDArray flat = release(taps.reshape(nc, 27L * width), taps);
		final NDArray fusedCells = release(fuse.forwardRows(ps, flat, training), flat);
		final NDArray act = release(Activation.leakyRelu(fusedCells, SLOPE), fusedCells);
		// back to the voxels: the weighted sum of their 8 corners; w and the row indices come from
		// Java arrays and autograd keeps them for the backward pass: they stay open until their
		// manager closes (see Scalars)
		final NDArray corners = release(act.get(new NDIndex("{}", rows(m, cornerRow, act))).reshape(8, count, width), act);
		final NDArray w = m.create(weight, new Shape(8, count, 1)).toDevice(corners.getDevice(), false);
		final NDArray weighted = release(corners.mul(w), corners);
		return release(weighted.sum(new int[] { 0 }), weighted);
	}

	/** The row of global cell {@code g} in {@code list}, appending it when new. */
	private static int rowOf(final int[] slot, final IntList list, final int g) {
		if (slot[g] < 0) {
			slot[g] = list.size();
			list.add(g);
		}
		return slot[g];
	}

	private static NDArray rows(final NDManager m, final int[] rows, final NDArray like) {
		final long[] l = new long[rows.length];
		for (int i = 0; i < rows.length; i++) l[i] = rows[i];
		return m.create(l).toDevice(like.getDevice(), false);
	}

	/** A growable int array. */
	private static final class IntList {

		private int[] a = new int[64];
		private int n;

		void add(final int v) {
			if (n == a.length) a = Arrays.copyOf(a, 2 * n);
			a[n++] = v;
		}

		int get(final int i) {
			return a[i];
		}

		int size() {
			return n;
		}

		int[] toArray() {
			return Arrays.copyOf(a, n);
		}
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
