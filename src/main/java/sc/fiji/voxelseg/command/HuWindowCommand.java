package sc.fiji.voxelseg.command;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.Intensity;

/** Clips a CT to a Hounsfield-unit window and scales it to [0, 1]. */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Preprocess>HU Window", label = "HU Window")
public class HuWindowCommand implements Command {

	@Parameter(label = "CT image (HU)", persist = false)
	private ImagePlus image;

	@Parameter(label = "Window", choices = { "soft_tissue", "wide", "lung", "bone", "brain",
		"abdomen", "custom" })
	private String preset = "soft_tissue";

	@Parameter(label = "Lower (HU, custom)")
	private double lower = -200;

	@Parameter(label = "Upper (HU, custom)")
	private double upper = 250;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus result;

	@Override
	public void run() {
		final HuWindow w = Commands.call(() -> preset.equals("custom") ? HuWindow.custom(lower, upper) : HuWindow.preset(preset));
		final Volume r = Commands.call(() -> Intensity.window(ImagePlusBridge.toVolume(image), w));
		result = Commands.shown(ImagePlusBridge.toImagePlus(r, Commands.derived(image.getTitle(), w.name())));
	}
}
