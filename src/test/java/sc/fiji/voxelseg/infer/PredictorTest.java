package sc.fiji.voxelseg.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import net.imglib2.img.array.ArrayImgs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.Grid;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Resampler;
import sc.fiji.voxelseg.preprocess.Step;

/**
 * The predictor's mechanics with a voxel-wise model whose answer is known (class 1 where the
 * windowed intensity exceeds 0.5): the label map must equal that threshold taken on the image's
 * own grid after the round trip through the model grid, whole-volume and sliding-window
 * prediction must agree (the Gaussian weights cancel for a voxel-wise model), and so must
 * mirroring. Oracles: the threshold computed directly, per-class resampling followed by arg-max,
 * and worked values.
 */
class PredictorTest {

	static final ClassTable CLASSES = ClassTable.of(List.of("bright"));

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	/** logits (0, 20·(x - 0.5)): class 1 exactly where x > 0.5. */
	static final class ThresholdModel implements SegmentationModel {

		final NDManager manager = NDManager.newBaseManager();
		final PreprocessingPlan plan;
		final int[] shape;

		ThresholdModel(final PreprocessingPlan plan, final int... shape) {
			this.plan = plan;
			this.shape = shape;
		}

		@Override
		public ClassTable classes() {
			return CLASSES;
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
			return 4;
		}

		@Override
		public NDArray logits(final NDArray x) {
			final NDArray one = x.sub(0.5f).mul(20f);
			return NDArrays.concat(new NDList(one.zerosLike(), one), 1);
		}

		@Override
		public NDManager manager() {
			return manager;
		}

		@Override
		public String describe() {
			return "threshold";
		}

		@Override
		public void close() {
			manager.close();
		}
	}

	/** An int16 CT-like volume: a smooth blob of soft tissue in air. */
	static Volume ct(final int nx, final int ny, final int nz) {
		final short[] s = new short[nx * ny * nz];
		for (int z = 0, i = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++, i++) {
			final double dx = (x - nx * 0.45) / (nx * 0.3), dy = (y - ny * 0.5) / (ny * 0.25), dz = (z - nz * 0.5) / (nz * 0.35);
			s[i] = (short) (dx * dx + dy * dy + dz * dz < 1 ? 200 - 300 * (dx * dx + dy * dy + dz * dz) : -1000);
		}
		return new Volume(ArrayImgs.shorts(s, nx, ny, nz), new double[] { 0.8, 0.8, 2.5 }, new double[] { -30, 10, 5 }, Volume
			.identity(), null, VoxelType.INT16);
	}

	static final PreprocessingPlan PLAN = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ResampleToShape(
		new long[] { 32, 32, 16 })));

	@Test
	void labelsComeBackOnTheImageGridAndAgreeAcrossModes() {
		final Volume image = ct(70, 60, 20);
		try (Predictor whole = new Predictor(new ThresholdModel(PLAN, 32, 32, 16)); Predictor sliding = new Predictor(new ThresholdModel(
			PLAN, 16, 16, 8)))
		{
			final Prediction w = whole.predict(image, PredictOptions.defaults(), null);
			assertEquals(1, w.windows());
			assertTrue(w.labels().sameGrid(image));
			assertEquals(CLASSES, w.labels().classes());
			final Prediction s = sliding.predict(image, PredictOptions.defaults(), null);
			assertTrue(s.windows() > 8, "sliding windows " + s.windows());
			final Prediction m = sliding.predict(image, PredictOptions.defaults().withMirror(true).withOverlap(0.25), null);
			final byte[] lw = bytes(w.labels()), ls = bytes(s.labels()), lm = bytes(m.labels());
			assertArrayEquals(lw, ls);
			assertArrayEquals(lw, lm);
			// the oracle: threshold the windowed image on the model grid, back to the image grid by the same interpolation
			final PreprocessingPlan.Result r = PLAN.apply(image);
			final float[] f = Voxels.floats(r.image().image());
			final float[] p0 = new float[f.length], p1 = new float[f.length];
			for (int i = 0; i < f.length; i++) {
				final double e = Math.exp(20 * (f[i] - 0.5));
				p1[i] = (float) (e / (1 + e));
				p0[i] = 1 - p1[i];
			}
			assertArrayEquals(Resampler.linearArgmax(new float[][] { p0, p1 }, r.trace().result(), r.trace().original()), lw);
			int bright = 0;
			for (final byte b : lw) bright += b;
			assertTrue(bright > 1000, "the blob is found: " + bright + " voxels");
		}
	}

	/** Arg-max of trilinear scores equals resampling every class then taking the arg-max. */
	@Test
	void linearArgmaxEqualsResamplingEachClass() {
		final Random r = new Random(4);
		final Grid src = new Grid(new long[] { 9, 7, 5 }, new double[] { 2, 2.5, 3 }, new double[] { 1, -2, 3 }, Volume.identity());
		final Grid[][] pairs = {
			// upsampling, the predictor's usual case
			{ src, new Grid(new long[] { 20, 16, 13 }, new double[] { 0.9, 1.1, 1.3 }, new double[] { -1, -3, 0 }, Volume.identity()) },
			// downsampling
			{ src, new Grid(new long[] { 4, 3, 3 }, new double[] { 4.1, 5.2, 4.9 }, new double[] { 1.5, -1, 3.5 }, Volume.identity()) },
			// a target reaching well past the source on every side
			{ src, new Grid(new long[] { 30, 6, 9 }, new double[] { 1, 4, 2.2 }, new double[] { -8, -9, -4 }, Volume.identity()) },
			// a single source voxel; a single target voxel
			{ new Grid(new long[] { 1, 1, 1 }, new double[] { 2, 2, 2 }, new double[] { 0, 0, 0 }, Volume.identity()), new Grid(new long[] {
				3, 2, 2 }, new double[] { 0.5, 0.5, 0.5 }, new double[] { -0.5, 0, 0 }, Volume.identity()) },
			{ src, new Grid(new long[] { 1, 1, 1 }, new double[] { 1, 1, 1 }, new double[] { 6.3, 4.1, 8.9 }, Volume.identity()) } };
		for (final Grid[] pair : pairs) {
			final Grid from = pair[0], dst = pair[1];
			final int n = (int) (from.dims()[0] * from.dims()[1] * from.dims()[2]);
			final float[][] scores = new float[4][n];
			for (final float[] s : scores) for (int i = 0; i < s.length; i++) s[i] = r.nextFloat();
			final byte[] got = Resampler.linearArgmax(scores, from, dst);
			final float[][] per = new float[4][];
			for (int c = 0; c < 4; c++) per[c] = Voxels.floats(Resampler.resample(Volume.ofFloats(scores[c], from.dims(), from.spacing(),
				from.origin(), from.direction()), dst, Interpolation.LINEAR, Float.NaN, null).image());
			assertEquals(per[0].length, got.length);
			for (int i = 0; i < got.length; i++) {
				final String what = java.util.Arrays.toString(dst.dims()) + " voxel " + i;
				if (Float.isNaN(per[0][i])) {
					assertEquals(0, got[i], "outside the source is background: " + what);
					continue;
				}
				int best = 0;
				for (int c = 1; c < 4; c++) if (per[c][i] > per[best][i]) best = c;
				assertEquals(best, got[i], what);
			}
		}
	}

	@Test
	void refusesImagesWithoutHounsfieldUnits() {
		final byte[] b = new byte[32 * 32 * 16];
		final Volume eightBit = new Volume(ArrayImgs.unsignedBytes(b, 32, 32, 16), new double[] { 1, 1, 1 }, new double[3], Volume
			.identity(), null, VoxelType.UINT8);
		try (Predictor p = new Predictor(new ThresholdModel(PLAN, 32, 32, 16))) {
			final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(eightBit, PredictOptions
				.defaults(), null));
			assertTrue(e.getMessage().contains("Hounsfield") && e.getMessage().contains("8-bit"), e.getMessage());
			assertEquals(0, p.predict(eightBit, PredictOptions.defaults().withCheckIntensities(false), null).labels().voxelCount() -
				32 * 32 * 16);
		}
	}

	/** Worked values: 10 voxels, windows of 4, overlap 0.5 → step 2 → starts 0, 2, 4, 6. */
	/**
	 * The predictor's intensity statistics, read straight from int16, uint16 and float32 arrays, are
	 * those of the generic per-voxel {@link Voxels#stats}: negative and above-32767 values, NaN and
	 * infinities counted and left out, an all-NaN image.
	 */
	@Test
	void arrayStatisticsEqualTheGenericOnes() {
		final Random r = new Random(9);
		final int nx = 13, ny = 7, nz = 5, n = nx * ny * nz;
		final short[] s = new short[n];
		final float[] f = new float[n], nan = new float[n];
		for (int i = 0; i < n; i++) {
			s[i] = (short) r.nextInt(65536);
			f[i] = i % 17 == 0 ? Float.NaN : i % 23 == 0 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian() * 300;
			nan[i] = Float.NaN;
		}
		final double[] sp = { 1, 1, 1 }, o = { 0, 0, 0 };
		final List<Volume> vols = List.of(new Volume(ArrayImgs.shorts(s, nx, ny, nz), sp, o, Volume.identity(), null, VoxelType.INT16),
			new Volume(ArrayImgs.unsignedShorts(s, nx, ny, nz), sp, o, Volume.identity(), null, VoxelType.UINT16), new Volume(ArrayImgs
				.floats(f, nx, ny, nz), sp, o, Volume.identity(), null, VoxelType.FLOAT32), new Volume(ArrayImgs.floats(nan, nx, ny, nz), sp,
					o, Volume.identity(), null, VoxelType.FLOAT32));
		for (final Volume v : vols) {
			final Voxels.Stats want = Voxels.stats(v.image()), got = Predictor.stats(v);
			final String what = v.voxelType() + ": " + got + " vs " + want;
			assertEquals(want.nonFinite(), got.nonFinite(), what);
			assertEquals(want.min(), got.min(), 0, what);
			assertEquals(want.max(), got.max(), 0, what);
			assertEquals(want.mean(), got.mean(), Double.isNaN(want.mean()) ? 0 : 1e-9 * Math.max(1, Math.abs(want.mean())), what);
		}
		assertTrue(Predictor.stats(vols.get(1)).max() > Short.MAX_VALUE, "uint16 values read unsigned");
		assertTrue(Predictor.stats(vols.get(0)).min() < 0, "int16 values read signed");
	}

	@Test
	void windowStartsAndWeights() {
		assertArrayEquals(new int[] { 0, 2, 4, 6 }, SlidingWindow.starts(10, 4, 0.5));
		assertArrayEquals(new int[] { 0 }, SlidingWindow.starts(3, 4, 0.5));
		assertArrayEquals(new int[] { 0, 3 }, SlidingWindow.starts(7, 4, 0.25));
		final float[] g = SlidingWindow.gaussian(new int[] { 8, 8, 8 });
		assertEquals(1, g[3 + 8 * (3 + 8 * 3)], 0.01);
		assertTrue(g[0] < 0.01 && g[0] >= 1e-3f);
	}

	/** Two blobs of class 1 (sizes 8 and 1) and one of class 2: only the big class-1 blob and class 2 stay. */
	@Test
	void largestComponentPerClass() {
		final int n = 6;
		final byte[] l = new byte[n * n * n];
		for (int z = 0; z < 2; z++) for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) l[x + n * (y + n * z)] = 1;
		l[5 + n * (5 + n * 5)] = 1;
		l[5 + n * (0 + n * 0)] = 2;
		l[4 + n * (0 + n * 0)] = 2;
		Components.keepLargest(l, n, n, n);
		int ones = 0, twos = 0;
		for (final byte b : l) {
			if (b == 1) ones++;
			if (b == 2) twos++;
		}
		assertEquals(8, ones);
		assertEquals(2, twos);
		assertEquals(0, l[5 + n * (5 + n * 5)]);
	}

	static byte[] bytes(final Volume v) {
		final float[] f = Voxels.floats(v.image());
		final byte[] b = new byte[f.length];
		for (int i = 0; i < f.length; i++) b[i] = (byte) f[i];
		return b;
	}
}
