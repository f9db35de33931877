package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import sc.fiji.voxelseg.report.Charts;
import sc.fiji.voxelseg.report.LinePlot;
import sc.fiji.voxelseg.report.TrainingCurve;

/**
 * The training-curve picture: loss (left axis) and mean validation Dice (right axis) against the
 * step, with seconds per step and the learning rate in panels under it.
 */
final class TrainingReport {

	private TrainingReport() {}

	/**
	 * @param byLoss whether the run validates by a held-out loss (pretraining), so that the chart has
	 *          no Dice axis even before its first validation
	 */
	static void writeCurve(final Path png, final TrainingHistory history, final boolean byLoss) throws IOException {
		if (history.steps().isEmpty()) return;
		final List<Long> steps = new ArrayList<>();
		final List<Double> loss = new ArrayList<>(), seconds = new ArrayList<>(), rate = new ArrayList<>();
		for (final TrainingHistory.StepRecord r : history.steps()) {
			steps.add(r.step() + 1);
			loss.add(r.loss());
			seconds.add(r.seconds());
			rate.add(r.learningRate());
		}
		final List<LinePlot> panels = TrainingCurve.panels(steps, seconds, rate);
		final List<Long> valSteps = new ArrayList<>();
		final List<Double> dice = new ArrayList<>(), valLoss = new ArrayList<>();
		for (final TrainingHistory.Validation v : history.validations()) {
			if (v.byLoss()) {
				valLoss.add(v.loss());
				continue;
			}
			valSteps.add(v.step());
			dice.add(v.meanDice());
		}
		if (valLoss.isEmpty() && !byLoss) {
			Charts.writePng(TrainingCurve.figure(TrainingCurve.plot(steps, loss, valSteps, dice), panels), png);
			return;
		}
		// pretraining: the held-out loss on the loss axis
		final List<Long> lossSteps = new ArrayList<>();
		for (final TrainingHistory.Validation v : history.validations()) if (v.byLoss()) lossSteps.add(v.step());
		Charts.writePng(TrainingCurve.figure(TrainingCurve.plotHeldOutLoss(steps, loss, lossSteps, valLoss), panels), png);
	}
}
