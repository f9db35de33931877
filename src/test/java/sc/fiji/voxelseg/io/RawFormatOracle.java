package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.testutil.Python;

/**
 * The files that {@code src/test/python/write_nrrd_mha.py} writes with numpy, and what each is
 * meant to hold (values x fastest, spacing, RAS+ origin and direction, worked out in Python).
 */
final class RawFormatOracle {

	private RawFormatOracle() {}

	static Map<String, JsonObject> write(final Path dir) throws Exception {
		final Map<String, JsonObject> m = new LinkedHashMap<>();
		for (final JsonElement e : Python.json("write_nrrd_mha.py", dir.toString()).getAsJsonArray())
			m.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject());
		return m;
	}

	static double[] doubles(final JsonObject o, final String key) {
		final JsonArray a = o.getAsJsonArray(key);
		final double[] d = new double[a.size()];
		for (int i = 0; i < d.length; i++)
			d[i] = a.get(i).getAsDouble();
		return d;
	}

	/** Asserts voxels (exactly, after the stored type's rounding) and geometry (1e-9 mm). */
	static void assertMatches(final JsonObject c, final Volume v) {
		final String name = c.get("name").getAsString();
		final double[] dims = doubles(c, "dims");
		assertArrayEquals(new long[] { (long) dims[0], (long) dims[1], (long) dims[2] }, v.dims(),
			name + " dims");
		assertArrayEquals(doubles(c, "spacing"), v.spacing(), 1e-9, name + " spacing");
		assertArrayEquals(doubles(c, "origin"), v.origin(), 1e-9, name + " origin");
		assertArrayEquals(doubles(c, "direction"), v.direction(), 1e-9, name + " direction");
		assertArrayEquals(doubles(c, "far_corner"), v.indexToWorld(new double[] { dims[0] - 1,
			dims[1] - 1, dims[2] - 1 }), 1e-6, name + " world position of the far corner");
		final double[] expected = doubles(c, "values");
		int i = 0;
		for (final RealType<?> t : Views.flatIterable(v.image())) {
			assertEquals(expected[i], t.getRealDouble(), Math.abs(expected[i]) * 1e-6, name +
				" voxel " + i);
			i++;
		}
		assertEquals(expected.length, i, name + " voxel count");
	}
}
