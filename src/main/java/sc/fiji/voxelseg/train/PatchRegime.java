package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.agcl.OrganPatches;
import sc.fiji.voxelseg.loss.ConditionalContrastiveLoss;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.GlobalPool;
import sc.fiji.voxelseg.nn.LinearBlock;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.ProjectionHead;
import sc.fiji.voxelseg.nn.SegmentationNetwork;

/**
 * Training on organ-centred patches with an attention channel (seed 002, AGCL, in 3D; see
 * {@link PatchSettings}), in the trainer's loop.
 * <p>
 * Sampling, per step (a seeded draw from the step, so a resumed run sees the same patches): for each
 * of the batch's B patches, an organ class uniformly among those present in the training cases'
 * attention maps, then a case uniformly among those whose attention map holds it (so small organs
 * are drawn as often as large ones), then a patch centred in the organ's attention box
 * ({@link OrganPatches#sample}): channel 0 the image, channel 1 the organ's attention mask.
 * <ul>
 * <li>Pretraining ({@link PatchSettings#method} set): two views of each patch
 * ({@link OrganPatches#view}: crop-and-resize, rotation about z, scaling), the batch 2B × 2 × D × H
 * × W with views A then views B. Each view's deepest encoder map (the encoder alone runs: the
 * decoder is not part of the representation) is globally averaged
 * ({@link GlobalPool#average}); AGCL and SSCL project it with an MLP to
 * {@link PatchSettings#projection} dimensions on the unit sphere ({@link ProjectionHead}) into
 * {@link ConditionalContrastiveLoss#supCon} with (organ, condition) labels (AGCL) or twin labels
 * (SSCL); CE classifies it into the organ × condition classes with a linear layer and cross-entropy. The MLP and
 * the classifier belong to the regime: saved in checkpoints, never in the pretrained bundle.</li>
 * <li>Segmentation (no method): the patch as drawn, without further augmentation (the centre's
 * draw within the box already moves the organ within the patch), and the organ's ground-truth
 * mask in the patch as the binary target of the settings' segmentation loss.</li>
 * </ul>
 * Validation on held-out cases, the same patches every time (a seed per case): for pretraining the
 * loss on {@link #VALIDATION_BATCHES} batches; for segmentation the binary Dice of every organ
 * present in a held-out case's attention map, in one patch centred on its attention box, averaged
 * per class.
 */
final class PatchRegime implements Regime {

	/** Held-out batches the pretraining loss is validated on. */
	static final int VALIDATION_BATCHES = 4;

	/** A case ready for patches: its attention boxes, padding and condition index. */
	private record Source(CaseData data, byte[] attention, List<OrganPatches.OrganBox> organs, float padding, int condition) {}

	/** What a batch carries besides its images: the organ and condition of each row. */
	record Rows(int[] organs, int[] conditions) {}

	private final TrainingSettings settings;
	private final PatchSettings p;
	private final int classes, conditionCount;
	private final List<Source> train, heldOut;
	/** The organ classes present in the training attention maps, and the training sources that hold each. */
	private final int[] organs;
	private final List<List<Source>> byOrgan = new ArrayList<>();
	private final PatchSource source = new PatchSource();
	private SegmentationNetwork net;
	private NDManager manager;
	private ProjectionHead projector;
	private LinearBlock classifier;

	/**
	 * @param classes the dataset's classes, 0 background
	 * @param attention each case's attention map on its model grid, by case id
	 * @throws IllegalArgumentException if a case has no attention map or no condition tag, or no
	 *           training case's attention map holds an organ
	 */
	PatchRegime(final TrainingSettings s, final int classes, final List<CaseData> train, final List<CaseData> heldOut,
		final Map<String, byte[]> attention)
	{
		settings = s;
		p = s.patches;
		this.classes = classes;
		final List<String> tags = p.conditions == null ? List.of() : List.copyOf(new TreeSet<>(p.conditions.values()));
		conditionCount = Math.max(1, tags.size());
		this.train = sources(train, attention, tags);
		this.heldOut = sources(heldOut, attention, tags);
		final TreeSet<Integer> present = new TreeSet<>();
		for (final Source c : this.train) for (final OrganPatches.OrganBox b : c.organs()) if (b.organ() < classes) present.add(b.organ());
		if (present.isEmpty()) {
			throw new IllegalArgumentException("no training case's attention map (" + p.attention + ") holds an organ of the class table: " +
				"there is nothing to cut patches around");
		}
		organs = present.stream().mapToInt(Integer::intValue).toArray();
		for (final int o : organs) {
			final List<Source> l = new ArrayList<>();
			for (final Source c : this.train) if (box(c, o) != null) l.add(c);
			byOrgan.add(l);
		}
	}

	private List<Source> sources(final List<CaseData> cases, final Map<String, byte[]> attention, final List<String> tags) {
		final List<Source> l = new ArrayList<>();
		for (final CaseData c : cases) {
			final byte[] a = attention.get(c.id());
			if (a == null) throw new IllegalArgumentException("case " + c.id() + " has no attention map (" + p.attention + ")");
			if (a.length != c.voxels()) {
				throw new IllegalArgumentException("case " + c.id() + ": the attention map has " + a.length + " voxels, the image " + c
					.voxels());
			}
			int condition = 0;
			if (!tags.isEmpty()) {
				final String tag = p.conditions.get(c.id());
				if (tag == null) {
					throw new IllegalArgumentException("case " + c.id() + " has no condition tag; the conditions name " + p.conditions.size() +
						" cases. Tag every case, or give no conditions for organ-only AGCL");
				}
				condition = tags.indexOf(tag);
			}
			final List<OrganPatches.OrganBox> boxes = new ArrayList<>();
			for (final OrganPatches.OrganBox b : OrganPatches.organs(a, new int[] { c.nx(), c.ny(), c.nz() })) {
				if (b.organ() < classes) boxes.add(b);
			}
			l.add(new Source(c, a, List.copyOf(boxes), OrganPatches.minimum(c.image()), condition));
		}
		return l;
	}

	private static OrganPatches.OrganBox box(final Source c, final int organ) {
		for (final OrganPatches.OrganBox b : c.organs()) if (b.organ() == organ) return b;
		return null;
	}

	/** The patches: B per step, two views each when pretraining. */
	final class PatchSource implements BatchSource {

		@Override
		public Batch batch(final long step) {
			final SplittableRandom r = new SplittableRandom(BatchSampler.mix(settings.seed, step ^ 0xA6C1L));
			final int b = settings.batchSize;
			final Source[] from = new Source[b];
			final OrganPatches.OrganBox[] boxes = new OrganPatches.OrganBox[b];
			for (int i = 0; i < b; i++) {
				final int k = r.nextInt(organs.length);
				final List<Source> holders = byOrgan.get(k);
				from[i] = holders.get(r.nextInt(holders.size()));
				boxes[i] = box(from[i], organs[k]);
			}
			return batch(step, from, boxes, r);
		}

		/** The batch of patches around {@code boxes[i]} of {@code from[i]}, drawn from {@code r}. */
		Batch batch(final long step, final Source[] from, final OrganPatches.OrganBox[] boxes, final SplittableRandom r) {
			final int b = from.length, v = p.patchVoxels(), pv = 2 * v;
			final int[] size = p.patch;
			if (p.pretraining()) {
				final float[] images = new float[2 * b * pv];
				final int[] organ = new int[2 * b], condition = new int[2 * b];
				for (int i = 0; i < b; i++) {
					final CaseData c = from[i].data();
					final OrganPatches.Patch patch = OrganPatches.sample(c.image(), from[i].attention(), dims(c), boxes[i], from[i].padding(),
						size, r);
					System.arraycopy(OrganPatches.view(patch, r.split()).data(), 0, images, i * pv, pv);
					System.arraycopy(OrganPatches.view(patch, r.split()).data(), 0, images, (b + i) * pv, pv);
					organ[i] = organ[b + i] = boxes[i].organ();
					condition[i] = condition[b + i] = from[i].condition();
				}
				return new Batch(step, images, null, 2 * b, size[0], size[1], size[2], new Rows(organ, condition));
			}
			final float[] images = new float[b * pv];
			final byte[] labels = new byte[b * v];
			final int[] organ = new int[b];
			for (int i = 0; i < b; i++) {
				final CaseData c = from[i].data();
				final OrganPatches.Patch patch = OrganPatches.sample(c.image(), from[i].attention(), dims(c), boxes[i], from[i].padding(), size,
					r);
				System.arraycopy(patch.data(), 0, images, i * pv, pv);
				System.arraycopy(OrganPatches.mask(c.labels(), dims(c), boxes[i].organ(), patch.start(), size), 0, labels, i * v, v);
				organ[i] = boxes[i].organ();
			}
			return new Batch(step, images, labels, b, size[0], size[1], size[2], new Rows(organ, new int[b]));
		}

		@Override
		public int[] sampleShape() {
			return p.patch.clone();
		}

		@Override
		public int batchSize() {
			return (p.pretraining() ? 2 : 1) * settings.batchSize;
		}

		@Override
		public long stepsPerEpoch() {
			long boxes = 0;
			for (final Source c : train) boxes += c.organs().size();
			return Math.max(1, (boxes + settings.batchSize - 1) / settings.batchSize);
		}
	}

	private static int[] dims(final CaseData c) {
		return new int[] { c.nx(), c.ny(), c.nz() };
	}

	@Override
	public BatchSource batches() {
		return source;
	}

	@Override
	public List<Parameter> open(final NDManager root, final SegmentationNetwork network, final long total) {
		manager = root;
		net = network;
		final List<Parameter> params = new ArrayList<>();
		if (!p.pretraining()) return params;
		final int c = network.encoderChannels()[0];
		projector = new ProjectionHead(c, c, p.projection);
		projector.initialize(root, DataType.FLOAT32, new Shape(2, c));
		classifier = new LinearBlock(c, classes * conditionCount, true);
		classifier.initialize(root, DataType.FLOAT32, new Shape(2, c));
		final Block used = p.method == PatchSettings.Method.CE ? classifier : projector;
		for (final Pair<String, Parameter> q : used.getParameters()) params.add(q.getValue());
		return params;
	}

	@Override
	public double backward(final ParameterStore ps, final NDManager root, final Batch b, final long step) {
		return Trainer.backward(out -> loss(ps, root, b, true, out));
	}

	/** The loss of a batch; the network's forward output goes into {@code out}. */
	private NDArray loss(final ParameterStore ps, final NDManager root, final Batch b, final boolean training, final NDList out) {
		final NDArray x = root.create(FloatBuffer.wrap(b.images()), new Shape(b.n(), 2, b.nz(), b.ny(), b.nx()));
		if (!p.pretraining()) {
			out.addAll(net.forward(ps, new NDList(x), training));
			final NDArray y = root.create(ByteBuffer.wrap(b.labels()), new Shape(b.n(), b.nz(), b.ny(), b.nx()), DataType.UINT8);
			return settings.loss.compute(SegmentationNetwork.logits(out), y);
		}
		// the representation is the deepest encoder map: the decoder is not run
		final NDArray[] enc = net.encoderMaps(ps, x, training);
		for (int i = 0; i < enc.length - 1; i++) out.add(enc[i]);
		final Rows rows = (Rows) b.extra();
		final NDArray pooled = GlobalPool.average(enc[enc.length - 1]);
		switch (p.method) {
			case CE: {
				final NDArray logits = classifier.forward(ps, new NDList(pooled), training).head();
				// class condition · K + organ
				final int[] target = new int[rows.organs().length];
				for (int i = 0; i < target.length; i++) target[i] = rows.conditions()[i] * classes + rows.organs()[i];
				return SegmentationLoss.crossEntropy(logits, root.create(target), null);
			}
			case SSCL:
				return ConditionalContrastiveLoss.supCon(projector.project(ps, pooled, training), ConditionalContrastiveLoss.twinLabels(b.n() /
					2), p.temperature);
			default:
				return ConditionalContrastiveLoss.supCon(projector.project(ps, pooled, training), ConditionalContrastiveLoss.conditionLabels(rows
					.organs(), rows.conditions()), p.temperature);
		}
	}

	@Override
	public boolean validatesItself() {
		return !heldOut.isEmpty();
	}

	@Override
	public TrainingHistory.Validation validate(final ParameterStore ps, final NDManager root, final long step) {
		return p.pretraining() ? validateLoss(ps, root, step) : validateDice(ps, root, step);
	}

	/** The mean loss over fixed batches of held-out patches (organs and cases in turn). */
	private TrainingHistory.Validation validateLoss(final ParameterStore ps, final NDManager root, final long step) {
		final List<Source> from = new ArrayList<>();
		final List<OrganPatches.OrganBox> boxes = new ArrayList<>();
		for (final Source c : heldOut) {
			for (final OrganPatches.OrganBox o : c.organs()) {
				from.add(c);
				boxes.add(o);
			}
		}
		if (from.isEmpty()) return TrainingHistory.Validation.ofLoss(step, Double.NaN);
		double sum = 0;
		final int b = settings.batchSize;
		for (int k = 0; k < VALIDATION_BATCHES; k++) {
			final SplittableRandom r = new SplittableRandom(BatchSampler.mix(settings.seed, 0x7E57A6L + k));
			final Source[] f = new Source[b];
			final OrganPatches.OrganBox[] o = new OrganPatches.OrganBox[b];
			for (int i = 0; i < b; i++) {
				final int j = (k * b + i) % from.size();
				f[i] = from.get(j);
				o[i] = boxes.get(j);
			}
			try (NDScope scope = new NDScope()) {
				scope.suppressNotUsedWarning();
				sum += loss(ps, root, source.batch(-1 - k, f, o, r), false, new NDList()).getFloat();
			}
		}
		return TrainingHistory.Validation.ofLoss(step, sum / VALIDATION_BATCHES);
	}

	/**
	 * Binary Dice per organ class over one patch per organ of each held-out case, centred on its
	 * attention box, in inference mode.
	 */
	private TrainingHistory.Validation validateDice(final ParameterStore ps, final NDManager root, final long step) {
		final double[] sum = new double[classes];
		final int[] n = new int[classes];
		final int[] size = p.patch;
		final int v = p.patchVoxels();
		for (final Source c : heldOut) {
			for (final OrganPatches.OrganBox o : c.organs()) {
				final OrganPatches.Patch patch = OrganPatches.sample(c.data().image(), c.attention(), dims(c.data()), new OrganPatches.OrganBox(o
					.organ(), centre(o), centre(o), o.voxels()), c.padding(), size, new SplittableRandom(0));
				final byte[] truth = OrganPatches.mask(c.data().labels(), dims(c.data()), o.organ(), patch.start(), size);
				final float[] logits;
				try (NDScope scope = new NDScope()) {
					scope.suppressNotUsedWarning();
					final NDArray x = root.create(FloatBuffer.wrap(patch.data()), new Shape(1, 2, size[2], size[1], size[0]));
					logits = SegmentationNetwork.logits(net.forward(ps, new NDList(x), false)).toFloatArray();
				}
				long inter = 0, a = 0, t = 0;
				for (int i = 0; i < v; i++) {
					final boolean pred = logits[v + i] > logits[i];
					if (pred) a++;
					if (truth[i] == 1) t++;
					if (pred && truth[i] == 1) inter++;
				}
				if (a + t == 0) continue;
				sum[o.organ()] += 2.0 * inter / (a + t);
				n[o.organ()]++;
			}
		}
		final double[] dice = new double[classes];
		dice[0] = Double.NaN;
		double mean = 0;
		int m = 0;
		for (int k = 1; k < classes; k++) {
			dice[k] = n[k] == 0 ? Double.NaN : sum[k] / n[k];
			if (n[k] > 0) {
				mean += dice[k];
				m++;
			}
		}
		return new TrainingHistory.Validation(step, m == 0 ? 0 : mean / m, dice);
	}

	/** The middle voxel of a box. */
	private static int[] centre(final OrganPatches.OrganBox o) {
		final int[] c = new int[3];
		for (int d = 0; d < 3; d++) c[d] = (o.min()[d] + o.max()[d]) / 2;
		return c;
	}

	@Override
	public byte[] saveState() {
		return p.pretraining() ? HeadState.save(projector, classifier) : null;
	}

	@Override
	public void loadState(final byte[] state) throws IOException {
		if (p.pretraining()) HeadState.load(manager, state, "contrastive pretraining heads", projector, classifier);
	}

	@Override
	public long extraMemory(final NetworkConfig cfg, final int[] shape) {
		// the views' two channels are in the network estimate; the heads work on B pooled rows
		return 0;
	}

	@Override
	public String describe() {
		return String.format(Locale.ROOT, ", %s, %d organ classes", p.summary(), organs.length);
	}
}
