package sc.fiji.voxelseg.command;

import java.io.File;
import java.util.List;

import ij.ImagePlus;
import ij.measure.ResultsTable;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.ClassMetrics;
import sc.fiji.voxelseg.metrics.Evaluation;
import sc.fiji.voxelseg.metrics.EvaluationReport;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SurfaceConvention;

/**
 * Dice, Jaccard, HD95 and ASSD per class (background excluded, in mm) of a prediction against the
 * truth: two open label images, or two folders of label maps (with the CSV files and box plots
 * written to an output folder). Results go to an ImageJ results table.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Evaluate...", label = "Evaluate")
public class EvaluateCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	// a choice, not the emptiness of a field: remembered folder paths would otherwise win over the chosen images
	@Parameter(label = "Evaluate", choices = { "open images", "folders" })
	private String source = "open images";

	@Parameter(label = "Prediction (label image)", required = false, persist = false)
	private ImagePlus prediction;

	@Parameter(label = "Ground truth (label image)", required = false, persist = false)
	private ImagePlus truth;

	@Parameter(label = "Prediction folder", style = "directory", required = false)
	private File prediction_dir;

	@Parameter(label = "Ground-truth folder", style = "directory", required = false)
	private File truth_dir;

	@Parameter(label = "Report folder (for folders)", style = "directory", required = false)
	private File output_dir;

	@Parameter(label = "Distance convention", choices = { "medpy", "monai" })
	private String convention = "medpy";

	@Parameter(type = ItemIO.OUTPUT)
	private ResultsTable results;

	@Parameter(type = ItemIO.OUTPUT, label = "Dice per organ")
	private ImagePlus dice_chart;

	@Override
	public void run() {
		final MetricOptions o = MetricOptions.defaults().withConvention(convention.equals("monai") ? SurfaceConvention.MONAI
			: SurfaceConvention.MEDPY);
		final List<CaseMetrics> cases = Commands.call(() -> {
			if (source.equals("folders")) {
				if (prediction_dir == null || truth_dir == null || prediction_dir.getPath().isEmpty() || truth_dir.getPath().isEmpty()) {
					throw new IllegalArgumentException("choose the prediction folder and the ground-truth folder");
				}
				return Evaluation.folders(prediction_dir.toPath(), truth_dir.toPath(), o, output_dir != null && !output_dir.getPath()
					.isEmpty() ? output_dir.toPath() : null, new StatusProgress(status, this::isCanceled)).cases();
			}
			if (prediction == null || truth == null) throw new IllegalArgumentException("choose a prediction and a ground-truth image, or two folders");
			return Evaluation.volumes(prediction.getTitle(), ImagePlusBridge.toVolume(prediction), ImagePlusBridge.toVolume(truth), o)
				.cases();
		});
		results = new ResultsTable();
		for (final CaseMetrics c : cases) {
			for (final ClassMetrics m : c.classes()) {
				results.incrementCounter();
				results.addValue("case", c.caseId());
				results.addValue("class", m.className());
				results.addValue("Dice", m.dice());
				results.addValue("Jaccard", m.jaccard());
				results.addValue("HD95 (mm)", m.hd95());
				results.addValue("HD (mm)", m.hd());
				results.addValue("ASSD (mm)", m.assd());
				results.addValue("status", m.status().name().toLowerCase(java.util.Locale.ROOT));
			}
		}
		// an ImageJ 1.x table as a SciJava output reaches no display: show it as ImageJ does
		if (!java.awt.GraphicsEnvironment.isHeadless()) results.show("VoxelSeg Evaluation");
		// a box per organ needs several cases
		if (cases.size() > 1) dice_chart = Commands.figure("Dice per organ", Commands.call(() -> EvaluationReport.dicePlot(cases).render()));
		status.showStatus("Evaluated " + cases.size() + " case(s)");
	}
}
