package sc.fiji.voxelseg.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.SemiSupervisedLoss;
import sc.fiji.voxelseg.loss.VoxelFeatures;
import sc.fiji.voxelseg.loss.VoxelRepresentationLoss;
import sc.fiji.voxelseg.loss.VoxelSampler;
import sc.fiji.voxelseg.nn.FeatureDiscriminator;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Scalars;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.nn.VoxelFeatureHeads;

/**
 * Voxel-wise adversarial semi-supervised learning (seed 003) as a training regime. A batch holds
 * the labeled volumes first, then the unlabeled ones. Per step:
 * <ol>
 * <li>the teacher (the student's EMA, frozen, run in inference mode so that its output is a
 * deterministic target) gives softmax probabilities of every volume, pseudo-labels of the
 * unlabeled ones (top probability above t, else ignored) and encoder maps;</li>
 * <li>the student's loss {@code L_seg + α L_adv + β L_feature + γ(t) L_c} is back-propagated:
 * L_seg (the settings' loss, Dice by default) on the labeled volumes; L_c, the mean squared
 * softmax difference to the teacher, on all volumes; L_feature, BYOL's loss between the student's
 * predictions and the teacher's projections of labeled voxels sampled per class on the label
 * grid, each of the |F| deepest encoder maps upsampled there (context resizing) with its own heads,
 * class-weighted as in seed 000; L_adv, the generator's term, on unlabeled voxels with confident
 * pseudo-labels, through the discriminator whose gradients from it are then discarded;</li>
 * <li>the discriminator takes the student's encoder maps without gradient, labeled voxels (with
 * their true classes) as real and confidently pseudo-labelled unlabeled voxels as fake, and its
 * own Adam steps;</li>
 * <li>after the trainer's optimiser has updated the student and its heads, {@link #afterUpdate}
 * moves the teacher network and the teacher's projection heads towards them by EMA.</li>
 * </ol>
 * Choices where the paper is silent, from the mean-teacher code it builds on (UA-MT, SASSNet),
 * each a setting: the teacher sees the batch plus {@code clamp(N(0, 0.1²), -0.2, 0.2)} noise
 * ({@link SemiSupervisedSettings#teacherNoise}); the EMA decay warms up as
 * {@code min(1 - 1/(step + 1), a)} ({@link SemiSupervisedSettings#emaWarmup}); the BYOL distance
 * is an element mean, which makes the paper's β = 100 a Dice-sized weight
 * ({@link SemiSupervisedSettings#featureMean}). The feature layer's convolution after upsampling
 * (the paper's Fig. 3b, no kernel size given) is taken as 1×1×1: it commutes with the trilinear
 * upsampling, so at the sampled voxels it is one linear map right before the projection MLP's first
 * linear layer, and two linear maps in a row are one; it is folded into that layer rather than run
 * over the full-resolution map. Others: the teacher starts as a copy of the student (as in BYOL); the
 * generator term is the non-saturating {@code -log D(f_u)}; voxel sampling follows seed 000's
 * {@link VoxelSampler} (at most 1700 voxels per set, false negatives of the student oversampled for
 * L_feature), with a seed derived from (run seed, step, set) so a resumed run draws the same voxels.
 */
final class SemiSupervisedRegime implements Regime {

	private static final long SALT = 0x5E31_0003L;
	private static final int STATE_VERSION = 1;

	private final TrainingSettings settings;
	private final SemiSupervisedSettings semi;
	private final NetworkConfig cfg;
	private final int classes, labeledBatch;
	private final BatchSource batches;
	private final String description;
	private final VoxelSampler sampler = new VoxelSampler();
	private SegmentationNetwork student, teacher;
	private List<Parameter> studentParams, teacherParams;
	private final List<VoxelFeatureHeads> heads = new ArrayList<>(), teacherHeads = new ArrayList<>();
	private final List<Parameter> headProjection = new ArrayList<>(), teacherHeadParams = new ArrayList<>();
	private FeatureDiscriminator discriminator;
	private Optimiser discriminatorOptimiser;
	private List<Parameter> discriminatorParams = List.of();
	private NDManager manager;
	private long tMax;
	private float beta;
	private final double[] lastTerms = new double[5];
	/** Unlabeled voxels per pseudo-label over this run's steps: classes 0..K-1, then those below the threshold. */
	private final long[] pseudoCounts;
	private long pseudoSteps;

	/**
	 * @param labeled training cases with labels
	 * @param unlabeled images without labels (their label arrays are not read)
	 */
	SemiSupervisedRegime(final TrainingSettings settings, final NetworkConfig cfg, final int classes, final List<CaseData> labeled,
		final List<CaseData> unlabeled)
	{
		this.settings = settings;
		this.semi = settings.semiSupervised;
		this.cfg = cfg;
		this.classes = classes;
		this.pseudoCounts = new long[Math.max(0, classes) + 1];
		if (classes > 255) throw new IllegalArgumentException("semi-supervised training supports at most 255 classes, not " + classes);
		if (labeled.isEmpty()) throw new IllegalArgumentException("no labeled training case left for semi-supervised training");
		if (unlabeled.isEmpty()) {
			throw new IllegalArgumentException("semi-supervised training needs unlabeled images: give a folder of them (e.g. " +
				"imagesUnlabeled/), or a labeled fraction below 1 so that some training cases lend their images without labels");
		}
		labeledBatch = settings.batchSize;
		final BatchSampler l = new BatchSampler(labeled, classes, settings.sampling, settings.augmentation, settings.batchSize, settings.seed);
		final int[] shape = l.sampleShape();
		if (settings.sampling.mode() == Sampling.Mode.WHOLE) {
			for (final CaseData c : unlabeled) {
				if (c.nx() != shape[0] || c.ny() != shape[1] || c.nz() != shape[2]) {
					throw new IllegalArgumentException("unlabeled image " + c.id() + " is " + c.shape() + " after preprocessing, the labeled " +
						"cases are " + shape[0] + "×" + shape[1] + "×" + shape[2] + ": whole-volume batches need one grid. Preprocess with a " +
						"plan that resamples to a fixed shape, or train on patches");
				}
			}
		}
		final BatchSampler u = new BatchSampler(strip(unlabeled), classes, settings.sampling, settings.augmentation, semi.unlabeledBatch,
			BatchSampler.mix(settings.seed ^ SALT, 0));
		batches = new Joined(l, u);
		description = String.format(Locale.ROOT, ", semi-supervised: %d labeled and %d unlabeled images, %s", labeled.size(), unlabeled
			.size(), semi.terms());
	}

	/** The images alone: labels (of cases whose labels are withheld) must not steer patch sampling. */
	private static List<CaseData> strip(final List<CaseData> cases) {
		final List<CaseData> out = new ArrayList<>();
		for (final CaseData c : cases) out.add(new CaseData(c.id(), c.image(), new byte[c.voxels()], c.nx(), c.ny(), c.nz()));
		return out;
	}

	/** Labeled volumes first, then unlabeled ones (whose labels are zero and unused). */
	private static final class Joined implements BatchSource {

		private final BatchSampler labeled, unlabeled;

		Joined(final BatchSampler labeled, final BatchSampler unlabeled) {
			this.labeled = labeled;
			this.unlabeled = unlabeled;
		}

		@Override
		public Batch batch(final long step) {
			final Batch a = labeled.batch(step), b = unlabeled.batch(step);
			final float[] img = Arrays.copyOf(a.images(), a.images().length + b.images().length);
			System.arraycopy(b.images(), 0, img, a.images().length, b.images().length);
			final byte[] lab = Arrays.copyOf(a.labels(), a.labels().length + b.labels().length);
			return new Batch(step, img, lab, a.n() + b.n(), a.nx(), a.ny(), a.nz());
		}

		@Override
		public int[] sampleShape() {
			return labeled.sampleShape();
		}

		@Override
		public int batchSize() {
			return labeled.batchSize() + unlabeled.batchSize();
		}

		@Override
		public long stepsPerEpoch() {
			return labeled.stepsPerEpoch();
		}
	}

	@Override
	public BatchSource batches() {
		return batches;
	}

	/**
	 * The teacher: its weights, and its forward pass over the whole batch without autograd, which
	 * keeps the hidden maps of every level (the feature loss reads them), the logits and the
	 * softmax, plus the widest layer's transient outputs; with separate student passes, the logits
	 * and the encoder maps the terms read, joined across the two passes. The heads and the
	 * discriminator (whose fusion runs at sampled cells only) are small beside these.
	 */
	@Override
	public long extraMemory(final NetworkConfig c, final int[] shape) {
		final double v = (double) shape[0] * shape[1] * shape[2];
		double floats = 2.0 * c.classes() * v + 3.0 * c.width(0) * v;
		for (int i = 0; i < c.levels(); i++) floats += 2.0 * c.width(i) * v / Math.pow(8, i);
		if (separatePasses()) {
			floats += c.classes() * v;
			// output j (1 = deepest) is the encoder map of level levels - j
			for (int j = 1; j <= Math.min(c.levels(), usedEncoderMaps(c.levels())); j++) floats += c.width(c.levels() - j) * v / Math.pow(8,
				c.levels() - j);
		}
		return (long) (floats * 4 * batches.batchSize()) + (long) MemoryEstimate.parameterCount(c) * 4;
	}

	@Override
	public String describe() {
		return description;
	}

	/**
	 * How the teacher's pseudo-labels fell over this run's steps: the share of unlabeled voxels per
	 * class, and below the confidence threshold. The paper (and its description of the code it
	 * builds on) uses one threshold for every class, as here; small organs then get few "fake"
	 * voxels for the discriminator, which this line shows.
	 */
	@Override
	public String summary() {
		long total = 0;
		for (final long c : pseudoCounts) total += c;
		if (total == 0) return "";
		final StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
			"Pseudo-labels of the unlabeled voxels over %d steps (threshold %.2f): below it %.1f %%", pseudoSteps, semi.confidence, 100.0 *
				pseudoCounts[classes] / total));
		for (int c = 0; c < classes; c++) b.append(String.format(Locale.ROOT, ", class %d %.2f %%", c, 100.0 * pseudoCounts[c] / total));
		return b.toString();
	}

	/** Unlabeled voxels per pseudo-label so far: classes 0..K-1, then those below the threshold. */
	long[] pseudoLabelCounts() {
		return pseudoCounts.clone();
	}

	/** The teacher network; null before {@link #open}. */
	SegmentationNetwork teacher() {
		return teacher;
	}

	FeatureDiscriminator discriminator() {
		return discriminator;
	}

	/**
	 * The terms of the last {@link #backward}, unweighted: L_seg, L_c, L_feature, generator L_adv
	 * term, discriminator loss (NaN where switched off).
	 */
	double[] lastTerms() {
		return lastTerms.clone();
	}

	@Override
	public String lastTermsText() {
		final String[] names = { "segmentation", "consistency", "feature", "generator", "discriminator" };
		final StringBuilder b = new StringBuilder(". Terms:");
		for (int i = 0; i < names.length; i++) if (!Double.isNaN(lastTerms[i]) || i == 0) b.append(' ').append(names[i]).append(' ').append(
			lastTerms[i]);
		for (int i = 0; i < names.length; i++) if (Double.isNaN(lastTerms[i]) && i > 0) b.append(' ').append(names[i]).append(" off or NaN");
		return b.toString();
	}

	@Override
	public List<Parameter> open(final NDManager root, final SegmentationNetwork net, final long total) {
		manager = root;
		student = net;
		tMax = semi.rampUp(total);
		beta = (float) semi.featureWeight(classes);
		final int[] s = batches.sampleShape();
		final Shape in = new Shape(1, 1, s[2], s[1], s[0]);
		teacher = cfg.build();
		teacher.initialize(root, DataType.FLOAT32, in);
		MeanTeacher.freeze(teacher);
		studentParams = MeanTeacher.parameters(student);
		teacherParams = MeanTeacher.parameters(teacher);
		MeanTeacher.copy(teacherParams, studentParams);
		final int[] enc = student.encoderChannels();
		final List<Parameter> trained = new ArrayList<>();
		if (semi.feature) {
			if (settings.featureLayers > enc.length) {
				throw new IllegalArgumentException("the feature loss on " + settings.featureLayers + " encoder maps needs a network with at " +
					"least as many levels; this one has " + enc.length);
			}
			for (int j = 0; j < settings.featureLayers; j++) {
				final VoxelFeatureHeads h = new VoxelFeatureHeads(enc[j], settings.headWidth, true);
				h.initialize(root, DataType.FLOAT32, new Shape(2, enc[j]));
				final VoxelFeatureHeads t = new VoxelFeatureHeads(enc[j], settings.headWidth, false);
				t.initialize(root, DataType.FLOAT32, new Shape(2, enc[j]));
				MeanTeacher.freeze(t);
				heads.add(h);
				teacherHeads.add(t);
				trained.addAll(MeanTeacher.parameters(h));
				final Map<String, Parameter> byName = new HashMap<>();
				for (final Pair<String, Parameter> p : h.getParameters()) byName.put(p.getKey(), p.getValue());
				for (final Pair<String, Parameter> p : t.getParameters()) {
					headProjection.add(byName.get(p.getKey()));
					teacherHeadParams.add(p.getValue());
				}
			}
			MeanTeacher.copy(teacherHeadParams, headProjection);
		}
		if (semi.adversarial) {
			final int maps = semi.discriminatorMapsFor(enc.length);
			discriminator = new FeatureDiscriminator(Arrays.copyOf(enc, maps), semi.discriminatorWidth, semi.discriminatorWidth, classes);
			discriminator.initialize(root, DataType.FLOAT32, in);
			discriminatorParams = MeanTeacher.parameters(discriminator);
			discriminatorOptimiser = Optimiser.adam(0, (float) semi.discriminatorBeta1, (float) semi.discriminatorBeta2, root);
		}
		return trained;
	}

	@Override
	public double backward(final ParameterStore ps, final NDManager root, final Batch b, final long step) {
		Arrays.fill(lastTerms, Double.NaN);
		final int nl = labeledBatch, n = b.n();
		final int[] full = { b.nz(), b.ny(), b.nx() };
		final int v = b.nx() * b.ny() * b.nz();
		final NDArray x = Trainer.images(root, b);
		final NDArray y = root.create(ByteBuffer.wrap(Arrays.copyOf(b.labels(), nl * v)), new Shape(nl, b.nz(), b.ny(), b.nx()),
			DataType.UINT8);
		final byte[] labeled = Arrays.copyOf(b.labels(), nl * v);
		// the teacher: frozen parameters, grad mode off outside the collector, on a perturbed batch;
		// in a scope of its own that keeps only what the loss terms read (its softmax and the
		// encoder maps of the feature loss), so its other maps and temporaries are freed before the
		// student's pass instead of living through the whole step
		final NDList tOut = new NDList();
		final NDArray tProb;
		try (NDScope teacherScope = new NDScope()) {
			final NDArray xt = semi.teacherNoise > 0 ? x.add(root.create(teacherNoise(x.size(), step), x.getShape())) : x;
			final NDList all = teacher.forward(ps, new NDList(xt), false);
			tProb = SegmentationNetwork.logits(all).softmax(1);
			for (int j = 0; j <= heads.size(); j++) tOut.add(j == 0 ? null : all.get(j)); // index j: encoder map j, as in the output
			NDScope.unregister(tProb);
			for (int j = 1; j < tOut.size(); j++) NDScope.unregister(tOut.get(j));
		}
		NDScope.register(tProb);
		for (int j = 1; j < tOut.size(); j++) NDScope.register(tOut.get(j));
		final byte[] pseudo = semi.adversarial ? SemiSupervisedLoss.pseudoLabels(tProb.get(new NDIndex(nl + ":")), semi.confidence) : null;
		if (pseudo != null) {
			for (final byte p : pseudo) pseudoCounts[(p & 0xff) == SemiSupervisedLoss.IGNORE ? classes : p & 0xff]++;
			pseudoSteps++;
		}
		final VoxelSampler.Sample real = semi.adversarial ? sampler.sample(labeled, null, classes, seed(step, 1)) : null;
		final int[][] fake = semi.adversarial ? confident(pseudo, nl * v, seed(step, 2)) : null;
		final NDList sOut;
		final double value;
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			sOut = studentForward(ps, x, nl);
			final NDArray logits = SegmentationNetwork.logits(sOut);
			final NDArray labeledLogits = logits.get(new NDIndex(":" + nl));
			NDArray loss = settings.loss.compute(labeledLogits, y);
			lastTerms[0] = loss.getFloat();
			if (semi.consistency) {
				final NDArray c = SemiSupervisedLoss.consistency(logits, tProb);
				lastTerms[1] = c.getFloat();
				loss = loss.add(Scalars.mul(c, SemiSupervisedLoss.rampUp(step, tMax, semi.gamma0)));
			}
			if (semi.feature) {
				final byte[] pred = labeledLogits.argMax(1).toType(DataType.UINT8, false).toByteArray();
				final NDArray f = featureLoss(ps, sOut, tOut, labeled, pred, full, step);
				lastTerms[2] = f.getFloat();
				loss = loss.add(Scalars.mul(f, beta));
			}
			if (semi.adversarial && fake[0].length > 0) {
				final NDArray rows = discriminator.fuseAt(ps, maps(sOut, false), fake[0], full, true);
				final NDArray g = SemiSupervisedLoss.generator(discriminator.classify(ps, rows, fake[1], true));
				lastTerms[3] = g.getFloat();
				loss = loss.add(Scalars.mul(g, semi.alpha));
			}
			value = loss.getFloat();
			if (!Double.isFinite(value)) return value;
			// autograd keeps what the backward pass needs; the step's scope would keep the teacher's
			// outputs and the student's logits and decoder maps alive through all of it. The
			// discriminator's own pass below reads the student's encoder maps, which stay.
			for (int j = 1; j < tOut.size(); j++) tOut.get(j).close();
			tProb.close();
			final int kept = semi.adversarial ? discriminator.maps() : 0;
			for (int j = 0; j < sOut.size(); j++) if (j == 0 || j > kept) sOut.get(j).close();
			gc.backward(loss);
		}
		if (semi.adversarial) {
			// the generator's pass left gradients on the discriminator: they are not its own
			for (final Parameter p : discriminatorParams) {
				if (p.getArray().hasGradient()) JniUtils.zeroGrad((PtNDArray) p.getArray());
			}
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final List<NDArray> detached = maps(sOut, true);
				final NDArray dReal = discriminator.classify(ps, discriminator.fuseAt(ps, detached, real.index(), full, true), real.label(),
					true);
				final NDArray dFake = fake[0].length == 0 ? root.create(new float[0]) : discriminator.classify(ps, discriminator.fuseAt(ps,
					detached, fake[0], full, true), fake[1], true);
				final NDArray d = SemiSupervisedLoss.discriminator(dReal, dFake);
				lastTerms[4] = d.getFloat();
				if (!Double.isFinite(lastTerms[4])) return lastTerms[4];
				gc.backward(d);
			}
			discriminatorOptimiser.step(discriminatorParams, (float) semi.discriminatorLr);
		}
		return value;
	}

	/**
	 * The student's outputs over the whole batch: one pass, or (with
	 * {@link SemiSupervisedSettings#separatePasses}) a pass over the labeled volumes and one over the
	 * unlabeled ones, each output concatenated along the batch. Without batch norm the two give the
	 * same outputs, and the single pass is taken.
	 */
	private NDList studentForward(final ParameterStore ps, final NDArray x, final int nl) {
		if (!separatePasses()) return student.forward(ps, new NDList(x), true);
		final NDList a = student.forward(ps, new NDList(x.get(new NDIndex(":" + nl))), true);
		final NDList u = student.forward(ps, new NDList(x.get(new NDIndex(nl + ":"))), true);
		final int used = 1 + usedEncoderMaps(cfg.levels());
		final NDList out = new NDList(used);
		for (int i = 0; i < used; i++) out.add(a.get(i).concat(u.get(i), 0));
		// the concatenations are copies; autograd keeps what it needs of the two passes' outputs
		a.close();
		u.close();
		return out;
	}

	private boolean separatePasses() {
		return semi.separatePassesRun(cfg.norm());
	}

	/** Encoder maps (from the deepest) that the feature and adversarial terms read. */
	private int usedEncoderMaps(final int levels) {
		return Math.max(semi.feature ? settings.featureLayers : 0, semi.adversarial ? semi.discriminatorMapsFor(levels) : 0);
	}

	/** The encoder maps the discriminator takes, deepest first; detached for the discriminator's own pass. */
	private List<NDArray> maps(final NDList out, final boolean detach) {
		final List<NDArray> l = new ArrayList<>();
		for (int j = 1; j <= discriminator.maps(); j++) l.add(detach ? out.get(j).stopGradient() : out.get(j));
		return l;
	}

	/**
	 * Sampled unlabeled voxels with a confident pseudo-label: {flat indices into the whole batch
	 * (offset past the labeled volumes), their classes}.
	 */
	private int[][] confident(final byte[] pseudo, final int offset, final long seed) {
		int n = 0;
		for (final byte p : pseudo) if ((p & 0xff) != SemiSupervisedLoss.IGNORE) n++;
		final byte[] compact = new byte[n];
		final int[] where = new int[n];
		n = 0;
		for (int i = 0; i < pseudo.length; i++) {
			if ((pseudo[i] & 0xff) == SemiSupervisedLoss.IGNORE) continue;
			compact[n] = pseudo[i];
			where[n++] = i;
		}
		if (n == 0) return new int[][] { new int[0], new int[0] };
		final VoxelSampler.Sample s = sampler.sample(compact, null, classes, seed);
		final int[] index = new int[s.size()];
		for (int i = 0; i < index.length; i++) index[i] = offset + where[s.index()[i]];
		return new int[][] { index, s.label() };
	}

	/** L_feature summed over the |F| deepest encoder maps (a layer with fewer than two sampled voxels is skipped). */
	private NDArray featureLoss(final ParameterStore ps, final NDList sOut, final NDList tOut, final byte[] labels, final byte[] pred,
		final int[] full, final long step)
	{
		NDArray total = null;
		for (int j = 1; j <= heads.size(); j++) {
			final VoxelSampler.Sample s = sampler.sample(labels, pred, classes, seed(step, 2 + j));
			if (s.size() < 2) continue;
			final NDArray fs = VoxelFeatures.gatherUpsampled(sOut.get(j), s.index(), full);
			final NDArray ft = VoxelFeatures.gatherUpsampled(tOut.get(j), s.index(), full);
			final VoxelFeatureHeads h = heads.get(j - 1);
			final NDArray p = h.predict(ps, h.project(ps, fs, true), true);
			final NDArray z = teacherHeads.get(j - 1).project(ps, ft, true);
			NDArray term = SemiSupervisedLoss.byol(p, z, s.label(), VoxelRepresentationLoss.classWeights(s.gridCounts()));
			if (semi.featureMean) term = Scalars.div(term, p.getShape().get(1)); // per element of the head's output
			total = total == null ? term : total.add(term);
		}
		return total != null ? total : manager.zeros(new Shape());
	}

	/**
	 * The teacher's input noise of a step: {@code clamp(N(0, σ²), -2σ, 2σ)} per voxel, a pure
	 * function of (run seed, step), so a resumed run adds the same noise.
	 */
	float[] teacherNoise(final long n, final long step) {
		final java.util.SplittableRandom r = new java.util.SplittableRandom(seed(step, 7));
		final double s = semi.teacherNoise;
		final float[] out = new float[Math.toIntExact(n)];
		for (int i = 0; i < out.length; i++) out[i] = (float) Math.max(-2 * s, Math.min(2 * s, r.nextGaussian() * s));
		return out;
	}

	/** The sampling seed of a step and voxel set: a pure function of (run seed, step, set). */
	private long seed(final long step, final int set) {
		return BatchSampler.mix(settings.seed ^ SALT, step * 8 + set);
	}

	@Override
	public void afterUpdate(final long step) {
		final float a = (float) semi.emaDecayAt(step);
		MeanTeacher.update(teacherParams, studentParams, a);
		if (!teacherHeadParams.isEmpty()) MeanTeacher.update(teacherHeadParams, headProjection, a);
	}

	@Override
	public SegmentationNetwork exported(final SegmentationNetwork trained) {
		return semi.exportTeacher ? teacher : trained;
	}

	/** Teacher network, student and teacher heads, discriminator and its optimiser state. */
	@Override
	public byte[] saveState() {
		final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			out.writeInt(STATE_VERSION);
			teacher.saveParameters(out);
			out.writeInt(heads.size());
			for (int i = 0; i < heads.size(); i++) {
				heads.get(i).saveParameters(out);
				teacherHeads.get(i).saveParameters(out);
			}
			out.writeBoolean(discriminator != null);
			if (discriminator != null) {
				discriminator.saveParameters(out);
				final byte[] o = discriminatorOptimiser.save();
				out.writeInt(o.length);
				out.write(o);
			}
		}
		catch (final IOException e) {
			throw new IllegalStateException("cannot serialise the semi-supervised training state", e);
		}
		return bytes.toByteArray();
	}

	@Override
	public void loadState(final byte[] state) throws IOException {
		if (state == null) throw new IOException("the checkpoint holds no teacher or discriminator: it is not of a semi-supervised run");
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
			if (in.readInt() != STATE_VERSION) throw new IOException("unknown semi-supervised checkpoint state version");
			load(teacher, in, false, "teacher");
			final int n = in.readInt();
			if (n != heads.size()) throw new IOException("the checkpoint holds feature heads for " + n + " layers, the settings ask for " + heads
				.size());
			for (int i = 0; i < n; i++) {
				load(heads.get(i), in, true, "feature heads");
				load(teacherHeads.get(i), in, false, "teacher feature heads");
			}
			final boolean d = in.readBoolean();
			if (d != (discriminator != null)) throw new IOException("the checkpoint " + (d ? "holds" : "lacks") + " a discriminator");
			if (d) {
				load(discriminator, in, true, "discriminator");
				final byte[] o = new byte[in.readInt()];
				in.readFully(o);
				discriminatorOptimiser.load(o, discriminatorParams);
			}
		}
		catch (final MalformedModelException | RuntimeException e) {
			throw new IOException("the checkpoint's semi-supervised state does not fit these settings: " + e.getMessage(), e);
		}
	}

	private void load(final Block b, final DataInputStream in, final boolean trainable, final String what) throws IOException,
		MalformedModelException
	{
		final List<Shape> declared = new ArrayList<>();
		for (final Pair<String, Parameter> p : b.getParameters()) declared.add(p.getValue().getArray().getShape());
		b.loadParameters(manager, in);
		int i = 0;
		for (final Pair<String, Parameter> p : b.getParameters()) {
			final NDArray a = p.getValue().getArray();
			if (!a.getShape().equals(declared.get(i++))) {
				throw new IOException(what + " parameter " + p.getKey() + " holds " + a.getShape() + " where " + declared.get(i - 1) + " is needed");
			}
			if (trainable && p.getValue().requiresGradient()) a.setRequiresGradient(true);
		}
		if (!trainable) MeanTeacher.freeze(b);
	}

	@Override
	public void close() {
		if (discriminatorOptimiser != null) discriminatorOptimiser.close();
	}
}
