package sc.fiji.voxelseg.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonObject;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

/**
 * Tensors computed by the torch oracle scripts under {@code src/test/python}. A script is called as
 * {@code script OUT.npz args...}; it writes named arrays into {@code OUT.npz} (numpy's format, which
 * DJL reads) and prints a JSON summary. Tests load the arrays into their own {@link NDManager}, so
 * closing it frees them, and compare results with {@link #assertClose}.
 */
public final class TorchOracle {

	private final Path npz;
	private final JsonObject summary;

	private TorchOracle(final Path npz, final JsonObject summary) {
		this.npz = npz;
		this.summary = summary;
	}

	/** Runs {@code script dir/NAME.npz args...}, NAME being the script's name and the first argument. */
	public static TorchOracle run(final Path dir, final String script, final String... args) throws IOException,
		InterruptedException
	{
		final String stem = script.replace(".py", "") + (args.length > 0 ? "-" + args[0].replaceAll("[^A-Za-z0-9]", "") : "");
		final Path out = dir.resolve(stem + ".npz");
		final String[] all = new String[args.length + 1];
		all[0] = out.toString();
		System.arraycopy(args, 0, all, 1, args.length);
		final JsonObject summary = Python.json(script, all).getAsJsonObject();
		if (!Files.isRegularFile(out)) fail(script + " wrote no " + out);
		return new TorchOracle(out, summary);
	}

	/** What the script printed. */
	public JsonObject summary() {
		return summary;
	}

	/** The script's arrays, attached to {@code manager}. */
	public Arrays arrays(final NDManager manager) throws IOException {
		try (InputStream in = Files.newInputStream(npz)) {
			final Map<String, NDArray> byName = new LinkedHashMap<>();
			for (final NDArray a : NDList.decode(manager, in)) byName.put(a.getName(), a);
			return new Arrays(byName);
		}
	}

	/** Named arrays from an oracle. */
	public static final class Arrays {

		private final Map<String, NDArray> byName;

		Arrays(final Map<String, NDArray> byName) {
			this.byName = byName;
		}

		/** The array called {@code name}; failing, not null, when the oracle wrote none. */
		public NDArray get(final String name) {
			final NDArray a = byName.get(name);
			if (a == null) fail("the oracle wrote no array '" + name + "'; it wrote " + byName.keySet());
			return a;
		}

		/** Whether the oracle wrote an array called {@code name}. */
		public boolean contains(final String name) {
			return byName.containsKey(name);
		}

		/** The integer array {@code name} as longs (sizes, counts). */
		public long[] longs(final String name) {
			return get(name).toType(DataType.INT64, false).toLongArray();
		}
	}

	/**
	 * Same shape, and every element within {@code atol + rtol·|expected|}; the message names the worst
	 * element, its flat index and both values.
	 */
	public static void assertClose(final NDArray expected, final NDArray actual, final double atol, final double rtol,
		final String what)
	{
		assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
		final float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
		final float[] a = actual.toType(DataType.FLOAT32, false).toFloatArray();
		int worst = -1;
		double worstExcess = 0, worstDiff = 0;
		for (int i = 0; i < e.length; i++) {
			final double d = Math.abs((double) a[i] - e[i]);
			final double excess = d - (atol + rtol * Math.abs(e[i]));
			if (Double.isNaN(a[i]) != Double.isNaN(e[i]) || excess > worstExcess) {
				worst = i;
				worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
				worstDiff = d;
			}
		}
		if (worst >= 0) {
			fail(what + ": element " + worst + " of " + e.length + " is " + a[worst] + ", expected " + e[worst] + " (difference " +
				worstDiff + " > " + atol + " + " + rtol + "·|expected|)");
		}
	}

	/** Copies {@code value} into the initialised parameter {@code p}, checking that the shapes agree. */
	public static void setParameter(final Parameter p, final NDArray value) {
		assertEquals(p.getArray().getShape(), value.getShape(), "shape of parameter " + p.getName());
		p.getArray().set(value.toType(DataType.FLOAT32, false).toFloatArray());
	}

	/** {@link #assertClose} against literal values of the actual array's shape. */
	public static void assertClose(final float[] expected, final NDArray actual, final double atol, final String what) {
		assertClose(actual.getManager().create(expected, actual.getShape()), actual, atol, 0, what);
	}
}
