package sc.fiji.voxelseg.command;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.Resampler;

/**
 * Resamples to a grid size or a voxel spacing, keeping the field of view. Label images (with a
 * VoxelSeg class table) always use nearest neighbour.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Preprocess>Resample", label = "Resample")
public class ResampleCommand implements Command {

	@Parameter(label = "Image", persist = false)
	private ImagePlus image;

	@Parameter(label = "Target", choices = { "shape", "spacing" })
	private String target = "shape";

	@Parameter(label = "X (voxels or mm)")
	private double x = 128;

	@Parameter(label = "Y (voxels or mm)")
	private double y = 128;

	@Parameter(label = "Z (voxels or mm)")
	private double z = 64;

	@Parameter(label = "Interpolation", choices = { "linear", "nearest" })
	private String interpolation = "linear";

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus result;

	@Override
	public void run() {
		final Volume r = Commands.call(() -> {
			final Volume v = ImagePlusBridge.toVolume(image);
			final Interpolation in = v.isLabelMap() || interpolation.equals("nearest") ? Interpolation.NEAREST : Interpolation.LINEAR;
			if (target.equals("spacing")) return Resampler.toSpacing(v, new double[] { x, y, z }, in);
			final long[] shape = { Math.round(x), Math.round(y), Math.round(z) };
			if (shape[0] != x || shape[1] != y || shape[2] != z) throw new IllegalArgumentException(
				"a target shape needs whole numbers of voxels, got " + x + ", " + y + ", " + z);
			return Resampler.toShape(v, shape, in);
		});
		result = Commands.shown(ImagePlusBridge.toImagePlus(r, Commands.derived(image.getTitle(), "resampled")));
	}
}
