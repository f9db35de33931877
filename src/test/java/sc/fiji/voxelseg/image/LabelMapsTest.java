package sc.fiji.voxelseg.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@link LabelMaps#asLabelMap}: values worked out by hand on 3×2×2 volumes (voxel i lies at
 * x = i % 3, y = (i / 3) % 2, z = i / 6).
 */
class LabelMapsTest {

	private static final ClassTable TABLE = ClassTable.of(List.of("liver", "spleen")); // 0, 1, 2

	private static Volume volume(final float... values) {
		return Volume.ofFloats(values, new long[] { 3, 2, 2 }, new double[] { 1, 2, 3 },
			new double[] { 4, 5, 6 }, new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 });
	}

	@Test
	void wholeKnownValuesBecomeUint8LabelMap() {
		final Volume v = volume(0, 1, 2, 2, 1, 0, 0, 0, 1, 1, 2, 2);
		final Volume l = LabelMaps.asLabelMap(v, TABLE, "seg.nii.gz");
		assertEquals(VoxelType.UINT8, l.voxelType());
		assertSame(TABLE, l.classes());
		assertTrue(l.sameGrid(v));
		assertArrayEquals(Voxels.floats(v.image()), Voxels.floats(l.image()));
		assertArrayEquals(new long[] { 4, 4, 4 }, LabelMaps.histogram(l));
	}

	@Test
	void largeTableGivesInt32() {
		final ClassTable t = new ClassTable(List.of(new LabelClass(0, "bg", 0), new LabelClass(300,
			"many", 0xffffff)));
		final Volume l = LabelMaps.asLabelMap(volume(0, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 300), t, "v");
		assertEquals(VoxelType.INT32, l.voxelType());
		assertEquals(300, Voxels.floats(l.image())[11]);
	}

	@Test
	void nonIntegerValueIsRefusedWithItsPosition() {
		// voxel 7 -> (1, 0, 1)
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> LabelMaps.asLabelMap(volume(0, 1, 2, 0, 1, 2, 0, 1.5f, 2, 0, 1, 2), TABLE,
				"case_007.nii.gz"));
		assertTrue(e.getMessage().startsWith("case_007.nii.gz: ") && e.getMessage().contains(
			"(1, 0, 1)") && e.getMessage().contains("1.5"), e.getMessage());
	}

	@Test
	void nanIsRefused() {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> LabelMaps.asLabelMap(volume(0, 0, 0, 0, 0, Float.NaN, 0, 0, 0, 0, 0, 0), TABLE,
				"nan.nii"));
		assertTrue(e.getMessage().startsWith("nan.nii: ") && e.getMessage().contains("(2, 1, 0)"), e
			.getMessage());
	}

	@Test
	void valuesOutsideTheTableAreListed() {
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> LabelMaps.asLabelMap(volume(0, 1, 7, 2, -1, 0, 7, 0, 3, 0, 0, 1), TABLE,
				"labels.nrrd"));
		assertTrue(e.getMessage().startsWith("labels.nrrd: ") && e.getMessage().contains(
			"[-1, 3, 7]") && e.getMessage().contains("spleen"), e.getMessage());
	}

	@Test
	void hugeValuesAreRefusedNotWrapped() {
		// 2^32 + 1 would wrap to 1 in an int and 4294967296 + 2 to 2: both must be refused
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> LabelMaps.asLabelMap(volume(0, 4294967296f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), TABLE,
				"big.nii"));
		assertTrue(e.getMessage().startsWith("big.nii: ") && e.getMessage().contains("4294967296"), e
			.getMessage());
	}
}
