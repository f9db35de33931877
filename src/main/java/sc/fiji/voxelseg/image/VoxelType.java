package sc.fiji.voxelseg.image;

import java.util.Locale;

/**
 * The voxel data types VoxelSeg reads and writes, with their NIfTI datatype codes and sizes. The
 * name (lower case) is what {@code voxelseg info} prints as {@code datatype}.
 */
public enum VoxelType {
	UINT8(2, 1), INT8(256, 1), INT16(4, 2), UINT16(512, 2), INT32(8, 4), UINT32(768, 4), INT64(1024,
		8), FLOAT32(16, 4), FLOAT64(64, 8);

	/** NIfTI-1/2 {@code datatype} code. */
	public final int niftiCode;
	/** Bytes per voxel. */
	public final int bytes;

	VoxelType(final int niftiCode, final int bytes) {
		this.niftiCode = niftiCode;
		this.bytes = bytes;
	}

	public boolean isInteger() {
		return this != FLOAT32 && this != FLOAT64;
	}

	/** The smallest value the type holds (as a double; int64's limits are rounded). */
	public double min() {
		return switch (this) {
			case UINT8, UINT16, UINT32 -> 0;
			case INT8 -> Byte.MIN_VALUE;
			case INT16 -> Short.MIN_VALUE;
			case INT32 -> Integer.MIN_VALUE;
			case INT64 -> Long.MIN_VALUE;
			case FLOAT32 -> -Float.MAX_VALUE;
			case FLOAT64 -> -Double.MAX_VALUE;
		};
	}

	/** The largest value the type holds (as a double; int64's limit is rounded down below 2^63). */
	public double max() {
		return switch (this) {
			case UINT8 -> 255;
			case INT8 -> Byte.MAX_VALUE;
			case INT16 -> Short.MAX_VALUE;
			case UINT16 -> 65535;
			case INT32 -> Integer.MAX_VALUE;
			case UINT32 -> 4294967295.0;
			case INT64 -> Math.nextDown(0x1p63);
			case FLOAT32 -> Float.MAX_VALUE;
			case FLOAT64 -> Double.MAX_VALUE;
		};
	}

	/** {@code "0 .. 255"}, {@code "-32768 .. 32767"}: the range for messages. */
	public String rangeText() {
		return isInteger() ? String.format(Locale.ROOT, "%.0f .. %.0f", min(), max()) : "finite " + label() + " values";
	}

	public String label() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** The type with this NIfTI code, or {@code null} if VoxelSeg does not support it. */
	public static VoxelType fromNiftiCode(final int code) {
		for (final VoxelType t : values())
			if (t.niftiCode == code) return t;
		return null;
	}

	/** Parses a label such as {@code int16} or {@code float32}. */
	public static VoxelType fromLabel(final String label) {
		for (final VoxelType t : values())
			if (t.label().equalsIgnoreCase(label)) return t;
		throw new IllegalArgumentException("unknown voxel type '" + label +
			"' (known: uint8, int8, int16, uint16, int32, uint32, int64, float32, float64)");
	}
}
