package sc.fiji.voxelseg.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.loss.VoxelFeatures;
import sc.fiji.voxelseg.loss.VoxelRepresentationLoss;
import sc.fiji.voxelseg.loss.VoxelSampler;
import sc.fiji.voxelseg.nn.Scalars;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.VoxelFeatureHeads;

/**
 * Supervised training with a voxel-level representation loss (seed 000, eqs. 7-8):
 * {@code L = L_seg + λ L_feature}, {@code L_feature = Σ_{f∈F} w_f · term_f} with {@code w_f = 1},
 * where {@code term_f} is the Siamese or the supervised-contrastive term of
 * {@link VoxelRepresentationLoss} on hidden layer f and L_seg the settings' segmentation loss
 * (soft Dice in the paper).
 * <p>
 * The "last |F| hidden layers" are the encoder maps from the deepest: the paper numbers the
 * encoder's features F_i "from the last" layer, applies L_feature1 to "the last layer of the
 * encoder" and adds "feature layers in the intermediate layers for features F2 and F3". So |F| = 1
 * is the bottleneck E_1, |F| = 3 adds E_2 and E_3 (forward output indices 1 to |F|, see
 * {@link SegmentationNetwork}). Each layer has its own heads ({@link VoxelFeatureHeads}, input
 * width the map's channels), which this objective owns: they are optimised with the network,
 * saved in checkpoints through {@link #saveState}, and never written into a model bundle.
 * <p>
 * Per step and layer: labels N × D × H × W and the current prediction (arg-max of the logits)
 * go to the map's grid, or the map's features to the label grid ({@link FeatureGrid});
 * {@link VoxelSampler} picks the voxels with a seed derived from (run seed, step, layer), so a
 * step draws the same voxels in a resumed run; the class weights use the layer grid's class
 * counts. A class that nearest-neighbour downsampling removes from a coarse grid (a small organ on
 * the deepest map, the loss the paper's multi-resolution aggregation answers) contributes on the
 * finer layers only; with {@link FeatureGrid#UPSAMPLE_FEATURES} every class in the batch
 * contributes on every layer. A layer with fewer than two sampled voxels (batch statistics
 * undefined) is skipped.
 */
public final class RepresentationObjective implements Objective {

	private static final long SALT = 0x5EED_000F_EA7BL;

	private final SegmentationLoss segmentation;
	private final Representation kind;
	private final FeatureGrid grid;
	private final int[] channels;
	private final int width, classes;
	private final float lambda;
	private final long seed;
	private final VoxelSampler sampler;
	private final List<VoxelFeatureHeads> heads = new ArrayList<>();
	private NDManager manager;
	private double lastFeatureLoss = Double.NaN;

	/**
	 * @param encoderChannels channels of the network's encoder maps, deepest first
	 *          ({@link SegmentationNetwork#encoderChannels})
	 * @param classes K, including background
	 * @throws IllegalArgumentException if the network has fewer encoder maps than feature layers
	 */
	public RepresentationObjective(final TrainingSettings settings, final int[] encoderChannels, final int classes) {
		if (settings.representation == Representation.NONE) throw new IllegalArgumentException("no representation loss chosen");
		if (settings.featureLayers > encoderChannels.length) {
			throw new IllegalArgumentException("the representation loss on " + settings.featureLayers + " feature layers needs a network " +
				"with at least as many levels; this one has " + encoderChannels.length);
		}
		segmentation = settings.loss;
		kind = settings.representation;
		grid = settings.featureGrid;
		channels = java.util.Arrays.copyOf(encoderChannels, settings.featureLayers);
		width = settings.headWidth;
		lambda = (float) settings.featureWeight();
		seed = settings.seed;
		this.classes = classes;
		sampler = new VoxelSampler();
	}

	/** The objective for {@code net} with the settings' representation loss. */
	public static RepresentationObjective of(final TrainingSettings settings, final SegmentationNetwork net) {
		return new RepresentationObjective(settings, net.encoderChannels(), net.config().classes());
	}

	/** The heads, one per feature layer from the deepest; empty before {@link #parameters}. */
	public List<VoxelFeatureHeads> heads() {
		return List.copyOf(heads);
	}

	/** λ in effect. */
	public float lambda() {
		return lambda;
	}

	/** L_feature of the last {@link #loss} call, without λ; NaN before the first. */
	public double lastFeatureLoss() {
		return lastFeatureLoss;
	}

	@Override
	public List<Parameter> parameters(final NDManager m) {
		if (manager != null) throw new IllegalStateException("the heads are already initialised");
		manager = m;
		final List<Parameter> params = new ArrayList<>();
		for (final int c : channels) {
			final VoxelFeatureHeads h = new VoxelFeatureHeads(c, width, kind == Representation.SIAMESE);
			h.initialize(m, DataType.FLOAT32, new Shape(2, c));
			heads.add(h);
			for (final Pair<String, Parameter> p : h.getParameters()) params.add(p.getValue());
		}
		return params;
	}

	@Override
	public NDArray loss(final ParameterStore ps, final NDList output, final NDArray labels, final long step) {
		final NDArray seg = segmentation.compute(SegmentationNetwork.logits(output), labels);
		final NDArray feature = featureLoss(ps, output, labels, step);
		lastFeatureLoss = feature.getFloat();
		return seg.add(Scalars.mul(feature, lambda));
	}

	/**
	 * L_feature (without λ) of a forward output, a scalar recorded for autograd.
	 *
	 * @param labels N × D × H × W class indices
	 * @param step selects the random state of the voxel sampling
	 */
	public NDArray featureLoss(final ParameterStore ps, final NDList output, final NDArray labels, final long step) {
		if (heads.isEmpty()) throw new IllegalStateException("initialise the heads with parameters(manager) first");
		final NDArray logits = SegmentationNetwork.logits(output);
		final Shape ls = labels.getShape();
		final int volumes = (int) ls.get(0);
		final int[] full = { (int) ls.get(1), (int) ls.get(2), (int) ls.get(3) };
		final byte[] lab = labels.toType(DataType.UINT8, false).toByteArray();
		final byte[] pred = logits.argMax(1).toType(DataType.UINT8, false).toByteArray();
		NDArray total = null;
		for (int j = 1; j <= heads.size(); j++) {
			final NDArray map = output.get(j);
			final Shape ms = map.getShape();
			final int[] small = { (int) ms.get(2), (int) ms.get(3), (int) ms.get(4) };
			final boolean down = grid == FeatureGrid.DOWNSAMPLE_LABELS;
			final byte[] gridLabels = down ? VoxelFeatures.nearest(lab, volumes, full, small) : lab;
			final byte[] gridPred = down ? VoxelFeatures.nearest(pred, volumes, full, small) : pred;
			final VoxelSampler.Sample s = sampler.sample(gridLabels, gridPred, classes, samplingSeed(step, j));
			if (s.size() < 2) continue;
			final NDArray f = down ? VoxelFeatures.gather(map, s.index()) : VoxelFeatures.gatherUpsampled(map, s.index(), full);
			final double[] w = VoxelRepresentationLoss.classWeights(s.gridCounts());
			final VoxelFeatureHeads h = heads.get(j - 1);
			final NDArray z = h.project(ps, f, true);
			final NDArray term = kind == Representation.SIAMESE ? VoxelRepresentationLoss.siamese(h.predict(ps, z, true), z, s.label(), w)
				: VoxelRepresentationLoss.supervisedContrastive(z, s.label(), w, VoxelRepresentationLoss.TEMPERATURE);
			total = total == null ? term : total.add(term);
		}
		return total != null ? total : logits.getManager().zeros(new Shape());
	}

	/** The sampling seed of a step and layer: a pure function of (run seed, step, layer). */
	long samplingSeed(final long step, final int layer) {
		return BatchSampler.mix(seed ^ SALT, step * 4 + layer);
	}

	@Override
	public byte[] saveState() {
		final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			out.writeInt(heads.size());
			for (final VoxelFeatureHeads h : heads) h.saveParameters(out);
		}
		catch (final IOException e) {
			throw new IllegalStateException("cannot serialise the feature heads", e);
		}
		return bytes.toByteArray();
	}

	@Override
	public void loadState(final byte[] state) throws IOException {
		if (state == null) {
			throw new IOException("the checkpoint holds no feature-head parameters for the " + kind.id() + " representation loss");
		}
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
			final int n = in.readInt();
			if (n != heads.size()) throw new IOException("the checkpoint holds heads for " + n + " feature layers, the settings ask for " + heads
				.size());
			for (final VoxelFeatureHeads h : heads) {
				final List<Shape> declared = new ArrayList<>();
				for (final Pair<String, Parameter> p : h.getParameters()) declared.add(p.getValue().getArray().getShape());
				h.loadParameters(manager, in);
				int i = 0;
				for (final Pair<String, Parameter> p : h.getParameters()) {
					final NDArray a = p.getValue().getArray();
					if (!a.getShape().equals(declared.get(i++))) {
						throw new IOException("feature head parameter " + p.getKey() + " holds " + a.getShape() + " where the heads need " +
							declared.get(i - 1));
					}
					if (p.getValue().requiresGradient()) a.setRequiresGradient(true);
				}
			}
		}
		catch (final MalformedModelException | RuntimeException e) {
			throw new IOException("the checkpoint's feature-head parameters do not fit the heads: " + e.getMessage(), e);
		}
	}
}
