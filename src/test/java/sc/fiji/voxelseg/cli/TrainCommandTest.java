package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.train.Representation;
import sc.fiji.voxelseg.train.TrainingSettings;

/** The representation-learning options of {@code train}. */
class TrainCommandTest {

	private static TrainingSettings parse(final String... argv) {
		final Args a = new Args(List.of(argv), Set.of("no-adv", "no-feature", "no-consistency"));
		final TrainingSettings s = TrainCommand.settings(a);
		a.checkAllUsed();
		return s;
	}

	@Test
	void representationOptions() {
		final TrainingSettings plain = parse();
		assertEquals(Representation.NONE, plain.representation);
		final TrainingSettings s = parse("--representation", "siamese", "--feature-layers", "1", "--head-width", "256",
			"--feature-grid", "features");
		assertEquals(Representation.SIAMESE, s.representation);
		assertEquals(1, s.featureLayers);
		assertEquals(100, s.featureWeight(), "the paper's λ for one layer");
		assertEquals(256, s.headWidth);
		assertEquals(FeatureGrid.UPSAMPLE_FEATURES, s.featureGrid);
		final TrainingSettings c = parse("--representation", "contrastive", "--lambda", "2.5", "--feature-grid", "labels");
		assertEquals(Representation.CONTRASTIVE, c.representation);
		assertEquals(3, c.featureLayers);
		assertEquals(2.5, c.featureWeight());
		assertEquals(FeatureGrid.DOWNSAMPLE_LABELS, c.featureGrid);
		assertTrue(new TrainCommand().usage().contains("--representation none|siamese|contrastive"));
	}

	@Test
	void badRepresentationOptionsAreUsageErrors() {
		Args.UsageException e = assertThrows(Args.UsageException.class, () -> parse("--representation", "byol"));
		assertTrue(e.getMessage().contains("siamese"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--representation", "siamese", "--feature-layers", "5"));
		assertTrue(e.getMessage().contains("feature layers"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--feature-grid", "mask"));
		assertTrue(e.getMessage().contains("labels"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--representation", "siamese", "--lambda", "-1"));
		assertTrue(e.getMessage().contains("lambda"), e.getMessage());
	}

	/** {@code --mode semi}: the paper's defaults, and each option reaches its setting. */
	@Test
	void semiSupervisedOptions() {
		final TrainingSettings d = parse("--mode", "semi");
		assertEquals(sc.fiji.voxelseg.nn.Architecture.VNET, d.architecture);
		assertEquals(sc.fiji.voxelseg.train.Optimiser.Kind.SGD, d.optimiser);
		assertEquals(0.01, d.learningRate);
		assertEquals(1e-4, d.weightDecay);
		assertEquals(sc.fiji.voxelseg.train.LearningRateSchedule.Kind.STEP, d.schedule);
		assertEquals(6000, d.iterations);
		assertEquals(2, d.batchSize);
		assertEquals(FeatureGrid.UPSAMPLE_FEATURES, d.featureGrid);
		assertEquals(1, d.semiSupervised.labeledFraction);
		assertTrue(d.semiSupervised.adversarial && d.semiSupervised.feature && d.semiSupervised.consistency);
		assertTrue(d.semiSupervised.separatePasses, "labeled and unlabeled volumes in separate passes by default");
		final TrainingSettings s = parse("--mode", "semi", "--labeled-fraction", "0.2", "--unlabeled-batch", "3", "--ema", "0.999",
			"--confidence", "0.8", "--alpha", "0.5", "--beta", "100", "--gamma0", "0.1", "--ramp-up", "40", "--no-adv", "--no-consistency",
			"--disc-lr", "1e-3", "--disc-width", "32", "--disc-maps", "3", "--export", "teacher", "--optimiser", "adam", "--epochs", "7",
			"--student-pass", "shared");
		final var m = s.semiSupervised;
		assertEquals(0.2, m.labeledFraction);
		assertEquals(3, m.unlabeledBatch);
		assertEquals(0.999, m.emaDecay);
		assertEquals(0.8, m.confidence);
		assertEquals(0.5, m.alpha);
		assertEquals(100, m.beta);
		assertEquals(0.1, m.gamma0);
		assertEquals(40, m.rampUpSteps);
		assertTrue(!m.adversarial && m.feature && !m.consistency);
		assertEquals(1e-3, m.discriminatorLr);
		assertEquals(32, m.discriminatorWidth);
		assertEquals(3, m.discriminatorMaps);
		assertTrue(m.exportTeacher);
		assertFalse(m.separatePasses);
		assertEquals(1e-3, s.learningRate, "adam's default");
		assertEquals(0, s.iterations, "--epochs given");
		assertEquals(null, parse().semiSupervised);
		Args.UsageException e = assertThrows(Args.UsageException.class, () -> parse("--mode", "semi", "--labeled-fraction", "0"));
		assertTrue(e.getMessage().contains("labeled fraction"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--mode", "semi", "--labeled-fraction", "1.2"));
		assertTrue(e.getMessage().contains("labeled fraction"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--mode", "self"));
		assertTrue(e.getMessage().contains("semi"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--mode", "semi", "--export", "both"));
		assertTrue(e.getMessage().contains("teacher"), e.getMessage());
		e = assertThrows(Args.UsageException.class, () -> parse("--mode", "semi", "--student-pass", "joint"));
		assertTrue(e.getMessage().contains("separate") && e.getMessage().contains("shared"), e.getMessage());
		assertTrue(new TrainCommand().usage().contains("--mode semi"));
	}
}
