package sc.fiji.voxelseg.command;

import java.io.File;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.VolumeIO;

/** Opens a NIfTI, NRRD or MetaImage file or a DICOM series folder as a calibrated image. */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Open Volume...", label = "Open Volume")
public class OpenVolumeCommand implements Command {

	@Parameter(label = "File or DICOM folder", style = "open")
	private File path;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus image;

	@Override
	public void run() {
		image = Commands.shown(Commands.call(() -> {
			final Volume v = VolumeIO.read(path.toPath());
			return ImagePlusBridge.toImagePlus(v, Commands.baseName(path.toPath()));
		}));
	}
}
