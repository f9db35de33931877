package sc.fiji.voxelseg.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.VolumeFormatException;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.testutil.Python;

/**
 * The DICOM series reader against pydicom ({@code src/test/python/dicom_series.py}): pydicom
 * decodes the stored values, the script applies slope and intercept, sorts the slices along the
 * normal and converts the geometry to RAS+ on its own.
 */
class DicomSeriesReaderTest {

	static final Path PYDICOM = Paths.get("/usr/lib/python3/dist-packages/pydicom/data/test_files");

	@TempDir
	Path dir;

	private Path make(final String mode) throws Exception {
		final Path out = dir.resolve(mode);
		Python.run("dicom_series.py", "make", out.toString(), mode);
		return out;
	}

	private JsonObject make(final String mode, final Path out) throws Exception {
		return Python.json("dicom_series.py", "make", out.toString(), mode).getAsJsonObject();
	}

	/** Reads {@code path} through {@link VolumeIO} and compares it with pydicom's reading. */
	private Volume assertMatchesPydicom(final Path path) throws Exception {
		final Path bin = dir.resolve("expected.f32");
		final JsonObject o = Python.json("dicom_series.py", "oracle", path.toString(), bin.toString())
			.getAsJsonObject();
		final Volume v = VolumeIO.read(path);
		final double[] dims = doubles(o.getAsJsonArray("dims"));
		assertArrayEquals(new long[] { (long) dims[0], (long) dims[1], (long) dims[2] }, v.dims());
		assertArrayEquals(doubles(o.getAsJsonArray("spacing")), v.spacing(), 1e-5, "spacing");
		assertArrayEquals(doubles(o.getAsJsonArray("origin")), v.origin(), 1e-5, "origin");
		assertArrayEquals(doubles(o.getAsJsonArray("direction")), v.direction(), 1e-5, "direction");
		final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
		int i = 0;
		for (final RealType<?> t : Views.flatIterable(v.image())) {
			final float e = b.getFloat(4 * i);
			if (e != t.getRealFloat()) assertEquals(e, t.getRealFloat(), 1e-3, "voxel " + i + " (x=" + i %
				v.width() + ", y=" + i / v.width() % v.height() + ", z=" + i / (v.width() * v.height()) +
				")");
			i++;
		}
		assertEquals(b.capacity() / 4, i);
		return v;
	}

	private static double[] doubles(final JsonArray a) {
		final double[] d = new double[a.size()];
		for (int i = 0; i < d.length; i++)
			d[i] = a.get(i).getAsDouble();
		return d;
	}

	/**
	 * Oracle: pydicom. CT_small.dcm holds signed 16-bit data (which ImageJ shifts by 32768) with
	 * intercept -1024: one slice, HU, 5 mm thick (SliceThickness).
	 */
	@Test
	void ctSmallAsOneSlice() throws Exception {
		final Path f = PYDICOM.resolve("CT_small.dcm");
		assertTrue(Files.exists(f), "python3-pydicom test files not installed: run scripts/install-test-deps.sh");
		final Volume v = assertMatchesPydicom(f);
		assertEquals(-849, v.image().getAt(0, 0, 0).getRealDouble(), 1e-6, "175 - 1024 HU");
		assertEquals(5, v.spacing()[2], 1e-9);
	}

	/** Oracle: pydicom; a real 5-slice CT series shipped with pydicom (no .dcm names, DICM marker). */
	@Test
	void pydicomCtSeriesFolder() throws Exception {
		final Path d = PYDICOM.resolve("dicomdirtests/98892001/CT5N");
		assertTrue(Files.isDirectory(d), "python3-pydicom test files not installed: run scripts/install-test-deps.sh");
		final Volume v = assertMatchesPydicom(d);
		assertEquals(5, v.depth());
		assertEquals(2.5, v.spacing()[2], 1e-4);
	}

	/**
	 * Oracle: pydicom. File names and InstanceNumbers both run against the positions, so only
	 * sorting by ImagePositionPatient gives pydicom's order; the origin is the lowest slice.
	 */
	@Test
	void shuffledNamesSortByPosition() throws Exception {
		final Volume v = assertMatchesPydicom(make("series"));
		assertEquals(-75.699997, v.origin()[2], 1e-5, "first slice = lowest position");
		assertEquals(2.5, v.spacing()[2], 1e-5);
	}

	/** Oracle: pydicom; slope 2.5 makes ImageJ convert to 32-bit and rescale on its own. */
	@Test
	void slopeAndInterceptGiveTheSameValuesAsPydicom() throws Exception {
		assertMatchesPydicom(make("slope"));
	}

	/** Oracle: pydicom; an oblique orientation is kept in the direction matrix, not resampled. */
	@Test
	void obliqueSeriesKeepsItsOrientation() throws Exception {
		final Volume v = assertMatchesPydicom(make("oblique"));
		assertTrue(Math.abs(v.direction()[1]) > 0.3 && Math.abs(v.direction()[7]) > 0.2,
			"oblique direction expected, got " + java.util.Arrays.toString(v.direction()));
	}

	/** Oracle: the generator's two UIDs, 3 and 2 files. */
	@Test
	void mixedSeriesNameBothUids() throws Exception {
		final Path out = dir.resolve("mixed");
		final JsonObject info = make("mixed", out);
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(
			out));
		final String uidA = info.getAsJsonArray("uids").get(0).getAsString();
		final String uidB = info.getAsJsonArray("uids").get(1).getAsString();
		assertTrue(e.getMessage().contains(uidA + " (3 files)") && e.getMessage().contains(uidB +
			" (2 files)") && e.getMessage().contains("own folder"), e.getMessage());
	}

	/**
	 * A series with one slice cut short (its pixel data end early): ImageJ filled the rest with
	 * zeros before; now the folder is refused, naming that slice. Oracle: the slice's own byte
	 * count, 1000 bytes short (its pixel data are followed by 137 bytes of trailing padding, which
	 * a shorter cut would only remove).
	 */
	@Test
	void aSeriesWithOneTruncatedSliceIsRefused() throws Exception {
		final Path out = make("series");
		final Path slice;
		try (java.util.stream.Stream<Path> s = Files.list(out)) {
			slice = s.filter(p -> p.toString().endsWith(".dcm")).sorted().skip(2).findFirst().orElseThrow();
		}
		final byte[] b = Files.readAllBytes(slice);
		Files.write(slice, java.util.Arrays.copyOf(b, b.length - 1000));
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(out));
		assertTrue(e.getMessage().startsWith(slice.toString()) && e.getMessage().contains("truncated"), e.getMessage());
	}

	/** Oracle: the generator left out the middle of 5 slices (2.5 mm steps, one 5 mm step). */
	@Test
	void missingMiddleSliceIsAnError() throws Exception {
		final Path out = make("gap");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(
			out));
		assertTrue(e.getMessage().contains("5.000 mm apart") && e.getMessage().contains(
			"1 slice(s) missing"), e.getMessage());
	}

	/** Oracle: pydicom's CT2 folder has slices at -99.5, 103.0, 104.3, 105.5 mm. */
	@Test
	void pydicomFolderWithAGapIsAnError() throws Exception {
		final Path d = PYDICOM.resolve("dicomdirtests/77654033/CT2");
		assertTrue(Files.isDirectory(d), "python3-pydicom test files not installed: run scripts/install-test-deps.sh");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(
			d));
		assertTrue(e.getMessage().contains("not evenly spaced"), e.getMessage());
	}

	/** Oracle: pydicom's MR700 folder is radial: every slice has its own orientation. */
	@Test
	void differentOrientationsAreAnError() throws Exception {
		final Path d = PYDICOM.resolve("dicomdirtests/98892003/MR700");
		assertTrue(Files.isDirectory(d), "python3-pydicom test files not installed: run scripts/install-test-deps.sh");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(
			d));
		assertTrue(e.getMessage().contains("differ in orientation"), e.getMessage());
	}

	@Test
	void folderWithoutDicomFilesIsNotTaken() throws Exception {
		Files.writeString(dir.resolve("notes.txt"), "hello");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO.read(
			dir));
		assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
	}
}
