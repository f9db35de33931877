package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.infer.SlidingWindow;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.util.Progress;

/**
 * The trainer every training regime runs on: supervised, representation learning (seed 000),
 * semi-supervised (seed 003, {@link SemiSupervisedTrainer}) and self-supervised pretraining (seed
 * 004, {@link Pretrainer}). It owns the loop, the split, the pre-flight memory check, resume,
 * validation (Dice on held-out cases, or the regime's own, see {@link Regime#validatesItself}),
 * per-parameter learning-rate factors and freezing from a pretrained backbone, gradient clipping,
 * checkpoints and reports. Its one extension point is the {@link Regime} ({@link #regime}), which
 * draws the batches and takes the forward and backward passes; without one, the run is supervised.
 * <p>
 * Files, for an output bundle {@code OUT} (a folder, or {@code OUT.zip}):
 * <ul>
 * <li>{@code OUT}: the model with the best mean validation Dice so far (the last model when there
 * is no validation split), rewritten atomically whenever it improves;</li>
 * <li>{@code OUT.checkpoint.zip}: the latest checkpoint (weights, optimiser state, step, history,
 * settings, validation split, and the objective's own parameters such as the feature heads of
 * representation learning), rewritten atomically; {@link #resume} continues from it;</li>
 * <li>{@code OUT.history.csv} and {@code OUT.training.png}: loss and validation Dice per step.</li>
 * </ul>
 * Each step runs in its own {@link NDScope}, so the memory of one step is released before the next
 * (unscoped, DJL keeps every intermediate array). A NaN or infinite loss stops training before the
 * optimiser touches the weights, and the last checkpoint stays as it was. Cancellation is checked
 * between steps and writes a checkpoint first.
 */
public final class Trainer {

	/** How a run ended. */
	public record Result(long steps, boolean cancelled, TrainingHistory history, Path bundle, Path checkpoint) {}

	/** Thrown when the loss stops being finite. */
	public static final class DivergedException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		DivergedException(final String message) {
			super(message);
		}
	}

	private final TrainingData data;
	private final TrainingSettings settings;
	private final Path out;
	private final Progress progress;
	private Objective objective;
	private RegimeFactory regimeFactory;
	private long memoryLimit = -1;

	/**
	 * Builds the regime of a run for its training cases and the validation cases held out of them
	 * (the split is the trainer's, so that a resumed run keeps it).
	 */
	public interface RegimeFactory {

		Regime create(NetworkConfig cfg, List<CaseData> train, List<CaseData> validation);
	}

	public Trainer(final TrainingData data, final TrainingSettings settings, final Path out, final Progress progress) {
		this.data = data;
		this.settings = settings.validate();
		this.out = out;
		this.progress = progress == null ? Progress.NONE : progress;
	}

	/**
	 * Replaces the supervised regime's loss (the settings' segmentation loss, plus the representation
	 * loss of {@link RepresentationObjective} when the settings choose one).
	 */
	Trainer objective(final Objective o) {
		objective = o;
		return this;
	}

	/** Replaces the supervised regime: semi-supervised training and pretraining plug in here. */
	public Trainer regime(final RegimeFactory f) {
		regimeFactory = f;
		return this;
	}

	TrainingData data() {
		return data;
	}

	TrainingSettings settings() {
		return settings;
	}

	/** Memory the run may use for the pre-flight check; by default what the machine has available. */
	/** Replaces the guard that stops training as memory runs out (tests give one with a fake reading). */
	Trainer memoryGuard(final MemoryGuard g) {
		guard = g;
		return this;
	}

	private MemoryGuard guard;

	public Trainer memoryLimit(final long bytes) {
		memoryLimit = bytes;
		return this;
	}

	/**
	 * The network configuration the settings and the cohort define; from {@code --init}, the
	 * pretrained backbone's with the cohort's classes.
	 *
	 * @throws IllegalArgumentException if the pretrained bundle cannot be read, is not a pretrained
	 *           backbone, or the settings ask for another network (listing what differs)
	 */
	public NetworkConfig networkConfig() {
		if (settings.init != null) return pretrained().network().withClasses(settings.patches != null ? 2 : data.classCount());
		return settings.network(data.classCount());
	}

	private ModelBundle pretrained;

	/** The bundle of {@link TrainingSettings#init}, read once and checked against the settings. */
	ModelBundle pretrained() {
		if (pretrained != null) return pretrained;
		final Path p = Path.of(settings.init);
		final ModelBundle b;
		try {
			b = ModelBundle.load(p);
		}
		catch (final IOException e) {
			throw new IllegalArgumentException("cannot read the pretrained backbone " + p + ": " + e.getMessage(), e);
		}
		b.requirePretrained(p);
		final NetworkConfig n = b.network();
		final List<String> d = new ArrayList<>();
		if (settings.architecture != n.architecture()) d.add("architecture " + settings.architecture.id() + " (pretrained: " + n.architecture().id() + ")");
		if (settings.levels > 0 && settings.levels != n.levels()) d.add("levels " + settings.levels + " (pretrained: " + n.levels() + ")");
		if (settings.baseWidth > 0 && settings.baseWidth != n.baseWidth()) {
			d.add("base width " + settings.baseWidth + " (pretrained: " + n.baseWidth() + ")");
		}
		if (settings.kernel > 0 && settings.kernel != n.kernel()) d.add("kernel " + settings.kernel + " (pretrained: " + n.kernel() + ")");
		if (settings.norm != n.norm()) d.add("norm " + settings.norm.name().toLowerCase(java.util.Locale.ROOT) + " (pretrained: " + n.norm().name()
			.toLowerCase(java.util.Locale.ROOT) + ")");
		if (n.inChannels() != settings.inChannels()) {
			d.add(n.inChannels() == 2 ? "input channels 1 (the backbone was pretrained on attention patches, image and organ mask: train " +
				"it with --attention)" : "input channels 2 for attention patches (the backbone was pretrained on images alone)");
		}
		if (!d.isEmpty()) {
			throw new IllegalArgumentException("the network options contradict the pretrained backbone " + p + ": " + String.join(", ", d) +
				". Leave them out: --init takes the network from the backbone");
		}
		pretrained = b;
		return b;
	}

	/**
	 * Copies every parameter of the pretrained backbone but the head's into {@code net} (same
	 * architecture and configuration but for the classes, so the parameters pair up in order).
	 */
	static void loadBackbone(final SegmentationNetwork net, final ModelBundle pretrained, final NDManager root) throws IOException {
		try (NDManager m = root.newSubManager()) {
			final SegmentationNetwork from = pretrained.network(m);
			final ai.djl.nn.ParameterList src = from.getParameters(), dst = net.getParameters();
			for (int i = 0; i < dst.size(); i++) {
				final String name = dst.get(i).getKey();
				if (SegmentationNetwork.isHead(strip(name))) continue;
				if (!strip(src.get(i).getKey()).equals(strip(name)) || !src.get(i).getValue().getShape().equals(dst.get(i).getValue().getShape())) {
					throw new IOException("the pretrained backbone's parameter " + src.get(i).getKey() + " does not fit " + name);
				}
				// in place (outside autograd), whatever the arrays' memory layout
				final NDArray w = src.get(i).getValue().getArray().toDevice(root.getDevice(), false);
				dst.get(i).getValue().getArray().muli(0).addi(w);
			}
		}
	}

	/** The parameters that learn at this step: all, or those whose factor is not 0 (frozen ones have no gradient to clip). */
	private static List<Parameter> learning(final List<Parameter> params, final double[] factors) {
		if (factors == null) return params;
		final List<Parameter> l = new ArrayList<>();
		for (int i = 0; i < params.size(); i++) if (factors[i] != 0) l.add(params.get(i));
		return l;
	}

	/** A parameter's name without DJL's two-digit child positions. */
	private static String strip(final String name) {
		return name.replaceAll("(^|_)\\d\\d", "$1");
	}

	/**
	 * The learning-rate factor of each parameter at {@code step}: the backbone's
	 * ({@link TrainingSettings#backboneFactor}) for the network's parameters outside its head, 1 for
	 * the head and the regime's own; null when training does not start from a pretrained backbone.
	 */
	private double[] factors(final boolean[] backbone, final boolean[] encoder, final long step) {
		final boolean frozenEncoder = settings.patches != null && settings.patches.frozenEncoder;
		if (settings.init == null && !frozenEncoder) return null;
		final double[] f = new double[backbone.length];
		final double b = settings.init == null ? 1 : settings.backboneFactor(step);
		for (int i = 0; i < f.length; i++) f[i] = frozenEncoder && encoder[i] ? 0 : backbone[i] ? b : 1;
		return f;
	}

	/**
	 * Which of the optimised parameters (the network's, then the regime's) belong to the network's
	 * backbone, worked out once from their names.
	 */
	private static boolean[] backboneParameters(final SegmentationNetwork net, final int count) {
		final boolean[] b = new boolean[count];
		int i = 0;
		for (final Pair<String, Parameter> p : net.getParameters()) b[i++] = !SegmentationNetwork.isHead(strip(p.getKey()));
		return b;
	}

	/** Which of the optimised parameters (the network's, then the regime's) belong to the network's encoder. */
	static boolean[] encoderParameters(final SegmentationNetwork net, final int count) {
		final boolean[] b = new boolean[count];
		int i = 0;
		for (final Pair<String, Parameter> p : net.getParameters()) b[i++] = SegmentationNetwork.isEncoder(strip(p.getKey()));
		return b;
	}

	/** The run's checkpoint beside {@code out} (see {@link RunFiles}). */
	public static Path checkpointPath(final Path out) {
		return new RunFiles(out).checkpoint();
	}

	/** The run's history CSV beside {@code out}. */
	public static Path historyPath(final Path out) {
		return new RunFiles(out).history();
	}

	/** The run's training curve beside {@code out}. */
	public static Path curvePath(final Path out) {
		return new RunFiles(out).curve();
	}

	/** Trains from freshly initialised weights. */
	public Result train() throws IOException, InterruptedException {
		return run(null);
	}

	/**
	 * Continues the run saved in {@code checkpoint}: same settings, validation split, step count,
	 * schedule position and optimiser state, so the remaining steps are those the uninterrupted run
	 * would have taken.
	 *
	 * @throws IllegalArgumentException if the checkpoint belongs to another network or class table
	 */
	public static Result resume(final Path checkpoint, final TrainingData data, final Path out, final Progress progress)
		throws IOException, InterruptedException
	{
		final ModelBundle b = loadCheckpoint(checkpoint);
		final TrainingSettings s = TrainingSettings.fromJson(b.training().getAsJsonObject("settings"));
		if (s.semiSupervised != null) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a semi-supervised run: resume it as one (with its " +
				"unlabeled images), e.g. train --mode semi --resume");
		}
		if (s.pretrains()) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a pretraining run: resume it with voxelseg pretrain " +
				"--resume");
		}
		if (s.patches != null) {
			throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a run on attention patches: resume it with its " +
				"attention maps, e.g. train --attention SOURCE --resume");
		}
		final Trainer t = new Trainer(data, s, out, progress);
		// from a pretrained backbone the checkpoint holds the network: the backbone file is not needed again
		b.requireCompatible(s.init == null ? t.networkConfig() : null, data.classes(), "checkpoint " + checkpoint);
		return t.run(b);
	}

	/** A checkpoint bundle, refusing a model bundle without training state. */
	static ModelBundle loadCheckpoint(final Path checkpoint) throws IOException {
		return RunFiles.loadCheckpoint(checkpoint);
	}

	Result run(final ModelBundle from) throws IOException, InterruptedException {
		final NetworkConfig cfg = from != null && settings.init != null ? from.network() : networkConfig();
		final List<CaseData> all = data.cases();
		final List<String> validationIds = from != null ? ids(from.training().getAsJsonObject("state").getAsJsonArray("validation"))
			: split(all, settings.validationFraction, settings.seed);
		final List<CaseData> train = new ArrayList<>(), val = new ArrayList<>();
		for (final CaseData c : all) (validationIds.contains(c.id()) ? val : train).add(c);
		if (train.isEmpty()) throw new IllegalArgumentException("no training cases left after the validation split");
		final Regime regime = regimeFactory != null ? regimeFactory.create(cfg, train, val) : new ObjectiveRegime(objective != null ? objective
			: defaultObjective(cfg), new BatchSampler(train, data.classCount(), settings.sampling, settings.augmentation, settings.batchSize,
				settings.seed));
		final BatchSource sampler = regime.batches();
		final int[] shape = sampler.sampleShape();
		cfg.build().checkInput(new Shape(1, cfg.inChannels(), shape[2], shape[1], shape[0]));
		final long total = settings.iterations > 0 ? settings.iterations : settings.epochs * sampler.stepsPerEpoch();
		settings.resolveFineTuning(total);
		// by default once per epoch, but at most about 20 times a run: tiny cohorts have one-step epochs
		final long cadence = Math.max(sampler.stepsPerEpoch(), (total + 19) / 20);
		final long validateEvery = val.isEmpty() ? 0 : settings.validateEvery > 0 ? settings.validateEvery : cadence;
		final long checkpointEvery = settings.checkpointEvery > 0 ? settings.checkpointEvery : validateEvery > 0 ? validateEvery : cadence;
		final long available = memoryLimit >= 0 ? memoryLimit : MemoryEstimate.available();
		final long estimate = MemoryEstimate.check(cfg, sampler.batchSize(), shape, available, regime::extraMemory);

		final MemoryGuard memory = guard != null ? guard : MemoryGuard.forThisProcess(memoryLimit);
		final Device device = TorchEngine.device(settings.device);
		progress.status("Training " + cfg.describe() + " on " + train.size() + " cases (" + val.size() + " for validation)" + regime
			.describe() + ", " + TorchEngine.describe(device) + String.format(Locale.ROOT, "; memory: about %d MiB needed, %d MiB available",
				estimate >> 20, available >> 20));
		TorchEngine.setGradMode(false);
		final LearningRateSchedule schedule = schedule(total);
		final TrainingHistory history = from == null ? new TrainingHistory() : TrainingHistory.fromJson(from.training()
			.getAsJsonObject("history"));
		long step = from == null ? 0 : from.training().getAsJsonObject("state").get("step").getAsLong();
		try (NDManager root = NDManager.newBaseManager(device); Regime obj = regime) {
			final SegmentationNetwork net;
			if (from == null) {
				TorchEngine.seed(settings.seed);
				net = cfg.build();
				net.initialize(root, DataType.FLOAT32, new Shape(sampler.batchSize(), cfg.inChannels(), shape[2], shape[1], shape[0]));
				if (settings.init != null) loadBackbone(net, pretrained(), root);
			}
			else {
				net = from.network(root);
				for (final Pair<String, Parameter> p : net.getParameters()) {
					if (p.getValue().requiresGradient()) p.getValue().getArray().setRequiresGradient(true);
				}
			}
			net.setBackboneStatisticsFixed(settings.linear);
			final List<Parameter> params = new ArrayList<>();
			for (final Pair<String, Parameter> p : net.getParameters()) params.add(p.getValue());
			params.addAll(obj.open(root, net, total));
			final boolean[] backbone = backboneParameters(net, params.size()), encoder = encoderParameters(net, params.size());
			net.setEncoderFrozen(settings.patches != null && settings.patches.frozenEncoder);
			final Optimiser opt = optimiser(root);
			if (from != null) {
				opt.load(from.optimiserState(), params);
				obj.loadState(from.objectiveState());
			}
			final ParameterStore ps = new ParameterStore(root, false);
			final long start = step;
			final long t0 = System.nanoTime();
			long lastStatus = 0;
			try (BatchLoader loader = new BatchLoader(sampler, step)) {
				while (step < total) {
					if (progress.isCanceled()) {
						saveCheckpoint(net, opt, obj, history, step, validationIds, cfg, shape);
						progress.status("Training cancelled after step " + step + "; checkpoint " + checkpointPath(out));
						return new Result(step, true, history, out, checkpointPath(out));
					}
					final Batch batch = loader.next();
					final double lr = schedule.at(step);
					// a frozen backbone takes no gradient: the backward pass stops at the head
					if (settings.init != null) net.setBackboneFrozen(settings.backboneFactor(step) == 0);
					final long s0 = System.nanoTime();
					final double loss = trainStep(obj, ps, root, batch, step);
					if (!Double.isFinite(loss)) {
						throw new DivergedException(String.format(Locale.ROOT, "training stopped at step %d: the loss became %s. " +
							"The weights were not updated; the last checkpoint (%s) is kept. Lower the learning rate (now %.2g) or check " +
							"the images for extreme values%s", step + 1, loss, checkpointPath(out), lr, obj.lastTermsText()));
					}
					final double[] factors = factors(backbone, encoder, step);
					if (settings.gradientClip > 0) {
						final double norm = Optimiser.clipGlobalNorm(learning(params, factors), settings.gradientClip);
						if (!Double.isFinite(norm)) {
							throw new DivergedException(String.format(Locale.ROOT, "training stopped at step %d: the gradients became %s " +
								"(the loss was %.4g). The weights were not updated; the last checkpoint (%s) is kept. Lower the learning rate " +
								"(now %.2g) or check the images for extreme values%s", step + 1, norm, loss, checkpointPath(out), lr, obj
									.lastTermsText()));
						}
					}
					opt.step(params, (float) lr, factors);
					obj.afterUpdate(step);
					step++;
					history.add(new TrainingHistory.StepRecord(step - 1, loss, lr, (System.nanoTime() - s0) / 1e9));
					String valText = "";
					if (validateEvery > 0 && (step % validateEvery == 0 || step == total)) {
						final TrainingHistory.Validation v = obj.validatesItself() ? obj.validate(ps, root, step) : validate(obj.exported(net), ps,
							root, val, step, shape);
						final boolean best = v.betterThan(history.best());
						history.add(v);
						if (best) saveBundle(obj.exported(net), history, step, validationIds, cfg, shape, null, out);
						valText = String.format(Locale.ROOT, v.byLoss() ? "  held-out loss %.4f%s" : "  val Dice %.3f%s", v.byLoss() ? v.loss()
							: v.meanDice(), best ? " (best)" : "");
					}
					if (step % checkpointEvery == 0 || step == total) {
						// the bundle before the checkpoint: a checkpoint at step s never outlives its bundle
						if (validateEvery == 0) saveBundle(obj.exported(net), history, step, validationIds, cfg, shape, null, out);
						saveCheckpoint(net, opt, obj, history, step, validationIds, cfg, shape);
						writeReports(history);
					}
					final String shortOfMemory = memory == null || step == total ? null : memory.check();
					if (shortOfMemory != null) {
						saveCheckpoint(net, opt, obj, history, step, validationIds, cfg, shape);
						writeReports(history);
						throw new MemoryGuard.MemoryExhaustedException(String.format(Locale.ROOT,
							"training stopped after step %d of %d: %s. Checkpoint %s; resume with --resume once memory is free, or train " +
								"with a smaller batch, grid or width", step, total, shortOfMemory, checkpointPath(out)));
					}
					final double perStep = (System.nanoTime() - t0) / 1e9 / (step - start);
					if (System.nanoTime() - lastStatus > 1_000_000_000L || !valText.isEmpty() || step == total) {
						lastStatus = System.nanoTime();
						progress.status(String.format(Locale.ROOT, "step %d/%d  loss %.4f%s  %s left", step, total, history.recentLoss(10), valText,
							duration(perStep * (total - step))));
					}
					progress.progress(step, total);
				}
			}
			writeReports(history);
			if (!obj.summary().isEmpty()) progress.status(obj.summary());
			return new Result(step, false, history, out, checkpointPath(out));
		}
	}

	private static double trainStep(final Regime regime, final ParameterStore ps, final NDManager root, final Batch b, final long step) {
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			return regime.backward(ps, root, b, step);
		}
	}

	/**
	 * A regime's forward and backward pass: {@code loss} computes the loss under a gradient collector,
	 * putting the network's forward output into the list it is given; a finite loss is propagated
	 * back after that output is released (autograd keeps what the backward pass needs), a non-finite
	 * one is returned without a backward pass.
	 */
	static double backward(final java.util.function.Function<NDList, NDArray> loss) {
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			final NDList out = new NDList();
			final NDArray l = loss.apply(out);
			final double value = l.getFloat();
			if (!Double.isFinite(value)) return value;
			out.close();
			gc.backward(l);
			return value;
		}
	}

	/** The images of a batch, N × 1 × D × H × W, on {@code root}'s device. */
	static NDArray images(final NDManager root, final Batch b) {
		return root.create(FloatBuffer.wrap(b.images()), new Shape(b.n(), 1, b.nz(), b.ny(), b.nx()));
	}

	/** The labels of a batch, N × D × H × W. */
	static NDArray labels(final NDManager root, final Batch b) {
		return root.create(ByteBuffer.wrap(b.labels()), new Shape(b.n(), b.nz(), b.ny(), b.nx()), DataType.UINT8);
	}

	/** The supervised regime: the network's forward pass and an {@link Objective}. */
	private static final class ObjectiveRegime implements Regime {

		private final Objective objective;
		private final BatchSampler sampler;
		private SegmentationNetwork net;

		ObjectiveRegime(final Objective objective, final BatchSampler sampler) {
			this.objective = objective;
			this.sampler = sampler;
		}

		@Override
		public BatchSource batches() {
			return sampler;
		}

		@Override
		public List<Parameter> open(final NDManager root, final SegmentationNetwork network, final long total) {
			net = network;
			return objective.parameters(root);
		}

		@Override
		public double backward(final ParameterStore ps, final NDManager root, final Batch b, final long step) {
			final NDArray x = images(root, b), y = labels(root, b);
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDList out = net.forward(ps, new NDList(x), true);
				final NDArray loss = objective.loss(ps, out, y, step);
				final double value = loss.getFloat();
				if (!Double.isFinite(value)) return value;
				// autograd keeps what the backward pass needs; the step's scope would keep the logits
				// and the full-size decoder maps alive through all of it
				out.close();
				gc.backward(loss);
				return value;
			}
		}

		@Override
		public byte[] saveState() {
			return objective.saveState();
		}

		@Override
		public void loadState(final byte[] state) throws IOException {
			objective.loadState(state);
		}

		@Override
		public void close() {
			objective.close();
		}
	}

	/**
	 * Dice per class over the validation cases, predicted tile by tile (tiles of the training sample
	 * shape, each in its own scope) in inference mode.
	 */
	TrainingHistory.Validation validate(final SegmentationNetwork net, final ParameterStore ps, final NDManager root,
		final List<CaseData> cases, final long step, final int[] tile)
	{
		final int k = data.classCount();
		final double[] sum = new double[k];
		final int[] n = new int[k];
		for (final CaseData c : cases) {
			final byte[] pred = predict(net, ps, root, c, tile);
			final long[] inter = new long[k], a = new long[k], b = new long[k];
			for (int i = 0; i < pred.length; i++) {
				final int p = pred[i] & 0xff, t = c.labels()[i] & 0xff;
				a[p]++;
				b[t]++;
				if (p == t) inter[p]++;
			}
			for (int cl = 1; cl < k; cl++) {
				if (a[cl] + b[cl] == 0) continue;
				sum[cl] += 2.0 * inter[cl] / (a[cl] + b[cl]);
				n[cl]++;
			}
		}
		final double[] dice = new double[k];
		dice[0] = Double.NaN;
		double mean = 0;
		int m = 0;
		for (int cl = 1; cl < k; cl++) {
			dice[cl] = n[cl] == 0 ? Double.NaN : sum[cl] / n[cl];
			if (n[cl] > 0) {
				mean += dice[cl];
				m++;
			}
		}
		return new TrainingHistory.Validation(step, m == 0 ? 0 : mean / m, dice);
	}

	/**
	 * Arg-max labels of a case: the whole volume in one pass when it has the training sample's shape,
	 * else windows of that shape with little overlap, through the predictor's sliding window.
	 */
	static byte[] predict(final SegmentationNetwork net, final ParameterStore ps, final NDManager root, final CaseData c,
		final int[] tile)
	{
		final int[] d = { c.nx(), c.ny(), c.nz() };
		final boolean whole = d[0] == tile[0] && d[1] == tile[1] && d[2] == tile[2];
		final int k = net.config().classes();
		final float[][] p = new SlidingWindow(root, k, x -> SegmentationNetwork.logits(net.forward(ps, new NDList(x), false)))
			.probabilities(c.image(), d, whole ? null : tile, net.config().divisor(), 0, false, Progress.NONE, new int[1]);
		final byte[] pred = new byte[c.voxels()];
		for (int i = 0; i < pred.length; i++) {
			int best = 0;
			for (int cl = 1; cl < k; cl++) if (p[cl][i] > p[best][i]) best = cl;
			pred[i] = (byte) best;
		}
		return pred;
	}

	private Objective defaultObjective(final NetworkConfig cfg) {
		if (settings.representation != Representation.NONE) {
			// an unbuilt network: its channel counts, no arrays
			return new RepresentationObjective(settings, cfg.build().encoderChannels(), cfg.classes());
		}
		return (ps, output, labels, step) -> settings.loss.compute(SegmentationNetwork.logits(output), labels);
	}

	private Optimiser optimiser(final NDManager root) {
		return settings.optimiser == Optimiser.Kind.ADAM ? Optimiser.adam((float) settings.weightDecay, root)
			: Optimiser.sgd((float) settings.momentum, (float) settings.weightDecay, root);
	}

	private LearningRateSchedule schedule(final long total) {
		switch (settings.schedule) {
			case POLY:
				return LearningRateSchedule.poly(settings.learningRate, total, settings.polyPower);
			case STEP:
				return LearningRateSchedule.step(settings.learningRate, settings.decayEvery, settings.decayFactor);
			default:
				return LearningRateSchedule.constant(settings.learningRate);
		}
	}

	/** Validation case ids: a seeded shuffle, the first {@code fraction} of it (at least one when there are two cases or more). */
	static List<String> split(final List<CaseData> cases, final double fraction, final long seed) {
		if (fraction <= 0 || cases.size() < 2) return List.of();
		final List<String> ids = new ArrayList<>();
		for (final CaseData c : cases) ids.add(c.id());
		java.util.Collections.sort(ids);
		final SplittableRandom r = new SplittableRandom(seed);
		for (int i = ids.size() - 1; i > 0; i--) java.util.Collections.swap(ids, i, r.nextInt(i + 1));
		final int n = Math.max(1, Math.min(cases.size() - 1, (int) Math.round(fraction * cases.size())));
		return List.copyOf(ids.subList(0, n));
	}

	private static List<String> ids(final JsonArray a) {
		final List<String> l = new ArrayList<>();
		a.forEach(e -> l.add(e.getAsString()));
		return l;
	}

	private JsonObject trainingJson(final TrainingHistory history, final long step, final List<String> validation) {
		final JsonObject t = new JsonObject();
		t.add("settings", settings.toJson());
		final JsonObject state = new JsonObject();
		state.addProperty("step", step);
		final JsonArray v = new JsonArray();
		validation.forEach(v::add);
		state.add("validation", v);
		final JsonArray tr = new JsonArray();
		for (final CaseData c : data.cases()) if (!validation.contains(c.id())) tr.add(c.id());
		state.add("training", tr);
		state.addProperty("engine", TorchEngine.describe(TorchEngine.device(settings.device)));
		t.add("state", state);
		t.add("history", history.toJson());
		return t;
	}

	private void saveBundle(final SegmentationNetwork net, final TrainingHistory history, final long step, final List<String> validation,
		final NetworkConfig cfg, final int[] shape, final byte[] optimiser, final Path target) throws IOException
	{
		bundle(net, history, step, validation, cfg, shape, optimiser).save(target);
	}

	private ModelBundle bundle(final SegmentationNetwork net, final TrainingHistory history, final long step,
		final List<String> validation, final NetworkConfig cfg, final int[] shape, final byte[] optimiser)
	{
		return new ModelBundle(cfg, data.classes(), data.plan(), shape, trainingJson(history, step, validation), ModelBundle.weightsOf(
			net), optimiser);
	}

	/** The checkpoint: a bundle with the optimiser state and the objective's own parameters (feature heads). */
	private void saveCheckpoint(final SegmentationNetwork net, final Optimiser opt, final Regime obj, final TrainingHistory history,
		final long step, final List<String> validation, final NetworkConfig cfg, final int[] shape) throws IOException
	{
		bundle(net, history, step, validation, cfg, shape, opt.save()).withObjectiveState(obj.saveState()).save(checkpointPath(out));
	}

	private void writeReports(final TrainingHistory history) throws IOException {
		final List<String> names = new ArrayList<>();
		for (int c = 0; c < data.classCount(); c++) {
			final LabelClass lc = data.classes().contains(c) ? data.classes().get(c) : null;
			names.add(lc == null ? "class_" + c : lc.name());
		}
		history.writeCsv(historyPath(out), names);
		TrainingReport.writeCurve(curvePath(out), history, settings.pretrains());
	}

	static String duration(final double seconds) {
		final long s = Math.round(seconds);
		if (s < 60) return s + " s";
		if (s < 3600) return s / 60 + " min " + s % 60 + " s";
		return s / 3600 + " h " + (s % 3600) / 60 + " min";
	}
}
