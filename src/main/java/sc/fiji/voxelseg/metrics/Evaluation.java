package sc.fiji.voxelseg.metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.util.Progress;

/**
 * Evaluation as every face runs it (the launcher's {@code evaluate}, Fiji's Evaluate, the demo):
 * predicted label maps against the truth, per case and class, with the report written where one is
 * asked for. A face maps its arguments to the folders or volumes and the {@link MetricOptions},
 * and presents the {@link Result}.
 */
public final class Evaluation {

	private Evaluation() {}

	/**
	 * What an evaluation found.
	 *
	 * @param cases the metrics of each case, per class
	 * @param summary mean ± sd per class over the cases
	 * @param report the folder the report was written to ({@link EvaluationReport}), or null
	 */
	public record Result(List<CaseMetrics> cases, MetricSummary summary, Path report) {

		public Result {
			cases = List.copyOf(cases);
		}
	}

	/**
	 * Evaluates a folder of predictions against a folder of ground truths, pairing files by case id
	 * ({@link FolderEvaluation}), and writes the report ({@link EvaluationReport#write}) into
	 * {@code reportDir} when one is given.
	 *
	 * @param reportDir the folder for the CSV files and plots, or null for none
	 * @throws IOException if a folder is empty, a prediction is missing, or a file cannot be read or
	 *           written
	 * @throws IllegalArgumentException naming the case whose prediction lies on another grid
	 */
	public static Result folders(final Path predictions, final Path truth, final MetricOptions options, final Path reportDir,
		final Progress progress) throws IOException
	{
		final List<CaseMetrics> cases = FolderEvaluation.evaluate(predictions, truth, options, progress == null ? Progress.NONE
			: progress);
		if (reportDir == null) return new Result(cases, MetricSummary.of(cases), null);
		return new Result(cases, EvaluationReport.write(reportDir, cases), reportDir);
	}

	/**
	 * Evaluates one prediction against its ground truth (e.g. two images open in Fiji); nothing is
	 * written.
	 *
	 * @param caseId the case's name in the result and in error messages
	 * @throws IllegalArgumentException if the grids differ, or a voxel is not a class index
	 */
	public static Result volumes(final String caseId, final Volume prediction, final Volume truth, final MetricOptions options) {
		final List<CaseMetrics> cases = List.of(SegmentationMetrics.evaluate(caseId, prediction, truth, options));
		return new Result(cases, MetricSummary.of(cases), null);
	}
}
