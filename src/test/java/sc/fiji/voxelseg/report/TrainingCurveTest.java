package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

/**
 * {@link TrainingCurve}: the Dice curve lies on the right axis fixed to 0..1 and the loss on the
 * left axis, checked at the pixels the chart's own mapping gives; the written file against
 * {@code src/test/python/png_oracle.py}, a standard-library PNG decoder.
 */
class TrainingCurveTest {

	@TempDir
	Path tmp;

	private static boolean near(final Raster r, final double px, final double py, final int colour) {
		final int cx = (int) Math.round(px), cy = (int) Math.round(py);
		for (int y = cy - 1; y <= cy + 1; y++)
			for (int x = cx - 1; x <= cx + 1; x++)
				if (r.get(x, y) == colour) return true;
		return false;
	}

	@Test
	void lossLeftDiceRight() throws Exception {
		final List<Double> steps = new ArrayList<>(), loss = new ArrayList<>();
		for (int i = 0; i <= 100; i++) {
			steps.add(i * 10.0);
			loss.add(2 * Math.exp(-i / 30.0));
		}
		final List<Double> valSteps = List.of(250.0, 500.0, 750.0, 1000.0);
		final List<Double> dice = Arrays.asList(0.3, null, 0.7, 0.8);
		final LinePlot p = TrainingCurve.plot(steps, loss, valSteps, dice);
		final Frame f = p.frame();
		assertEquals(0, f.y20);
		assertEquals(1, f.y21);
		assertEquals(0, f.y0);
		assertTrue(f.y1 >= 2, "loss axis up to " + f.y1);
		assertEquals(0, f.x0);
		assertEquals(1000, f.x1);
		final Raster r = p.render();
		assertTrue(near(r, f.px(250), f.py2(0.3), TrainingCurve.DICE));
		assertTrue(near(r, f.px(750), f.py2(0.7), TrainingCurve.DICE));
		assertTrue(near(r, f.px(300), f.py(2 * Math.exp(-1)), TrainingCurve.LOSS));
		// the null Dice at step 500 leaves a gap: nothing between the markers at 250 and 750
		final int y500 = (int) Math.round(f.py2(0.5));
		for (int x = (int) Math.round(f.px(400)); x <= f.px(600); x++)
			for (int y = y500 - 30; y <= y500 + 30; y++)
				assertTrue(r.get(x, y) != TrainingCurve.DICE, "pixel " + x + "," + y);

		final Path png = tmp.resolve("training.png");
		TrainingCurve.write(png, steps, loss, valSteps, dice);
		final JsonObject o = PngOracle.decode(png);
		assertEquals(800, o.get("width").getAsInt());
		assertEquals(500, o.get("height").getAsInt());
		assertEquals(PngOracle.sha256(r, false), o.get("sha256").getAsString());
	}

	/** Before the first validation there is only loss; a run may also have only Dice. */
	@Test
	void eitherCurveAlone() {
		final LinePlot lossOnly = TrainingCurve.plot(List.of(0, 1, 2), List.of(1.0, 0.5, 0.4), List
			.of(), List.of());
		assertEquals(1, lossOnly.frame().y21);
		lossOnly.render();
		final LinePlot diceOnly = TrainingCurve.plot(List.of(), List.of(), List.of(100), List.of(0.5));
		final Frame f = diceOnly.frame();
		final Raster r = diceOnly.render();
		assertTrue(near(r, f.px(100), f.py2(0.5), TrainingCurve.DICE), "single Dice marker");
	}

	@Test
	void badInputIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> TrainingCurve.plot(List.of(), List.of(), List.of(), List.of()));
		assertEquals("a training curve needs loss or validation Dice values; both lists are empty", e
			.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.plot(List.of(1, 2), List
			.of(0.5), List.of(), List.of()));
		assertEquals("a training curve needs one loss value per step, not 1 for 2 steps", e
			.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.plot(List.of(), List.of(),
			List.of(1), List.of(0.5, 0.6)));
		assertEquals("a training curve needs one validation Dice per validation step, not 2 for 1 " +
			"steps", e.getMessage());
	}
}
