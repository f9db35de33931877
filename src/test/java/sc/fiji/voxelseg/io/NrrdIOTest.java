package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

class NrrdIOTest {

	static final Path ITK_DATA = Paths.get("/usr/share/doc/insighttoolkit5-examples/examples/Data");

	@TempDir
	static Path dir;
	static Map<String, JsonObject> cases;

	@BeforeAll
	static void writeOracleFiles() throws Exception {
		cases = RawFormatOracle.write(dir);
	}

	private static void check(final String name, final VoxelType type) throws Exception {
		final JsonObject c = cases.get(name);
		final Volume v = VolumeIO.read(Paths.get(c.get("file").getAsString()));
		RawFormatOracle.assertMatches(c, v);
		assertEquals(type, v.voxelType(), name);
	}

	/** Oracle: numpy wrote int16 voxels after an LPS header with an oblique direction. */
	@Test
	void attachedRawLpsOblique() throws Exception {
		check("lps_raw", VoxelType.INT16);
	}

	/** Oracle: numpy + Python's gzip, big-endian float32, RAS space (kept as is). */
	@Test
	void attachedGzipBigEndianRas() throws Exception {
		check("ras_gzip_big", VoxelType.FLOAT32);
	}

	/** Oracle: numpy; detached header, 'datafile:' spelling, byte skip 5, big-endian uint16. */
	@Test
	void detachedHeaderWithByteSkip() throws Exception {
		check("detached", VoxelType.UINT16);
	}

	/** Oracle: numpy; detached gzip data named by 'data file:', 'signed int' spelling. */
	@Test
	void detachedGzipData() throws Exception {
		check("detached_gz", VoxelType.INT32);
	}

	/** Oracle: numpy wrote the values as text. */
	@Test
	void asciiEncoding() throws Exception {
		check("ascii", VoxelType.FLOAT64);
	}

	/**
	 * Oracle: ITK's own example (a 2D slice rotated by +30°), stored by ITK both as NRRD and as MetaImage: the .nhdr files ITK
	 * ships (an unnamed 2D space, taken as LPS as ITK does) and their .mhd twins must give the same
	 * voxels and geometry, and the voxels must equal the bytes of the .raw file.
	 */
	@Test
	void itkExampleAgreesWithItsMetaImageTwin() throws Exception {
		final Path nhdr = ITK_DATA.resolve("BrainProtonDensitySliceShifted13x17yDirectionPlus30.nhdr");
		final Path mhd = ITK_DATA.resolve("BrainProtonDensitySliceShifted13x17yDirectionPlus30.mhd");
		assertTrue(Files.exists(nhdr) && Files.exists(mhd), "insighttoolkit5-examples not installed: run scripts/install-test-deps.sh");
		final Volume a = NrrdIO.read(nhdr), b = MetaImageIO.read(mhd);
		assertArrayEquals(new long[] { 221, 257, 1 }, a.dims());
		// +30° in the header: axis x along (cos 30°, sin 30°) in LPS, so (-cos, -sin, 0) in RAS.
		assertArrayEquals(new double[] { -0.866025, 0.5, 0, -0.5, -0.866025, 0, 0, 0, 1 }, a
			.direction(), 1e-6);
		assertArrayEquals(a.direction(), b.direction(), 1e-6);
		assertArrayEquals(a.origin(), b.origin(), 1e-9);
		assertArrayEquals(a.spacing(), b.spacing(), 1e-6); // the .nhdr rounds cos 30° to 6 digits
		final byte[] raw = Files.readAllBytes(ITK_DATA.resolve(
			"BrainProtonDensitySliceShifted13x17yDirectionPlus30.raw"));
		final var ca = net.imglib2.view.Views.flatIterable(a.image()).cursor();
		final var cb = net.imglib2.view.Views.flatIterable(b.image()).cursor();
		for (int i = 0; i < raw.length; i++)
			assertEquals(raw[i] & 0xff, ca.next().getRealDouble(), "nhdr voxel " + i);
		for (int i = 0; i < raw.length; i++)
			assertEquals(raw[i] & 0xff, cb.next().getRealDouble(), "zlib mhd voxel " + i);
	}

	/** Oracle: the header says 5×4×3 int16 (120 bytes) but only 50 bytes follow. */
	@Test
	void truncatedDataNamesTheFile() throws Exception {
		final Path src = Paths.get(cases.get("lps_raw").get("file").getAsString());
		final byte[] all = Files.readAllBytes(src);
		final Path cut = dir.resolve("cut.nrrd");
		Files.write(cut, java.util.Arrays.copyOf(all, all.length - 70));
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO
			.read(cut));
		assertTrue(e.getMessage().startsWith(cut.toString()) && e.getMessage().contains("truncated"),
			e.getMessage());
	}

	/** Oracle: 'sizes' claims 9 slices while the data hold 3. */
	@Test
	void sizesLargerThanDataIsAnError() throws Exception {
		final Path p = rewrite("lps_raw", "lies.nrrd", "sizes: 5 4 3", "sizes: 5 4 9");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NrrdIO.read(
			p));
		assertTrue(e.getMessage().contains("lies.nrrd") && e.getMessage().contains("truncated"), e
			.getMessage());
	}

	@Test
	void unknownTypeIsAnError() throws Exception {
		final Path p = rewrite("lps_raw", "type.nrrd", "type: short", "type: quaternion");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NrrdIO.read(
			p));
		assertTrue(e.getMessage().contains("type.nrrd") && e.getMessage().contains("quaternion"), e
			.getMessage());
	}

	@Test
	void bzip2IsRefusedWithAWayOut() throws Exception {
		final Path p = rewrite("lps_raw", "bz.nrrd", "encoding: raw", "encoding: bzip2");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NrrdIO.read(
			p));
		assertTrue(e.getMessage().contains("bz.nrrd") && e.getMessage().contains("gzip"), e
			.getMessage());
	}

	@Test
	void missingDetachedDataFileIsNamed() throws Exception {
		final Path p = dir.resolve("orphan.nhdr");
		Files.writeString(p, Files.readString(Paths.get(cases.get("detached").get("file")
			.getAsString())).replace("datafile: detached.raw", "datafile: gone.raw"));
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NrrdIO.read(
			p));
		assertTrue(e.getMessage().contains("gone.raw"), e.getMessage());
	}

	/** A 4D NRRD with 2 components per voxel is refused; with one, it reads as 3D. */
	@Test
	void extraAxesOnlyOfSizeOne() throws Exception {
		final JsonObject c = cases.get("lps_raw");
		final String four = "dimension: 4\nsizes: 5 4 3 %d\nspace directions: %s none\n";
		final String hdr = Files.readString(Paths.get(c.get("file").getAsString()),
			StandardCharsets.ISO_8859_1);
		final String dirs = hdr.split("space directions: ")[1].split("\n")[0];
		final String body = hdr.replace("dimension: 3\n", "").replace("sizes: 5 4 3\n", "").replace(
			"space directions: " + dirs + "\n", "").replace("kinds: domain domain domain\n", "");
		final Path one = dir.resolve("four1.nrrd"), two = dir.resolve("four2.nrrd");
		Files.writeString(one, body.replaceFirst("\n", "\n" + String.format(four, 1, dirs)),
			StandardCharsets.ISO_8859_1);
		RawFormatOracle.assertMatches(c, NrrdIO.read(one));
		Files.writeString(two, body.replaceFirst("\n", "\n" + String.format(four, 2, dirs)),
			StandardCharsets.ISO_8859_1);
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NrrdIO.read(
			two));
		assertTrue(e.getMessage().contains("four2.nrrd"), e.getMessage());
	}

	private static Path rewrite(final String name, final String out, final String from,
		final String to) throws Exception
	{
		final byte[] all = Files.readAllBytes(Paths.get(cases.get(name).get("file").getAsString()));
		final String s = new String(all, StandardCharsets.ISO_8859_1);
		assertTrue(s.contains(from), from);
		final Path p = dir.resolve(out);
		Files.write(p, s.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
		return p;
	}
}
