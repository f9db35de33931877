package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.converter.Converters;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.real.FloatType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.testutil.Python;

/**
 * {@link NiftiIO#write}: files are read by nibabel (the oracle, {@code nifti_oracle.py dump}),
 * whose affine, qform ({@code get_qform()}, from the quaternion and qfac we write), datatype,
 * intent and voxels must match the volume; and read back by {@link NiftiIO#read} with the same
 * grid, voxels and class table. Also: a failed write leaves no file behind.
 */
class NiftiWriterTest {

	@TempDir
	Path tmp;

	/** A rotation about (1, 2, 3) by 0.7 rad (det +1), worked out by Rodrigues' formula. */
	static double[] oblique(final boolean negateThirdColumn) {
		final double n = Math.sqrt(14), x = 1 / n, y = 2 / n, z = 3 / n, t = 0.7;
		final double c = Math.cos(t), s = Math.sin(t), C = 1 - c;
		final double[] r = { c + x * x * C, x * y * C - z * s, x * z * C + y * s, //
			y * x * C + z * s, c + y * y * C, y * z * C - x * s, //
			z * x * C - y * s, z * y * C + x * s, c + z * z * C };
		if (negateThirdColumn) for (int row = 0; row < 3; row++)
			r[3 * row + 2] = -r[3 * row + 2];
		return r;
	}

	private static Map<String, Volume> volumes() {
		final Map<String, Volume> m = new LinkedHashMap<>();
		// uint8 label map with a class table (non-contiguous indices), identity direction
		final byte[] lab = new byte[5 * 4 * 3];
		final int[] classes = { 0, 1, 2, 7 };
		for (int i = 0; i < lab.length; i++)
			lab[i] = (byte) classes[(i * 7) % 4];
		final ClassTable table = new ClassTable(List.of(new LabelClass(0, "background", 0),
			new LabelClass(1, "liver", 0xff0000), new LabelClass(2, "left kidney", 0x00ff00),
			new LabelClass(7, "ünïcode \"quoted\"", 0x123456)));
		m.put("labels", new Volume(ArrayImgs.unsignedBytes(lab, 5, 4, 3), new double[] { 1, 1, 2 },
			new double[] { 1, 2, 3 }, Volume.identity(), table, VoxelType.UINT8));
		// int16, flipped x and y (an LPS-like direction), det +1
		final short[] s = new short[6 * 5 * 4];
		for (int i = 0; i < s.length; i++)
			s[i] = (short) (i * 547 - 30000);
		m.put("int16-flipped", new Volume(ArrayImgs.shorts(s, 6, 5, 4), new double[] { 0.5, 0.75,
			2 }, new double[] { 120.5, -80.25, 33 }, new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, null,
			VoxelType.INT16));
		// int16 with only z flipped: det -1
		m.put("int16-zflip", new Volume(ArrayImgs.shorts(s.clone(), 6, 5, 4), new double[] { 1.5, 1.5,
			3 }, new double[] { 0, 0, 0 }, new double[] { 1, 0, 0, 0, 1, 0, 0, 0, -1 }, null,
			VoxelType.INT16));
		// float32, oblique, det +1 and det -1
		final float[] f = new float[7 * 3 * 5];
		for (int i = 0; i < f.length; i++)
			f[i] = (float) (Math.sin(i) * 1000.25);
		m.put("float32-oblique-det+1", Volume.ofFloats(f, new long[] { 7, 3, 5 }, new double[] { 0.8,
			1.1, 2.5 }, new double[] { -12.5, 30.25, 4 }, oblique(false)));
		m.put("float32-oblique-det-1", Volume.ofFloats(f.clone(), new long[] { 7, 3, 5 },
			new double[] { 1.5, 0.7, 3 }, new double[] { 100, -20, -55.5 }, oblique(true)));
		// a dimension over 32767 takes the NIfTI-2 path (64 KiB of int16)
		final short[] big = new short[32768];
		for (int i = 0; i < big.length; i++)
			big[i] = (short) (i % 1000 - 500);
		m.put("nifti2-int16-det-1", new Volume(ArrayImgs.shorts(big, 32768, 1, 1), new double[] {
			0.25, 4, 5 }, new double[] { -7, 8, -9 }, oblique(true), null, VoxelType.INT16));
		return m;
	}

	@Test
	void nibabelReadsWhatWeWrite() throws Exception {
		final Map<String, Volume> vols = volumes();
		final Map<Path, Volume> files = new LinkedHashMap<>();
		for (final Map.Entry<String, Volume> e : vols.entrySet())
			for (final String ext : List.of(".nii", ".nii.gz")) {
				final Path p = tmp.resolve(e.getKey() + ext);
				NiftiIO.write(e.getValue(), p);
				files.put(p, e.getValue());
			}
		final List<String> args = new ArrayList<>();
		args.add("dump");
		files.keySet().forEach(p -> args.add(p.toString()));
		final JsonObject all = Python.json("nifti_oracle.py", args.toArray(String[]::new))
			.getAsJsonObject();
		for (final Map.Entry<Path, Volume> e : files.entrySet()) {
			final Path p = e.getKey();
			final Volume v = e.getValue();
			final String what = p.getFileName().toString();
			final JsonObject o = all.getAsJsonObject(p.toString());
			final boolean nifti2 = v.dims()[0] > Short.MAX_VALUE;
			assertEquals(nifti2 ? 2 : 1, o.get("version").getAsInt(), what);
			assertEquals("little", o.get("endianness").getAsString(), what);
			assertEquals(v.voxelType().label(), o.get("dtype").getAsString(), what);
			assertFalse(o.get("scaled").getAsBoolean(), what);
			assertEquals(1, o.get("qform_code").getAsInt(), what);
			assertEquals(1, o.get("sform_code").getAsInt(), what);
			// affine = [direction·diag(spacing) | origin], from the sform; the qform (quaternion,
			// qfac, pixdim, qoffset) must say the same, for det +1 and det -1 directions
			final double[][] expected = affine(v);
			assertMatrix(expected, o.getAsJsonArray("affine"), what + " affine");
			assertMatrix(expected, o.getAsJsonArray("qform"), what + " qform");
			assertMatrix(expected, o.getAsJsonArray("sform"), what + " sform");
			final double det = det(v.direction());
			assertEquals(Math.signum(det), o.get("qfac").getAsDouble(), what + " qfac");
			// every voxel, x fastest
			final float[] ours = Voxels.floats(v.image());
			final JsonArray theirs = o.getAsJsonArray("values");
			assertEquals(ours.length, theirs.size(), what);
			for (int i = 0; i < ours.length; i++)
				assertEquals(ours[i], theirs.get(i).getAsDouble(), 1e-6 * Math.abs(ours[i]), what +
					" voxel " + i);
			// label maps: NIFTI_INTENT_LABEL and the class table as a JSON comment extension
			if (v.isLabelMap()) {
				assertEquals(1002, o.get("intent_code").getAsInt(), what);
				final JsonArray exts = o.getAsJsonArray("extensions");
				assertEquals(1, exts.size(), what);
				assertEquals(6, exts.get(0).getAsJsonObject().get("code").getAsInt(), what);
				final String json = exts.get(0).getAsJsonObject().get("content").getAsString();
				assertTrue(json.contains("\"voxelseg_classes\"") && json.contains("left kidney") && json
					.contains("ünïcode"), json);
			}
			else {
				assertEquals(0, o.get("intent_code").getAsInt(), what);
				assertEquals(0, o.getAsJsonArray("extensions").size(), what);
			}
		}
	}

	/**
	 * The parallel gzip stream of .nii.gz writing gives one valid gzip member whatever the length
	 * relative to its blocks: read back by java.util.zip (zlib's inflate, which checks the CRC-32 and
	 * size) and tested by GNU gzip's own decoder ({@code gzip -t}), for compressible and
	 * incompressible data ending before, on and after block boundaries, a single byte and nothing.
	 */
	@Test
	void parallelGzipStreamIsOneValidMember() throws Exception {
		final int b = NiftiIO.ParallelGzipOutputStream.BLOCK;
		final java.util.Random r = new java.util.Random(3);
		int i = 0;
		for (final int len : new int[] { 0, 1, b - 1, b, b + 1, 3 * b + 5 })
			for (final boolean random : new boolean[] { false, true }) {
				final byte[] data = new byte[len];
				if (random) r.nextBytes(data);
				else for (int j = 0; j < len; j++) data[j] = (byte) (j / 1000 % 7);
				final Path f = tmp.resolve("block" + i++ + ".gz");
				try (java.io.OutputStream out = Files.newOutputStream(f)) {
					final NiftiIO.ParallelGzipOutputStream gz = new NiftiIO.ParallelGzipOutputStream(out, java.util.zip.Deflater.BEST_SPEED);
					// uneven writes, so that some cross block boundaries
					for (int off = 0; off < len;) {
						final int n = Math.min(len - off, 1 + r.nextInt(b / 3));
						gz.write(data, off, n);
						off += n;
					}
					gz.finish();
				}
				final String what = len + " bytes, " + (random ? "random" : "compressible");
				try (java.io.InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(f))) {
					assertArrayEquals(data, in.readAllBytes(), what);
				}
				final Process gzip = new ProcessBuilder("gzip", "-t", f.toString()).redirectErrorStream(true).start();
				final String said = new String(gzip.getInputStream().readAllBytes());
				assertEquals(0, gzip.waitFor(), what + ": gzip -t says " + said);
				if (!random && len > b) assertTrue(Files.size(f) < len / 20, what + " compresses: " + Files.size(f));
			}
	}

	/** Round trip through our own reader: grid, voxel type, every voxel and the class table. */
	@Test
	void roundTrip() throws IOException {
		for (final Map.Entry<String, Volume> e : volumes().entrySet())
			for (final String ext : List.of(".nii", ".nii.gz")) {
				final Volume v = e.getValue();
				final Path p = tmp.resolve("rt-" + e.getKey() + ext);
				NiftiIO.write(v, p);
				final Volume r = NiftiIO.read(p);
				final String what = p.getFileName().toString();
				assertTrue(v.sameGrid(r), what + ": " + v.describeGrid() + " vs " + r.describeGrid());
				assertArrayEquals(v.direction(), r.direction(), 1e-6, what);
				assertArrayEquals(v.spacing(), r.spacing(), 1e-6, what);
				assertArrayEquals(v.origin(), r.origin(), 1e-4, what);
				assertEquals(v.voxelType(), r.voxelType(), what);
				assertArrayEquals(Voxels.floats(v.image()), Voxels.floats(r.image()), what);
				assertEquals(v.classes(), r.classes(), what);
			}
	}

	/** The quaternion for each direction reproduces it (nifti1_io's quatern_to_mat44, by hand). */
	@Test
	void quaternionReproducesDirection() {
		for (final double[] dir : List.of(Volume.identity(), oblique(false), oblique(true),
			new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, new double[] { 1, 0, 0, 0, -1, 0, 0, 0, 1 },
			new double[] { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, new double[] { -1, 0, 0, 0, 1, 0, 0, 0, -1 }))
		{
			final NiftiIO.Quaternion q = NiftiIO.Quaternion.of(dir);
			final double b = q.b(), c = q.c(), d = q.d();
			final double a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
			final double[] r = { a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
				2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b), 2 * (b * d - a * c),
				2 * (c * d + a * b), a * a + d * d - c * c - b * b };
			for (int row = 0; row < 3; row++)
				r[3 * row + 2] *= q.qfac();
			assertArrayEquals(dir, r, 1e-9, java.util.Arrays.toString(dir));
			assertEquals(Math.signum(det(dir)), q.qfac());
		}
	}

	// -- atomicity --

	/** An image whose voxels throw once {@code failAt} of them have been read. */
	private static Volume failingVolume(final int failAt) {
		final float[] f = new float[40 * 40 * 40];
		final int[] count = { 0 };
		final RandomAccessibleInterval<FloatType> src = ArrayImgs.floats(f, 40, 40, 40);
		final RandomAccessibleInterval<FloatType> bad = Converters.convert(src, (a, b) -> {
			if (count[0]++ >= failAt) throw new IllegalStateException("disk on fire");
			b.set(a);
		}, new FloatType());
		return new Volume(bad, new double[] { 1, 1, 1 }, new double[3], Volume.identity(), null,
			VoxelType.FLOAT32);
	}

	@Test
	void failedWriteLeavesNothing() throws IOException {
		for (final String name : List.of("x.nii", "x.nii.gz")) {
			final Path dir = Files.createDirectory(tmp.resolve("fail-" + name));
			final Path target = dir.resolve(name);
			final IllegalStateException e = assertThrows(IllegalStateException.class, () -> NiftiIO
				.write(failingVolume(30000), target));
			assertEquals("disk on fire", e.getMessage());
			assertEquals(List.of(), list(dir), "no target and no temporary file");
		}
	}

	@Test
	void failedOverwriteKeepsTheOldFile() throws IOException {
		for (final String name : List.of("y.nii", "y.nii.gz")) {
			final Path dir = Files.createDirectory(tmp.resolve("keep-" + name));
			final Path target = dir.resolve(name);
			final Volume good = volumes().get("int16-flipped");
			NiftiIO.write(good, target);
			final byte[] before = Files.readAllBytes(target);
			assertThrows(IllegalStateException.class, () -> NiftiIO.write(failingVolume(1000), target));
			assertArrayEquals(before, Files.readAllBytes(target), "old file intact");
			assertEquals(List.of(name), list(dir), "no temporary file left");
			assertArrayEquals(Voxels.floats(good.image()), Voxels.floats(NiftiIO.read(target).image()));
		}
	}

	/** A target whose parent is a file (runs as root too, unlike a read-only directory). */
	@Test
	void unwritableTargetGivesIOExceptionAndNoFile() throws IOException {
		final Path notADir = Files.writeString(tmp.resolve("plain-file"), "x");
		final Path target = notADir.resolve("z.nii.gz");
		assertThrows(IOException.class, () -> NiftiIO.write(volumes().get("labels"), target));
		assertEquals("x", Files.readString(notADir));
		try (Stream<Path> s = Files.list(tmp)) {
			assertEquals(List.of("plain-file"), s.map(p -> p.getFileName().toString()).toList());
		}
	}

	@Test
	void nonNiftiNameIsRefused() {
		final IOException e = assertThrows(IOException.class, () -> NiftiIO.write(volumes().get(
			"labels"), tmp.resolve("labels.nrrd")));
		assertTrue(e.getMessage().contains("labels.nrrd"), e.getMessage());
		assertFalse(Files.exists(tmp.resolve("labels.nrrd")));
	}

	// -- helpers --

	private static List<String> list(final Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	private static double[][] affine(final Volume v) {
		final double[] d = v.direction(), sp = v.spacing(), o = v.origin();
		final double[][] a = new double[4][4];
		for (int r = 0; r < 3; r++) {
			for (int c = 0; c < 3; c++)
				a[r][c] = d[3 * r + c] * sp[c];
			a[r][3] = o[r];
		}
		a[3][3] = 1;
		return a;
	}

	private static void assertMatrix(final double[][] expected, final JsonArray actual,
		final String what)
	{
		for (int r = 0; r < 4; r++) {
			final JsonArray row = actual.get(r).getAsJsonArray();
			for (int c = 0; c < 4; c++)
				assertEquals(expected[r][c], row.get(c).getAsDouble(), 1e-4 * Math.max(1, Math.abs(
					expected[r][c])), what + "[" + r + "][" + c + "]: " + actual);
		}
	}

	private static double det(final double[] r) {
		return r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] *
			r[7] - r[4] * r[6]);
	}
}
