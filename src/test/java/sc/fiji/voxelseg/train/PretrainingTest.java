package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.util.Progress;

/**
 * Self-supervised pretraining on the trainer, and training from its backbone: the pretrained
 * bundle, exact resume, the frozen backbone of linear evaluation and of the first fine-tuning steps,
 * and the ramp of the backbone's learning rate.
 */
class PretrainingTest {

	private static TrainingData liver;
	private static List<CaseData> images;

	@TempDir
	static Path shared;

	private static Path pretrained;

	@BeforeAll
	static void pretrain() throws Exception {
		liver = TinyCohort.liver(3);
		images = new ArrayList<>(liver.cases());
		pretrained = shared.resolve("pretrained.zip");
		final Trainer.Result r = new Pretrainer(images, TinyCohort.PLAN, tiny().iterations(4), pretrained, Progress.NONE).train();
		assertEquals(4, r.steps());
	}

	/** FPN, 3 levels of base width 4, crops 16 × 16 × 8, 2 pairs × 32 voxels. */
	private static TrainingSettings tiny() {
		final TrainingSettings s = PretrainSettings.defaults().levels(3).baseWidth(4).checkpointEvery(2).seed(3);
		s.pretraining.crop = new int[] { 16, 16, 8 };
		s.pretraining.pairs = 2;
		s.pretraining.voxels = 32;
		s.pretraining.projection = 8;
		return s;
	}

	private static TrainingSettings downstream() {
		return new TrainingSettings().architecture(Architecture.FPN).levels(3).baseWidth(4).batchSize(2).learningRate(3e-3)
			.schedule(LearningRateSchedule.Kind.CONSTANT).validationFraction(0).augmentation(Augmentation.none()).checkpointEvery(1)
			.init(pretrained.toString());
	}

	/**
	 * The pretrained bundle records its settings and history (finite losses), and is refused where a
	 * segmentation model is expected, with a message that says what it is and what to do.
	 */
	@Test
	void pretrainingWritesABackboneThatSegmentRefuses() throws Exception {
		final ModelBundle b = ModelBundle.load(pretrained);
		assertTrue(b.pretrained());
		assertEquals(Architecture.FPN, b.network().architecture());
		final TrainingHistory h = TrainingHistory.fromJson(b.training().getAsJsonObject("history"));
		assertEquals(4, h.steps().size());
		for (final TrainingHistory.StepRecord r : h.steps()) assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, "loss " + r.loss());
		// one of the 3 images is held out: its loss validates the backbone every 2 steps, and the bundle is the best one
		assertEquals(1, b.training().getAsJsonObject("state").getAsJsonArray("validation").size());
		assertEquals(2, h.validations().size());
		for (final TrainingHistory.Validation v : h.validations()) assertTrue(v.byLoss() && Double.isFinite(v.loss()) && v.loss() > 0);
		assertEquals(h.best().step(), h.validations().stream().min(java.util.Comparator.comparingDouble(TrainingHistory.Validation::loss))
			.get().step());
		final List<String> csv = java.nio.file.Files.readAllLines(Trainer.historyPath(pretrained));
		assertTrue(csv.get(0).endsWith(",val_loss"), csv.get(0));
		assertTrue(csv.get(2).matches(".*,[0-9.e+-]+$"), "the held-out loss at step 2: " + csv.get(2));
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentationModel.load(pretrained, Device
			.cpu()));
		assertTrue(e.getMessage().contains("pretrained backbone") && e.getMessage().contains("--init"), e.getMessage());
	}

	/** A pretraining run cancelled after 2 steps and resumed ends bit for bit where the uninterrupted run ends. */
	@Test
	void pretrainingResumesExactly(@TempDir final Path dir) throws Exception {
		final Path full = dir.resolve("full.zip"), part = dir.resolve("part.zip");
		new Pretrainer(images, TinyCohort.PLAN, tiny().iterations(4), full, Progress.NONE).train();
		final Trainer.Result cut = new Pretrainer(images, TinyCohort.PLAN, tiny().iterations(4), part, new CancelAfter(2)).train();
		assertTrue(cut.cancelled());
		final Trainer.Result rest = Pretrainer.resume(Trainer.checkpointPath(part), images, TinyCohort.PLAN, part,
			Progress.NONE);
		assertEquals(4, rest.steps());
		final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(full)), b = ModelBundle.load(Trainer
			.checkpointPath(part));
		assertArrayEquals(a.weights(), b.weights(), "weights");
		assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
		assertArrayEquals(a.objectiveState(), b.objectiveState(), "projection and restorative heads");
	}

	/**
	 * Linear evaluation: after training the head, every backbone array (weights and batch-norm
	 * statistics) equals the pretrained one bit for bit.
	 */
	@Test
	void linearEvaluationLeavesTheBackboneAndItsStatistics(@TempDir final Path dir) throws Exception {
		final Path out = dir.resolve("linear.zip");
		new Trainer(liver, downstream().linear(true).iterations(3), out, Progress.NONE).train();
		assertEquals(0, compareBackbone(ModelBundle.load(pretrained), ModelBundle.load(out), true), "backbone arrays that moved");
	}

	/**
	 * Fine-tuning: after the 2 frozen steps every trainable backbone parameter equals the pretrained
	 * one bit for bit (batch-norm statistics move, as in PyTorch's training mode); after 2 more steps
	 * on the ramp it has moved.
	 */
	@Test
	void fineTuningFreezesThenTrainsTheBackbone(@TempDir final Path dir) throws Exception {
		final Path frozen = dir.resolve("frozen.zip"), tuned = dir.resolve("tuned.zip");
		new Trainer(liver, downstream().fineTune(2, 2).iterations(2), frozen, Progress.NONE).train();
		assertEquals(0, compareBackbone(ModelBundle.load(pretrained), ModelBundle.load(frozen), false),
			"trainable backbone parameters that moved while frozen");
		new Trainer(liver, downstream().fineTune(2, 2).iterations(4), tuned, Progress.NONE).train();
		assertTrue(compareBackbone(ModelBundle.load(pretrained), ModelBundle.load(tuned), false) > 0, "the backbone learns after the freeze");
	}

	/**
	 * A fine-tuning run cancelled in the middle of the ramp and resumed ends bit for bit where the
	 * uninterrupted one ends, although the backbone file is gone by then: the checkpoint holds the
	 * network.
	 */
	@Test
	void resumeInTheRampContinuesIt(@TempDir final Path dir) throws Exception {
		final TrainingSettings s = downstream().fineTune(1, 3).iterations(5);
		final Path full = dir.resolve("full.zip"), part = dir.resolve("part.zip"), copy = dir.resolve("backbone.zip");
		new Trainer(liver, s, full, Progress.NONE).train();
		java.nio.file.Files.copy(pretrained, copy);
		final Trainer.Result cut = new Trainer(liver, downstream().init(copy.toString()).fineTune(1, 3).iterations(5),
			part, new CancelAfter(3)).train();
		assertTrue(cut.cancelled());
		java.nio.file.Files.delete(copy);
		Trainer.resume(Trainer.checkpointPath(part), liver, part, Progress.NONE);
		final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(full)), b = ModelBundle.load(Trainer
			.checkpointPath(part));
		assertArrayEquals(a.weights(), b.weights(), "weights");
		assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
	}

	/** Network options that contradict the backbone are refused, naming each; a segmentation bundle is no backbone. */
	@Test
	void contradictingOptionsAndSegmentationBundlesAreRefused(@TempDir final Path dir) throws Exception {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(liver, downstream()
			.baseWidth(8).architecture(Architecture.UNET), dir.resolve("x.zip"), Progress.NONE).networkConfig());
		assertTrue(e.getMessage().contains("architecture unet") && e.getMessage().contains("base width 8"), e.getMessage());
		final Path seg = dir.resolve("seg.zip");
		new Trainer(liver, new TrainingSettings().architecture(Architecture.FPN).levels(3).baseWidth(4).batchSize(2)
			.validationFraction(0).iterations(1), seg, Progress.NONE).train();
		final IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> new Trainer(liver,
			downstream().init(seg.toString()), dir.resolve("y.zip"), Progress.NONE).networkConfig());
		assertTrue(f.getMessage().contains("segmentation model, not a pretrained backbone"), f.getMessage());
	}

	/**
	 * The pre-flight memory check covers the pretraining regime: 2 pairs × 8192 voxels need an InfoNCE
	 * matrix of 32768² floats (4 GiB, several at once), which 2 GiB cannot hold, so the run is
	 * refused before it starts, saying what it needs; nothing is written.
	 */
	@Test
	void pretrainingThatDoesNotFitIsRefused(@TempDir final Path dir) {
		final TrainingSettings s = tiny().iterations(1);
		s.pretraining.voxels = 8192;
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Pretrainer(images, TinyCohort.PLAN, s,
			dir.resolve("p.zip"), Progress.NONE).memoryLimit(2L << 30).train());
		assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains("available"), e.getMessage());
		assertTrue(!java.nio.file.Files.exists(dir.resolve("p.zip")));
	}

	/**
	 * Worked by hand: the pyramid vectors of paired voxels. Four views (2 pairs) of 4 × 4 × 2 crops;
	 * level 0 holds {@code 1000 n + 100 z + 10 y + x} at view n, level 1 (2 × 2 × 1)
	 * {@code 1000 n + 500 + 100 z + 10 y + x} in its own coordinates. Crop index 27 is (x 3, y 2, z 1),
	 * so for the B views (first view 2) pair 0 reads 2123 and, at (1, 1, 0) on level 1, 2511; index
	 * 0 of pair 1 reads 3000 and 3500.
	 */
	@Test
	void pairedVoxelsReadEveryLevelAtTheirOwnPosition() {
		try (NDManager m = NDManager.newBaseManager()) {
			final float[] l0 = new float[4 * 2 * 4 * 4], l1 = new float[4 * 1 * 2 * 2];
			for (int n = 0; n < 4; n++) {
				for (int z = 0; z < 2; z++) for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) l0[((n * 2 + z) * 4 + y) * 4 + x] = 1000 * n + 100 * z + 10 * y + x;
				for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) l1[(n * 2 + y) * 2 + x] = 1000 * n + 500 + 10 * y + x;
			}
			final ai.djl.ndarray.NDArray[] levels = { m.create(l0, new ai.djl.ndarray.types.Shape(4, 1, 2, 4, 4)), m.create(l1,
				new ai.djl.ndarray.types.Shape(4, 1, 1, 2, 2)) };
			final Batch b = new Batch(0, new float[4 * 32], null, 4, 4, 4, 2);
			final float[] rows = PretrainRegime.rows(levels, new int[][] { { 27 }, { 0 } }, 2, b).toFloatArray();
			org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] { 2123, 2511, 3000, 3500 }, rows);
		}
	}

	/**
	 * From a pretrained backbone with the default freeze and ramp, the run resolves them to the
	 * paper's shares of its length (a third: 2 of 6 steps; 1,200/45,000 of 6 rounds to 0) and its
	 * checkpoint records the resolved values. Settings the backbone cannot serve are refused.
	 */
	@Test
	void defaultFreezeIsAThirdOfTheRun(@TempDir final Path dir) throws Exception {
		final ModelBundle backbone = ModelBundle.load(pretrained);
		final TrainingSettings s = new TrainingSettings().fromPretrained(pretrained.toString(), backbone.network(), false).batchSize(2)
			.validationFraction(0).augmentation(Augmentation.none()).iterations(6);
		assertEquals(TrainingSettings.DEFAULT, s.freezeSteps);
		assertTrue(java.nio.file.Path.of(s.init).isAbsolute());
		new Trainer(liver, s, dir.resolve("t.zip"), Progress.NONE).train();
		final TrainingSettings saved = TrainingSettings.fromJson(ModelBundle.load(Trainer.checkpointPath(dir.resolve("t.zip")))
			.training().getAsJsonObject("settings"));
		assertEquals(2, saved.freezeSteps);
		assertEquals(0, saved.rampSteps);
		assertThrows(IllegalArgumentException.class, () -> new TrainingSettings().fromPretrained(pretrained.toString(), backbone.network(),
			true).fineTune(3, 0).validate(), "freeze steps with linear evaluation");
		final TrainingSettings semi = TrainingSettings.semiSupervisedDefaults().init(pretrained.toString());
		assertThrows(IllegalArgumentException.class, semi::validate, "semi-supervised from a backbone");
	}

	/**
	 * Bad pretraining input: a crop the network cannot take is refused by the settings themselves
	 * (before any image is read), naming a crop that fits; two images of one name are refused.
	 */
	@Test
	void badCropsAndDuplicateNamesAreRefused(@TempDir final Path dir) {
		final TrainingSettings s = tiny();
		s.pretraining.crop = new int[] { 16, 18, 8 };
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::validate);
		assertTrue(e.getMessage().contains("multiples of 4") && e.getMessage().contains("16,20,8"), e.getMessage());
		final List<CaseData> twice = List.of(images.get(0), images.get(0));
		final IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> new Pretrainer(twice, TinyCohort.PLAN, tiny(),
			dir.resolve("p.zip"), Progress.NONE));
		assertTrue(d.getMessage().contains("two images are named " + images.get(0).id()), d.getMessage());
	}

	/** Worked by hand: a held-out loss that is NaN is the worst validation, so a later finite one is the best. */
	@Test
	void aNaNHeldOutLossIsNeverTheBest() {
		final TrainingHistory h = new TrainingHistory();
		h.add(TrainingHistory.Validation.ofLoss(1, Double.NaN));
		h.add(TrainingHistory.Validation.ofLoss(2, 3.0));
		h.add(TrainingHistory.Validation.ofLoss(3, 4.0));
		assertEquals(2, h.best().step());
		final TrainingHistory back = TrainingHistory.fromJson(h.toJson());
		assertTrue(back.validations().get(0).byLoss() && Double.isNaN(back.validations().get(0).loss()));
		assertEquals(2, back.best().step());
	}

	/** Worked by hand: frozen for 10 steps, then a ramp of 4 from 0.1: 0, 0.1, 0.1^(3/4), 0.1^(1/2), 0.1^(1/4), then 1. */
	@Test
	void backboneFactorByHand() {
		final TrainingSettings s = new TrainingSettings().init("p.zip").fineTune(10, 4);
		assertEquals(0, s.backboneFactor(0));
		assertEquals(0, s.backboneFactor(9));
		assertEquals(0.1, s.backboneFactor(10), 1e-15);
		assertEquals(0.1778279410038923, s.backboneFactor(11), 1e-15);
		assertEquals(0.31622776601683794, s.backboneFactor(12), 1e-15);
		assertEquals(0.5623413251903491, s.backboneFactor(13), 1e-15);
		assertEquals(1, s.backboneFactor(14));
		assertEquals(1, s.backboneFactor(1000));
		assertEquals(0, new TrainingSettings().init("p.zip").linear(true).backboneFactor(1000));
		assertEquals(1, new TrainingSettings().backboneFactor(0));
	}

	/**
	 * The backbone arrays of two bundles of the same network but for the classes that differ
	 * (batch-norm statistics counted only when {@code statistics}).
	 */
	private static int compareBackbone(final ModelBundle a, final ModelBundle b, final boolean statistics) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final var pa = a.network(m).getParameters();
			final var pb = b.network(m).getParameters();
			assertEquals(pa.size(), pb.size());
			int differ = 0, compared = 0;
			for (int i = 0; i < pb.size(); i++) {
				final Pair<String, Parameter> x = pa.get(i), y = pb.get(i);
				if (SegmentationNetwork.isHead(y.getKey().replaceAll("(^|_)\\d\\d", "$1"))) continue;
				if (!y.getValue().requiresGradient() && !statistics) continue;
				compared++;
				if (!java.util.Arrays.equals(x.getValue().getArray().toFloatArray(), y.getValue().getArray().toFloatArray())) differ++;
			}
			assertTrue(compared > 10, "backbone arrays compared: " + compared);
			return differ;
		}
	}
}
