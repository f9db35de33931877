package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/**
 * Randomly corrupted NIfTI files (seeded, so every run tests the same cases): every read either
 * succeeds with a structurally valid volume or throws a {@link VolumeFormatException} naming the
 * file, never another exception; files that are certainly corrupt (truncated, unknown datatype,
 * a zero dimension...) must throw. The expectations are worked out by hand from the NIfTI-1/2
 * header layout, not taken from another reader.
 */
class NiftiFuzzTest {

	@TempDir
	static Path tmp;

	/** A valid uncompressed NIfTI file to start from, and where its fields are. */
	private record Base(String name, byte[] bytes, int version, ByteOrder order, boolean floatData) {

		int voxOffset() {
			final ByteBuffer b = buf();
			return version == 1 ? (int) b.getFloat(108) : (int) b.getLong(168);
		}

		ByteBuffer buf() {
			return ByteBuffer.wrap(bytes).order(order);
		}

		int dimOffset(final int i) {
			return version == 1 ? 40 + 2 * i : 16 + 8 * i;
		}

		int datatypeOffset() {
			return version == 1 ? 70 : 12;
		}

		int bitpixOffset() {
			return version == 1 ? 72 : 14;
		}

		int headerSize() {
			return version == 1 ? 348 : 540;
		}
	}

	private static final List<Base> BASES = new ArrayList<>();

	@BeforeAll
	static void bases() throws IOException {
		final double[] oblique = { 0.36, 0.48, -0.8, -0.8, 0.6, 0, 0.48, 0.64, 0.6 };
		// NIfTI-1 float32, oblique
		final float[] f = new float[6 * 5 * 4];
		for (int i = 0; i < f.length; i++)
			f[i] = (float) Math.sin(i) * 100;
		final Volume fv = Volume.ofFloats(f, new long[] { 6, 5, 4 }, new double[] { 0.7, 1.3, 2.5 },
			new double[] { 10, -20, 30 }, oblique);
		BASES.add(base("n1-float32", fv, 1, true));
		// NIfTI-1 uint8 label map: a class table extension between header and data
		final byte[] b = new byte[5 * 4 * 3];
		for (int i = 0; i < b.length; i++)
			b[i] = (byte) (i % 4);
		final Volume lv = new Volume(ArrayImgs.unsignedBytes(b, 5, 4, 3), new double[] { 1, 1, 2 },
			new double[3], Volume.identity(), ClassTable.of(List.of("a", "b", "c")), VoxelType.UINT8);
		BASES.add(base("n1-labels", lv, 1, false));
		// NIfTI-2 float32: written by NiftiIO as 32768×1×1 (the NIfTI-2 path), then reshaped to
		// 4×3×2 by hand and cut after its 24 voxels
		final float[] g = new float[32768];
		for (int i = 0; i < g.length; i++)
			g[i] = i * 0.5f - 3;
		final Path p2 = tmp.resolve("base-n2.nii");
		NiftiIO.write(Volume.ofFloats(g, new long[] { 32768, 1, 1 }, new double[] { 0.5, 0.5, 3 },
			new double[] { -1, 2, -3 }, oblique), p2);
		final byte[] n2 = Files.readAllBytes(p2);
		final ByteBuffer bb = ByteBuffer.wrap(n2).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(540, bb.getInt(0));
		bb.putLong(16 + 8, 4).putLong(16 + 16, 3).putLong(16 + 24, 2);
		BASES.add(new Base("n2-float32", Arrays.copyOf(n2, (int) bb.getLong(168) + 24 * 4), 2,
			ByteOrder.LITTLE_ENDIAN, true));
		// nibabel's big-endian int16 anatomical.nii, where installed: a header nobody here wrote
		final Path anat = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii");
		if (Files.isRegularFile(anat)) BASES.add(new Base("nibabel-anatomical", Files.readAllBytes(
			anat), 1, ByteOrder.BIG_ENDIAN, false));
		// every base must read cleanly, plain and compressed
		for (final Base base : BASES) {
			NiftiIO.read(write(base.name + "-ok.nii", base.bytes));
			NiftiIO.read(write(base.name + "-ok.nii.gz", gzip(base.bytes)));
		}
	}

	private static Base base(final String name, final Volume v, final int version,
		final boolean floatData) throws IOException
	{
		final Path p = tmp.resolve("base-" + name + ".nii");
		NiftiIO.write(v, p);
		return new Base(name, Files.readAllBytes(p), version, ByteOrder.LITTLE_ENDIAN, floatData);
	}

	/** What a corruption guarantees: the read must fail, or either outcome is acceptable. */
	private enum Expect {
		THROW, EITHER
	}

	private record Case(String kind, byte[] bytes, boolean gz, Expect expect) {}

	@Test
	void corruptedFilesFailCleanly() throws Exception {
		// -Dfuzz.seed and -Dfuzz.cases explore further; the defaults keep every run identical
		final Random rnd = new Random(Long.getLong("fuzz.seed", 20240601L));
		final int cases = Integer.getInteger("fuzz.cases", 400);
		int threw = 0, read = 0;
		final List<String> failures = new ArrayList<>();
		final List<String[]> files = new ArrayList<>();
		final List<String> outcomes = new ArrayList<>();
		for (int n = 0; n < cases; n++) {
			final Base base = BASES.get(rnd.nextInt(BASES.size()));
			final Case c = corrupt(base, rnd);
			final byte[] bytes = c.gz && !c.kind.startsWith("gzip") ? gzip(c.bytes) : c.bytes;
			final Path file = write(String.format("case%03d-%s-%s.nii%s", n, base.name, c.kind, c.gz
				? ".gz" : ""), bytes);
			files.add(new String[] { "volume", file.toString() });
			outcomes.add("ERR");
			try {
				final Volume v = NiftiIO.read(file);
				outcomes.set(n, "OK");
				read++;
				final String problem = structuralProblem(v);
				if (problem != null) failures.add(file.getFileName() + ": read a bad volume: " + problem);
				else if (c.expect == Expect.THROW) failures.add(file.getFileName() +
					": corrupt, yet read as " + v);
			}
			catch (final VolumeFormatException e) {
				threw++;
				if (!e.getMessage().contains(file.getFileName().toString())) failures.add(file
					.getFileName() + ": message does not name the file: " + e.getMessage());
			}
			catch (final Throwable t) {
				final StringWriter sw = new StringWriter();
				t.printStackTrace(new PrintWriter(sw));
				failures.add(file.getFileName() + ": " + sw);
			}
		}
		// The same files in a JVM with a 96 MiB heap and no memory cap of the reader's own: the
		// same outcome, so no read depended on allocating what a header claims.
		final List<sc.fiji.voxelseg.testutil.FuzzRunner.Result> small = sc.fiji.voxelseg.testutil.FuzzRunner.run(files, Files
			.createDirectories(tmp.resolve("runner")), 600);
		for (int n = 0; n < cases; n++) {
			final var r = small.get(n);
			if (!r.status().equals(outcomes.get(n))) failures.add(Path.of(files.get(n)[1]).getFileName() + ": " + outcomes.get(n) +
				" here but " + r.status() + " in a small heap: " + r.text());
			else if (r.text().contains("<CTRL>")) failures.add(Path.of(files.get(n)[1]).getFileName() + ": control characters in " + r
				.text());
		}
		System.out.println("nifti fuzzing, " + cases + " cases: " + read + " read, " + threw + " refused");
		if (!failures.isEmpty()) fail(failures.size() + " of " + cases + " cases failed:\n" + String
			.join("\n", failures.subList(0, Math.min(40, failures.size()))));
		// the corruptions must exercise both outcomes
		assertTrue(threw > cases / 2, threw + " threw");
		assertTrue(read > 10, read + " were read");
	}

	/** null if {@code v} is a usable volume, else what is wrong with it. */
	private static String structuralProblem(final Volume v) {
		for (final long d : v.dims())
			if (d < 1) return "dims " + Arrays.toString(v.dims());
		for (final double s : v.spacing())
			if (!(s > 0) || !Double.isFinite(s)) return "spacing " + Arrays.toString(v.spacing());
		for (final double o : v.origin())
			if (!Double.isFinite(o)) return "origin " + Arrays.toString(v.origin());
		for (final double d : v.direction())
			if (!Double.isFinite(d)) return "direction " + Arrays.toString(v.direction());
		for (final RealType<?> t : Views.flatIterable(v.image()))
			if (!Double.isFinite(t.getRealDouble())) return "a non-finite voxel";
		return null;
	}

	private static Case corrupt(final Base base, final Random rnd) throws IOException {
		final byte[] b = base.bytes.clone();
		final ByteBuffer h = ByteBuffer.wrap(b).order(base.order);
		final boolean gz = rnd.nextBoolean();
		final int v1 = base.version;
		switch (rnd.nextInt(14)) {
			case 0: { // truncated inside the voxel data
				final int at = base.voxOffset() + rnd.nextInt(b.length - base.voxOffset());
				return new Case("truncdata", Arrays.copyOf(b, at), gz, Expect.THROW);
			}
			case 1: { // truncated anywhere
				return new Case("trunc", Arrays.copyOf(b, rnd.nextInt(b.length)), gz, Expect.THROW);
			}
			case 2: { // random header bytes
				final int k = 1 + rnd.nextInt(8);
				for (int i = 0; i < k; i++)
					b[rnd.nextInt(base.headerSize())] = (byte) rnd.nextInt(256);
				return new Case("hdrbytes", b, gz, Expect.EITHER);
			}
			case 3: { // a spatial dimension 0, negative or huge
				final int i = 1 + rnd.nextInt(3);
				final long[] choices = v1 == 1 ? new long[] { 0, -1, -32768, 32767 } : new long[] { 0, -1,
					Long.MIN_VALUE, 1L << 40, Long.MAX_VALUE, Integer.MAX_VALUE, 32768 };
				final long val = choices[rnd.nextInt(choices.length)];
				putDim(base, h, i, val);
				return new Case("dim" + i + "=" + val, b, gz, Expect.THROW);
			}
			case 4: { // dim[0] out of range, or a 4th dimension
				final long[] choices = { 0, -3, 8, 100 };
				if (rnd.nextBoolean()) {
					final long val = choices[rnd.nextInt(choices.length)];
					putDim(base, h, 0, val);
					return new Case("ndim=" + val, b, gz, Expect.THROW);
				}
				putDim(base, h, 0, 4);
				putDim(base, h, 4, 2 + rnd.nextInt(1000));
				return new Case("4d", b, gz, Expect.THROW);
			}
			case 5: { // unknown datatype codes
				final int[] codes = { 9999, 0, 1, 32, 128, 1536, 2048, 2304, -16, 17 };
				final int code = codes[rnd.nextInt(codes.length)];
				h.putShort(base.datatypeOffset(), (short) code);
				return new Case("datatype=" + code, b, gz, Expect.THROW);
			}
			case 6: { // bitpix contradicting the datatype
				final int bitpix = h.getShort(base.bitpixOffset());
				int bad;
				do
					bad = rnd.nextInt(130) - 1;
				while (bad == bitpix);
				h.putShort(base.bitpixOffset(), (short) bad);
				return new Case("bitpix=" + bad, b, gz, Expect.THROW);
			}
			case 7: { // vox_offset beyond the file, negative, inside the header, NaN
				final double[] choices = { b.length + 1 + rnd.nextInt(1 << 20), -352, 100, 1e12,
					Double.NaN, Double.POSITIVE_INFINITY, (double) Long.MAX_VALUE };
				final double val = choices[rnd.nextInt(choices.length)];
				if (v1 == 1) h.putFloat(108, (float) val);
				else h.putLong(168, (long) val);
				return new Case("voxoffset", b, gz, Expect.THROW);
			}
			case 8: { // NaN or infinity in pixdim, quatern, qoffset or srow
				final double[] bad = { Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
					0, -0.0, 1e38, 1e-40 };
				final int k = 1 + rnd.nextInt(3);
				for (int i = 0; i < k; i++) {
					final int field = rnd.nextInt(26); // pixdim 0-7, quatern/qoffset 6, srow 12
					final int off;
					if (field < 8) off = v1 == 1 ? 76 + 4 * field : 104 + 8 * field;
					else if (field < 14) off = v1 == 1 ? 256 + 4 * (field - 8) : 352 + 8 * (field - 8);
					else off = v1 == 1 ? 280 + 4 * (field - 14) : 400 + 8 * (field - 14);
					final double val = bad[rnd.nextInt(bad.length)];
					if (v1 == 1) h.putFloat(off, (float) val);
					else h.putDouble(off, val);
				}
				return new Case("geometry", b, gz, Expect.EITHER);
			}
			case 9: { // NaN voxels in float data (a non-float base gets a header corruption instead)
				if (!base.floatData) {
					h.putShort(v1 == 1 ? 252 : 344, (short) rnd.nextInt(5));
					h.putShort(v1 == 1 ? 254 : 348, (short) (rnd.nextInt(5) - 1));
					return new Case("xformcodes", b, gz, Expect.EITHER);
				}
				final int nvox = (b.length - base.voxOffset()) / 4;
				h.putFloat(base.voxOffset() + 4 * rnd.nextInt(nvox), rnd.nextBoolean() ? Float.NaN
					: Float.NEGATIVE_INFINITY);
				return new Case("nanvoxel", b, gz, Expect.THROW);
			}
			case 10: { // garbage gzip: flipped bytes, a cut stream, or random bytes behind the magic
				final byte[] z = gzip(b);
				final int kind = rnd.nextInt(3);
				if (kind == 0) {
					final int k = 1 + rnd.nextInt(4);
					for (int i = 0; i < k; i++)
						z[10 + rnd.nextInt(z.length - 10)] ^= (byte) (1 + rnd.nextInt(255));
					return new Case("gzipflip", z, true, Expect.EITHER);
				}
				if (kind == 1) return new Case("gzipcut", Arrays.copyOf(z, rnd.nextInt(z.length - 8)), true,
					Expect.THROW);
				final byte[] g = new byte[2 + rnd.nextInt(2000)];
				rnd.nextBytes(g);
				g[0] = 0x1f;
				g[1] = (byte) 0x8b;
				return new Case("gzipgarbage", g, true, Expect.THROW);
			}
			case 11: { // a damaged extension block (the labels base has a real one)
				final int hs = base.headerSize();
				b[hs] = 1;
				if (base.voxOffset() >= hs + 12) {
					final int[] sizes = { -8, 0, 7, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 30,
						base.voxOffset() - hs - 4 + 16, rnd.nextInt() };
					h.putInt(hs + 4, sizes[rnd.nextInt(sizes.length)]);
					if (rnd.nextBoolean()) h.putInt(hs + 8, 6);
					// garble the JSON too
					for (int i = hs + 12; i < base.voxOffset(); i++)
						if (rnd.nextInt(8) == 0) b[i] = (byte) rnd.nextInt(256);
				}
				return new Case("extension", b, gz, Expect.EITHER);
			}
			case 12: { // scl_slope / scl_inter non-finite or huge
				final double[] bad = { Double.NaN, Double.POSITIVE_INFINITY, 1e38, -1e38, 0, 1e-45 };
				final double s = bad[rnd.nextInt(bad.length)], in = bad[rnd.nextInt(bad.length)];
				if (v1 == 1) h.putFloat(112, (float) s).putFloat(116, (float) in);
				else h.putDouble(176, s).putDouble(184, in);
				return new Case("scaling", b, gz, Expect.EITHER);
			}
			default: { // a damaged magic string or header size
				if (rnd.nextBoolean()) {
					final int off = v1 == 1 ? 344 : 4;
					b[off + rnd.nextInt(3)] ^= (byte) (1 + rnd.nextInt(255));
					return new Case("magic", b, gz, Expect.THROW);
				}
				h.putInt(0, rnd.nextInt());
				return new Case("sizeofhdr", b, gz, Expect.THROW);
			}
		}
	}

	private static void putDim(final Base base, final ByteBuffer h, final int i, final long val) {
		if (base.version == 1) h.putShort(base.dimOffset(i), (short) Math.max(Short.MIN_VALUE, Math
			.min(Short.MAX_VALUE, val)));
		else h.putLong(base.dimOffset(i), val);
	}

	private static Path write(final String name, final byte[] bytes) throws IOException {
		final Path p = tmp.resolve(name.replaceAll("[^A-Za-z0-9_.=+-]", "_"));
		Files.write(p, bytes);
		return p;
	}

	private static byte[] gzip(final byte[] b) throws IOException {
		final ByteArrayOutputStream bos = new ByteArrayOutputStream();
		try (GZIPOutputStream z = new GZIPOutputStream(bos)) {
			z.write(b);
		}
		return bos.toByteArray();
	}

	/**
	 * Dimensions too large for memory are refused before allocation, with a memory message: a
	 * complete 2 MiB float32 volume (128×64×64, 4 bytes each: worked by hand) under a 1 MiB limit.
	 */
	@Test
	void volumeLargerThanMaxBytesIsRefused() throws IOException {
		final Path p = tmp.resolve("two-mib.nii");
		NiftiIO.write(Volume.ofFloats(new float[128 * 64 * 64], new long[] { 128, 64, 64 },
			new double[] { 1, 1, 1 }, new double[3], Volume.identity()), p);
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NiftiIO.read(p,
			ReadOptions.defaults().optMaxBytes(1 << 20)));
		assertTrue(e.getMessage().contains("two-mib.nii") && e.getMessage().contains("memory") && e
			.getMessage().contains("128×64×64"), e.getMessage());
		// and the same file reads under a 4 MiB limit
		assertEquals(128 * 64 * 64, NiftiIO.read(p, ReadOptions.defaults().optMaxBytes(4 << 20))
			.voxelCount());
	}

	/**
	 * A NIfTI-1 header claiming 32767³ voxels (more than one Java array holds) and a NIfTI-2
	 * header claiming 2^62: refused by checkFits with a message, not an OutOfMemoryError.
	 */
	@Test
	void hugeDimensionsAreRefusedBeforeAllocation() throws IOException {
		final Base n1 = BASES.get(0);
		final byte[] b = n1.bytes.clone();
		final ByteBuffer h = ByteBuffer.wrap(b).order(n1.order);
		for (int i = 1; i <= 3; i++)
			h.putShort(n1.dimOffset(i), Short.MAX_VALUE);
		final Path p = write("huge-n1.nii", b);
		final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NiftiIO.read(
			p));
		assertTrue(e.getMessage().contains("huge-n1.nii") && e.getMessage().contains(
			"32767×32767×32767"), e.getMessage());

		final Base n2 = BASES.get(2);
		final byte[] c = n2.bytes.clone();
		final ByteBuffer h2 = ByteBuffer.wrap(c).order(n2.order);
		h2.putLong(n2.dimOffset(1), 1L << 31).putLong(n2.dimOffset(2), 1L << 31);
		final Path p2 = write("huge-n2.nii.gz", gzip(c));
		final VolumeFormatException e2 = assertThrows(VolumeFormatException.class, () -> NiftiIO.read(
			p2));
		assertTrue(e2.getMessage().contains("huge-n2.nii.gz"), e2.getMessage());
	}

	/**
	 * A header claiming 2000×2000×100 float32 (1.6 GB, which fits in memory) in a file of a few
	 * hundred bytes is refused as truncated before the 1.6 GB are allocated (plain and gzip: deflate
	 * cannot expand more than 1032:1).
	 */
	@Test
	void dataLargerThanTheFileIsRefusedBeforeAllocation() throws IOException {
		final Base n1 = BASES.get(0);
		final byte[] b = n1.bytes.clone();
		final ByteBuffer h = ByteBuffer.wrap(b).order(n1.order);
		h.putShort(n1.dimOffset(1), (short) 2000).putShort(n1.dimOffset(2), (short) 2000).putShort(
			n1.dimOffset(3), (short) 100);
		for (final String name : List.of("claims-1600mb.nii", "claims-1600mb.nii.gz")) {
			final Path p = write(name, name.endsWith(".gz") ? gzip(b) : b);
			final long before = usedMemory();
			final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NiftiIO
				.read(p));
			assertTrue(e.getMessage().contains(name) && e.getMessage().contains("truncated") && e
				.getMessage().contains("1600000000 bytes"), e.getMessage());
			assertTrue(usedMemory() - before < 500L << 20, "allocated the claimed size");
		}
	}

	/**
	 * A .nii.gz cut inside its 8-byte trailer, or with a wrong CRC, decodes to complete voxels; the
	 * gzip trailer (CRC-32 and length, RFC 1952) must still be checked.
	 */
	@Test
	void damagedGzipTrailerIsRefused() throws IOException {
		for (final Base base : BASES) {
			final byte[] z = gzip(base.bytes);
			final Path cut = write(base.name + "-cut-trailer.nii.gz", Arrays.copyOf(z, z.length - 5));
			final VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> NiftiIO
				.read(cut));
			assertTrue(e.getMessage().contains(cut.getFileName().toString()) && e.getMessage().contains(
				"truncated"), e.getMessage());
			final byte[] crc = z.clone();
			crc[crc.length - 8] ^= 0x5a; // first CRC byte
			final Path bad = write(base.name + "-bad-crc.nii.gz", crc);
			final VolumeFormatException e2 = assertThrows(VolumeFormatException.class, () -> NiftiIO
				.read(bad));
			assertTrue(e2.getMessage().contains(bad.getFileName().toString()) && e2.getMessage()
				.contains("corrupt"), e2.getMessage());
		}
	}

	private static long usedMemory() {
		final Runtime rt = Runtime.getRuntime();
		return rt.totalMemory() - rt.freeMemory();
	}
}
