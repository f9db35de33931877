package sc.fiji.voxelseg.command;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.preprocess.Crops;

/** Crops a CT to the smallest box holding the body (voxels above a threshold, -500 HU). */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Preprocess>Body Crop", label = "Body Crop")
public class BodyCropCommand implements Command {

	@Parameter(label = "CT image (HU)", persist = false)
	private ImagePlus image;

	@Parameter(label = "Threshold (HU)")
	private double threshold_hu = -500;

	@Parameter(label = "Margin (voxels)", min = "0")
	private int margin = 0;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus result;

	@Override
	public void run() {
		final Volume r = Commands.call(() -> {
			final Volume v = ImagePlusBridge.toVolume(image);
			return Crops.crop(v, Crops.foregroundBox(v, threshold_hu, margin), threshold_hu);
		});
		result = Commands.shown(ImagePlusBridge.toImagePlus(r, Commands.derived(image.getTitle(), "cropped")));
	}
}
