package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.util.Progress;

/**
 * End-to-end training on tiny phantoms: learning, checkpoints, resume, divergence and
 * cancellation. The oracle for learning is chance: the Dice of labelling every voxel as liver,
 * computed from the validation labels.
 */
class SupervisedTrainerTest {

	static TrainingData liver;

	@BeforeAll
	static void data() {
		TorchEngine.engine();
		liver = TinyCohort.liver(8);
	}

	private static TrainingSettings small() {
		return new TrainingSettings().baseWidth(8).levels(3).batchSize(2).learningRate(3e-3).loss(SegmentationLoss.DICE_CE)
			.validationFraction(0.25).device("cpu");
	}

	@Test
	void learnsTheLiverWellAboveChance(@TempDir final Path dir) throws Exception {
		final Path out = dir.resolve("model");
		final Trainer.Result r = new Trainer(liver, small().iterations(60).validateEvery(10).learningRate(1e-2), out,
			Progress.NONE).train();
		assertEquals(60, r.steps());
		assertEquals(60, r.history().steps().size());
		assertEquals(6, r.history().validations().size());
		// chance: every voxel called liver
		double chance = 0;
		int n = 0;
		for (final CaseData c : liver.cases()) {
			if (!Trainer.split(liver.cases(), 0.25, 42).contains(c.id())) continue;
			final long[] h = c.histogram(2);
			chance += 2.0 * h[1] / (h[1] + c.voxels());
			n++;
		}
		chance /= n;
		final double dice = r.history().best().dice()[1];
		assertTrue(dice > 0.6 && dice > chance + 0.3, "validation liver Dice " + dice + ", chance " + chance);
		assertTrue(r.history().steps().get(59).loss() < r.history().steps().get(0).loss(), "loss fell");
		// the best model, the checkpoint and the reports exist and the bundle loads
		assertTrue(Files.isRegularFile(out.resolve(ModelBundle.DESCRIPTION)));
		assertTrue(Files.isRegularFile(Trainer.checkpointPath(out)));
		assertTrue(Files.readAllLines(Trainer.historyPath(out)).size() == 61);
		final ModelBundle b = ModelBundle.load(out);
		assertEquals(liver.classes(), b.classes());
		assertEquals(liver.plan(), b.plan());
		assertArrayEquals(new int[] { 32, 32, 16 }, b.inputShape());
	}

	/**
	 * A run cancelled after step 5 and resumed ends bit for bit where the uninterrupted run ends:
	 * every loss, the weights and the optimiser state, with one intra-op thread and with two (a fixed
	 * thread count: libtorch's reductions split their work by the thread count).
	 */
	@Test
	void resumeContinuesWhereTheRunStopped(@TempDir final Path dir) throws Exception {
		resumeBitForBit(1, dir.resolve("one"));
		resumeBitForBit(2, dir.resolve("two"));
	}

	private void resumeBitForBit(final int intraOpThreads, final Path dir) throws Exception {
		final int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
		ai.djl.pytorch.jni.JniUtils.setNumThreads(intraOpThreads);
		try {
			final TrainingSettings s = small().iterations(8).validateEvery(4).checkpointEvery(2).augmentation(Augmentation.defaults());
			final Trainer.Result full = new Trainer(liver, s, dir.resolve("full"), Progress.NONE).train();

			final Progress cancelAfter5 = new CancelAfter(5);
			final Path out = dir.resolve("part");
			final Trainer.Result part = new Trainer(liver, s, out, cancelAfter5).train();
			assertTrue(part.cancelled());
			assertEquals(5, part.steps());
			final Trainer.Result rest = Trainer.resume(Trainer.checkpointPath(out), liver, out, Progress.NONE);
			assertFalse(rest.cancelled());
			assertEquals(8, rest.steps());
			assertEquals(8, rest.history().steps().size());
			for (int i = 0; i < 8; i++) {
				assertEquals(i, rest.history().steps().get(i).step());
				assertEquals(full.history().steps().get(i).learningRate(), rest.history().steps().get(i).learningRate(), 1e-12);
				assertEquals(full.history().steps().get(i).loss(), rest.history().steps().get(i).loss(), "loss at step " + i);
			}
			// bit for bit: the final weights and the optimiser state
			final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(dir.resolve("full"))), b = ModelBundle.load(
				Trainer.checkpointPath(out));
			assertArrayEquals(a.weights(), b.weights(), "weights");
			assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
			assertSameOutputs(a, b, 0);
		}
		finally {
			ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
		}
	}

	@Test
	void nonFiniteLossStopsAndKeepsTheLastCheckpoint(@TempDir final Path dir) throws Exception {
		final Path out = dir.resolve("model");
		final Trainer t = new Trainer(liver, small().iterations(10).checkpointEvery(2).validationFraction(0), out,
			Progress.NONE).objective((ps, output, labels, step) -> {
				final NDArray l = SegmentationLoss.DICE.compute(SegmentationNetwork.logits(output), labels);
				return step == 4 ? l.mul(Float.NaN) : l;
			});
		final Trainer.DivergedException e = assertThrows(Trainer.DivergedException.class, t::train);
		assertTrue(e.getMessage().contains("step 5") && e.getMessage().contains("NaN") && e.getMessage().contains("learning rate"), e
			.getMessage());
		final ModelBundle ckpt = ModelBundle.load(Trainer.checkpointPath(out));
		assertEquals(4, ckpt.training().getAsJsonObject("state").get("step").getAsLong());
	}

	/**
	 * Memory running out during training: the guard (here with a resident-memory reading that
	 * crosses 95 % of the limit at the third step) stops the run with a checkpoint of the last
	 * finished step and a one-line reason, and the run resumes from it to the end. The guard's
	 * thresholds, worked by hand: 95 % of a 1000-byte limit is 950; the machine keeps 256 MiB.
	 */
	@Test
	void runningOutOfMemoryStopsWithACheckpoint(@TempDir final Path dir) throws Exception {
		final MemoryGuard g = new MemoryGuard(1000, () -> 950, () -> 1L << 30);
		assertEquals(null, g.check());
		assertTrue(new MemoryGuard(1000, () -> 951, () -> 1L << 30).check().contains("holds"));
		assertTrue(new MemoryGuard(1000, () -> 10, () -> (256L << 20) - 1).check().contains("the machine has"));
		assertEquals(null, new MemoryGuard(1000, () -> 10, () -> 256L << 20).check());

		final Path out = dir.resolve("model");
		final long[] calls = { 0 };
		final MemoryGuard failing = new MemoryGuard(1L << 40, () -> ++calls[0] >= 3 ? 1L << 40 : 1L << 30, () -> 1L << 33);
		final Trainer t = new Trainer(liver, small().iterations(6).checkpointEvery(100).validationFraction(0), out,
			Progress.NONE).memoryGuard(failing);
		final MemoryGuard.MemoryExhaustedException e = assertThrows(MemoryGuard.MemoryExhaustedException.class, t::train);
		assertTrue(e.getMessage().startsWith("training stopped after step 3 of 6: memory nearly exhausted") && e.getMessage().contains(
			"--resume") && !e.getMessage().contains("\n"), e.getMessage());
		assertEquals(3, ModelBundle.load(Trainer.checkpointPath(out)).training().getAsJsonObject("state").get("step").getAsLong());
		final Trainer.Result rest = Trainer.resume(Trainer.checkpointPath(out), liver, out, Progress.NONE);
		assertEquals(6, rest.steps());
	}

	@Test
	void refusesAConfigurationThatDoesNotFit(@TempDir final Path dir) {
		final Trainer t = new Trainer(liver, small().iterations(1), dir.resolve("m"), Progress.NONE).memoryLimit(
			1L << 20);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, t::train);
		assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains("available"), e.getMessage());
		assertFalse(Files.exists(dir.resolve("m")));
	}

	@Test
	void refusesWholeVolumeBatchesOfMixedShapesAndSizesTheNetworkCannotTake(@TempDir final Path dir) {
		final TrainingSettings s = small().iterations(1).sampling(Sampling.patches(30, 32, 16, 0.3));
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(liver, s, dir
			.resolve("m"), Progress.NONE).train());
		assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
	}

	static void assertSameOutputs(final ModelBundle a, final ModelBundle b, final double tol) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final SegmentationNetwork na = a.network(m), nb = b.network(m);
			final NDArray x = m.randomUniform(0, 1, new Shape(1, 1, 16, 32, 32));
			final ParameterStore ps = new ParameterStore(m, false);
			final float[] ya = na.forward(ps, new NDList(x), false).get(0).toFloatArray();
			final float[] yb = nb.forward(ps, new NDList(x), false).get(0).toFloatArray();
			for (int i = 0; i < ya.length; i++) assertEquals(ya[i], yb[i], tol * (1 + Math.abs(ya[i])), "logit " + i);
		}
	}
}
