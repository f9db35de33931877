package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

class MetaImageIOTest {

	@TempDir
	static Path dir;
	static Map<String, JsonObject> cases;

	@BeforeAll
	static void writeOracleFiles() throws Exception {
		cases = RawFormatOracle.write(dir);
	}

	private static Volume check(final String name, final VoxelType type) throws Exception {
		final JsonObject c = cases.get(name);
		final Volume v = VolumeIO.read(Paths.get(c.get("file").getAsString()));
		RawFormatOracle.assertMatches(c, v);
		assertEquals(type, v.voxelType(), name);
		return v;
	}

	/**
	 * Oracle: numpy wrote int16 after the header; TransformMatrix lists the axis vectors one after
	 * another (ITK's convention) of a rotation that is not symmetric, so reading it transposed fails.
	 */
	@Test
	void localDataObliqueLps() throws Exception {
		check("local_mha", VoxelType.INT16);
	}

	/** Oracle: numpy + zlib.compress, big-endian float32 in a separate .zraw file. */
	@Test
	void zlibCompressedBigEndian() throws Exception {
		check("compressed_mhd", VoxelType.FLOAT32);
	}

	/** Oracle: numpy; 123 junk bytes before the data, found through HeaderSize = -1; ElementSize. */
	@Test
	void headerSizeMinusOneReadsTheTail() throws Exception {
		check("tail_mhd", VoxelType.UINT8);
	}

	/**
	 * Oracle: ITK's example volume (181×217×3 uchar, .mha header naming a .raw file): the voxels
	 * equal the raw bytes, the identity LPS direction becomes diag(-1, -1, 1) in RAS.
	 */
	@Test
	void itkExampleVolume() throws Exception {
		final Path mha = NrrdIOTest.ITK_DATA.resolve("BrainProtonDensity3Slices.mha");
		assertTrue(Files.exists(mha), "insighttoolkit5-examples not installed: run scripts/install-test-deps.sh");
		final Volume v = VolumeIO.read(mha);
		assertArrayEquals(new long[] { 181, 217, 3 }, v.dims());
		assertArrayEquals(new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, v.direction(), 0);
		final byte[] raw = Files.readAllBytes(NrrdIOTest.ITK_DATA.resolve(
			"BrainProtonDensity3Slices.raw"));
		assertEquals(181 * 217 * 3, raw.length);
		int i = 0;
		for (final RealType<?> t : Views.flatIterable(v.image()))
			assertEquals(raw[i] & 0xff, t.getRealDouble(), "voxel " + i++);
	}

	/** Oracle: the .zraw is cut in half; zlib runs out before the header's 5×4×3 floats. */
	@Test
	void truncatedCompressedDataNamesTheFile() throws Exception {
		final Path hdr = dir.resolve("cut.mhd");
		final byte[] z = Files.readAllBytes(dir.resolve("compressed.zraw"));
		Files.write(dir.resolve("cut.zraw"), Arrays.copyOf(z, z.length / 2));
		Files.writeString(hdr, Files.readString(dir.resolve("compressed.mhd")).replace(
			"compressed.zraw", "cut.zraw"));
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeIO
			.read(hdr));
		assertTrue(e.getMessage().startsWith(dir.resolve("cut.zraw").toString()), e.getMessage());
	}

	/** Oracle: DimSize claims 30 slices for data of 3. */
	@Test
	void dimSizeLargerThanDataIsAnError() throws Exception {
		final Path p = rewrite("lies.mha", "DimSize = 5 4 3", "DimSize = 5 4 30");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> MetaImageIO
			.read(p));
		assertTrue(e.getMessage().contains("lies.mha") && e.getMessage().contains("truncated"), e
			.getMessage());
	}

	@Test
	void unknownElementTypeIsAnError() throws Exception {
		final Path p = rewrite("type.mha", "MET_SHORT", "MET_SHORT_ARRAY");
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> MetaImageIO
			.read(p));
		assertTrue(e.getMessage().contains("type.mha") && e.getMessage().contains("MET_SHORT_ARRAY"),
			e.getMessage());
	}

	@Test
	void fourDimensionsAreRefused() throws Exception {
		final Path p = rewrite("4d.mha", "NDims = 3", "NDims = 4").toAbsolutePath();
		Files.writeString(p, Files.readString(p, StandardCharsets.ISO_8859_1).replace(
			"DimSize = 5 4 3", "DimSize = 5 4 1 3").replace("ElementSpacing = 0.7 0.9 2.5",
				"ElementSpacing = 0.7 0.9 2.5 1"), StandardCharsets.ISO_8859_1);
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> MetaImageIO
			.read(p));
		assertTrue(e.getMessage().contains("4d.mha"), e.getMessage());
	}

	private static Path rewrite(final String out, final String from, final String to)
		throws Exception
	{
		final byte[] all = Files.readAllBytes(dir.resolve("local.mha"));
		final String s = new String(all, StandardCharsets.ISO_8859_1);
		assertTrue(s.contains(from), from);
		final Path p = dir.resolve(out);
		Files.write(p, s.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
		return p;
	}
}
