package sc.fiji.voxelseg.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX inference graph under construction, written as an ONNX model file (IR version 8, the
 * default opset {@value #OPSET}). Blocks add nodes and their weights as initializers; every value
 * gets a fresh name. Only what VoxelSeg's networks need is here: float tensors, nodes with int,
 * ints, float and string attributes, one input and one output with named (symbolic) or fixed
 * dimensions, and metadata properties.
 */
public final class OnnxGraph {

	/** The operator set the graphs use: 17, which ONNX 1.12 and later check and every current runtime runs. */
	public static final int OPSET = 17;
	static final int IR_VERSION = 8;
	private static final int FLOAT = 1, INT64 = 7;

	private final List<Protobuf> nodes = new ArrayList<>(), initializers = new ArrayList<>();
	private final Map<String, String> metadata = new LinkedHashMap<>();
	private Protobuf input, output;
	private int counter;
	private long weightCount;

	/** A node's attribute. */
	public record Attribute(String name, Object value) {

		public static Attribute ints(final String name, final long... v) {
			return new Attribute(name, v);
		}

		public static Attribute of(final String name, final long v) {
			return new Attribute(name, v);
		}

		public static Attribute of(final String name, final float v) {
			return new Attribute(name, v);
		}

		public static Attribute of(final String name, final String v) {
			return new Attribute(name, v);
		}
	}

	/** A fresh value name starting with {@code hint}. */
	public String fresh(final String hint) {
		return hint + "_" + counter++;
	}

	/** Adds a node of {@code op} and returns the name of its (single) output. */
	public String node(final String op, final List<String> inputs, final Attribute... attributes) {
		final String y = fresh(op.toLowerCase(java.util.Locale.ROOT));
		final Protobuf n = new Protobuf();
		for (final String in : inputs) n.string(1, in);
		n.string(2, y).string(3, y).string(4, op);
		for (final Attribute a : attributes) n.message(5, attribute(a));
		nodes.add(n);
		return y;
	}

	/** {@link #node(String, List, Attribute...)} with the inputs listed. */
	public String node(final String op, final String[] inputs, final Attribute... attributes) {
		return node(op, List.of(inputs), attributes);
	}

	/** A float initializer of the given shape; returns its name. */
	public String weight(final String hint, final float[] values, final long... dims) {
		long n = 1;
		for (final long d : dims) n *= d;
		if (n != values.length) throw new IllegalArgumentException(hint + ": " + values.length + " values for shape " + java.util.Arrays.toString(dims));
		final String name = fresh(hint);
		final ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(values);
		initializers.add(new Protobuf().packed(1, dims).varint(2, FLOAT).string(8, name).bytes(9, b.array()));
		weightCount += values.length;
		return name;
	}

	/** An int64 initializer (shapes, axes); returns its name. */
	public String int64(final String hint, final long... values) {
		final String name = fresh(hint);
		final ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
		b.asLongBuffer().put(values);
		initializers.add(new Protobuf().packed(1, new long[] { values.length }).varint(2, INT64).string(8, name).bytes(9, b.array()));
		return name;
	}

	/** The graph's float input; each dimension is a {@code Long} (fixed) or a {@code String} (symbolic). */
	public String input(final String name, final Object... dims) {
		input = valueInfo(name, dims);
		return name;
	}

	/** Names {@code value} as the graph's float output {@code name} (through an Identity node). */
	public void output(final String value, final String name, final Object... dims) {
		final Protobuf n = new Protobuf().string(1, value).string(2, name).string(3, name).string(4, "Identity");
		nodes.add(n);
		output = valueInfo(name, dims);
	}

	/** A metadata property of the model. */
	public void metadata(final String key, final String value) {
		metadata.put(key, value);
	}

	/** Float weights added so far. */
	public long weightCount() {
		return weightCount;
	}

	/** Writes the model. */
	public void write(final OutputStream out, final String graphName, final String producerVersion, final String doc) throws IOException {
		if (input == null || output == null) throw new IllegalStateException("an ONNX graph needs its input and output");
		final Protobuf g = new Protobuf();
		for (final Protobuf n : nodes) g.message(1, n);
		g.string(2, graphName);
		for (final Protobuf t : initializers) g.message(5, t);
		g.message(11, input).message(12, output);
		final Protobuf m = new Protobuf().varint(1, IR_VERSION).string(2, "VoxelSeg").string(3, producerVersion)
			.string(4, "sc.fiji.voxelseg").varint(5, 1);
		if (doc != null) m.string(6, doc);
		m.message(7, g).message(8, new Protobuf().string(1, "").varint(2, OPSET));
		for (final Map.Entry<String, String> e : metadata.entrySet()) m.message(14, new Protobuf().string(1, e.getKey()).string(2, e.getValue()));
		out.write(m.toByteArray());
	}

	private static Protobuf valueInfo(final String name, final Object... dims) {
		final Protobuf shape = new Protobuf();
		for (final Object d : dims) {
			final Protobuf dim = new Protobuf();
			if (d instanceof Number n) dim.varint(1, n.longValue());
			else dim.string(2, d.toString());
			shape.message(1, dim);
		}
		final Protobuf tensor = new Protobuf().varint(1, FLOAT).message(2, shape);
		return new Protobuf().string(1, name).message(2, new Protobuf().message(1, tensor));
	}

	private static Protobuf attribute(final Attribute a) {
		final Protobuf p = new Protobuf().string(1, a.name());
		final Object v = a.value();
		if (v instanceof Float f) return p.fixed32(2, f).varint(20, 1);
		if (v instanceof Long l) return p.varint(3, l).varint(20, 2);
		if (v instanceof String s) return p.string(4, s).varint(20, 3);
		if (v instanceof long[] ls) {
			for (final long l : ls) p.varint(8, l);
			return p.varint(20, 7);
		}
		throw new IllegalArgumentException("attribute " + a.name() + ": unsupported value " + v);
	}
}
