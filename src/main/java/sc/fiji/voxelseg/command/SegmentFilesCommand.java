package sc.fiji.voxelseg.command;

import java.io.File;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.infer.FileSegmentation;
import sc.fiji.voxelseg.infer.PredictOptions;

/**
 * Segments files rather than open images: one volume file to one label map, or a folder to a
 * folder (resumable, past failures), as the launcher's {@code segment} does. It takes no image
 * input, so headless Fiji runs it:
 * {@code ImageJ-linux64 --headless --run "Segment Files" 'model="/m.zip",input="/ct.nii.gz",output="/labels.nii.gz"'}
 * (ImageJ2's {@code --run} takes the exact title and SciJava's quoted {@code key="value"} pairs).
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Segment Files...", label = "Segment Files")
public class SegmentFilesCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter
	private ModelCacheService models;

	@Parameter(label = "Model (bundle, .pt, .onnx or bioimage.io package)")
	private File model;

	@Parameter(label = "Input (volume file or folder)", style = "both")
	private File input;

	@Parameter(label = "Output (label map .nii.gz, or folder)", style = "save")
	private File output;

	@Parameter(label = "Prediction", choices = { "auto", "whole", "sliding" })
	private String mode = "auto";

	@Parameter(label = "Window overlap", min = "0", max = "0.9")
	private double overlap = 0.5;

	@Parameter(label = "Test-time mirroring")
	private boolean mirror = false;

	@Parameter(label = "Keep the largest component per organ")
	private boolean largest_component = false;

	@Parameter(label = "Overwrite existing label maps")
	private boolean overwrite = false;

	@Parameter(label = "Device", choices = { "auto", "cpu", "gpu", ModelCacheService.ONNX_RUNTIME })
	private String device = "auto";

	@Parameter(label = "Result", type = ItemIO.OUTPUT)
	private String result;

	@Override
	public void run() {
		final StatusProgress progress = new StatusProgress(status, this::isCanceled);
		final PredictOptions o = PredictOptions.defaults().withMode(PredictOptions.Mode.parse(mode)).withOverlap(overlap).withMirror(mirror)
			.withLargestComponent(largest_component);
		result = Commands.call(() -> {
			final FileSegmentation.Summary s = FileSegmentation.run(models.predictor(model.toPath(), device)::predict, input.toPath(), output
				.toPath(), o, overwrite, progress, line -> ij.IJ.log(StatusProgress.LOG_PREFIX + line));
			if (!s.failed().isEmpty()) throw new IllegalStateException(s.line() + ": " + String.join("; ", s.failed().stream().map(
				FileSegmentation.Failure::toString).toList()));
			return s.line();
		});
	}
}
