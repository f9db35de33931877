package sc.fiji.voxelseg.command;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.FeatureFigures;
import sc.fiji.voxelseg.infer.FeatureProjection;
import sc.fiji.voxelseg.report.LinePlot;

/**
 * The feature-space picture: sampled voxel features of an encoder map projected on their first two
 * principal axes and coloured by class (seed 000's Fig. 3), for one model or two side by side
 * (e.g. a plain and a Siamese-trained U-Net); with an unlabeled image, also the labeled against
 * the unlabeled voxels on shared axes (seed 003's Fig. 7). The launcher's {@code features} does
 * the same from files.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Feature Space...", label = "Feature Space")
public class FeatureSpaceCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Label image", persist = false)
	private ImagePlus labels;

	@Parameter(label = "Model (bundle folder or .zip)")
	private File model;

	@Parameter(label = "Second model (optional, side by side)", required = false)
	private File model_2;

	// a checkbox: once images are open, an optional image input always holds one of them
	@Parameter(label = "Compare labeled with unlabeled voxels")
	private boolean unlabeled_comparison = false;

	@Parameter(label = "Unlabeled image (with the comparison)", required = false, persist = false)
	private ImagePlus unlabeled;

	@Parameter(label = "Encoder depth (1 = deepest)", min = "1")
	private int depth = 1;

	@Parameter(label = "Voxels per class", min = "3")
	private int per_class = 200;

	@Parameter(label = "Random seed")
	private long seed = 1;

	@Parameter(label = "Device", choices = { "auto", "cpu", "gpu" })
	private String device = "auto";

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus picture;

	@Override
	public void run() {
		final java.awt.image.BufferedImage r = Commands.call(() -> {
			final Volume img = ImagePlusBridge.toVolume(image), lab = ImagePlusBridge.toVolume(labels);
			if (unlabeled_comparison && unlabeled == null) throw new IllegalArgumentException("choose the unlabeled image to compare with");
			final Volume u = unlabeled_comparison ? ImagePlusBridge.toVolume(unlabeled) : null;
			final List<java.nio.file.Path> models = new ArrayList<>(List.of(model.toPath()));
			if (model_2 != null && !model_2.getPath().isEmpty()) models.add(model_2.toPath());
			final List<LinePlot> plots = FeatureFigures.plots(models, img, lab, u, null, depth, per_class, seed, device, line -> {
				status.showStatus(line);
				ij.IJ.log(StatusProgress.LOG_PREFIX + line);
			});
			return FeatureProjection.sideBySide(plots);
		});
		picture = Commands.shown(new ImagePlus("feature space", r));
		status.showStatus("Feature space: " + r.getWidth() + "×" + r.getHeight() + " picture");
	}
}
