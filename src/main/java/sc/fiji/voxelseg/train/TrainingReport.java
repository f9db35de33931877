package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import sc.fiji.voxelseg.report.TrainingCurve;

/** The training-curve picture: loss (left axis) and mean validation Dice (right axis) against the step. */
final class TrainingReport {

	private TrainingReport() {}

	/**
	 * @param byLoss whether the run validates by a held-out loss (pretraining), so that the chart has
	 *          no Dice axis even before its first validation
	 */
	static void writeCurve(final Path png, final TrainingHistory history, final boolean byLoss) throws IOException {
		if (history.steps().isEmpty()) return;
		final List<Long> steps = new ArrayList<>();
		final List<Double> loss = new ArrayList<>();
		for (final TrainingHistory.StepRecord r : history.steps()) {
			steps.add(r.step() + 1);
			loss.add(r.loss());
		}
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
			TrainingCurve.write(png, steps, loss, valSteps, dice);
			return;
		}
		// pretraining: the held-out loss on the loss axis
		final List<Long> lossSteps = new ArrayList<>();
		for (final TrainingHistory.Validation v : history.validations()) if (v.byLoss()) lossSteps.add(v.step());
		TrainingCurve.plotHeldOutLoss(steps, loss, lossSteps, valLoss).writePng(png);
	}
}
