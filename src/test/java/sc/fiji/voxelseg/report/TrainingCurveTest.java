package sc.fiji.voxelseg.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
 * left axis, checked at the pixels the chart's own axes give; the moving mean against values
 * worked by hand; the written file against {@code src/test/python/png_oracle.py}, a
 * standard-library PNG decoder.
 */
class TrainingCurveTest {

	@TempDir
	Path tmp;

	private static final int DICE = TrainingCurve.DICE & 0xffffff, LOSS = TrainingCurve.LOSS & 0xffffff;

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
		final Drawn d = Drawn.of(p);
		assertEquals(0, d.xy().getRangeAxis(1).getLowerBound());
		assertEquals(1, d.xy().getRangeAxis(1).getUpperBound());
		assertTrue(d.xy().getRangeAxis(0).getUpperBound() >= 2, "loss axis " + d.xy().getRangeAxis(0).getRange());
		assertEquals(0, d.xy().getDomainAxis().getLowerBound(), 30);
		assertEquals(1000, d.xy().getDomainAxis().getUpperBound(), 30);
		assertTrue(d.near(d.px(250), d.py(0.3, 1), 1, DICE));
		assertTrue(d.near(d.px(750), d.py(0.7, 1), 1, DICE));
		// 101 loss values: the raw curve faint, its moving mean over 5 steps in the loss colour
		assertEquals(List.of("training loss", "mean of 5 steps", "validation Dice"), names(p));
		assertTrue(d.near(d.px(300), d.py(2 * Math.exp(-1)), 2, LOSS));
		// the null Dice at step 500 leaves a gap: nothing between the markers at 250 and 750
		assertFalse(d.has(d.px(400), d.py(0.3, 1), d.px(600), d.py(0.7, 1), DICE));

		final Path png = tmp.resolve("training.png");
		TrainingCurve.write(png, steps, loss, valSteps, dice);
		final JsonObject o = PngOracle.decode(png);
		assertEquals(800, o.get("width").getAsInt());
		assertEquals(500, o.get("height").getAsInt());
		assertEquals(PngOracle.sha256(p.render()), o.get("sha256").getAsString());
	}

	private static List<String> names(final LinePlot p) {
		final List<String> n = new ArrayList<>();
		final org.jfree.chart.plot.XYPlot plot = p.chart().getXYPlot();
		for (int k = 0; k < plot.getDatasetCount(); k++) n.add(plot.getDataset(k).getSeriesKey(0).toString());
		return n;
	}

	/** The moving mean, worked by hand: window 3 over 1, 2, 3, NaN, 5, 6. */
	@Test
	void movingMean() {
		assertArrayEquals(new double[] { 1, 1.5, 2, Double.NaN, 4, 5.5 }, TrainingCurve.movingMean(new double[] { 1, 2, 3,
			Double.NaN, 5, 6 }, 3), 1e-12);
		assertEquals(5, TrainingCurve.window(20));
		assertEquals(20, TrainingCurve.window(1000));
		// fewer than 20 values: the loss alone, no mean
		assertEquals(List.of("training loss"), names(TrainingCurve.plot(List.of(0, 1, 2), List.of(1.0, 0.5, 0.4), List.of(),
			List.of())));
	}

	/** Before the first validation there is only loss; a run may also have only Dice. */
	@Test
	void eitherCurveAlone() {
		final LinePlot lossOnly = TrainingCurve.plot(List.of(0, 1, 2), List.of(1.0, 0.5, 0.4), List.of(), List.of());
		assertEquals(1, lossOnly.chart().getXYPlot().getRangeAxis(1).getUpperBound());
		assertNull(lossOnly.chart().getLegend());
		final LinePlot diceOnly = TrainingCurve.plot(List.of(), List.of(), List.of(100), List.of(0.5));
		final Drawn d = Drawn.of(diceOnly);
		assertTrue(d.near(d.px(100), d.py(0.5, 1), 1, DICE), "single Dice marker");
	}

	/**
	 * The panels under the curve: seconds per step with its moving mean from 20 steps on, and the
	 * learning rate, whose points land where the panel's own axes put them; stacked under the
	 * curve in one picture.
	 */
	@Test
	void panelsOfTimeAndLearningRate() {
		final List<Integer> steps = new ArrayList<>();
		final List<Double> seconds = new ArrayList<>(), rate = new ArrayList<>();
		for (int i = 1; i <= 40; i++) {
			steps.add(i);
			seconds.add(i == 1 ? 3.0 : 0.5);
			rate.add(1e-3 * Math.pow(1 - (i - 1) / 40.0, 0.9));
		}
		final List<LinePlot> panels = TrainingCurve.panels(steps, seconds, rate);
		assertEquals(2, panels.size());
		assertEquals(List.of("seconds per step", "mean of 5 steps"), names(panels.get(0)));
		assertEquals(List.of("learning rate"), names(panels.get(1)));
		final Drawn lr = Drawn.of(panels.get(1));
		final int colour = Charts.colour(4) & 0xffffff;
		assertTrue(lr.near(lr.px(20), lr.py(rate.get(19)), 1.5, colour), "the rate at step 20");
		assertFalse(lr.near(lr.px(20), lr.py(1e-3), 3, colour), "not the starting rate at step 20");
		final LinePlot curve = TrainingCurve.plot(steps, rate, List.of(), List.of());
		final java.awt.image.BufferedImage all = TrainingCurve.figure(curve, panels);
		assertEquals(800, all.getWidth());
		assertEquals(500 + 220 + 220, all.getHeight());
		// aligned: the learning rate's line starts and ends in the curve's columns of steps 1 and 40
		final Drawn top = Drawn.of(curve), bottom = new Drawn(null, all.getSubimage(0, 720, 800, 220), null);
		int first = -1, last = -1;
		for (int x = 0; x < 800; x++)
			for (int y = 0; y < 220; y++)
				if (bottom.tinted(x, y, colour)) {
					if (first < 0) first = x;
					last = x;
				}
		assertEquals(top.px(1), first, 3, "step 1");
		assertEquals(top.px(40), last, 3, "step 40");
		assertEquals(List.of(), TrainingCurve.panels(List.of(), List.of(), List.of()));
		final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.panels(List.of(1, 2), List
			.of(0.5), List.of(1e-3, 1e-3)));
		assertEquals("training panels need one time and one learning rate per step, not 1 and 2 for 2 steps", e.getMessage());
	}

	@Test
	void badInputIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.plot(List.of(), List.of(), List
			.of(), List.of()));
		assertEquals("a training curve needs loss or validation Dice values; both lists are empty", e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.plot(List.of(1, 2), List.of(0.5), List.of(), List.of()));
		assertEquals("a training curve needs one loss value per step, not 1 for 2 steps", e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> TrainingCurve.plot(List.of(), List.of(), List.of(1), List.of(0.5,
			0.6)));
		assertEquals("a training curve needs one validation Dice per validation step, not 2 for 1 steps", e.getMessage());
	}
}
