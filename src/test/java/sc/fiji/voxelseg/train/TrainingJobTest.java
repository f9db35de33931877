package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.util.Progress;

/**
 * The training use case under the launcher and the Fiji commands, on tiny phantoms: the settings
 * choose the trainer, a dataset's unlabeled folder feeds a semi-supervised run, the resume guard
 * speaks each face's words before anything is read, and a resumed job continues the step count.
 */
class TrainingJobTest {

	static TrainingData liver;

	@BeforeAll
	static void data() {
		TorchEngine.engine();
		liver = TinyCohort.liver(3);
	}

	private static TrainingSettings supervised() {
		return new TrainingSettings().architecture(Architecture.UNET).baseWidth(4).levels(3).batchSize(1).iterations(4)
			.validationFraction(0).augmentation(Augmentation.none()).device("cpu");
	}

	@Test
	void theSettingsChooseTheTrainer() {
		assertEquals(TrainingJob.Kind.SUPERVISED, TrainingJob.Kind.of(new TrainingSettings()));
		assertEquals(TrainingJob.Kind.SEMI_SUPERVISED, TrainingJob.Kind.of(TrainingSettings.semiSupervisedDefaults()));
		assertEquals(TrainingJob.Kind.PRETRAINING, TrainingJob.Kind.of(PretrainSettings.defaults()));
		assertEquals(TrainingJob.Kind.PATCHES, TrainingJob.Kind.of(PatchSettings.pretrainingDefaults(PatchSettings.Method.AGCL)));
		final TrainingSettings cascade = new TrainingSettings();
		cascade.patches = new PatchSettings();
		assertEquals(TrainingJob.Kind.PATCHES, TrainingJob.Kind.of(cascade));
	}

	/**
	 * Semi-supervised settings on a dataset folder: the semi-supervised trainer runs, with the images
	 * of the dataset's imagesUnlabeled folder, and writes a student bundle whose settings say so.
	 */
	@Test
	void semiSupervisedSettingsTrainWithTheDatasetsUnlabeledImages(@TempDir final Path dir) throws Exception {
		final TrainingDataset ds = PhantomCohort.write(PhantomConfig.ofGrid(2, 3, 64), dir.resolve("cohort"), Progress.NONE);
		final Path unlabeled = ds.root().resolve(TrainingJob.UNLABELED_FOLDER);
		Files.createDirectories(unlabeled);
		Files.copy(ds.cases().get(0).image(), unlabeled.resolve("extra_0000.nii.gz"));
		final TrainingSettings s = TrainingSettings.semiSupervisedDefaults().architecture(Architecture.VNET).baseWidth(4).levels(3)
			.batchSize(1).iterations(2).validationFraction(0).augmentation(Augmentation.none()).device("cpu");
		s.semiSupervised.unlabeledBatch(1).discriminatorWidth(8);
		s.validate();
		final Path out = dir.resolve("semi.zip");
		final TrainingJob.Outcome o = new TrainingJob(s, out, Progress.NONE).onDataset(ds.root(), TinyCohort.PLAN, null);
		assertEquals(TrainingJob.Kind.SEMI_SUPERVISED, o.kind());
		assertEquals(2, o.cases());
		assertEquals(1, o.unlabeled(), "the image of imagesUnlabeled");
		assertFalse(o.resumed());
		assertEquals(2, o.result().steps());
		final ModelBundle b = ModelBundle.load(out);
		assertEquals(ds.classes(), b.classes());
		assertNotNull(b.training().getAsJsonObject("settings").getAsJsonObject("semiSupervised"), "a semi-supervised run");
		assertTrue(Files.isRegularFile(new RunFiles(out).checkpoint()));
		// unlabeled images are for semi-supervised training only
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingJob(supervised(), dir.resolve(
			"x.zip"), Progress.NONE).onDataset(ds.root(), TinyCohort.PLAN, unlabeled));
		assertTrue(e.getMessage().contains("semi-supervised"), e.getMessage());
	}

	/**
	 * A run stopped after 2 of 4 steps leaves a checkpoint: a fresh job onto it is refused in the
	 * face's words before the (here missing) dataset is read; a resumed job ends at step 4 with
	 * the whole history.
	 */
	@Test
	void theGuardRefusesAFreshRunOntoACheckpointAndResumeContinuesTheSteps(@TempDir final Path dir) throws Exception {
		final Path out = dir.resolve("model.zip");
		final TrainingJob.Outcome part = new TrainingJob(supervised(), out, new CancelAfter(2)).onData(liver, null, List.of());
		assertEquals(TrainingJob.Kind.SUPERVISED, part.kind());
		assertTrue(part.result().cancelled());
		assertEquals(2, part.result().steps());

		final RunFiles.Refused fresh = assertThrows(RunFiles.Refused.class, () -> new TrainingJob(supervised(), out, Progress.NONE).resume(
			false, "tick Resume", "another bundle").onDataset(dir.resolve("no-such-dataset"), TinyCohort.PLAN, null));
		assertTrue(fresh.getMessage().contains("tick Resume") && fresh.getMessage().contains("another bundle") && fresh.getMessage()
			.contains(new RunFiles(out).checkpoint().toString()), fresh.getMessage());
		final RunFiles.Refused launcher = assertThrows(RunFiles.Refused.class, () -> new TrainingJob(supervised(), out, Progress.NONE)
			.resume(false, "add --resume", "another --out").onData(liver, null, List.of()));
		assertTrue(launcher.getMessage().contains("add --resume") && launcher.getMessage().contains("another --out"), launcher.getMessage());
		final RunFiles.Refused none = assertThrows(RunFiles.Refused.class, () -> new TrainingJob(supervised(), dir.resolve("other.zip"),
			Progress.NONE).resume(true, "add --resume", "another --out").onData(liver, null, List.of()));
		assertTrue(none.getMessage().startsWith("no checkpoint"), none.getMessage());

		final TrainingJob.Outcome rest = new TrainingJob(supervised(), out, Progress.NONE).resume(true, "tick Resume", "another bundle")
			.onData(liver, null, List.of());
		assertTrue(rest.resumed());
		assertFalse(rest.result().cancelled());
		assertEquals(4, rest.result().steps());
		assertEquals(4, rest.result().history().steps().size());
		assertEquals(3, rest.result().history().steps().get(3).step());
	}

	/** The kind of input must fit the settings, and attention other than the labels needs the dataset. */
	@Test
	void inputsThatDoNotFitTheSettingsAreRefused(@TempDir final Path dir) {
		final IllegalArgumentException images = assertThrows(IllegalArgumentException.class, () -> new TrainingJob(supervised(), dir
			.resolve("a.zip"), Progress.NONE).onImages(liver.cases(), TinyCohort.PLAN));
		assertTrue(images.getMessage().contains("images alone"), images.getMessage());
		final IllegalArgumentException labeled = assertThrows(IllegalArgumentException.class, () -> new TrainingJob(PretrainSettings
			.defaults(), dir.resolve("b.zip"), Progress.NONE).onData(liver, null, List.of()));
		assertTrue(labeled.getMessage().contains("without labels"), labeled.getMessage());
		final TrainingSettings cascade = supervised();
		cascade.patches = new PatchSettings();
		cascade.patches.attention = dir.resolve("coarse.zip").toString();
		final IllegalArgumentException attention = assertThrows(IllegalArgumentException.class, () -> new TrainingJob(cascade, dir
			.resolve("c.zip"), Progress.NONE).onData(liver, null, List.of()));
		assertTrue(attention.getMessage().contains("needs a dataset folder"), attention.getMessage());
		assertFalse(Files.exists(dir.resolve("c.zip")));
	}
}
