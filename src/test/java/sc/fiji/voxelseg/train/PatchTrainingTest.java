package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.agcl.OrganPatches;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.util.Progress;

/**
 * Training on organ-centred attention patches (seed 002, AGCL, in 3D): the contrastive pretraining
 * methods, the second stage on a frozen encoder, the cascade bundle it writes, exact resume, the
 * batches, and the refusals. A tiny cohort of 4 phantoms with liver and spleen on a 32×32×16 grid,
 * a 3-level U-Net of width 4 on 16×16×8 patches.
 */
class PatchTrainingTest {

	private static TrainingData cohort;
	private static Map<String, byte[]> attention;
	private static final Map<String, String> PHASES = new HashMap<>();

	@TempDir
	static Path shared;

	private static Path pretrained;

	@BeforeAll
	static void pretrain() throws Exception {
		cohort = TinyCohort.of(4, ClassTable.of(List.of("liver", "spleen")), PhantomGenerator.LIVER, PhantomGenerator.SPLEEN);
		attention = new HashMap<>();
		for (final CaseData c : cohort.cases()) attention.put(c.id(), c.labels());
		for (int i = 0; i < 4; i++) PHASES.put("case" + i, i % 2 == 0 ? "arterial" : "venous");
		pretrained = shared.resolve("agcl.zip");
		final Trainer.Result r = new PatchTrainer(cohort, attention, pretraining(PatchSettings.Method.AGCL).iterations(3), pretrained,
			Progress.NONE).train();
		assertEquals(3, r.steps());
	}

	/** U-Net, 3 levels of base width 4, 16×16×8 patches, 2 patches (4 views) per batch. */
	private static TrainingSettings pretraining(final PatchSettings.Method method) {
		final TrainingSettings s = new TrainingSettings().architecture(Architecture.UNET).levels(3).baseWidth(4).batchSize(2)
			.learningRate(1e-3).schedule(LearningRateSchedule.Kind.CONSTANT).validationFraction(0.25).checkpointEvery(1).seed(5)
			.augmentation(Augmentation.none());
		s.patches = new PatchSettings();
		s.patches.method = method;
		s.patches.patch = new int[] { 16, 16, 8 };
		s.patches.projection = 8;
		s.patches.conditions = PHASES;
		return s;
	}

	/** The second stage: the decoder on the frozen encoder of the pretrained bundle. */
	private static TrainingSettings decoder() {
		final TrainingSettings s = new TrainingSettings().architecture(Architecture.UNET).levels(3).baseWidth(4).batchSize(2)
			.learningRate(3e-3).schedule(LearningRateSchedule.Kind.CONSTANT).validationFraction(0.25).checkpointEvery(1).seed(5)
			.augmentation(Augmentation.none()).init(pretrained.toString());
		s.patches = new PatchSettings();
		s.patches.patch = new int[] { 16, 16, 8 };
		s.patches.frozenEncoder = true;
		return s;
	}

	/**
	 * The pretrained bundle: a two-channel backbone with two outputs, marked pretrained (not a cascade
	 * model), its losses finite and its held-out loss recorded; segment refuses it.
	 */
	@Test
	void agclWritesATwoChannelBackbone() throws Exception {
		final ModelBundle b = ModelBundle.load(pretrained);
		assertTrue(b.pretrained());
		assertFalse(b.cascade());
		assertEquals(2, b.network().inChannels());
		assertEquals(2, b.network().classes());
		assertEquals(2, b.classes().maxIndex(), "the organ classes it was pretrained on");
		final TrainingHistory h = TrainingHistory.fromJson(b.training().getAsJsonObject("history"));
		assertEquals(3, h.steps().size());
		for (final TrainingHistory.StepRecord r : h.steps()) assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, "loss " + r.loss());
		assertFalse(h.validations().isEmpty());
		assertTrue(h.validations().get(0).byLoss() && Double.isFinite(h.validations().get(0).loss()), "held-out loss");
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentationModel.load(pretrained,
			ai.djl.Device.cpu()));
		assertTrue(e.getMessage().contains("pretrained backbone") && e.getMessage().contains("--mode decoder"), e.getMessage());
	}

	/** The baselines run too: the twin as the only positive (SSCL), and organ cross-entropy (CE). */
	@Test
	void ssclAndCrossEntropyPretrain(@TempDir final Path dir) throws Exception {
		for (final PatchSettings.Method m : new PatchSettings.Method[] { PatchSettings.Method.SSCL, PatchSettings.Method.CE }) {
			final Path out = dir.resolve(m.id() + ".zip");
			final Trainer.Result r = new PatchTrainer(cohort, attention, pretraining(m).iterations(2), out, Progress.NONE).train();
			for (final TrainingHistory.StepRecord s : r.history().steps()) assertTrue(Double.isFinite(s.loss()) && s.loss() > 0, m + " loss " + s.loss());
			assertTrue(ModelBundle.load(out).pretrained(), m.id());
		}
	}

	/**
	 * The second stage leaves every encoder array (weights and batch-norm statistics) bit-identical to
	 * the pretrained one while the decoder learns, and writes a cascade model with the organ classes
	 * and its patch size as input, validated by patch Dice per organ; segment without a coarse model
	 * refuses it, saying so.
	 */
	@Test
	void stageTwoLeavesTheEncoderAndWritesACascadeModel(@TempDir final Path dir) throws Exception {
		final Path out = dir.resolve("cascade.zip");
		new PatchTrainer(cohort, attention, decoder().iterations(3), out, Progress.NONE).train();
		final ModelBundle b = ModelBundle.load(Trainer.checkpointPath(out));
		int encoder = 0, moved = 0;
		try (NDManager m = NDManager.newBaseManager()) {
			final var pa = ModelBundle.load(pretrained).network(m).getParameters();
			final var pb = b.network(m).getParameters();
			assertEquals(pa.size(), pb.size());
			for (int i = 0; i < pb.size(); i++) {
				final Pair<String, Parameter> x = pa.get(i), y = pb.get(i);
				final boolean same = java.util.Arrays.equals(x.getValue().getArray().toFloatArray(), y.getValue().getArray().toFloatArray());
				if (SegmentationNetwork.isEncoder(y.getKey().replaceAll("(^|_)\\d\\d", "$1"))) {
					encoder++;
					assertTrue(same, "encoder array " + y.getKey() + " moved");
				}
				else if (!same) moved++;
			}
		}
		assertTrue(encoder >= 12, "encoder arrays compared: " + encoder);
		assertTrue(moved > 0, "the decoder learns");
		final ModelBundle model = ModelBundle.load(out);
		assertTrue(model.cascade());
		assertFalse(model.pretrained());
		assertArrayEquals(new int[] { 16, 16, 8 }, model.inputShape());
		assertEquals(cohort.classes(), model.classes());
		final TrainingHistory h = TrainingHistory.fromJson(model.training().getAsJsonObject("history"));
		assertFalse(h.validations().isEmpty());
		final TrainingHistory.Validation v = h.validations().get(h.validations().size() - 1);
		assertFalse(v.byLoss());
		assertEquals(3, v.dice().length);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentationModel.load(out, ai.djl.Device
			.cpu()));
		assertTrue(e.getMessage().contains("--coarse"), e.getMessage());
	}

	/** A cascade trained end to end from random weights: the encoder learns too. */
	@Test
	void randomCascadeTrainsEndToEnd(@TempDir final Path dir) throws Exception {
		final TrainingSettings s = decoder().init(null).iterations(2);
		s.patches.frozenEncoder = false;
		final Path out = dir.resolve("random.zip");
		final Trainer.Result r = new PatchTrainer(cohort, attention, s, out, Progress.NONE).train();
		assertEquals(2, r.steps());
		assertTrue(ModelBundle.load(out).cascade());
	}

	/** A pretraining run cancelled after 2 steps and resumed ends bit for bit where the uninterrupted run ends. */
	@Test
	void pretrainingResumesExactly(@TempDir final Path dir) throws Exception {
		final Path full = dir.resolve("full.zip"), part = dir.resolve("part.zip");
		new PatchTrainer(cohort, attention, pretraining(PatchSettings.Method.AGCL).iterations(4), full, Progress.NONE).train();
		assertTrue(new PatchTrainer(cohort, attention, pretraining(PatchSettings.Method.AGCL).iterations(4), part, new CancelAfter(2))
			.train().cancelled());
		assertEquals(4, PatchTrainer.resume(Trainer.checkpointPath(part), cohort, attention, part, Progress.NONE).steps());
		final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(full)), b = ModelBundle.load(Trainer.checkpointPath(part));
		assertArrayEquals(a.weights(), b.weights(), "weights");
		assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
		assertArrayEquals(a.objectiveState(), b.objectiveState(), "projection head and classifier");
	}

	/**
	 * The batches: deterministic per step; pretraining stacks two views of each patch (views A, then
	 * B) whose rows carry the patch's organ and its case's condition; segmentation patches carry the
	 * organ's attention mask in channel 1 and its ground-truth mask as labels, the same here where
	 * the attention is the ground truth.
	 */
	@Test
	void batchesHoldViewsOrMasksOfOneOrganEach() {
		final List<CaseData> train = cohort.cases();
		final PatchRegime pre = new PatchRegime(pretraining(PatchSettings.Method.AGCL).validate(), 3, train, List.of(), attention);
		final Batch a = pre.batches().batch(7), again = pre.batches().batch(7);
		assertArrayEquals(a.images(), again.images());
		assertEquals(4, a.n());
		final PatchRegime.Rows rows = (PatchRegime.Rows) a.extra();
		for (int i = 0; i < 2; i++) {
			assertEquals(rows.organs()[i], rows.organs()[2 + i]);
			assertEquals(rows.conditions()[i], rows.conditions()[2 + i]);
			assertTrue(rows.organs()[i] == 1 || rows.organs()[i] == 2);
		}
		final PatchRegime seg = new PatchRegime(decoder().validate(), 3, train, List.of(), attention);
		final Batch s = seg.batches().batch(3);
		final int v = 16 * 16 * 8;
		for (int i = 0; i < s.n(); i++) {
			long ones = 0;
			for (int k = 0; k < v; k++) {
				final float mask = s.images()[(2 * i + 1) * v + k];
				assertEquals(mask, s.labels()[i * v + k], "attention = ground truth here");
				ones += s.labels()[i * v + k];
			}
			assertTrue(ones > 0, "the patch is centred in its organ");
		}
	}

	/** Refusals: a case without a condition tag; a one-channel backbone for patches; a frozen encoder with a ramp. */
	@Test
	void refusesWhatCannotWork(@TempDir final Path dir) throws Exception {
		final TrainingSettings untagged = pretraining(PatchSettings.Method.AGCL);
		untagged.patches.conditions = Map.of("case0", "arterial");
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PatchRegime(untagged.validate(), 3, cohort
			.cases(), List.of(), attention));
		assertTrue(e.getMessage().contains("case1") && e.getMessage().contains("condition"), e.getMessage());

		final Path vox = dir.resolve("vox2vec.zip");
		final TrainingSettings p = PretrainSettings.defaults().levels(3).baseWidth(4).iterations(1).validationFraction(0);
		p.pretraining.crop = new int[] { 16, 16, 8 };
		p.pretraining.pairs = 1;
		p.pretraining.voxels = 8;
		p.pretraining.projection = 4;
		new Pretrainer(cohort.cases(), TinyCohort.PLAN, p, vox, Progress.NONE).train();
		final TrainingSettings d = decoder().architecture(Architecture.FPN).init(vox.toString()).iterations(1);
		final IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> new PatchTrainer(cohort, attention, d, dir
			.resolve("x.zip"), Progress.NONE).train());
		assertTrue(c.getMessage().contains("input channels"), c.getMessage());

		final TrainingSettings ramp = decoder().fineTune(2, 2);
		final IllegalArgumentException r = assertThrows(IllegalArgumentException.class, ramp::validate);
		assertTrue(r.getMessage().contains("frozen encoder"), r.getMessage());
	}

	/**
	 * Attention from a coarse bundle: the cases it was trained on are cross-fitted (each fold by a
	 * model trained on the others, so no case's mask comes from a model that saw it), and nothing is
	 * reported as optimistic; without cross-fitting, the bundle's own masks of its training cases are
	 * reported. Every case gets a map on its model grid either way.
	 */
	@Test
	void coarseBundleAttentionIsCrossFitted(@TempDir final Path dir) throws Exception {
		final sc.fiji.voxelseg.io.TrainingDataset ds = sc.fiji.voxelseg.phantom.PhantomCohort.write(sc.fiji.voxelseg.phantom.PhantomConfig
			.ofGrid(4, 11, 32), dir.resolve("cohort"), Progress.NONE);
		final TrainingData td = TrainingData.load(ds, TinyCohort.PLAN, Progress.NONE);
		final Path coarse = dir.resolve("coarse.zip");
		new Trainer(td, new TrainingSettings().levels(3).baseWidth(4).batchSize(1).iterations(2).validationFraction(0).augmentation(
			Augmentation.none()), coarse, Progress.NONE).train();
		final List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
		final Progress record = new Progress() {

			@Override
			public void status(final String message) {
				lines.add(message);
			}
		};
		final Map<String, byte[]> crossFitted = AttentionMaps.load(coarse.toString(), ds, td, 2, record);
		assertEquals(4, crossFitted.size());
		for (final CaseData c : td.cases()) assertEquals(c.voxels(), crossFitted.get(c.id()).length, c.id());
		assertTrue(lines.stream().anyMatch(l -> l.contains("fold 1 of 2: training on 2 cases, segmenting 2")), lines.toString());
		assertTrue(lines.stream().anyMatch(l -> l.contains("fold 2 of 2")), lines.toString());
		assertTrue(lines.stream().noneMatch(l -> l.startsWith("Warning")), lines.toString());
		// kept beside the bundle: the next run with the same bundle and folds reuses them, fitting nothing
		assertTrue(Files.isRegularFile(dir.resolve("coarse.zip.crossfit/key.json")));
		lines.clear();
		final Map<String, byte[]> again = AttentionMaps.load(coarse.toString(), ds, td, 2, record);
		assertTrue(lines.stream().anyMatch(l -> l.contains("reused")) && lines.stream().noneMatch(l -> l.contains("fold")), lines.toString());
		for (final String id : crossFitted.keySet()) assertArrayEquals(crossFitted.get(id), again.get(id), id);
		lines.clear();
		final Map<String, byte[]> own = AttentionMaps.load(coarse.toString(), ds, td, 0, record);
		assertEquals(4, own.size());
		assertTrue(lines.stream().anyMatch(l -> l.startsWith("Warning") && l.contains("4 of 4 cases were training cases")), lines.toString());
	}

	/** Condition tags from a CSV (with a header) and from a phantom cohort's cases.json. */
	@Test
	void conditionsFromCsvAndCasesJson(@TempDir final Path dir) throws Exception {
		final Path csv = Files.writeString(dir.resolve("c.csv"), "case,phase\ncase0,arterial\ncase1, venous\n");
		assertEquals(Map.of("case0", "arterial", "case1", "venous"), AttentionMaps.conditions(csv));
		final Path json = Files.writeString(dir.resolve("cases.json"), "[{\"id\":\"case0\",\"phase\":\"native\"},{\"id\":\"case1\",\"phase\":" +
			"\"delayed\",\"part\":\"train\"}]");
		assertEquals(Map.of("case0", "native", "case1", "delayed"), AttentionMaps.conditions(json));
		final Path bad = Files.writeString(dir.resolve("bad.csv"), "case0\n");
		final java.io.IOException e = assertThrows(java.io.IOException.class, () -> AttentionMaps.conditions(bad));
		assertTrue(e.getMessage().contains("line 1"), e.getMessage());
	}

	/** The patch sampler's ground-truth mask: 1 exactly where the label map holds the organ inside the block, 0 outside the volume. */
	@Test
	void maskCutsTheOrganOutOfTheLabels() {
		final byte[] labels = new byte[4 * 3 * 2];
		labels[(1 * 3 + 2) * 4 + 3] = 2;
		labels[0] = 2;
		labels[5] = 1;
		final byte[] m = OrganPatches.mask(labels, new int[] { 4, 3, 2 }, 2, new int[] { 2, 1, 0 }, new int[] { 3, 2, 3 });
		// block x 2..4, y 1..2, z 0..2: (3, 2, 1) lies at (1, 1, 1) in it; x 4 and z 2 are outside the volume
		for (int z = 0; z < 3; z++) for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) {
			assertEquals(x == 1 && y == 1 && z == 1 ? 1 : 0, m[(z * 2 + y) * 3 + x], "at " + x + "," + y + "," + z);
		}
	}
}
