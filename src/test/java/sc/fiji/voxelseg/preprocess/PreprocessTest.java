package sc.fiji.voxelseg.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import com.google.gson.JsonObject;

import net.imglib2.img.array.ArrayImgs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.testutil.Python;

/** Preprocessing against values worked by hand and against scipy.ndimage / numpy. */
class PreprocessTest {

	@TempDir
	Path tmp;

	private static final double[] OBLIQUE = rotationZ(0.3);

	static double[] rotationZ(final double a) {
		return new double[] { Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1 };
	}

	static Volume randomCt(final long seed, final int w, final int h, final int d) {
		final Random r = new Random(seed);
		final short[] s = new short[w * h * d];
		for (int i = 0; i < s.length; i++)
			s[i] = (short) (r.nextInt(2400) - 1100);
		return new Volume(ArrayImgs.shorts(s, w, h, d), new double[] { 0.7, 0.8, 2.5 }, new double[] {
			10, -20, 30 }, OBLIQUE, null, VoxelType.INT16);
	}

	/** Worked by hand: (clamp(v) + 200) / 450. */
	@Test
	void windowMatchesHandValues() {
		final HuWindow w = HuWindow.SOFT_TISSUE;
		assertEquals(0f, w.apply(-1000));
		assertEquals(0f, w.apply(-200));
		assertEquals(0.5f, w.apply(25), 1e-7);
		assertEquals(1f, w.apply(250));
		assertEquals(1f, w.apply(3000));
		assertEquals(HuWindow.WIDE, HuWindow.preset("wide"));
		assertEquals(-1350, HuWindow.preset("WIDE").lower());
		assertThrows(IllegalArgumentException.class, () -> HuWindow.preset("liverish"));
		assertThrows(IllegalArgumentException.class, () -> HuWindow.custom(10, 10));
	}

	private float[] scipy(final Volume v, final String... args) throws Exception {
		final Path in = tmp.resolve("in.nii");
		final Path out = tmp.resolve("out.raw");
		NiftiIO.write(v, in);
		final String[] all = new String[args.length + 2];
		all[0] = in.toString();
		all[1] = out.toString();
		System.arraycopy(args, 0, all, 2, args.length);
		Python.run("scipy_preprocess.py", all);
		final byte[] b = Files.readAllBytes(out);
		final float[] f = new float[b.length / 4];
		ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
		return f;
	}

	/** Oracle: clip + scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest'). */
	@Test
	void windowedTrilinearMatchesScipy() throws Exception {
		final Volume ct = randomCt(1, 50, 40, 30);
		for (final long[] shape : new long[][] { { 20, 16, 12 }, { 64, 48, 35 } }) {
			final Volume ours = Resampler.resample(ct, Resampler.shapeGrid(Grid.of(ct), shape),
				Interpolation.LINEAR, 0, HuWindow.SOFT_TISSUE);
			final float[] expected = scipy(ct, "zoom", "1", "" + shape[0], "" + shape[1], "" +
				shape[2], "-200", "250");
			assertArrayEquals(shape, ours.dims());
			assertArrayEquals(expected, Voxels.floats(ours.image()), 2e-5f);
			// the unfused path (float source) agrees too
			final Volume two = Resampler.toShape(Intensity.window(ct, HuWindow.SOFT_TISSUE), shape,
				Interpolation.LINEAR);
			assertArrayEquals(expected, Voxels.floats(two.image()), 2e-5f);
		}
	}

	/** Oracle: scipy.ndimage.zoom(order=0, grid_mode=True, mode='nearest'); shapes avoid ties. */
	@Test
	void nearestLabelsMatchScipy() throws Exception {
		final Random r = new Random(3);
		final byte[] b = new byte[30 * 20 * 10];
		for (int i = 0; i < b.length; i++)
			b[i] = (byte) r.nextInt(9);
		final Volume lab = new Volume(ArrayImgs.unsignedBytes(b, 30, 20, 10), new double[] { 1, 1, 3 },
			new double[3], Volume.identity(), ClassTable.abdomen(), VoxelType.UINT8);
		final long[] shape = { 12, 8, 4 };
		final Volume ours = Resampler.toShape(lab, shape, Interpolation.NEAREST);
		assertEquals(VoxelType.UINT8, ours.voxelType());
		assertEquals(ClassTable.abdomen(), ours.classes());
		assertArrayEquals(scipy(lab, "zoom", "0", "12", "8", "4"), Voxels.floats(ours.image()), 0f);
	}

	/**
	 * Oracle worked by hand: trilinear interpolation reproduces a linear function of world position
	 * exactly, so each resampled voxel must hold its own world coordinate.
	 */
	@Test
	void spacingResampleKeepsWorldPositions() {
		final int w = 40, h = 30, d = 12;
		final Volume base = new Volume(ArrayImgs.floats(w, h, d), new double[] { 0.8, 0.7, 3 },
			new double[] { -5, 7, 11 }, OBLIQUE, null, VoxelType.FLOAT32);
		final float[] f = new float[w * h * d];
		int i = 0;
		for (int z = 0; z < d; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++)
					f[i++] = (float) base.indexToWorld(new double[] { x, y, z })[1];
		final Volume ramp = Volume.ofFloats(f, base.dims(), base.spacing(), base.origin(), base
			.direction());
		final Volume r = Resampler.toSpacing(ramp, new double[] { 1, 1, 1.5 }, Interpolation.LINEAR);
		assertArrayEquals(new long[] { 32, 21, 24 }, r.dims());
		assertArrayEquals(new double[] { 1, 1, 1.5 }, r.spacing(), 1e-12);
		final float[] g = Voxels.floats(r.image());
		int checked = 0;
		i = 0;
		for (int z = 0; z < r.depth(); z++)
			for (int y = 0; y < r.height(); y++)
				for (int x = 0; x < r.width(); x++, i++) {
					final double[] src = ramp.worldToIndex(r.indexToWorld(new double[] { x, y, z }));
					if (src[0] < 0 || src[1] < 0 || src[2] < 0 || src[0] > w - 1 || src[1] > h - 1 ||
						src[2] > d - 1) continue;
					assertEquals(r.indexToWorld(new double[] { x, y, z })[1], g[i], 1e-3);
					checked++;
				}
		assertTrue(checked > g.length / 2, "most voxels lie inside the source: " + checked);
	}

	@Test
	void inverseGoesBackToTheOriginalGrid() throws Exception {
		final int w = 60, h = 50, d = 20;
		final byte[] b = new byte[w * h * d];
		final Volume shell = new Volume(ArrayImgs.unsignedBytes(b, w, h, d), new double[] { 0.75, 0.75,
			2.5 }, new double[] { 1, 2, 3 }, OBLIQUE, ClassTable.abdomen(), VoxelType.UINT8);
		int i = 0;
		for (int z = 0; z < d; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++, i++) {
					final double dx = x - 30, dy = y - 25, dz = (z - 10) * 3.3;
					if (dx * dx + dy * dy + dz * dz < 15 * 15) b[i] = 5;
				}
		final var plan = new PreprocessingPlan(List.of(new Step.ResampleToShape(new long[] { 32, 32,
			16 })));
		final var res = plan.apply(Volume.ofFloats(Voxels.floats(shell.image()), shell.dims(), shell
			.spacing(), shell.origin(), shell.direction()), shell);
		final Volume back = PreprocessingPlan.invert(res.labels(), res.trace(), Interpolation.NEAREST,
			0);
		assertTrue(back.sameGrid(shell), back.describeGrid());
		assertEquals(ClassTable.abdomen(), back.classes());
		final float[] o = Voxels.floats(shell.image()), r = Voxels.floats(back.image());
		int same = 0, fg = 0, fgSame = 0;
		for (int k = 0; k < o.length; k++) {
			if (o[k] == r[k]) same++;
			if (o[k] > 0) {
				fg++;
				if (r[k] > 0) fgSame++;
			}
		}
		assertTrue(same > 0.97 * o.length, "agreement " + same + "/" + o.length);
		assertTrue(fgSame > 0.85 * fg, "foreground kept " + fgSame + "/" + fg);
		// oracle: scipy.ndimage.zoom(order=0, grid_mode=True, mode='nearest') from the model grid back to
		// the original one; nearest-neighbour ties may round either way, so at least 99 % agree
		final float[] sc = scipy(res.labels(), "zoom", "0", "" + w, "" + h, "" + d);
		int agree = 0, fgScipy = 0, fgAgree = 0;
		for (int k = 0; k < r.length; k++) {
			if (sc[k] == r[k]) agree++;
			if (sc[k] > 0) {
				fgScipy++;
				if (r[k] == sc[k]) fgAgree++;
			}
		}
		assertTrue(agree >= 0.99 * r.length, "agreement with scipy " + agree + "/" + r.length);
		assertTrue(fgAgree >= 0.99 * fgScipy, "foreground agreement with scipy " + fgAgree + "/" + fgScipy);
	}

	/** Worked by hand: a bright cube inside -1000 HU air. */
	/**
	 * Worked by hand: a 12 × 10 × 8 volume at 1.5 mm of zeros with a 4 × 3 × 2 block of 100 at
	 * (2..5, 3..5, 1..2) and one voxel of 20 elsewhere. The 0.01 and 99.9 percentiles are 0 and 100,
	 * so the block scales to 1 and the lone voxel to 0.2, below the crop's 0.3: the MRI preset keeps
	 * exactly the block, all ones, and the 1.5 mm resampling leaves it as it is.
	 */
	@Test
	void mriPresetCropsToIntensityAboveThreePointThree() {
		final long[] d = { 12, 10, 8 };
		final float[] f = new float[12 * 10 * 8];
		for (int z = 1; z <= 2; z++) for (int y = 3; y <= 5; y++) for (int x = 2; x <= 5; x++) f[(z * 10 + y) * 12 + x] = 100;
		f[(6 * 10 + 8) * 12 + 10] = 20;
		final Volume v = Volume.ofFloats(f, d, new double[] { 1.5, 1.5, 1.5 }, new double[3], new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 });
		final Volume out = PreprocessingPlan.mri().apply(v).image();
		assertArrayEquals(new long[] { 4, 3, 2 }, out.dims());
		for (final float x : Voxels.floats(out.image())) assertEquals(1, x, 1e-6);
		assertEquals(2 * 1.5, out.origin()[0], 1e-9, "world position of the box's first voxel");
	}

	@Test
	void foregroundCropAndPadKeepWorldPositions() {
		final int w = 20, h = 18, d = 10;
		final short[] s = new short[w * h * d];
		java.util.Arrays.fill(s, (short) -1000);
		for (int z = 2; z <= 6; z++)
			for (int y = 4; y <= 10; y++)
				for (int x = 3; x <= 14; x++)
					s[x + w * (y + h * z)] = (short) (40 + x);
		final Volume ct = new Volume(ArrayImgs.shorts(s, w, h, d), new double[] { 0.5, 0.6, 2 },
			new double[] { 1, 1, 1 }, OBLIQUE, null, VoxelType.INT16);
		final Crops.Box box = Crops.foregroundBox(ct, -500, 1);
		assertArrayEquals(new long[] { 2, 3, 1 }, box.min());
		assertArrayEquals(new long[] { 16, 12, 8 }, box.max());
		final Volume c = Crops.crop(ct, box, -1000);
		assertArrayEquals(new long[] { 14, 9, 7 }, c.dims());
		assertEquals(VoxelType.INT16, c.voxelType());
		// voxel (3,4,2) of the original is (1,1,1) of the crop, at the same world position
		assertArrayEquals(ct.indexToWorld(new double[] { 3, 4, 2 }), c.indexToWorld(new double[] { 1, 1,
			1 }), 1e-9);
		assertEquals(43, Voxels.floats(c.image())[1 + 14 * (1 + 9 * 1)]);
		final Volume padded = Crops.crop(ct, Crops.centredBox(ct, new long[] { 24, 18, 10 }), -1024);
		assertEquals(-1024, Voxels.floats(padded.image())[0]);
		assertEquals(-1000, Voxels.floats(padded.image())[2]);
		assertThrows(IllegalArgumentException.class, () -> Crops.foregroundBox(ct, 5000, 0));
	}

	/** Oracle: numpy.percentile (linear) and numpy mean/std. */
	@Test
	void percentileAndZScoreMatchNumpy() throws Exception {
		final Volume ct = randomCt(7, 21, 17, 9);
		final Path in = tmp.resolve("p.nii");
		NiftiIO.write(ct, in);
		final JsonObject o = Python.json("scipy_preprocess.py", in.toString(), tmp.resolve("x.raw")
			.toString(), "percentile", "0.01", "99.9").getAsJsonObject();
		final double[] p = Intensity.percentiles(Voxels.floats(ct.image()), 0.01, 99.9);
		assertEquals(o.get("low").getAsDouble(), p[0], 1e-6);
		assertEquals(o.get("high").getAsDouble(), p[1], 1e-6);
		final float[] clipped = Voxels.floats(Intensity.percentileClip(ct, 0.01, 99.9).image());
		for (final float v : clipped)
			assertTrue(v >= 0 && v <= 1);
		final float[] z = Voxels.floats(Intensity.zScore(ct, Double.NaN).image());
		final float[] raw = Voxels.floats(ct.image());
		final double mean = o.get("mean").getAsDouble(), sd = o.get("std").getAsDouble();
		for (int i = 0; i < z.length; i += 97)
			assertEquals((raw[i] - mean) / sd, z[i], 1e-4);
	}

	@Test
	void planRoundTripsThroughJsonAndRefusesNonsense(@TempDir final Path dir) throws Exception {
		final PreprocessingPlan plan = new PreprocessingPlan(List.of(new Step.ForegroundCrop(-500, 2),
			Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ZScore(null), new Step.PercentileClip(0.5,
				99.5), new Step.ResampleToSpacing(new double[] { 1, 1, 2 }), new Step.CropOrPad(new long[] {
					8, 8, 8 }, -1), new Step.ResampleToShape(new long[] { 4, 4, 4 })));
		final Path f = dir.resolve("plan.json");
		plan.save(f);
		final PreprocessingPlan back = PreprocessingPlan.load(f);
		assertEquals(plan, back);
		assertEquals(plan.steps().size(), back.steps().size());
		assertTrue(Files.readString(f).contains("\"op\": \"foreground_crop\""));
		final IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
			() -> PreprocessingPlan.fromJson("{\"steps\":[{\"op\":\"sharpen\"}]}"));
		assertTrue(e1.getMessage().contains("sharpen"), e1.getMessage());
		final IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
			() -> PreprocessingPlan.fromJson("{\"format_version\":99,\"steps\":[]}"));
		assertTrue(e2.getMessage().contains("newer"), e2.getMessage());
		assertThrows(IllegalArgumentException.class, () -> PreprocessingPlan.fromJson(
			"{\"steps\":[{\"op\":\"resample_shape\",\"shape\":[1,2]}]}"));
	}

	/** The fused window+resample step gives what windowing then resampling gives. */
	@Test
	void seedsPlanProducesTheModelGridInUnitRange() {
		final Volume ct = randomCt(5, 70, 60, 20);
		final byte[] lb = new byte[70 * 60 * 20];
		lb[35 + 70 * (30 + 60 * 10)] = 1;
		final Volume lab = ct.withImage(ArrayImgs.unsignedBytes(lb, 70, 60, 20)).withClasses(ClassTable
			.abdomen());
		final var res = PreprocessingPlan.seedsCt().apply(ct, lab);
		assertArrayEquals(new long[] { 128, 128, 64 }, res.image().dims());
		assertArrayEquals(new long[] { 128, 128, 64 }, res.labels().dims());
		final Volume twoStep = Resampler.toShape(Intensity.window(ct, HuWindow.SOFT_TISSUE),
			new long[] { 128, 128, 64 }, Interpolation.LINEAR);
		assertArrayEquals(Voxels.floats(twoStep.image()), Voxels.floats(res.image().image()), 1e-6f);
		final var st = Voxels.stats(res.image().image());
		assertTrue(st.min() >= 0 && st.max() <= 1);
		final Volume mismatched = lab.withGeometry(new double[] { 1, 1, 1 }, lab.origin(), lab
			.direction());
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> PreprocessingPlan.seedsCt().apply(ct, mismatched));
		assertTrue(e.getMessage().contains("does not match"), e.getMessage());
	}

	/**
	 * Presets are named by what they are; the earlier names stay aliases of the same plans, and an
	 * unknown name lists the presets with what each does.
	 */
	@Test
	void presetNamesAndTheirAliases() {
		assertEquals(PreprocessingPlan.seedsCt(), PreprocessingPlan.preset("abdomen-ct-128"));
		assertEquals(PreprocessingPlan.seedsCt(), PreprocessingPlan.preset("seeds-ct"));
		assertEquals(PreprocessingPlan.pretrainCt(), PreprocessingPlan.preset("ct-body-2mm"));
		assertEquals(PreprocessingPlan.pretrainCt(), PreprocessingPlan.preset("pretrain-ct"));
		assertEquals(PreprocessingPlan.mri(), PreprocessingPlan.preset("MRI-1.5mm"));
		assertEquals(PreprocessingPlan.mri(), PreprocessingPlan.preset("mri"));
		for (final String name : PreprocessingPlan.PRESETS.keySet()) PreprocessingPlan.preset(name);
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreprocessingPlan.preset("ct"));
		assertTrue(e.getMessage().contains("abdomen-ct-128") && e.getMessage().contains("128×128×64"), e.getMessage());
	}
}
