package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.DenseContrastiveLoss;
import sc.fiji.voxelseg.loss.VoxelFeatures;
import sc.fiji.voxelseg.nn.Conv3dBlock;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.ProjectionHead;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.pretrain.AppearanceAugmentation;
import sc.fiji.voxelseg.pretrain.PretrainViews;

/**
 * Self-supervised dense pretraining (seed 004): hierarchical voxel representations learnt from
 * images alone, in the trainer's loop.
 * <p>
 * Per step: one volume (a seeded draw from the step, so a resumed run sees the same views); from it
 * {@link PretrainSettings#pairs} pairs of overlapping crops around shared anchors with
 * {@link PretrainSettings#voxels} positive voxel pairs each ({@link PretrainViews}); each view its
 * own appearance augmentation ({@link AppearanceAugmentation}). The batch is the A views followed
 * by the B views, 2P × 1 × D × H × W. A voxel's representation is its feature vector at every
 * pyramid level ({@link SegmentationNetwork#pyramid}: the balanced maps of the FPN, or, with
 * {@code balance} off or for the U-Net and VNet, the decoder maps and the deepest encoder map), read
 * at the voxel's position on each level's grid ({@code floor(x / 2^i)} per axis), concatenated,
 * then the projection MLP ({@link ProjectionHead}, 3 layers to {@link PretrainSettings#projection},
 * normalised). The contrastive term is the symmetric InfoNCE over all positive pairs of the batch
 * ({@link DenseContrastiveLoss}); the restorative term is the mean squared error of a 1×1×1
 * convolution of the finest level against the crops before augmentation (the paper's head has two
 * convolutions; the released code's one is used). {@code L = L_c + λ L_r}.
 * <p>
 * The projection MLP and the restorative head belong to the regime: trained with the network,
 * saved in checkpoints, never in the pretrained bundle.
 */
final class PretrainRegime implements Regime {

	private static final AppearanceAugmentation AUGMENTATION = new AppearanceAugmentation(AppearanceAugmentation.Settings.defaults());

	private final PretrainSettings settings;
	private final List<CaseData> images;
	private final long seed;
	private final ViewSource source;
	private NDManager manager;
	private SegmentationNetwork net;
	private ProjectionHead projector;
	private Conv3dBlock restorer;
	private double lastContrastive, lastRestore;

	/** Held-out images validated per validation, at most: each gives one batch of views. */
	static final int VALIDATION_IMAGES = 8;

	private final List<CaseData> heldOut;

	/**
	 * @param images the images views are drawn from
	 * @param heldOut images kept apart: the loss on fixed views of (up to {@link #VALIDATION_IMAGES}
	 *          of) them validates the backbone; empty for no validation
	 */
	PretrainRegime(final TrainingSettings s, final List<CaseData> images, final List<CaseData> heldOut) {
		settings = s.pretraining;
		this.images = List.copyOf(images);
		this.heldOut = List.copyOf(heldOut.subList(0, Math.min(heldOut.size(), VALIDATION_IMAGES)));
		seed = s.seed;
		source = new ViewSource();
	}

	/** What a pretraining batch carries besides its augmented views. */
	record Views(float[] clean, int[][] indexA, int[][] indexB) {}

	/** The batches: the views of {@link PretrainSettings#pairs} crop pairs of one volume per step. */
	final class ViewSource implements BatchSource {

		@Override
		public Batch batch(final long step) {
			final SplittableRandom r = new SplittableRandom(BatchSampler.mix(seed, step ^ 0x5E1F5L));
			return views(images.get(r.nextInt(images.size())), step, r);
		}

		/** The views of one volume, drawn from {@code r}. */
		Batch views(final CaseData c, final long step, final SplittableRandom r) {
			final int[] crop = settings.crop;
			final int p = settings.pairs, v = settings.cropVoxels();
			final List<PretrainViews.Pair> pairs = PretrainViews.pairs(c.image(), new int[] { c.nx(), c.ny(), c.nz() }, crop, p,
				settings.voxels, r);
			final float[] views = new float[2 * p * v], clean = new float[2 * p * v];
			final int[][] ia = new int[p][], ib = new int[p][];
			for (int i = 0; i < p; i++) {
				final PretrainViews.Pair pair = pairs.get(i);
				System.arraycopy(pair.cropA(), 0, clean, i * v, v);
				System.arraycopy(pair.cropB(), 0, clean, (p + i) * v, v);
				final float[] a = settings.augment ? AUGMENTATION.apply(pair.cropA(), crop, r.split()) : pair.cropA();
				final float[] b = settings.augment ? AUGMENTATION.apply(pair.cropB(), crop, r.split()) : pair.cropB();
				System.arraycopy(a, 0, views, i * v, v);
				System.arraycopy(b, 0, views, (p + i) * v, v);
				ia[i] = pair.positivesA();
				ib[i] = pair.positivesB();
			}
			return new Batch(step, views, null, 2 * p, crop[0], crop[1], crop[2], new Views(clean, ia, ib));
		}

		@Override
		public int[] sampleShape() {
			return settings.crop.clone();
		}

		@Override
		public int batchSize() {
			return 2 * settings.pairs;
		}

		@Override
		public long stepsPerEpoch() {
			return Math.max(1, images.size());
		}
	}

	@Override
	public BatchSource batches() {
		return source;
	}

	@Override
	public List<Parameter> open(final NDManager root, final SegmentationNetwork network, final long total) {
		manager = root;
		net = network;
		final int[] channels = channels(network);
		int in = 0;
		for (final int c : channels) in += c;
		projector = new ProjectionHead(in, in, settings.projection);
		projector.initialize(root, DataType.FLOAT32, new Shape(2, in));
		restorer = new Conv3dBlock(channels[0], 1, 1, 1, 0, true);
		restorer.initialize(root, DataType.FLOAT32, new Shape(1, channels[0], 2, 2, 2));
		final List<Parameter> params = new ArrayList<>();
		for (final Pair<String, Parameter> p : projector.getParameters()) params.add(p.getValue());
		if (settings.restore) for (final Pair<String, Parameter> p : restorer.getParameters()) params.add(p.getValue());
		return params;
	}

	/** Channels of the pyramid levels the representation reads, finest first. */
	private int[] channels(final SegmentationNetwork network) {
		return settings.balance ? network.pyramidChannels() : network.decoderPyramidChannels();
	}

	private NDArray[] pyramid(final NDList out) {
		return settings.balance ? net.pyramid(out) : net.decoderPyramid(out);
	}

	@Override
	public double backward(final ParameterStore ps, final NDManager root, final Batch b, final long step) {
		return Trainer.backward(out -> loss(ps, root, b, true, out));
	}

	/**
	 * {@code L_c + λ L_r} of a batch of views; the network's forward output goes into {@code out} (so
	 * the caller can release it before the backward pass).
	 */
	private NDArray loss(final ParameterStore ps, final NDManager root, final Batch b, final boolean training, final NDList out) {
		final Views views = (Views) b.extra();
		final Shape shape = new Shape(b.n(), 1, b.nz(), b.ny(), b.nx());
		final NDArray x = root.create(FloatBuffer.wrap(b.images()), shape);
		out.addAll(net.forward(ps, new NDList(x), training));
		final NDArray[] levels = pyramid(out);
		final int p = b.n() / 2;
		final NDArray rowsA = rows(levels, views.indexA(), 0, b), rowsB = rows(levels, views.indexB(), p, b);
		final NDArray ea = projector.project(ps, rowsA, training);
		final NDArray eb = projector.project(ps, rowsB, training);
		final NDArray contrastive = DenseContrastiveLoss.infoNce(ea, eb, settings.temperature);
		NDArray loss = contrastive;
		lastContrastive = contrastive.getFloat();
		lastRestore = 0;
		if (settings.restore) {
			final NDArray restored = restorer.forward(ps, new NDList(levels[0]), training).head();
			final NDArray target = root.create(FloatBuffer.wrap(views.clean()), shape);
			final NDArray mse = restored.sub(target).square().mean();
			lastRestore = mse.getFloat();
			loss = loss.add(sc.fiji.voxelseg.nn.Scalars.mul(mse, settings.restoreWeight));
		}
		return loss;
	}

	@Override
	public boolean validatesItself() {
		return !heldOut.isEmpty();
	}

	/**
	 * The mean loss over fixed views of the held-out images (the same views at every validation: a
	 * seed per image, not per step), with the backbone in inference mode (batch normalisation uses
	 * its running statistics); the projection MLP's batch normalisation keeps no running statistics
	 * and normalises each view's rows by their own, as in training.
	 */
	@Override
	public TrainingHistory.Validation validate(final ParameterStore ps, final NDManager root, final long step) {
		double sum = 0;
		for (int i = 0; i < heldOut.size(); i++) {
			final Batch b = source.views(heldOut.get(i), -1 - i, new SplittableRandom(BatchSampler.mix(seed, 0x7E57L + i)));
			try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
				scope.suppressNotUsedWarning();
				sum += loss(ps, root, b, false, new NDList()).getFloat();
			}
		}
		return TrainingHistory.Validation.ofLoss(step, sum / heldOut.size());
	}

	/**
	 * The concatenated pyramid vectors of the sampled voxels of views {@code first … first + P - 1}:
	 * for view {@code j} and its flat crop indices {@code index[j]}, the voxel (x, y, z) reads level
	 * {@code i} at {@code (x >> i, y >> i, z >> i)}. S × Σ channels, rows ordered by view, then voxel.
	 */
	static NDArray rows(final NDArray[] levels, final int[][] index, final int first, final Batch b) {
		int s = 0;
		for (final int[] ix : index) s += ix.length;
		final NDList parts = new NDList(levels.length);
		for (int i = 0; i < levels.length; i++) {
			final int lx = Math.max(1, b.nx() >> i), ly = Math.max(1, b.ny() >> i), lz = Math.max(1, b.nz() >> i);
			final int lv = lx * ly * lz;
			final int[] flat = new int[s];
			int k = 0;
			for (int j = 0; j < index.length; j++) {
				for (final int v : index[j]) {
					final int x = v % b.nx(), y = v / b.nx() % b.ny(), z = v / (b.nx() * b.ny());
					flat[k++] = (first + j) * lv + ((z >> i) * ly + (y >> i)) * lx + (x >> i);
				}
			}
			parts.add(VoxelFeatures.gather(levels[i], flat));
		}
		return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
	}

	@Override
	public byte[] saveState() {
		return HeadState.save(projector, restorer);
	}

	@Override
	public void loadState(final byte[] state) throws IOException {
		HeadState.load(manager, state, "pretraining heads", projector, restorer);
	}

	@Override
	public String lastTermsText() {
		return String.format(Locale.ROOT, " (contrastive %.4g, restorative %.4g)", lastContrastive, lastRestore);
	}

	@Override
	public long extraMemory(final NetworkConfig cfg, final int[] shape) {
		// the InfoNCE's 2S × 2S logits (about four such matrices at once: logits, their exponentials,
		// the gradient, and the copy the backward pass keeps) and the projection MLP's rows
		final long s = (long) settings.pairs * settings.voxels;
		return 4L * (4 * (2 * s) * (2 * s) + 8 * s * 512);
	}

	@Override
	public String describe() {
		return ", self-supervised: " + settings.summary(net == null ? null : net.config().architecture());
	}
}
