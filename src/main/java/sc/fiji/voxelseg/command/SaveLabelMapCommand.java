package sc.fiji.voxelseg.command;

import java.io.File;

import ij.ImagePlus;

import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;

/**
 * Saves a label image as NIfTI (uint8 with its class table, the geometry kept). A label image
 * without a VoxelSeg class table gets classes {@code class_1..class_n}.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Save Label Map...", label = "Save Label Map")
public class SaveLabelMapCommand implements Command {

	@Parameter(label = "Label image", persist = false)
	private ImagePlus labels;

	@Parameter(label = "NIfTI file (.nii or .nii.gz)", style = "save")
	private File path;

	@Override
	public void run() {
		Commands.call(() -> {
			final Volume v = LabelMaps.asLabelMap(ImagePlusBridge.toVolume(labels), labels.getTitle());
			NiftiIO.write(v, path.toPath());
			return null;
		});
	}
}
