package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.util.Progress;

/**
 * Supervised training with the voxel-level representation losses on tiny phantoms (liver and
 * spleen, 32×32×16, a 3-level U-Net of width 8): the losses fall under training, a resumed run
 * continues the uninterrupted one, and bundles hold the segmentation network only.
 */
class RepresentationTrainingTest {

	static TrainingData organs;

	@BeforeAll
	static void data() {
		TorchEngine.engine();
		organs = TinyCohort.of(6, ClassTable.of(List.of("spleen", "liver")), PhantomGenerator.SPLEEN, PhantomGenerator.LIVER);
	}

	private static TrainingSettings small(final Representation r) {
		return new TrainingSettings().baseWidth(8).levels(3).batchSize(2).learningRate(3e-3).loss(SegmentationLoss.DICE_CE)
			.validationFraction(0.25).device("cpu").representation(r);
	}

	/**
	 * Ten Adam steps on L_seg + λ L_feature lower L_feature, measured on one fixed batch with the same
	 * voxel sample before and after: Siamese on the three deepest encoder maps (labels downsampled),
	 * Siamese on the deepest map with features upsampled to the label grid, and the contrastive
	 * baseline on two maps.
	 */
	@Test
	void trainingLowersTheFeatureLoss() {
		final Object[][] runs = { { Representation.SIAMESE, 3, FeatureGrid.DOWNSAMPLE_LABELS, 0.5 }, { Representation.SIAMESE, 1,
			FeatureGrid.UPSAMPLE_FEATURES, 0.2 }, { Representation.CONTRASTIVE, 2, FeatureGrid.DOWNSAMPLE_LABELS, 0.2 } };
		for (final Object[] run : runs) {
			final TrainingSettings s = small((Representation) run[0]).featureLayers((Integer) run[1]).featureGrid((FeatureGrid) run[2]);
			final double[] before = new double[1], after = new double[1];
			train(s, 10, before, after);
			final String what = run[0] + " on " + run[1] + " layer(s), " + run[2] + ": L_feature " + before[0] + " -> " + after[0];
			assertTrue(Double.isFinite(before[0]) && Double.isFinite(after[0]), what);
			assertTrue(after[0] < before[0] - (Double) run[3], what);
		}
	}

	/** Trains {@code steps} steps outside the trainer, reporting L_feature on batch 0 before and after. */
	private static void train(final TrainingSettings s, final int steps, final double[] before, final double[] after) {
		final NetworkConfig cfg = NetworkConfig.defaults(s.architecture, 1, organs.classCount()).withNorm(s.norm).withLevels(s.levels)
			.withBaseWidth(s.baseWidth);
		final BatchSampler sampler = new BatchSampler(organs.cases(), organs.classCount(), Sampling.whole(), Augmentation.none(), 2, 1);
		TorchEngine.setGradMode(false);
		TorchEngine.seed(5);
		try (NDManager root = NDManager.newBaseManager()) {
			final SegmentationNetwork net = cfg.build();
			net.initialize(root, DataType.FLOAT32, new Shape(2, 1, 16, 32, 32));
			final RepresentationObjective o = RepresentationObjective.of(s, net);
			final List<Parameter> params = new ArrayList<>();
			for (final Pair<String, Parameter> p : net.getParameters()) params.add(p.getValue());
			params.addAll(o.parameters(root));
			assertEquals(s.featureLayers, o.heads().size());
			final Optimiser opt = Optimiser.adam(1e-5f, root);
			final ParameterStore ps = new ParameterStore(root, false);
			before[0] = featureLoss(net, o, ps, root, sampler.batch(0));
			for (int i = 0; i < steps; i++) {
				try (NDScope scope = new NDScope()) {
					scope.suppressNotUsedWarning();
					final Batch b = sampler.batch(i);
					try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
						final NDList out = net.forward(ps, new NDList(image(root, b)), true);
						final NDArray loss = o.loss(ps, out, labels(root, b), i);
						assertTrue(Double.isFinite(loss.getFloat()), "loss at step " + i);
						gc.backward(loss);
					}
				}
				opt.step(params, 3e-3f);
			}
			after[0] = featureLoss(net, o, ps, root, sampler.batch(0));
		}
	}

	private static double featureLoss(final SegmentationNetwork net, final RepresentationObjective o, final ParameterStore ps,
		final NDManager root, final Batch b)
	{
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final NDList out = net.forward(ps, new NDList(image(root, b)), true);
			return o.featureLoss(ps, out, labels(root, b), 0).getFloat();
		}
	}

	private static NDArray image(final NDManager m, final Batch b) {
		return m.create(FloatBuffer.wrap(b.images()), new Shape(b.n(), 1, b.nz(), b.ny(), b.nx()));
	}

	private static NDArray labels(final NDManager m, final Batch b) {
		return m.create(ByteBuffer.wrap(b.labels()), new Shape(b.n(), b.nz(), b.ny(), b.nx()), DataType.UINT8);
	}

	/**
	 * Like {@link SupervisedTrainerTest#resumeContinuesWhereTheRunStopped}, with the Siamese loss on
	 * three layers: the checkpoint carries the heads, the resumed run repeats the uninterrupted one's
	 * losses and ends with the same network and heads. The model bundle holds the network alone:
	 * its weights are those of a plain network of the same configuration, byte for byte in size.
	 */
	@Test
	void resumeContinuesAndBundlesHoldOnlyTheNetwork(@TempDir final Path dir) throws Exception {
		// one intra-op thread: multi-threaded reductions may round differently from run to run when the
		// machine is busy, and near-ties in early training (arg-max, sampling) amplify that
		final int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
		ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
		try {
			final TrainingSettings s = small(Representation.SIAMESE).iterations(6).validateEvery(3).checkpointEvery(2).augmentation(
				Augmentation.defaults());
			final Trainer.Result full = new Trainer(organs, s, dir.resolve("full"), Progress.NONE).train();

			final Progress cancelAfter3 = new CancelAfter(3);
			final Path out = dir.resolve("part");
			final Trainer.Result part = new Trainer(organs, s, out, cancelAfter3).train();
			assertTrue(part.cancelled());
			assertEquals(3, part.steps());
			assertNotNull(ModelBundle.load(Trainer.checkpointPath(out)).objectiveState(), "the checkpoint holds the heads");
			final Trainer.Result rest = Trainer.resume(Trainer.checkpointPath(out), organs, out, Progress.NONE);
			assertFalse(rest.cancelled());
			assertEquals(6, rest.steps());
			for (int i = 0; i < 6; i++) {
				final double expected = full.history().steps().get(i).loss();
				assertEquals(expected, rest.history().steps().get(i).loss(), "loss at step " + i);
			}
			final ModelBundle a = ModelBundle.load(Trainer.checkpointPath(dir.resolve("full")));
			final ModelBundle b = ModelBundle.load(Trainer.checkpointPath(out));
			// bit for bit: network, optimiser state, and the regime's own state (teacher, heads, discriminator)
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.weights(), b.weights(), "weights");
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.optimiserState(), b.optimiserState(), "optimiser state");
			org.junit.jupiter.api.Assertions.assertArrayEquals(a.objectiveState(), b.objectiveState(), "regime state");
			SupervisedTrainerTest.assertSameOutputs(a, b, 0);
			assertSameHeads(s, a, b);
			assertEquals("SIAMESE", b.training().getAsJsonObject("settings").get("representation").getAsString());

			final ModelBundle model = ModelBundle.load(out);
			assertNull(model.objectiveState(), "a model bundle holds no heads");
			final SegmentationNetwork plain = model.network().build();
			try (NDManager m = NDManager.newBaseManager()) {
				plain.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 32, 32));
				assertEquals(ModelBundle.weightsOf(plain).length, model.weights().length, "the bundle's weights are the network's");
				assertEquals(plain.parameterCount(), model.network(m).parameterCount());
			}
		}
		finally {
			ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
		}
	}

	private static void assertSameHeads(final TrainingSettings s, final ModelBundle a, final ModelBundle b) throws Exception {
		try (NDManager m = NDManager.newBaseManager()) {
			final SegmentationNetwork net = a.network().build();
			final List<float[]> values = new ArrayList<>();
			for (final ModelBundle x : new ModelBundle[] { a, b }) {
				final RepresentationObjective o = RepresentationObjective.of(s, net);
				final List<Parameter> params = o.parameters(m);
				o.loadState(x.objectiveState());
				for (final Parameter p : params) {
					assertTrue(p.getArray().hasGradient(), "a restored head parameter is trainable");
					values.add(p.getArray().toFloatArray());
				}
			}
			final int n = values.size() / 2;
			for (int i = 0; i < n; i++) {
				final float[] x = values.get(i), y = values.get(n + i);
				assertEquals(x.length, y.length);
				for (int k = 0; k < x.length; k++) assertEquals(x[k], y[k], 1e-3 * (1 + Math.abs(x[k])), "head parameter " + i + "[" + k + "]");
			}
		}
	}

	@Test
	void settingsAreCheckedAndOldSettingsLoad() {
		final TrainingSettings s = new TrainingSettings();
		assertEquals(Representation.NONE, s.representation);
		assertEquals(10, s.featureWeight());
		assertEquals(100, s.featureLayers(1).featureWeight());
		assertEquals(10, s.featureLayers(2).featureWeight());
		assertEquals(3.5, s.lambda(3.5).featureWeight());
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingSettings().representation(
			Representation.SIAMESE).featureLayers(4).validate());
		assertTrue(e.getMessage().contains("feature layers"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new TrainingSettings().representation(Representation.CONTRASTIVE).lambda(-1)
			.validate());
		// settings saved before representation learning existed load with it off
		final JsonObject old = new TrainingSettings().toJson();
		for (final String k : new String[] { "representation", "featureLayers", "lambda", "headWidth", "featureGrid" }) old.remove(k);
		final TrainingSettings back = TrainingSettings.fromJson(old);
		assertEquals(Representation.NONE, back.representation);
		assertEquals(64, back.headWidth);
		assertEquals(FeatureGrid.DOWNSAMPLE_LABELS, back.featureGrid);
		// a round trip keeps the new fields
		final TrainingSettings on = TrainingSettings.fromJson(small(Representation.CONTRASTIVE).featureLayers(2).lambda(7).headWidth(128)
			.featureGrid(FeatureGrid.UPSAMPLE_FEATURES).toJson());
		assertEquals(Representation.CONTRASTIVE, on.representation);
		assertEquals(2, on.featureLayers);
		assertEquals(7, on.lambda);
		assertEquals(128, on.headWidth);
		assertEquals(FeatureGrid.UPSAMPLE_FEATURES, on.featureGrid);
		// more feature layers than the network has levels
		final IllegalArgumentException deep = assertThrows(IllegalArgumentException.class, () -> new RepresentationObjective(small(
			Representation.SIAMESE).featureLayers(3), new int[] { 16, 8 }, 3));
		assertTrue(deep.getMessage().contains("at least as many levels"), deep.getMessage());
	}
}
