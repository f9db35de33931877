package sc.fiji.voxelseg.image;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.type.numeric.integer.ByteType;
import net.imglib2.type.numeric.integer.IntType;
import net.imglib2.type.numeric.integer.LongType;
import net.imglib2.type.numeric.integer.ShortType;
import net.imglib2.type.numeric.integer.UnsignedByteType;
import net.imglib2.type.numeric.integer.UnsignedIntType;
import net.imglib2.type.numeric.integer.UnsignedShortType;
import net.imglib2.type.numeric.real.DoubleType;

/** Maps ImgLib2 pixel types to {@link VoxelType}. */
public final class VoxelTypes {

	private VoxelTypes() {}

	public static VoxelType of(final RandomAccessibleInterval<? extends RealType<?>> img) {
		final Object t = img.getType();
		if (t instanceof UnsignedByteType) return VoxelType.UINT8;
		if (t instanceof ByteType) return VoxelType.INT8;
		if (t instanceof ShortType) return VoxelType.INT16;
		if (t instanceof UnsignedShortType) return VoxelType.UINT16;
		if (t instanceof IntType) return VoxelType.INT32;
		if (t instanceof UnsignedIntType) return VoxelType.UINT32;
		if (t instanceof LongType) return VoxelType.INT64;
		if (t instanceof DoubleType) return VoxelType.FLOAT64;
		return VoxelType.FLOAT32;
	}
}
