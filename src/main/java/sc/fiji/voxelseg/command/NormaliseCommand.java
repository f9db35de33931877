package sc.fiji.voxelseg.command;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.preprocess.Intensity;

/** Z-score normalisation, or MRI percentile clipping to [0, 1]. */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Preprocess>Normalise", label = "Normalise")
public class NormaliseCommand implements Command {

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Method", choices = { "z-score", "percentile" })
	private String method = "z-score";

	@Parameter(label = "Z-score over voxels above a threshold only")
	private boolean use_mask = false;

	@Parameter(label = "Threshold")
	private double mask_above = 0;

	@Parameter(label = "Low percentile")
	private double low_percentile = 0.01;

	@Parameter(label = "High percentile")
	private double high_percentile = 99.9;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus result;

	@Override
	public void run() {
		final Volume r = Commands.call(() -> {
			final Volume v = ImagePlusBridge.toVolume(image);
			return method.equals("percentile") ? Intensity.percentileClip(v, low_percentile, high_percentile) : Intensity.zScore(v,
				use_mask ? mask_above : Double.NaN);
		});
		result = Commands.shown(ImagePlusBridge.toImagePlus(r, Commands.derived(image.getTitle(), method.equals(
			"percentile") ? "clipped" : "zscore")));
	}
}
