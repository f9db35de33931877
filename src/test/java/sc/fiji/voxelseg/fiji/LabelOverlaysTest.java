package sc.fiji.voxelseg.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageRoi;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import net.imglib2.img.array.ArrayImgs;

import org.junit.jupiter.api.Test;

import sc.fiji.voxelseg.fiji.LabelOverlays.Style;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/** Label overlays: colours, alpha, outlines and size checks, headless. */
public class LabelOverlaysTest {

	private static final int W = 12, H = 10, D = 8;
	private static final ClassTable TABLE = ClassTable.of(List.of("liver", "spleen"));

	/** A grey image, a 6×6×6 cube of class 1 at (2..7, 2..7, 1..6) and one voxel of class 2. */
	private static ImagePlus image() {
		final ImageStack st = new ImageStack(W, H);
		for (int z = 0; z < D; z++) {
			final ByteProcessor bp = new ByteProcessor(W, H);
			bp.setValue(100);
			bp.fill();
			st.addSlice(bp);
		}
		return new ImagePlus("ct", st);
	}

	private static Volume labels(final int w, final int h, final int d) {
		final byte[] b = new byte[w * h * d];
		for (int z = 1; z <= 6; z++)
			for (int y = 2; y <= 7; y++)
				for (int x = 2; x <= 7; x++)
					b[z * w * h + y * w + x] = 1;
		b[3 * w * h + 0 * w + 10] = 2; // (10, 0, 3)
		return new Volume(ArrayImgs.unsignedBytes(b, w, h, d), new double[] { 1, 1, 1 },
			new double[3], Volume.identity(), TABLE, VoxelType.UINT8);
	}

	private static ImageRoi roiAt(final Overlay o, final int slice) {
		for (final Roi r : o.toArray())
			if (r.getPosition() == slice) return assertInstanceOf(ImageRoi.class, r);
		return null;
	}

	@Test
	public void filledOverlayHasClassColourAndOpacity() {
		final ImagePlus imp = image();
		LabelOverlays.apply(imp, labels(W, H, D), Style.FILLED, 0.4);
		final Overlay o = imp.getOverlay();
		assertEquals(6, o.size(), "one roi per slice holding labels (z = 1..6)");
		final ImageRoi roi = roiAt(o, 4); // z = 3
		assertEquals(0.4, roi.getOpacity(), 1e-12);
		final ImageProcessor ip = roi.getProcessor();
		assertEquals(0xff000000 | TABLE.get(1).rgb(), ip.get(4, 4)); // inside the cube: opaque colour
		assertEquals(0xff000000 | TABLE.get(2).rgb(), ip.get(10, 0));
		assertEquals(0, ip.get(0, 9) >>> 24, "unlabelled voxels are transparent");
		assertEquals(null, roiAt(o, 1), "slice without labels gets no roi");

		// what a user sees: grey 100 blended with the class colour at 40 %
		imp.setSlice(4);
		final ImageProcessor flat = imp.flatten().getProcessor();
		final int c = TABLE.get(1).rgb(), seen = flat.get(4, 4);
		final int[] want = { (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff };
		final int[] got = { (seen >> 16) & 0xff, (seen >> 8) & 0xff, seen & 0xff };
		for (int k = 0; k < 3; k++)
			assertEquals(0.4 * want[k] + 0.6 * 100, got[k], 2.5, "channel " + k);
		assertEquals(100, flat.get(0, 9) & 0xff, "outside the labels the image is unchanged");
	}

	@Test
	public void outlineColoursOnlyTheBoundary() {
		final ImagePlus imp = image();
		LabelOverlays.apply(imp, labels(W, H, D), Style.OUTLINE, 1);
		final ImageRoi roi = roiAt(imp.getOverlay(), 4);
		final ImageProcessor ip = roi.getProcessor();
		assertEquals(0, ip.get(4, 4) >>> 24, "interior voxel of the cube stays transparent");
		assertEquals(0, ip.get(5, 5) >>> 24);
		assertEquals(0xff000000 | TABLE.get(1).rgb(), ip.get(2, 4), "face voxel x = 2 is coloured");
		assertEquals(0xff000000 | TABLE.get(1).rgb(), ip.get(7, 7), "corner voxel is coloured");
		assertEquals(0, ip.get(1, 4) >>> 24, "outside the cube stays transparent");
		int coloured = 0;
		for (int i = 0; i < W * H; i++)
			if (ip.get(i) >>> 24 != 0) coloured++;
		assertEquals(20 + 1, coloured, "the 6×6 square's 20 boundary pixels and the single voxel");
	}

	@Test
	public void classSubsetShowsOnlyThoseClasses() {
		final ImagePlus imp = image();
		final Overlay o = LabelOverlays.overlay(imp, labels(W, H, D), Style.FILLED, 0.5, Set.of(2));
		assertEquals(1, o.size());
		final ImageProcessor ip = roiAt(o, 4).getProcessor();
		assertEquals(0, ip.get(4, 4) >>> 24);
		assertEquals(0xff000000 | TABLE.get(2).rgb(), ip.get(10, 0));
	}

	@Test
	public void blackClassesStayVisible() {
		final ImagePlus imp = image();
		final Volume black = labels(W, H, D).withClasses(new ClassTable(List.of(
			new LabelClass(0, "background", 0),
			new LabelClass(1, "ink", 0x000000),
			new LabelClass(2, "other", 0xffffff))));
		final ImageProcessor ip = roiAt(LabelOverlays.overlay(imp, black, Style.FILLED, 1, null), 4)
			.getProcessor();
		assertEquals(0xff030303, ip.get(4, 4));
	}

	@Test
	public void mismatchedSizesNameBoth() {
		final ImagePlus imp = image();
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> LabelOverlays.apply(imp, labels(W, H, D + 1), Style.FILLED, 0.5));
		assertTrue(e.getMessage().contains("12×10×9") && e.getMessage().contains("12×10×8"), e
			.getMessage());
		assertThrows(IllegalArgumentException.class, () -> LabelOverlays.apply(imp, labels(W, H, D),
			Style.FILLED, 1.5));
	}
}
