package sc.fiji.voxelseg.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import net.imglib2.img.array.ArrayImgs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import sc.fiji.voxelseg.agcl.Cascade;
import sc.fiji.voxelseg.agcl.OrganPatches;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;

/**
 * The cascade predictor's plumbing with hand-made models whose answers are known: a coarse model
 * that reads the labels off the intensities, and cascade models that return the mask channel (so
 * the cascade must give the coarse map back exactly on an identity plan: tiled organs, organs on the
 * border) or probabilities written per region (so overlapping organs are resolved by probability,
 * ties to the lower class). Also the refusals of class tables that do not fit.
 */
class CascadePredictorTest {

	static final ClassTable ORGANS = ClassTable.of(List.of("spleen", "left_kidney", "gallbladder"));
	/** No steps: the model grid is the image grid. */
	static final PreprocessingPlan IDENTITY = new PreprocessingPlan(List.of());
	static final int[] SIZE = { 30, 24, 12 }, PATCH = { 8, 8, 4 };

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	/** A model made of NDArray operations. */
	static final class HandModel implements SegmentationModel {

		final NDManager manager = NDManager.newBaseManager();
		final ClassTable classes;
		final PreprocessingPlan plan;
		final int[] shape;
		final UnaryOperator<NDArray> logits;

		HandModel(final ClassTable classes, final PreprocessingPlan plan, final int[] shape, final UnaryOperator<NDArray> logits) {
			this.classes = classes;
			this.plan = plan;
			this.shape = shape;
			this.logits = logits;
		}

		@Override
		public ClassTable classes() {
			return classes;
		}

		@Override
		public PreprocessingPlan plan() {
			return plan;
		}

		@Override
		public int[] inputShape() {
			return shape.clone();
		}

		@Override
		public int divisor() {
			return 1;
		}

		@Override
		public NDArray logits(final NDArray x) {
			return logits.apply(x);
		}

		@Override
		public NDManager manager() {
			return manager;
		}

		@Override
		public String describe() {
			return "hand-made";
		}

		@Override
		public void close() {
			manager.close();
		}
	}

	/** Cascade model: organ logit +40 where the mask channel is 1, -40 elsewhere. */
	static HandModel maskModel(final PreprocessingPlan plan) {
		return new HandModel(ORGANS, plan, PATCH, x -> {
			final NDArray organ = x.get(":, 1:2").sub(0.5f).mul(80f);
			return NDArrays.concat(new NDList(organ.zerosLike(), organ), 1);
		});
	}

	/** Coarse model: the image holds 10 × the class; logit of class c is -(x - 10c)². */
	static HandModel intensityModel(final ClassTable classes, final int[] grid) {
		return new HandModel(classes, IDENTITY, grid, x -> {
			final NDList per = new NDList();
			for (int c = 0; c <= classes.maxIndex(); c++) per.add(x.sub(10f * c).square().neg());
			return NDArrays.concat(per, 1);
		});
	}

	/**
	 * The ground truth on the 30×24×12 grid: organ 1 an ellipsoid larger than a patch, organ 2 a block
	 * touching the x = 0, y = 0 and z = 0 faces, organ 3 a block touching the opposite faces.
	 */
	static byte[] truth() {
		final byte[] t = new byte[SIZE[0] * SIZE[1] * SIZE[2]];
		for (int z = 0, i = 0; z < SIZE[2]; z++) for (int y = 0; y < SIZE[1]; y++) for (int x = 0; x < SIZE[0]; x++, i++) {
			final double dx = (x - 16) / 11.0, dy = (y - 12) / 9.0, dz = (z - 6) / 5.0;
			if (dx * dx + dy * dy + dz * dz < 1) t[i] = 1;
			if (x < 4 && y < 6 && z < 3) t[i] = 2;
			if (x >= 25 && y >= 19 && z >= 9) t[i] = 3;
		}
		return t;
	}

	static Volume labels(final byte[] b, final ClassTable classes) {
		return new Volume(ArrayImgs.unsignedBytes(b.clone(), SIZE[0], SIZE[1], SIZE[2]), new double[] { 0.8, 0.8, 2.5 }, new double[] {
			-30, 10, 5 }, Volume.identity(), classes, VoxelType.UINT8);
	}

	/** 10 × the class, plus a ripple that rounds away. */
	static Volume image(final byte[] truth) {
		final float[] f = new float[truth.length];
		for (int i = 0; i < f.length; i++) f[i] = 10 * truth[i] + (float) (0.3 * Math.sin(i * 0.7));
		return new Volume(ArrayImgs.floats(f, SIZE[0], SIZE[1], SIZE[2]), new double[] { 0.8, 0.8, 2.5 }, new double[] { -30, 10, 5 },
			Volume.identity(), null, VoxelType.FLOAT32);
	}

	static byte[] bytes(final Volume v) {
		return (byte[]) Voxels.backingArray(v.image());
	}

	@Test
	void refiningTheTruthWithAMaskModelGivesItBackExactly() {
		final byte[] truth = truth();
		final Volume image = image(truth);
		try (CascadePredictor c = new CascadePredictor(maskModel(IDENTITY))) {
			final Prediction p = c.refine(image, labels(truth, ORGANS), PredictOptions.defaults(), null);
			assertTrue(p.labels().sameGrid(image));
			assertEquals(ORGANS, p.labels().classes());
			assertArrayEquals(truth, bytes(p.labels()));
			int patches = 0;
			for (final OrganPatches.OrganBox b : OrganPatches.organs(truth, SIZE)) patches += Cascade.starts(b, PATCH, 0.5).size();
			assertTrue(patches > 40, "organ 1 is tiled: " + patches);
			assertEquals(patches, p.windows());
			// mirroring flips the patches and flips the probabilities back: the same labels
			final Prediction m = c.refine(image, labels(truth, ORGANS), PredictOptions.defaults().withMirror(true), null);
			assertArrayEquals(truth, bytes(m.labels()));
			assertEquals(8 * patches, m.windows());
			// probabilities on request: one per class, the organ's 1 on its voxels
			final Prediction q = c.refine(image, labels(truth, ORGANS), PredictOptions.defaults().withProbabilities(true), null);
			assertEquals(4, q.probabilities().size());
			final float[] liver = Voxels.floats(q.probabilities().get(1).image()), bg = Voxels.floats(q.probabilities().get(0).image());
			for (int i = 0; i < truth.length; i++) {
				assertEquals(truth[i] == 1 ? 1 : 0, liver[i], 1e-6, "voxel " + i);
				assertEquals(truth[i] == 0 ? 1 : 0, bg[i], 1e-6, "voxel " + i);
			}
		}
	}

	/** The whole cascade: the coarse model's labels are the truth, and the cascade gives them back. */
	@Test
	void predictRunsTheCoarseModelThenRefines() {
		final byte[] truth = truth();
		// the coarse model knows an organ more than the cascade model: it is dropped
		final ClassTable coarseClasses = ClassTable.of(List.of("spleen", "left_kidney", "gallbladder", "esophagus"));
		final byte[] withExtra = truth.clone();
		for (int i = 0; i < 40; i++) withExtra[SIZE[0] * SIZE[1] * 5 + 100 + i] = 4;
		final byte[] want = truth.clone();
		for (int i = 0; i < 40; i++) want[SIZE[0] * SIZE[1] * 5 + 100 + i] = 0;
		try (CascadePredictor c = new CascadePredictor(maskModel(IDENTITY), new Predictor(intensityModel(coarseClasses, SIZE)), "fine",
			"coarse"))
		{
			final Prediction p = c.predict(image(withExtra), PredictOptions.defaults(), null);
			assertArrayEquals(want, bytes(p.labels()));
			assertEquals(ORGANS, p.labels().classes());
		}
	}

	/**
	 * On a plan that resamples to a coarser grid and back, the labels land on the image grid with the
	 * cascade model's classes and keep the organs (boundaries move by interpolation).
	 */
	@Test
	void labelsComeBackOntoTheImageGrid() {
		final byte[] truth = truth();
		final PreprocessingPlan half = new PreprocessingPlan(List.of(new Step.ResampleToShape(new long[] { 15, 12, 6 })));
		try (CascadePredictor c = new CascadePredictor(maskModel(half))) {
			final Volume image = image(truth);
			final Prediction p = c.refine(image, labels(truth, ORGANS), PredictOptions.defaults().withLargestComponent(true), null);
			assertTrue(p.labels().sameGrid(image));
			assertEquals(ORGANS, p.labels().classes());
			final byte[] got = bytes(p.labels());
			int agree = 0;
			final int[] found = new int[4];
			for (int i = 0; i < got.length; i++) {
				if (got[i] == truth[i]) agree++;
				found[got[i]]++;
			}
			assertTrue(agree > 0.93 * got.length, agree + " of " + got.length);
			for (int k = 1; k <= 3; k++) assertTrue(found[k] > 0, "organ " + k + " is found");
		}
	}

	/**
	 * Two organs side by side in bright tissue; the cascade model is sure (0.9) inside the mask and
	 * half-sure (0.6) of bright voxels outside it, so both claim the bright voxels. Patches larger than
	 * the grid. By hand: each organ keeps its voxels (0.9 against 0.6, whichever class is lower), the
	 * other bright voxels go to the lower class (0.6 each), dark voxels to background.
	 */
	@Test
	void overlappingOrgansAreResolvedByProbability() {
		final float ln9 = (float) Math.log(9), ln15 = (float) Math.log(1.5);
		final HandModel model = new HandModel(ORGANS, IDENTITY, new int[] { 64, 64, 32 }, x -> {
			final NDArray mask = x.get(":, 1:2"), bright = x.get(":, 0:1").gt(0.5f).toType(DataType.FLOAT32, false);
			final NDArray outside = bright.mul(ln15).add(bright.sub(1f).mul(30f));
			final NDArray organ = mask.mul(ln9).add(mask.sub(1f).neg().mul(outside));
			return NDArrays.concat(new NDList(organ.zerosLike(), organ), 1);
		});
		try (CascadePredictor c = new CascadePredictor(model)) {
			for (final int[] ab : new int[][] { { 1, 3 }, { 3, 1 } }) {
				final byte[] coarse = new byte[SIZE[0] * SIZE[1] * SIZE[2]], want = coarse.clone();
				final float[] img = new float[coarse.length];
				for (int z = 0, i = 0; z < SIZE[2]; z++) for (int y = 0; y < SIZE[1]; y++) for (int x = 0; x < SIZE[0]; x++, i++) {
					if (y < 3 || y > 8 || z < 1 || z > 4 || x < 2 || x > 13) continue;
					img[i] = 1;
					coarse[i] = (byte) (x <= 6 ? ab[0] : x <= 11 ? ab[1] : 0);
					want[i] = (byte) (x <= 6 ? ab[0] : x <= 11 ? ab[1] : 1);
				}
				final Volume image = new Volume(ArrayImgs.floats(img, SIZE[0], SIZE[1], SIZE[2]), new double[] { 1, 1, 1 }, new double[3],
					Volume.identity(), null, VoxelType.FLOAT32);
				final Volume lab = new Volume(ArrayImgs.unsignedBytes(coarse, SIZE[0], SIZE[1], SIZE[2]), new double[] { 1, 1, 1 },
					new double[3], Volume.identity(), ORGANS, VoxelType.UINT8);
				final Prediction p = c.refine(image, lab, PredictOptions.defaults(), null);
				assertArrayEquals(want, bytes(p.labels()), "organs " + ab[0] + " then " + ab[1]);
			}
		}
	}

	@Test
	void refusesClassTablesThatDoNotFit() {
		final ClassTable other = ClassTable.of(List.of("spleen", "liver"));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CascadePredictor(maskModel(IDENTITY),
			new Predictor(intensityModel(other, SIZE)), "fine.zip", "coarse.zip"));
		assertTrue(e.getMessage().contains("class 2") && e.getMessage().contains("'left_kidney'") && e.getMessage().contains("'liver'") &&
			e.getMessage().contains("fine.zip") && e.getMessage().contains("coarse.zip"), e.getMessage());
		final ClassTable lungs = new ClassTable(List.of(new sc.fiji.voxelseg.image.LabelClass(0, "background", 0),
			new sc.fiji.voxelseg.image.LabelClass(7, "lung", 0xff0000)));
		e = assertThrows(IllegalArgumentException.class, () -> new CascadePredictor(maskModel(IDENTITY), new Predictor(intensityModel(
			lungs, SIZE)), "fine.zip", "lungs.zip"));
		assertTrue(e.getMessage().contains("segments none of the organs") && e.getMessage().contains("fine.zip") && e.getMessage()
			.contains("lungs.zip") && e.getMessage().contains("7 lung"), e.getMessage());
		// a coarse segmentation given to refine is checked the same way
		try (CascadePredictor c = new CascadePredictor(maskModel(IDENTITY))) {
			final byte[] truth = truth();
			assertThrows(IllegalArgumentException.class, () -> c.refine(image(truth), labels(truth, other), PredictOptions.defaults(),
				null));
			assertThrows(IllegalStateException.class, () -> c.predict(image(truth), PredictOptions.defaults(), null));
		}
	}
}
