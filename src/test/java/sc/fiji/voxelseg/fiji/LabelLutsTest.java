package sc.fiji.voxelseg.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.LUT;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;

/** Label LUTs carry the class colours, headless. */
public class LabelLutsTest {

	@Test
	public void lutEntriesAreTheClassColoursAndOthersBlack() {
		final ClassTable table = new ClassTable(List.of(new LabelClass(0, "background", 0x123456),
			new LabelClass(1, "liver", 0xe6194b), new LabelClass(7, "tumour", 0x3cb44b),
			new LabelClass(255, "last", 0xabcdef)));
		final LUT lut = LabelLuts.lut(table);
		assertEquals(256, lut.getMapSize());
		for (final LabelClass c : table.classes())
			assertEquals(c.rgb(), lut.getRGB(c.index()) & 0xffffff, c.name());
		assertEquals(0, lut.getRGB(2) & 0xffffff);
		assertEquals(0, lut.getRGB(254) & 0xffffff);
	}

	@Test
	public void applyColoursTheWholeStack() {
		final ClassTable table = ClassTable.abdomen();
		final ImageStack st = new ImageStack(4, 4);
		for (int z = 0; z < 3; z++)
			st.addSlice(new ByteProcessor(4, 4));
		final ImagePlus imp = new ImagePlus("labels", st);
		LabelLuts.apply(imp, table);
		assertEquals(0, imp.getDisplayRangeMin());
		assertEquals(255, imp.getDisplayRangeMax());
		imp.setSlice(3);
		for (int i = 1; i <= 8; i++)
			assertEquals(table.get(i).rgb(), imp.getProcessor().getLut().getRGB(i) & 0xffffff);
		// a pixel of class 5 (liver) renders in the liver colour
		imp.getProcessor().set(1, 1, 5);
		assertEquals(table.get(5).rgb(), imp.getProcessor().convertToRGB().get(1, 1) & 0xffffff);
	}

	@Test
	public void floatImagesAreRefused() {
		final ImagePlus imp = new ImagePlus("f", new FloatProcessor(2, 2));
		assertThrows(IllegalArgumentException.class, () -> LabelLuts.apply(imp, ClassTable
			.abdomen()));
	}
}
