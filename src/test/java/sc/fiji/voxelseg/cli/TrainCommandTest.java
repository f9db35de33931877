package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
		final Args a = new Args(List.of(argv), Set.of());
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
}
