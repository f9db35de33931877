package sc.fiji.voxelseg.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few Protocol Buffers wire-format encodings that an ONNX model needs (varints, 32-bit floats,
 * length-delimited strings, bytes and nested messages), so that export needs no protobuf runtime or
 * generated classes. A message is built field by field in ascending field order.
 */
final class Protobuf {

	private static final int VARINT = 0, FIXED32 = 5, LENGTH = 2;

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	/** An int64 / int32 / enum field. */
	Protobuf varint(final int field, final long value) {
		tag(field, VARINT);
		raw(value);
		return this;
	}

	/** A float field. */
	Protobuf fixed32(final int field, final float value) {
		tag(field, FIXED32);
		final int bits = Float.floatToIntBits(value);
		for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i) & 0xff);
		return this;
	}

	/** A string field (UTF-8). */
	Protobuf string(final int field, final String value) {
		return bytes(field, value.getBytes(StandardCharsets.UTF_8));
	}

	/** A bytes field. */
	Protobuf bytes(final int field, final byte[] value) {
		tag(field, LENGTH);
		raw(value.length);
		out.write(value, 0, value.length);
		return this;
	}

	/** An embedded message field. */
	Protobuf message(final int field, final Protobuf value) {
		return bytes(field, value.toByteArray());
	}

	/** A packed repeated int64 field. */
	Protobuf packed(final int field, final long[] values) {
		final Protobuf p = new Protobuf();
		for (final long v : values) p.raw(v);
		return bytes(field, p.toByteArray());
	}

	byte[] toByteArray() {
		return out.toByteArray();
	}

	private void tag(final int field, final int wire) {
		raw((long) field << 3 | wire);
	}

	/** A base-128 varint; negative values take ten bytes, as protobuf encodes int64. */
	private void raw(long v) {
		while ((v & ~0x7fL) != 0) {
			out.write((int) (v & 0x7f | 0x80));
			v >>>= 7;
		}
		out.write((int) v);
	}
}
