package sc.fiji.voxelseg.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The training-curve chart: training loss on the left axis and validation Dice (0..1, with a
 * marker per validation) on the right axis, against the training step, titled "Training".
 * Null or NaN values leave gaps. Either curve may be empty (before the first validation, say),
 * not both.
 */
public final class TrainingCurve {

	/** The colours of the loss and Dice curves. */
	static final int LOSS = Charts.colour(0), DICE = Charts.colour(1);

	/** With at least this many loss values a moving mean is drawn over them. */
	static final int SMOOTH_FROM = 20;

	private TrainingCurve() {}

	/** The chart, for callers that want to change its title, size or labels before writing it. */
	public static LinePlot plot(final List<? extends Number> steps, final List<? extends Number> loss,
		final List<? extends Number> valSteps, final List<? extends Number> valDice)
	{
		Objects.requireNonNull(steps, "steps");
		Objects.requireNonNull(loss, "loss");
		Objects.requireNonNull(valSteps, "valSteps");
		Objects.requireNonNull(valDice, "valDice");
		if (loss.size() != steps.size()) throw new IllegalArgumentException("a training curve needs " +
			"one loss value per step, not " + loss.size() + " for " + steps.size() + " steps");
		if (valDice.size() != valSteps.size()) throw new IllegalArgumentException("a training curve " +
			"needs one validation Dice per validation step, not " + valDice.size() + " for " + valSteps
				.size() + " steps");
		if (steps.isEmpty() && valSteps.isEmpty()) throw new IllegalArgumentException(
			"a training curve needs loss or validation Dice values; both lists are empty");
		final LinePlot p = new LinePlot("Training").xLabel("step").yLabel("loss").y2Label(
			"validation Dice").y2Range(0, 1);
		loss(p, steps, loss);
		if (!valSteps.isEmpty()) p.series("validation Dice", valSteps, valDice).axis(
			LinePlot.Axis.RIGHT).markers(true).colour(DICE);
		return p;
	}

	/**
	 * The chart of a run validated by a held-out loss (pretraining): training loss and held-out loss,
	 * with a marker per validation, on the one loss axis.
	 */
	public static LinePlot plotHeldOutLoss(final List<? extends Number> steps, final List<? extends Number> loss,
		final List<? extends Number> valSteps, final List<? extends Number> valLoss)
	{
		Objects.requireNonNull(steps, "steps");
		Objects.requireNonNull(loss, "loss");
		if (loss.size() != steps.size()) throw new IllegalArgumentException("a training curve needs " +
			"one loss value per step, not " + loss.size() + " for " + steps.size() + " steps");
		if (valLoss.size() != valSteps.size()) throw new IllegalArgumentException("a training curve needs one held-out loss per " +
			"validation step, not " + valLoss.size() + " for " + valSteps.size() + " steps");
		if (steps.isEmpty() && valSteps.isEmpty()) throw new IllegalArgumentException(
			"a training curve needs loss or held-out loss values; both lists are empty");
		final LinePlot p = new LinePlot("Training").xLabel("step").yLabel("loss");
		loss(p, steps, loss);
		if (!valSteps.isEmpty()) p.series("held-out loss", valSteps, valLoss).markers(true).colour(DICE);
		return p;
	}

	/** The training loss, see {@link #smoothed}. */
	private static void loss(final LinePlot p, final List<? extends Number> steps, final List<? extends Number> loss) {
		if (!steps.isEmpty()) smoothed(p, "training loss", steps, loss, LOSS);
	}

	/**
	 * A per-step series in {@code argb}; with {@link #SMOOTH_FROM} values or more, faint and 1 pixel
	 * wide under its moving mean over {@link #window} steps, drawn in {@code argb}.
	 */
	private static void smoothed(final LinePlot p, final String name, final List<? extends Number> steps,
		final List<? extends Number> values, final int argb)
	{
		if (steps.size() < SMOOTH_FROM) {
			p.series(name, steps, values).lineWidth(1).colour(argb);
			return;
		}
		final int w = window(steps.size());
		p.series(name, steps, values).lineWidth(1).colour(0x60000000 | (argb & 0xffffff));
		p.series("mean of " + w + " steps", LinePlot.doubles(steps), movingMean(LinePlot.doubles(values), w)).colour(argb);
	}

	/** The moving mean's window for {@code n} values: a fiftieth of them, at least 5. */
	static int window(final int n) {
		return Math.max(5, n / 50);
	}

	/**
	 * The mean of the finite values among {@code v[i-w+1..i]} at each {@code i} (fewer at the
	 * start), NaN where there is none or where {@code v[i]} itself is not finite.
	 */
	static double[] movingMean(final double[] v, final int w) {
		final double[] m = new double[v.length];
		double sum = 0;
		int count = 0;
		for (int i = 0; i < v.length; i++) {
			if (Double.isFinite(v[i])) {
				sum += v[i];
				count++;
			}
			if (i >= w && Double.isFinite(v[i - w])) {
				sum -= v[i - w];
				count--;
			}
			m[i] = Double.isFinite(v[i]) && count > 0 ? sum / count : Double.NaN;
		}
		return m;
	}

	/**
	 * The panels under the training curve, as in nnU-Net's progress.png: seconds per step (with
	 * its moving mean from {@link #SMOOTH_FROM} steps on) and the learning rate, against the step,
	 * 800×220 pixels each. Steps whose value is not finite leave gaps.
	 */
	public static List<LinePlot> panels(final List<? extends Number> steps, final List<? extends Number> seconds,
		final List<? extends Number> learningRate)
	{
		if (seconds.size() != steps.size() || learningRate.size() != steps.size()) throw new IllegalArgumentException(
			"training panels need one time and one learning rate per step, not " + seconds.size() + " and " + learningRate.size() +
				" for " + steps.size() + " steps");
		if (steps.isEmpty()) return List.of();
		final LinePlot time = new LinePlot("").xLabel("step").yLabel("seconds per step").size(800, 220);
		smoothed(time, "seconds per step", steps, seconds, Charts.colour(2));
		final LinePlot rate = new LinePlot("").xLabel("step").yLabel("learning rate").size(800, 220);
		rate.series("learning rate", steps, learningRate).colour(Charts.colour(4));
		return List.of(time, rate);
	}

	/**
	 * The training curve with its {@link #panels} under it, in one picture, their plot areas
	 * aligned with the curve's so that a step is the same column in each.
	 */
	public static java.awt.image.BufferedImage figure(final LinePlot curve, final List<LinePlot> panels) {
		final List<java.awt.image.BufferedImage> pictures = new java.util.ArrayList<>();
		final org.jfree.chart.ChartRenderingInfo info = new org.jfree.chart.ChartRenderingInfo();
		pictures.add(Charts.draw(curve.chart(), curve.width(), curve.height(), info));
		final java.awt.geom.Rectangle2D area = info.getPlotInfo().getDataArea();
		for (final LinePlot p : panels) {
			final org.jfree.chart.JFreeChart c = p.chart();
			final org.jfree.chart.plot.XYPlot plot = c.getXYPlot();
			final org.jfree.chart.axis.AxisSpace space = new org.jfree.chart.axis.AxisSpace();
			space.setLeft(area.getMinX() - c.getPadding().getLeft() - plot.getInsets().getLeft());
			space.setRight(p.width() - area.getMaxX() - c.getPadding().getRight() - plot.getInsets().getRight());
			plot.setFixedRangeAxisSpace(space);
			pictures.add(Charts.draw(c, p.width(), p.height(), null));
		}
		return Charts.stacked(pictures);
	}

	/** Renders the training curve and writes it to {@code png} atomically. */
	public static void write(final Path png, final List<? extends Number> steps,
		final List<? extends Number> loss, final List<? extends Number> valSteps,
		final List<? extends Number> valDice) throws IOException
	{
		plot(steps, loss, valSteps, valDice).writePng(png);
	}
}
