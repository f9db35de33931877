package sc.fiji.voxelseg.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Frame;
import java.awt.Point;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.process.ByteProcessor;
import ij.text.TextWindow;

import net.imglib2.img.array.ArrayImgs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import sc.fiji.voxelseg.command.CommandRunner;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;

/**
 * What VoxelSeg shows in ImageJ's windows, on a real display: a child JVM, not headless, under
 * Xvfb ({@code xvfb-run}, installed by {@code scripts/install-test-deps.sh}). A label overlay
 * drawn on a shown image is read back from the screen (java.awt.Robot) inside and outside the
 * organ; the Evaluate command opens its results table as the "VoxelSeg Evaluation" window with a
 * row per organ. Not covered: Fiji itself (imagej-legacy, which shows SciJava outputs such as the
 * training curve and the Dice chart as windows in Fiji, is not on Maven Central), and macros over
 * VoxelSeg commands, which need imagej-legacy's bridge from ImageJ's macro language to SciJava.
 */
class DisplayTest {

	@TempDir
	Path tmp;

	private static final int W = 64, H = 48, D = 4;
	private static final ClassTable TABLE = ClassTable.of(List.of("liver", "spleen"));

	/** Class 1 in x 10..39, y 8..31 of every slice, class 2 in x 44..55, y 30..41. */
	private static Volume labels() {
		final byte[] b = new byte[W * H * D];
		for (int z = 0; z < D; z++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++)
					b[z * W * H + y * W + x] = (byte) (x >= 10 && x < 40 && y >= 8 && y < 32 ? 1 : x >= 44 && x < 56 && y >= 30 && y < 42 ? 2
						: 0);
		return new Volume(ArrayImgs.unsignedBytes(b, W, H, D), new double[] { 1, 1, 2 }, new double[3], Volume.identity(), TABLE,
			VoxelType.UINT8);
	}

	/** The child JVM: shows, reads back, and prints what it found as JSON. */
	public static void main(final String[] args) throws Exception {
		final JsonObject out = new JsonObject();
		final ImageStack st = new ImageStack(W, H);
		for (int z = 0; z < D; z++) {
			final ByteProcessor bp = new ByteProcessor(W, H);
			bp.setValue(90);
			bp.fill();
			st.addSlice(bp);
		}
		final ImagePlus imp = new ImagePlus("ct", st);
		imp.show();
		for (int i = 0; i < 100 && (imp.getWindow() == null || !imp.getWindow().isShowing()); i++) Thread.sleep(100);
		out.addProperty("window", imp.getWindow() != null && imp.getWindow().isShowing());
		LabelOverlays.apply(imp, labels(), LabelOverlays.Style.FILLED, 1.0);
		imp.setSlice(2);
		imp.updateAndDraw();
		Thread.sleep(1500);
		final Point at = imp.getCanvas().getLocationOnScreen();
		final double mag = imp.getCanvas().getMagnification();
		out.addProperty("magnification", mag);
		final BufferedImage shot = new Robot().createScreenCapture(new Rectangle(at.x, at.y, (int) Math.round(W * mag), (int) Math
			.round(H * mag)));
		final int liver = TABLE.get(1).rgb() & 0xffffff, spleen = TABLE.get(2).rgb() & 0xffffff;
		int inLiver = 0, liverPixels = 0, inSpleen = 0, outside = 0, outsidePixels = 0;
		for (int y = 0; y < shot.getHeight(); y++) {
			for (int x = 0; x < shot.getWidth(); x++) {
				final int ix = (int) (x / mag), iy = (int) (y / mag), p = shot.getRGB(x, y) & 0xffffff;
				final boolean l = ix >= 11 && ix < 39 && iy >= 9 && iy < 31, s = ix >= 45 && ix < 55 && iy >= 31 && iy < 41;
				final boolean o = !(ix >= 8 && ix < 58 && iy >= 6 && iy < 44);
				if (l) {
					liverPixels++;
					if (p == liver) inLiver++;
				}
				if (s && p == spleen) inSpleen++;
				if (o) {
					outsidePixels++;
					if (p == liver || p == spleen) outside++;
				}
			}
		}
		out.addProperty("liverPixels", liverPixels);
		out.addProperty("inLiver", inLiver);
		out.addProperty("inSpleen", inSpleen);
		out.addProperty("outsidePixels", outsidePixels);
		out.addProperty("outside", outside);

		try (Context context = new Context()) {
			final Map<String, Object> objects = Map.of("pred", ImagePlusBridge.toImagePlus(labels(), "pred"), "truth", ImagePlusBridge
				.toImagePlus(labels(), "truth"));
			final CommandRunner runner = new CommandRunner(context, (v, t) -> objects.get(v));
			runner.run(runner.find("Evaluate"), CommandRunner.parse("source=[open images],prediction=pred,truth=truth"));
			Frame table = null;
			for (int i = 0; i < 50 && table == null; i++) {
				table = WindowManager.getFrame("VoxelSeg Evaluation");
				if (table == null) Thread.sleep(100);
			}
			out.addProperty("table", table instanceof TextWindow tw ? tw.getTextPanel().getLineCount() : -1);
			if (table instanceof TextWindow tw) out.addProperty("firstRow", tw.getTextPanel().getLine(0));
		}
		System.out.println("RESULT " + out);
		System.exit(0);
	}

	@Test
	void overlaysAndTablesOnARealDisplay() throws Exception {
		final Path xvfb = Path.of("/usr/bin/xvfb-run");
		assertTrue(Files.isExecutable(xvfb), "xvfb-run is missing: scripts/install-test-deps.sh installs the xvfb package");
		final List<String> cmd = new ArrayList<>(List.of(xvfb.toString(), "-a", "-s", "-screen 0 1280x1024x24", Path.of(System
			.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-Djava.awt.headless=false", "-Dai.djl.offline=true",
			"-Djava.util.prefs.userRoot=" + tmp.resolve("prefs"), "-cp", System.getProperty("java.class.path"), DisplayTest.class
				.getName()));
		final Path log = tmp.resolve("child.log");
		final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the child JVM finished");
		final String text = Files.readString(log, StandardCharsets.UTF_8);
		assertEquals(0, p.exitValue(), text);
		final String line = text.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(text));
		final JsonObject r = JsonParser.parseString(line.substring(7)).getAsJsonObject();
		assertTrue(r.get("window").getAsBoolean(), text);
		// the opaque overlay covers the organ on screen in its colour, and nothing outside the organs
		assertTrue(r.get("liverPixels").getAsInt() > 500, r.toString());
		assertEquals(r.get("liverPixels").getAsInt(), r.get("inLiver").getAsInt(), r.toString());
		assertTrue(r.get("inSpleen").getAsInt() > 50, r.toString());
		assertTrue(r.get("outsidePixels").getAsInt() > 500, r.toString());
		assertEquals(0, r.get("outside").getAsInt(), r.toString());
		// the Evaluate table as its own window: a row per organ, the first the liver
		assertEquals(2, r.get("table").getAsInt(), r.toString());
		assertTrue(r.get("firstRow").getAsString().contains("liver"), r.toString());
	}
}
