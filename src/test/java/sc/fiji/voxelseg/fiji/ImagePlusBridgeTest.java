package sc.fiji.voxelseg.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ShortProcessor;
import net.imglib2.RandomAccess;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.planar.PlanarImg;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.ShortType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.view.Views;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;

/** Round trips and zero-copy wrapping between ImagePlus and Volume, headless. */
public class ImagePlusBridgeTest {

	private static final int W = 5, H = 4, D = 3;

	private static double at(final Volume v, final int x, final int y, final int z) {
		final RandomAccess<? extends RealType<?>> ra = v.image().randomAccess();
		ra.setPosition(new long[] { x, y, z });
		return ra.get().getRealDouble();
	}

	private static ImagePlus stack(final int bits, final double[] values) {
		final ImageStack st = new ImageStack(W, H);
		for (int z = 0; z < D; z++) {
			final var ip = bits == 8 ? new ByteProcessor(W, H) : bits == 16 ? new ShortProcessor(W, H)
				: new FloatProcessor(W, H);
			for (int i = 0; i < W * H; i++)
				ip.setf(i, (float) values[z * W * H + i]);
			st.addSlice(ip);
		}
		return new ImagePlus("t", st);
	}

	private static double[] ramp(final double scale, final double offset) {
		final double[] v = new double[W * H * D];
		for (int i = 0; i < v.length; i++)
			v[i] = offset + scale * i;
		return v;
	}

	private static void assertValues(final double[] expected, final Volume v) {
		final float[] got = Voxels.floats(v.image());
		assertEquals(expected.length, got.length);
		for (int i = 0; i < got.length; i++)
			assertEquals(expected[i], got[i], 1e-4, "voxel " + i);
	}

	@Test
	public void eightBitWrapsTheStackWithoutCopying() {
		final ImagePlus imp = stack(8, ramp(3, 1));
		final Volume v = ImagePlusBridge.toVolume(imp);
		assertEquals(VoxelType.UINT8, v.voxelType());
		assertInstanceOf(UnsignedByteType.class, v.image().getType());
		assertArrayEquals(new long[] { W, H, D }, v.dims());
		assertValues(ramp(3, 1), v);
		// x = 2, y = 1, z = 2 written through ImgLib2 shows up in ImageJ's processor of slice 3
		@SuppressWarnings("unchecked")
		final RandomAccess<UnsignedByteType> ra =
			((RandomAccessibleInterval<UnsignedByteType>) v.image()).randomAccess();
		ra.setPosition(new long[] { 2, 1, 2 });
		ra.get().set(200);
		assertEquals(200, imp.getStack().getProcessor(3).get(2, 1));
		// and the other way round
		imp.getStack().getProcessor(1).set(4, 3, 77);
		assertEquals(77, at(v, 4, 3, 0));
	}

	@Test
	public void sixteenBitAndFloatWrapWithoutCopying() {
		final ImagePlus imp16 = stack(16, ramp(1000, 5));
		final Volume v16 = ImagePlusBridge.toVolume(imp16);
		assertEquals(VoxelType.UINT16, v16.voxelType());
		assertInstanceOf(UnsignedShortType.class, v16.image().getType());
		assertValues(ramp(1000, 5), v16); // values above 32767 stay unsigned
		@SuppressWarnings("unchecked")
		final RandomAccess<UnsignedShortType> r16 =
			((RandomAccessibleInterval<UnsignedShortType>) v16.image()).randomAccess();
		r16.setPosition(new long[] { 1, 2, 1 });
		r16.get().set(60000);
		assertEquals(60000, imp16.getStack().getProcessor(2).get(1, 2));

		final ImagePlus imp32 = stack(32, ramp(-0.5, 2));
		final Volume v32 = ImagePlusBridge.toVolume(imp32);
		assertEquals(VoxelType.FLOAT32, v32.voxelType());
		assertValues(ramp(-0.5, 2), v32);
		@SuppressWarnings("unchecked")
		final RandomAccess<FloatType> r32 = ((RandomAccessibleInterval<FloatType>) v32.image())
			.randomAccess();
		r32.setPosition(new long[] { 0, 3, 2 });
		r32.get().set(-123.25f);
		assertEquals(-123.25f, imp32.getStack().getProcessor(3).getf(0, 3));
		assertSame(imp32.getStack().getPixels(3), ((PlanarImg<?, ?>) v32.image()).getPlane(2)
			.getCurrentStorageArray());
	}

	@Test
	public void roundTripsKeepValuesTypeAndCalibration() {
		final double[] sp = { 0.7, 0.8, 2.5 };
		final double[] or = { -100.5, 20.25, 7 };
		for (final int bits : new int[] { 8, 16, 32 }) {
			final double[] vals = bits == 8 ? ramp(4, 2) : bits == 16 ? ramp(999, 3) : ramp(-1.25,
				0.5);
			final ImagePlus imp = stack(bits, vals);
			final Calibration cal = imp.getCalibration();
			cal.setUnit("mm");
			cal.pixelWidth = sp[0];
			cal.pixelHeight = sp[1];
			cal.pixelDepth = sp[2];
			cal.xOrigin = -or[0] / sp[0];
			cal.yOrigin = -or[1] / sp[1];
			cal.zOrigin = -or[2] / sp[2];
			final Volume v = ImagePlusBridge.toVolume(imp);
			assertArrayEquals(sp, v.spacing(), 1e-12);
			assertArrayEquals(or, v.origin(), 1e-9);
			final ImagePlus back = ImagePlusBridge.toImagePlus(v, "back");
			assertEquals(bits, back.getBitDepth());
			assertEquals(D, back.getStackSize());
			final Calibration c2 = back.getCalibration();
			assertEquals("mm", c2.getUnit());
			assertEquals(sp[0], c2.pixelWidth, 1e-12);
			assertEquals(sp[1], c2.pixelHeight, 1e-12);
			assertEquals(sp[2], c2.pixelDepth, 1e-12);
			assertEquals(cal.xOrigin, c2.xOrigin, 1e-9);
			assertEquals(cal.zOrigin, c2.zOrigin, 1e-9);
			for (int z = 0; z < D; z++)
				for (int i = 0; i < W * H; i++)
					assertEquals(vals[z * W * H + i], back.getStack().getProcessor(z + 1).getf(i), 1e-4);
			// a PlanarImg of ImageJ's own arrays goes back without copying
			assertSame(imp.getStack().getPixels(2), back.getStack().getPixels(2));
			final Volume again = ImagePlusBridge.toVolume(back);
			assertEquals(v.voxelType(), again.voxelType());
			assertTrue(v.sameGrid(again));
			assertValues(vals, again);
		}
	}

	@Test
	public void arrayImgVolumesAreCopiedPerPlane() {
		final float[] data = new float[W * H * D];
		for (int i = 0; i < data.length; i++)
			data[i] = i * 0.5f - 3;
		final Volume v = Volume.ofFloats(data, new long[] { W, H, D }, new double[] { 1, 2, 3 },
			new double[] { 4, 5, 6 }, Volume.identity());
		final ImagePlus imp = ImagePlusBridge.toImagePlus(v, "f");
		assertEquals(32, imp.getBitDepth());
		assertEquals(data[W * H + 7], imp.getStack().getProcessor(2).getf(7));
		// int16 ArrayImg -> signed 16-bit ImageJ image
		final short[] s = new short[W * H * D];
		for (int i = 0; i < s.length; i++)
			s[i] = (short) (i * 700 - 20000);
		final Volume vs = new Volume(ArrayImgs.shorts(s, W, H, D), v.spacing(), v.origin(), v
			.direction(), null, VoxelType.INT16);
		final ImagePlus imps = ImagePlusBridge.toImagePlus(vs, "s");
		assertEquals(16, imps.getBitDepth());
		assertTrue(imps.getCalibration().isSigned16Bit());
		assertEquals(s[5] + 32768, imps.getStack().getProcessor(1).get(5));
		final Volume back = ImagePlusBridge.toVolume(imps);
		assertEquals(VoxelType.INT16, back.voxelType());
		assertInstanceOf(ShortType.class, back.image().getType());
		for (int i = 0; i < s.length; i++)
			assertEquals(s[i], Voxels.floats(back.image())[i], 0, "voxel " + i);
	}

	@Test
	public void signed16BitLikeImageJsDicomReaderGivesHounsfieldUnits() {
		// ImageJ's DICOM reader: 16-bit, raw = HU + 32768, signed-16 calibration
		final double[] hu = ramp(37, -1000);
		final ImageStack st = new ImageStack(W, H);
		for (int z = 0; z < D; z++) {
			final ShortProcessor sp = new ShortProcessor(W, H);
			for (int i = 0; i < W * H; i++)
				sp.set(i, (int) hu[z * W * H + i] + 32768);
			st.addSlice(sp);
		}
		final ImagePlus imp = new ImagePlus("ct", st);
		imp.getCalibration().setSigned16BitCalibration();
		assertTrue(imp.getCalibration().isSigned16Bit());
		final Volume v = ImagePlusBridge.toVolume(imp);
		assertEquals(VoxelType.INT16, v.voxelType());
		assertValues(hu, v);
		assertEquals(-1000, at(v, 0, 0, 0));
		// no copy: a change of the raw pixel is seen as HU at once
		imp.getStack().getProcessor(2).set(1, 1, 32768 + 40);
		assertEquals(40, at(v, 1, 1, 1));
	}

	@Test
	public void generalLinearCalibrationIsApplied() {
		// a CT with rescale slope 2 and intercept -1024 stored as unsigned raw values
		final double[] raw = ramp(3, 10);
		final ImagePlus imp = stack(16, raw);
		imp.getCalibration().setFunction(Calibration.STRAIGHT_LINE, new double[] { -1024, 2 },
			"HU");
		final Volume v = ImagePlusBridge.toVolume(imp);
		assertEquals(VoxelType.FLOAT32, v.voxelType());
		final double[] expected = raw.clone();
		for (int i = 0; i < expected.length; i++)
			expected[i] = -1024 + 2 * raw[i];
		assertValues(expected, v);
	}

	@Test
	public void spacingUnitsAreConvertedToMillimetres() {
		final ImagePlus imp = stack(8, ramp(1, 0));
		final Calibration cal = imp.getCalibration();
		cal.setUnit("µm");
		cal.pixelWidth = 250;
		cal.pixelHeight = 500;
		cal.pixelDepth = 1500;
		cal.xOrigin = 4; // pixels
		final Volume v = ImagePlusBridge.toVolume(imp);
		assertArrayEquals(new double[] { 0.25, 0.5, 1.5 }, v.spacing(), 1e-12);
		assertEquals(-4 * 0.25, v.origin()[0], 1e-12);

		cal.setUnit("cm");
		assertArrayEquals(new double[] { 2500, 5000, 15000 }, ImagePlusBridge.toVolume(imp)
			.spacing(), 1e-9);
		cal.setUnit("inch");
		assertEquals(250 * 25.4, ImagePlusBridge.toVolume(imp).spacing()[0], 1e-9);

		final ImagePlus plain = stack(8, ramp(1, 0)); // uncalibrated: 1 pixel = 1 mm
		assertArrayEquals(new double[] { 1, 1, 1 }, ImagePlusBridge.toVolume(plain).spacing());

		cal.setUnit("parsec");
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> ImagePlusBridge.toVolume(imp));
		assertTrue(e.getMessage().contains("parsec"), e.getMessage());
	}

	@Test
	public void obliqueGeometrySurvivesVolumeToImagePlusToVolume() {
		final double c = Math.cos(0.3), s = Math.sin(0.3);
		final double[] dir = { c, -s, 0, s, c, 0, 0, 0, 1 };
		final Volume v = Volume.ofFloats(new float[W * H * D], new long[] { W, H, D },
			new double[] { 0.9, 0.9, 3 }, new double[] { -12.5, 40, -7 }, dir);
		final ImagePlus imp = ImagePlusBridge.toImagePlus(v, "oblique");
		final Volume back = ImagePlusBridge.toVolume(imp);
		assertArrayEquals(dir, back.direction(), 1e-12);
		assertArrayEquals(v.origin(), back.origin(), 1e-12);
		assertTrue(v.sameGrid(back));

		// recalibrated in ImageJ since: the stale geometry property is not trusted
		imp.getCalibration().pixelWidth = 2;
		assertArrayEquals(Volume.identity(), ImagePlusBridge.toVolume(imp).direction());
	}

	@Test
	public void labelMapsKeepTheirClassTableAndGetTheLut() {
		final ClassTable table = ClassTable.of(List.of("liver", "spleen", "kidney"));
		final byte[] lab = new byte[W * H * D];
		for (int i = 0; i < lab.length; i++)
			lab[i] = (byte) (i % 4);
		final Volume v = new Volume(ArrayImgs.unsignedBytes(lab, W, H, D), new double[] { 1, 1, 2 },
			new double[3], Volume.identity(), table, VoxelType.UINT8);
		final ImagePlus imp = ImagePlusBridge.toImagePlus(v, "labels");
		assertEquals(8, imp.getBitDepth());
		final int rgb = imp.getProcessor().getLut().getRGB(2) & 0xffffff;
		assertEquals(table.get(2).rgb(), rgb);
		final Volume back = ImagePlusBridge.toVolume(imp);
		assertEquals(table, back.classes());
		assertValues(toDoubles(lab), back);

		// an intensity image carries no table
		assertNull(ImagePlusBridge.toVolume(stack(8, ramp(1, 0))).classes());
	}

	private static double[] toDoubles(final byte[] b) {
		final double[] d = new double[b.length];
		for (int i = 0; i < b.length; i++)
			d[i] = b[i] & 0xff;
		return d;
	}

	@Test
	public void rgbAndMultiChannelImagesAreRefusedWithAReason() {
		final ImagePlus rgb = new ImagePlus("photo", new ColorProcessor(W, H));
		final IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
			() -> ImagePlusBridge.toVolume(rgb));
		assertTrue(e1.getMessage().contains("RGB"), e1.getMessage());

		final ImageStack st = new ImageStack(W, H);
		for (int i = 0; i < 2 * 3 * 2; i++)
			st.addSlice(new ByteProcessor(W, H));
		final ImagePlus hyper = new ImagePlus("hyper", st);
		hyper.setDimensions(2, 3, 2);
		final IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
			() -> ImagePlusBridge.toVolume(hyper));
		assertTrue(e2.getMessage().contains("2 channels") && e2.getMessage().contains(
			"2 time frames"), e2.getMessage());
	}

	@Test
	public void volumeViewsAreCopiedWithTheirValues() {
		// a non-native view (here: a flipped ArrayImg) is copied through a cursor
		final float[] data = new float[W * H * D];
		for (int i = 0; i < data.length; i++)
			data[i] = i;
		final var flipped = Views.zeroMin(Views.invertAxis(ArrayImgs.floats(data, W, H, D), 0));
		final Volume v = Volume.of(flipped);
		final ImagePlus imp = ImagePlusBridge.toImagePlus(v, "flip");
		assertEquals(data[W - 1], imp.getStack().getProcessor(1).getf(0, 0));
	}
}
