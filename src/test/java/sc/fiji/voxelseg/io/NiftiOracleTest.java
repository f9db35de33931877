package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.imglib2.RandomAccess;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.testutil.Python;

/**
 * {@link NiftiIO#read} against nibabel (the oracle, {@code src/test/python/nifti_oracle.py}) on
 * files VoxelSeg did not write: nibabel's and ITK's test data, and files written by nibabel in
 * the variants those lack (NIfTI-2, big-endian, scl_slope/scl_inter, qform-only, no transform,
 * more datatypes). Geometry is compared to nibabel's {@code img.affine} (spacing = column norms,
 * direction = normalised columns, origin = translation) to 1e-4; voxel values to
 * {@code img.get_fdata()} (after scaling) to 1e-3 relative.
 */
class NiftiOracleTest {

	@TempDir
	static Path tmp;

	/** nibabel's own test data and the ITK examples' brain MRI. */
	@TestFactory
	Stream<DynamicTest> foreignTestData() throws Exception {
		final List<String> files = new ArrayList<>();
		for (final JsonElement e : Python.json("nifti_oracle.py", "list").getAsJsonArray())
			files.add(e.getAsString());
		// The oracle must actually have found the files this test is about.
		for (final String must : List.of("anatomical.nii", "standard.nii.gz", "example4d.nii.gz",
			"example_nifti2.nii.gz", "reoriented_anat_moved.nii", "KmeansTest_T1UCharRaw.nii.gz"))
			assertTrue(files.stream().anyMatch(f -> f.endsWith("/" + must)), "missing " + must +
				" in " + files);
		return tests(files);
	}

	/** Files written by nibabel in the variants the foreign data lacks. */
	@TestFactory
	Stream<DynamicTest> filesWrittenByNibabel() throws Exception {
		final Path dir = tmp.resolve("made");
		final List<String> files = new ArrayList<>();
		for (final JsonElement e : Python.json("nifti_oracle.py", "make", dir.toString())
			.getAsJsonArray())
			files.add(e.getAsString());
		assertTrue(files.size() >= 15, "nibabel wrote " + files);
		return tests(files);
	}

	private static Stream<DynamicTest> tests(final List<String> files) throws Exception {
		final List<String> args = new ArrayList<>();
		args.add("arrays");
		args.add(Files.createTempDirectory(tmp, "arrays").toString());
		args.addAll(files);
		final JsonObject all = Python.json("nifti_oracle.py", args.toArray(String[]::new))
			.getAsJsonObject();
		final List<DynamicTest> tests = new ArrayList<>();
		for (final Map.Entry<String, JsonElement> e : all.entrySet()) {
			final Path file = Paths.get(e.getKey());
			tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file, e
				.getValue().getAsJsonObject())));
		}
		return tests.stream();
	}

	static void check(final Path file, final JsonObject o) throws IOException {
		final String name = file.getFileName().toString();
		if (o.get("volumes").getAsLong() != 1) {
			// nibabel sees a 4D+ image: VoxelSeg must refuse it, naming the file and the count
			final VolumeFormatException ex = assertThrows(VolumeFormatException.class, () -> NiftiIO
				.read(file));
			assertTrue(ex.getMessage().contains(name), ex.getMessage());
			assertTrue(ex.getMessage().contains("has " + o.get("volumes").getAsLong() + " volumes"), ex
				.getMessage());
			return;
		}
		final Volume v;
		if (o.get("nonfinite").getAsLong() > 0) {
			// nibabel finds NaN/Inf voxels: by default VoxelSeg refuses them, saying how many
			final VolumeFormatException ex = assertThrows(VolumeFormatException.class, () -> NiftiIO
				.read(file));
			assertTrue(ex.getMessage().contains(name) && ex.getMessage().contains(o.get("nonfinite")
				.getAsLong() + " voxels are NaN or infinite"), ex.getMessage());
			v = NiftiIO.read(file, ReadOptions.defaults().optAllowNonFinite(true));
		}
		else v = NiftiIO.read(file);

		assertArrayEquals(longs(o.getAsJsonArray("dims")), v.dims(), "dims");
		assertArrayEquals(doubles(o.getAsJsonArray("spacing")), v.spacing(), 1e-4, "spacing");
		assertArrayEquals(doubles(o.getAsJsonArray("origin")), v.origin(), 1e-4, "origin");
		assertArrayEquals(doubles(o.getAsJsonArray("direction")), v.direction(), 1e-4, "direction");

		final String dtype = o.get("dtype").getAsString();
		final VoxelType expectedType = o.get("scaled").getAsBoolean() ? (dtype.equals("float64")
			? VoxelType.FLOAT64 : VoxelType.FLOAT32) : VoxelType.fromLabel(dtype);
		assertEquals(expectedType, v.voxelType(), "voxel type");

		double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
		long n = 0;
		for (final RealType<?> t : Views.flatIterable(v.image())) {
			final double x = t.getRealDouble();
			if (!Double.isFinite(x)) continue;
			min = Math.min(min, x);
			max = Math.max(max, x);
			sum += x;
			n++;
		}
		final double abssum = o.get("abssum").getAsDouble();
		assertClose(o.get("min").getAsDouble(), min, "min");
		assertClose(o.get("max").getAsDouble(), max, "max");
		assertClose(o.get("mean").getAsDouble(), sum / n, "mean");
		assertEquals(o.get("sum").getAsDouble(), sum, 1e-3 * Math.max(Math.abs(o.get("sum")
			.getAsDouble()), Math.max(1, 1e-3 * abssum)), "sum");

		if (o.has("values_file")) {
			// every voxel, x fastest: nibabel's float64 values, as the stored type holds them
			final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(Paths.get(o.get("values_file").getAsString())))
				.order(java.nio.ByteOrder.LITTLE_ENDIAN);
			final boolean single = v.voxelType() == VoxelType.FLOAT32;
			long i = 0;
			for (final RealType<?> t : Views.flatIterable(v.image())) {
				final double e = b.getDouble(), x = t.getRealDouble();
				final double want = single ? (float) e : e;
				if (!(Double.isNaN(e) ? Double.isNaN(x) : Math.abs(x - want) <= 1e-6 * Math.max(1, Math.abs(want)))) {
					throw new AssertionError(name + ": voxel " + i + " is " + x + ", nibabel reads " + e);
				}
				i++;
			}
			assertEquals(v.voxelCount() * 8, b.capacity(), name + ": voxel count");
		}

		final RandomAccess<? extends RealType<?>> ra = v.image().randomAccess();
		for (final JsonElement s : o.getAsJsonArray("samples")) {
			final JsonArray a = s.getAsJsonArray();
			final long[] pos = { a.get(0).getAsLong(), a.get(1).getAsLong(), a.get(2).getAsLong() };
			ra.setPosition(pos);
			final double expected = a.get(3).getAsDouble();
			final double actual = ra.get().getRealDouble();
			if (Double.isNaN(expected)) assertTrue(Double.isNaN(actual), "voxel " + a);
			else assertClose(expected, actual, "voxel " + a);
		}
	}

	static void assertClose(final double expected, final double actual, final String what) {
		assertEquals(expected, actual, 1e-3 * Math.max(1, Math.abs(expected)), what);
	}

	static long[] longs(final JsonArray a) {
		final long[] r = new long[a.size()];
		for (int i = 0; i < r.length; i++)
			r[i] = a.get(i).getAsLong();
		return r;
	}

	static double[] doubles(final JsonArray a) {
		final double[] r = new double[a.size()];
		for (int i = 0; i < r.length; i++)
			r[i] = a.get(i).getAsDouble();
		return r;
	}
}
