package sc.fiji.voxelseg.command;

import java.io.File;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.fiji.LabelOverlays;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.CascadePredictor;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;

/**
 * Segments the active image with a model bundle (kept loaded between runs by
 * {@link ModelCacheService}): a calibrated label image with class names and a distinct-colour LUT,
 * an overlay on the input, and on request a probability map per class. Cancelling leaves the
 * input untouched and produces nothing. A cascade model (seed 002's second stage) needs the coarse
 * model that segments the organs first ({@link CascadePredictor}); other models take none.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Segment...", label = "Segment")
public class SegmentCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter
	private ModelCacheService models;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Model (bundle folder, .zip or TorchScript .pt)")
	private File model;

	/** Named so that no other key ends with it: ImageJ's macro options would match "model=" inside "coarse_model=". */
	@Parameter(label = "Coarse model (for a cascade model only)", required = false, persist = false)
	private File coarse;

	@Parameter(label = "Prediction", choices = { "auto", "whole", "sliding" })
	private String mode = "auto";

	@Parameter(label = "Window overlap", min = "0", max = "0.9")
	private double overlap = 0.5;

	@Parameter(label = "Test-time mirroring")
	private boolean mirror = false;

	@Parameter(label = "Keep the largest component per organ")
	private boolean largest_component = false;

	@Parameter(label = "Overlay", choices = { "filled", "outline", "none" })
	private String overlay = "filled";

	@Parameter(label = "Overlay opacity", min = "0", max = "1")
	private double opacity = 0.4;

	@Parameter(label = "Probability map per class")
	private boolean probabilities = false;

	@Parameter(label = "Check that intensities fit the model")
	private boolean check_intensities = true;

	@Parameter(label = "Device", choices = { "auto", "cpu", "gpu", ModelCacheService.ONNX_RUNTIME })
	private String device = "auto";

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus labels;

	@Parameter(type = ItemIO.OUTPUT, required = false)
	private ImagePlus probability_maps;

	@Override
	public void run() {
		final StatusProgress progress = new StatusProgress(status, this::isCanceled);
		final Volume v = ImagePlusBridge.toVolume(image);
		final PredictOptions o = PredictOptions.defaults().withMode(PredictOptions.Mode.parse(mode)).withOverlap(overlap).withMirror(
			mirror).withLargestComponent(largest_component).withProbabilities(probabilities).withCheckIntensities(check_intensities);
		final boolean cascade = coarse != null && !coarse.getPath().isBlank();
		final Prediction p = Commands.call(() -> {
			if (cascade) return models.cascade(model.toPath(), coarse.toPath(), device).predict(v, o, progress);
			final Predictor predictor;
			try {
				predictor = models.predictor(model.toPath(), device);
			}
			catch (final IllegalArgumentException e) {
				if (CascadePredictor.isCascade(model.toPath())) {
					throw new IllegalArgumentException(model + " is a cascade model: choose the coarse model that segments the organs first " +
						"(Coarse model)", e);
				}
				throw e;
			}
			return predictor.predict(v, o, progress);
		});
		labels = Commands.shown(ImagePlusBridge.toImagePlus(p.labels(), Commands.derived(image.getTitle(), "labels")));
		if (!overlay.equals("none")) {
			LabelOverlays.apply(image, p.labels(), overlay.equals("outline") ? LabelOverlays.Style.OUTLINE : LabelOverlays.Style.FILLED,
				opacity);
		}
		if (probabilities) probability_maps = Commands.shown(Commands.stackOfClasses(p.probabilities(), p.labels().classes(), Commands
			.derived(image.getTitle(), "probabilities")));
		status.showStatus(String.format(java.util.Locale.ROOT, "Segmented %s in %.1f s", image.getTitle(), p.seconds()));
	}
}
