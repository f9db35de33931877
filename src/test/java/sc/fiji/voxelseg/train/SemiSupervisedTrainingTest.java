package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.util.Progress;

/**
 * Semi-supervised training (seed 003) on tiny liver phantoms (32×32×16, a 3-level VNet of width 8):
 * one step does what the method says, training lowers the student's loss, a resumed run repeats
 * the uninterrupted one, and bad input is refused with a clear message.
 */
class SemiSupervisedTrainingTest {

	static TrainingData liver;

	@BeforeAll
	static void data() {
		TorchEngine.engine();
		liver = TinyCohort.liver(6);
	}

	private static TrainingSettings small() {
		final TrainingSettings s = TrainingSettings.semiSupervisedDefaults().architecture(Architecture.VNET).baseWidth(8).levels(3).kernel(3)
			.optimiser(Optimiser.Kind.ADAM).learningRate(3e-3).weightDecay(1e-5).loss(SegmentationLoss.DICE_CE).validationFraction(0.25)
			.augmentation(Augmentation.none()).device("cpu").headWidth(16).featureLayers(2);
		s.semiSupervised.labeledFraction(0.5).discriminatorWidth(16).confidence(0.5).beta(1).gamma0(1).rampUpSteps(4);
		return s;
	}

	/**
	 * One step by hand through the regime: every term is finite; the discriminator moves; the teacher
	 * gets no gradient and after the update equals {@code a·θ_t + (1-a)·θ_s} exactly (oracle: the
	 * formula in Java float arithmetic on the values read before and after the student's update).
	 */
	@Test
	void oneStepTrainsStudentAndDiscriminatorAndMovesTheTeacher() {
		final TrainingSettings s = small();
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3).withBaseWidth(8).withKernel(3);
		final List<CaseData> cases = liver.cases();
		final SemiSupervisedRegime r = new SemiSupervisedRegime(s, cfg, 2, cases.subList(0, 2), cases.subList(2, 4));
		TorchEngine.setGradMode(false);
		TorchEngine.seed(3);
		try (NDManager root = NDManager.newBaseManager()) {
			final SegmentationNetwork net = cfg.build();
			net.initialize(root, DataType.FLOAT32, new Shape(4, 1, 16, 32, 32));
			final List<Parameter> params = new ArrayList<>(MeanTeacher.parameters(net));
			params.addAll(r.open(root, net, 10));
			assertEquals(2 * 9, params.size() - MeanTeacher.parameters(net).size(), "two layers of student heads (9 parameters each)");
			final Optimiser opt = Optimiser.adam(0, root);
			final ParameterStore ps = new ParameterStore(root, false);
			final Batch b = r.batches().batch(0);
			assertEquals(4, b.n());
			for (int i = 2 * 32 * 32 * 16; i < b.labels().length; i++) assertEquals(0, b.labels()[i], "unlabeled volumes carry no labels");
			final float[] d0 = r.discriminator().getParameters().get(0).getValue().getArray().toFloatArray();
			final double loss;
			try (NDScope scope = new NDScope()) {
				scope.suppressNotUsedWarning();
				loss = r.backward(ps, root, b, 0);
			}
			assertTrue(Double.isFinite(loss));
			// every unlabeled voxel counted once: under a class or below the threshold
			assertEquals(2L * 32 * 32 * 16, java.util.Arrays.stream(r.pseudoLabelCounts()).sum());
			assertTrue(r.summary().startsWith("Pseudo-labels of the unlabeled voxels over 1 steps (threshold 0.50): below it "), r
				.summary());
			final double[] terms = r.lastTerms();
			for (int i = 0; i < terms.length; i++) assertTrue(Double.isFinite(terms[i]), "term " + i + " of " + java.util.Arrays.toString(terms));
			// equal weights, but the student normalises with batch statistics and the teacher with running ones
			assertTrue(terms[1] > 0, "consistency " + terms[1]);
			assertNotEquals(d0[0], r.discriminator().getParameters().get(0).getValue().getArray().toFloatArray()[0], "the discriminator stepped");
			final List<Parameter> teacher = MeanTeacher.parameters(r.teacher());
			final List<float[]> before = new ArrayList<>();
			for (final Parameter p : teacher) {
				assertFalse(p.getArray().hasGradient(), "teacher parameter " + p.getName() + " has no gradient");
				before.add(p.getArray().toFloatArray());
			}
			opt.step(params, 1e-2f);
			r.afterUpdate(1000); // past the warm-up: the decay is a = 0.99
			final List<Parameter> student = MeanTeacher.parameters(net);
			for (int i = 0; i < teacher.size(); i++) {
				final float[] t = teacher.get(i).getArray().toFloatArray(), sv = student.get(i).getArray().toFloatArray(), tb = before.get(i);
				for (int k = 0; k < t.length; k++) assertEquals(0.99f * tb[k] + (1f - 0.99f) * sv[k], t[k], 0f, teacher.get(i).getName());
			}
			opt.close();
			r.close();
		}
	}

	/**
	 * Six steps of the full method lower the student's loss (first three steps against the last
	 * three) and write a bundle that the segment path loads as a plain network. A run cancelled after
	 * 3 of the 6 steps and resumed repeats the uninterrupted run's losses (which depend on the
	 * teacher, the heads and the discriminator through the consistency, feature and adversarial
	 * terms) and ends with the same student and the same checkpoint state.
	 */
	@Test
	void resumeContinuesWhereTheRunStopped(@TempDir final Path dir) throws Exception {
		final int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
		ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
		try {
			final TrainingSettings s = small().iterations(6).validateEvery(3).checkpointEvery(2);
			final Trainer.Result full = new SemiSupervisedTrainer(liver, List.of(), s, dir.resolve("full"), Progress.NONE).train();
			final List<TrainingHistory.StepRecord> h = full.history().steps();
			final double first = (h.get(0).loss() + h.get(1).loss() + h.get(2).loss()) / 3, last = (h.get(3).loss() + h.get(4).loss() + h.get(
				5).loss()) / 3;
			assertTrue(last < first - 0.1, "student loss " + first + " -> " + last);
			final ModelBundle model = ModelBundle.load(dir.resolve("full"));
			try (NDManager m = NDManager.newBaseManager()) {
				final SegmentationNetwork plain = model.network().build();
				plain.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 32, 32));
				assertEquals(plain.parameterCount(), model.network(m).parameterCount(), "the bundle holds the student network alone");
				assertEquals(ModelBundle.weightsOf(plain).length, model.weights().length);
			}
			final Progress cancelAfter3 = new CancelAfter(3);
			final Path out = dir.resolve("part");
			final Trainer.Result part = new SemiSupervisedTrainer(liver, List.of(), s, out, cancelAfter3).train();
			assertTrue(part.cancelled());
			assertEquals(3, part.steps());
			final Path ckpt = Trainer.checkpointPath(out);
			assertNotNull(ModelBundle.load(ckpt).objectiveState(), "the checkpoint holds teacher, heads and discriminator");
			final IllegalArgumentException sup = assertThrows(IllegalArgumentException.class, () -> Trainer.resume(ckpt, liver, out,
				Progress.NONE));
			assertTrue(sup.getMessage().contains("semi-supervised"), sup.getMessage());
			final Trainer.Result rest = SemiSupervisedTrainer.resume(ckpt, liver, List.of(), out, Progress.NONE);
			assertEquals(6, rest.steps());
			for (int i = 0; i < 6; i++) {
				final double expected = full.history().steps().get(i).loss();
				assertEquals(expected, rest.history().steps().get(i).loss(), "loss at step " + i);
			}
			final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(dir.resolve("full"))), b = ModelBundle.load(ckpt);
			// bit for bit: network, optimiser state, and the regime's own state (teacher, heads, discriminator)
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.weights(), b.weights(), "weights");
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.objectiveState(), b.objectiveState(), "regime state");
			SupervisedTrainerTest.assertSameOutputs(a, b, 0);
			assertEquals(a.objectiveState().length, b.objectiveState().length);
			final JsonObject semi = b.training().getAsJsonObject("settings").getAsJsonObject("semiSupervised");
			assertEquals(0.5, semi.get("labeledFraction").getAsDouble());
		}
		finally {
			ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
		}
	}

	/**
	 * The pre-flight memory check counts the teacher: a limit that fits the student's training on
	 * the 2 + 2 batch alone is refused with the need named, and one that adds the teacher's share
	 * passes. Oracle for the share's floor: the teacher's weights (4 bytes a parameter) and its kept
	 * finest-level maps (2 × width × voxels × volumes × 4 bytes), counted by hand.
	 */
	/**
	 * The mean-teacher code's choices, worked by hand: the EMA decay {@code min(1 - 1/(step + 1), a)}
	 * (0 at the first update, so the teacher becomes the student; 0.5, 0.9, then a); the teacher's
	 * input noise {@code clamp(N(0, σ²), -2σ, 2σ)}: within the clamp, of mean 0 and of the clamped
	 * normal's standard deviation (0.959 σ: E[clamp(Z, -2, 2)²] = (2Φ(2) - 1) - 4φ(2) + 8(1 - Φ(2))),
	 * the same at the same step and different at another.
	 */
	@Test
	void emaWarmsUpAndTheTeacherSeesNoise() {
		final SemiSupervisedSettings m = new SemiSupervisedSettings();
		assertEquals(0, m.emaDecayAt(0));
		assertEquals(0.5, m.emaDecayAt(1));
		assertEquals(0.9, m.emaDecayAt(9), 1e-15);
		assertEquals(0.99, m.emaDecayAt(99), 1e-15);
		assertEquals(0.99, m.emaDecayAt(5000));
		m.emaWarmup = false;
		assertEquals(0.99, m.emaDecayAt(0));
		final TrainingSettings s = small();
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3).withBaseWidth(8).withKernel(3);
		final SemiSupervisedRegime r = new SemiSupervisedRegime(s, cfg, 2, liver.cases().subList(0, 2), liver.cases().subList(2, 4));
		final float[] a = r.teacherNoise(200_000, 7), b = r.teacherNoise(200_000, 7), c = r.teacherNoise(200_000, 8);
		assertTrue(java.util.Arrays.equals(a, b), "a pure function of the step");
		assertFalse(java.util.Arrays.equals(a, c), "another step, other noise");
		double sum = 0, sq = 0;
		for (final float v : a) {
			assertTrue(v >= -0.2f && v <= 0.2f, "clamped: " + v);
			sum += v;
			sq += v * v;
		}
		final double mean = sum / a.length, sd = Math.sqrt(sq / a.length - mean * mean);
		assertEquals(0, mean, 0.001);
		final double phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI), cdf2 = 0.9772498680518208;
		assertEquals(0.1 * Math.sqrt(2 * cdf2 - 1 - 4 * phi2 + 8 * (1 - cdf2)), sd, 0.001);
		r.close();
	}

	/**
	 * The paper's default configuration (VNet, 5 levels, 16 channels, 5³ kernels; 2 labeled + 2
	 * unlabeled volumes of 128×128×64) against two memory limits given to the check: refused at
	 * 8 GiB with settings that fit, none of them larger than the model grid; accepted at 64 GiB.
	 */
	@Test
	void thePapersDefaultsRunOrAreRefusedWithASettingThatFits() {
		final TrainingSettings s = TrainingSettings.semiSupervisedDefaults();
		final NetworkConfig paper = NetworkConfig.vnet(1, 9);
		final SemiSupervisedRegime r = new SemiSupervisedRegime(s, NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3)
			.withBaseWidth(8).withKernel(3), 2, liver.cases().subList(0, 2), liver.cases().subList(2, 4));
		assertEquals(4, r.batches().batchSize(), "2 labeled + 2 unlabeled volumes");
		final int[] grid = { 128, 128, 64 };
		MemoryEstimate.check(paper, 4, grid, 64L << 30, r::extraMemory);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryEstimate.check(paper, 4, grid,
			8L << 30, r::extraMemory));
		assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains("Try "), e.getMessage());
		final java.util.regex.Matcher m = java.util.regex.Pattern.compile("patches of (\\d+)×(\\d+)×(\\d+)").matcher(e.getMessage());
		while (m.find()) for (int a = 0; a < 3; a++) assertTrue(Integer.parseInt(m.group(a + 1)) <= grid[a], e.getMessage());
	}

	@Test
	void memoryCheckCountsTheTeacher() {
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3).withBaseWidth(8).withKernel(3);
		final List<CaseData> cases = liver.cases();
		final SemiSupervisedRegime r = new SemiSupervisedRegime(small(), cfg, 2, cases.subList(0, 2), cases.subList(2, 4));
		final int[] shape = r.batches().sampleShape();
		final int n = r.batches().batchSize();
		final long student = MemoryEstimate.training(cfg, n, shape), teacher = r.extraMemory(cfg, shape);
		final double voxels = (double) shape[0] * shape[1] * shape[2];
		assertTrue(teacher >= MemoryEstimate.parameterCount(cfg) * 4 + 2 * cfg.width(0) * voxels * n * 4, "teacher share " + teacher);
		MemoryEstimate.check(cfg, n, shape, student + teacher, r::extraMemory);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryEstimate.check(cfg, n, shape, student,
			r::extraMemory));
		assertTrue(e.getMessage().contains("needs about"), e.getMessage());
		// separate passes join the logits (2 channels) and the three encoder maps the discriminator
		// reads (8, 16 and 32 channels at full, 1/8 and 1/64 of the voxels) across the 4 volumes:
		// 4 volumes × (2 + 8 + 16/8 + 32/64) × 16384 voxels × 4 bytes = 3,276,800 bytes more
		assertArrayEquals(new int[] { 32, 32, 16 }, shape);
		assertArrayEquals(new int[] { 32, 16, 8 }, new int[] { cfg.width(2), cfg.width(1), cfg.width(0) });
		final TrainingSettings shared = small();
		shared.semiSupervised.separatePasses(false);
		final long one = new SemiSupervisedRegime(shared, cfg, 2, cases.subList(0, 2), cases.subList(2, 4)).extraMemory(cfg, shape);
		assertEquals(3_276_800L, teacher - one);
		// without batch norm the passes give the same outputs: one pass, no joined copies
		final NetworkConfig in = cfg.withNorm(sc.fiji.voxelseg.nn.Norm.INSTANCE);
		assertEquals(new SemiSupervisedRegime(shared, in, 2, cases.subList(0, 2), cases.subList(2, 4)).extraMemory(in, shape),
			new SemiSupervisedRegime(small(), in, 2, cases.subList(0, 2), cases.subList(2, 4)).extraMemory(in, shape));
	}

	/**
	 * The ablations are settings: with every unsupervised term off the loss is the segmentation loss
	 * alone; "mean teacher only" has the consistency term and neither heads nor a discriminator;
	 * "+L_feature" has heads but no discriminator.
	 */
	@Test
	void ablationsSwitchTermsOff() {
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3).withBaseWidth(8).withKernel(3);
		final List<CaseData> cases = liver.cases();
		final boolean[][] runs = { { false, false, false }, { false, false, true }, { false, true, false } };
		for (final boolean[] on : runs) {
			final TrainingSettings s = small();
			s.semiSupervised.terms(on[0], on[1], on[2]);
			final SemiSupervisedRegime r = new SemiSupervisedRegime(s, cfg, 2, cases.subList(0, 2), cases.subList(2, 4));
			TorchEngine.setGradMode(false);
			try (NDManager root = NDManager.newBaseManager()) {
				final SegmentationNetwork net = cfg.build();
				net.initialize(root, DataType.FLOAT32, new Shape(4, 1, 16, 32, 32));
				final List<Parameter> heads = r.open(root, net, 10);
				assertEquals(on[1], !heads.isEmpty(), "heads only with the feature term");
				assertEquals(on[0], r.discriminator() != null, "a discriminator only with the adversarial term");
				final double loss;
				try (NDScope scope = new NDScope()) {
					scope.suppressNotUsedWarning();
					loss = r.backward(new ParameterStore(root, false), root, r.batches().batch(0), 0);
				}
				final double[] t = r.lastTerms();
				assertEquals(on[2], !Double.isNaN(t[1]), "consistency");
				assertEquals(on[1], !Double.isNaN(t[2]), "feature");
				assertTrue(Double.isNaN(t[3]) && Double.isNaN(t[4]), "no adversarial terms");
				if (!on[1] && !on[2]) assertEquals(t[0], loss, 1e-6, "supervised only: the segmentation loss");
				r.close();
			}
		}
	}

	/**
	 * With separate passes, the supervised loss and its gradient depend on the labeled volumes alone:
	 * other unlabeled volumes leave them unchanged to the last bit, and they equal the loss of a
	 * plain forward pass over the labeled volumes. With one shared pass the unlabeled volumes enter
	 * through the batch-norm statistics and change both.
	 */
	@Test
	void separatePassesKeepBatchNormToTheLabeledVolumes() {
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.VNET, 1, 2).withLevels(3).withBaseWidth(8).withKernel(3);
		final List<CaseData> cases = liver.cases();
		for (final boolean separate : new boolean[] { true, false }) {
			final double[] loss = new double[2];
			final float[][] grad = new float[2][];
			double alone = 0;
			for (int run = 0; run < 2; run++) {
				final TrainingSettings s = small();
				s.semiSupervised.terms(false, false, false).separatePasses(separate);
				final SemiSupervisedRegime r = new SemiSupervisedRegime(s, cfg, 2, cases.subList(0, 2), cases.subList(2 + 2 * run, 4 + 2 *
					run));
				TorchEngine.setGradMode(false);
				TorchEngine.seed(5);
				try (NDManager root = NDManager.newBaseManager()) {
					final SegmentationNetwork net = cfg.build();
					net.initialize(root, DataType.FLOAT32, new Shape(4, 1, 16, 32, 32));
					r.open(root, net, 10);
					final ParameterStore ps = new ParameterStore(root, false);
					final Batch b = r.batches().batch(0);
					try (NDScope scope = new NDScope()) {
						scope.suppressNotUsedWarning();
						loss[run] = r.backward(ps, root, b, 0);
						final Batch labeled = new Batch(0, java.util.Arrays.copyOf(b.images(), 2 * b.nx() * b.ny() * b.nz()), java.util.Arrays
							.copyOf(b.labels(), 2 * b.nx() * b.ny() * b.nz()), 2, b.nx(), b.ny(), b.nz());
						alone = s.loss.compute(SegmentationNetwork.logits(net.forward(ps, new ai.djl.ndarray.NDList(Trainer.images(
							root, labeled)), true)), Trainer.labels(root, labeled)).getFloat();
					}
					grad[run] = net.getParameters().get(0).getValue().getArray().getGradient().toFloatArray();
					r.close();
				}
			}
			if (separate) {
				assertEquals(loss[0], loss[1], 0, "the unlabeled volumes do not reach the supervised loss");
				assertArrayEquals(grad[0], grad[1], 0, "nor its gradient");
				assertEquals(alone, loss[1], 1e-6, "the loss of a pass over the labeled volumes alone");
			}
			else {
				assertNotEquals(loss[0], loss[1], "one shared pass: batch statistics include the unlabeled volumes");
				assertFalse(java.util.Arrays.equals(grad[0], grad[1]));
			}
		}
	}

	/** Bad input: each refusal names the problem. */
	@Test
	void badInputIsRefused(@TempDir final Path dir) {
		for (final double f : new double[] { 0, -0.1, 1.5, Double.NaN }) {
			final TrainingSettings s = small();
			s.semiSupervised.labeledFraction(f);
			final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::validate);
			assertTrue(e.getMessage().contains("labeled fraction"), e.getMessage());
		}
		// 4 training cases: 0.1 keeps round(0.4) = 0 of them
		final TrainingSettings none = small();
		none.semiSupervised.labeledFraction(0.1);
		final IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> new SemiSupervisedTrainer(liver, List.of(), none,
			dir.resolve("a"), Progress.NONE).train());
		assertTrue(e1.getMessage().contains("leaves no labeled case"), e1.getMessage());
		// every label kept and no unlabeled images
		final TrainingSettings all = small();
		all.semiSupervised.labeledFraction(1);
		final IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> new SemiSupervisedTrainer(liver, List.of(), all,
			dir.resolve("b"), Progress.NONE).train());
		assertTrue(e2.getMessage().contains("needs unlabeled images"), e2.getMessage());
		// an unlabeled image on another grid
		final CaseData odd = new CaseData("odd", new float[32 * 32 * 8], new byte[32 * 32 * 8], 32, 32, 8);
		final IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> new SemiSupervisedTrainer(liver, List.of(odd),
			all, dir.resolve("c"), Progress.NONE).train());
		assertTrue(e3.getMessage().contains("unlabeled image odd is 32×32×8"), e3.getMessage());
		// supervised settings, and a representation loss on top of the semi-supervised one
		assertThrows(IllegalArgumentException.class, () -> new SemiSupervisedTrainer(liver, List.of(), new TrainingSettings(), dir.resolve(
			"d"), Progress.NONE));
		assertThrows(IllegalArgumentException.class, () -> small().representation(Representation.SIAMESE).validate());
		// the labeled choice is seeded and reproducible
		final List<CaseData> c = liver.cases(), reversed = new ArrayList<>(c);
		java.util.Collections.reverse(reversed);
		assertEquals(SemiSupervisedTrainer.labeledIds(c, 0.5, 7), SemiSupervisedTrainer.labeledIds(reversed, 0.5, 7));
		assertEquals(3, SemiSupervisedTrainer.labeledIds(c, 0.5, 7).size());
	}

	/** A folder of unlabeled images: volume files only, ids without extension and channel suffix, the cohort's plan applied. */
	@Test
	void unlabeledImagesFromAFolder(@TempDir final Path dir) throws Exception {
		final sc.fiji.voxelseg.phantom.PhantomGenerator g = new sc.fiji.voxelseg.phantom.PhantomGenerator(sc.fiji.voxelseg.phantom.PhantomConfig
			.ofGrid(1, 9, 64));
		sc.fiji.voxelseg.io.VolumeIO.write(g.generate(0).image(), dir.resolve("scan7_0000.nii.gz"));
		java.nio.file.Files.writeString(dir.resolve("notes.txt"), "not a volume");
		final List<CaseData> u = UnlabeledImages.load(dir, TinyCohort.PLAN, Progress.NONE);
		assertEquals(1, u.size());
		assertEquals("scan7", u.get(0).id());
		assertEquals("32×32×16", u.get(0).shape());
		for (final byte b : u.get(0).labels()) assertEquals(0, b);
		final Path empty = java.nio.file.Files.createDirectory(dir.resolve("empty"));
		final java.io.IOException e = assertThrows(java.io.IOException.class, () -> UnlabeledImages.load(empty, TinyCohort.PLAN,
			Progress.NONE));
		assertTrue(e.getMessage().contains("no volume files"), e.getMessage());
	}

	/** The log's summary names the passes that actually run: one for a network without batch norm. */
	@Test
	void summaryNamesThePassesThatRun() {
		final TrainingSettings s = small();
		s.norm(Norm.BATCH);
		assertTrue(s.summary().contains("(separate passes)"), s.summary());
		s.semiSupervised.separatePasses(false);
		assertTrue(s.summary().contains("(one shared pass)"), s.summary());
		s.semiSupervised.separatePasses(true);
		s.norm(Norm.INSTANCE);
		assertTrue(s.summary().contains("(one pass, no batch norm)"), s.summary());
	}

	/** Settings round-trip through JSON, and old settings load as supervised. */
	@Test
	void settingsRoundTrip() {
		final TrainingSettings s = small();
		s.semiSupervised.terms(false, true, false).alpha(0.5).exportTeacher(true).separatePasses(false);
		final TrainingSettings back = TrainingSettings.fromJson(s.toJson());
		assertNotNull(back.semiSupervised);
		assertFalse(back.semiSupervised.adversarial);
		assertTrue(back.semiSupervised.feature);
		assertEquals(0.5, back.semiSupervised.alpha);
		assertTrue(back.semiSupervised.exportTeacher);
		assertFalse(back.semiSupervised.separatePasses);
		assertTrue(new SemiSupervisedSettings().separatePasses, "separate passes by default");
		final JsonObject old = new TrainingSettings().toJson();
		old.remove("semiSupervised");
		assertEquals(null, TrainingSettings.fromJson(old).semiSupervised);
		final SemiSupervisedSettings d = new SemiSupervisedSettings();
		assertEquals(0.1, d.featureWeight(2));
		assertEquals(100, d.featureWeight(9));
		assertEquals(4, d.discriminatorMapsFor(5));
		assertEquals(3, d.discriminatorMapsFor(3));
		assertEquals(600, d.rampUp(600));
		assertArrayEquals(new double[] { 0.99, 0.7, 0.01, 0.001 }, new double[] { d.emaDecay, d.confidence, d.alpha, d.gamma0 });
	}
}
