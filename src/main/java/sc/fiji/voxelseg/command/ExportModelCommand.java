package sc.fiji.voxelseg.command;

import java.io.File;

import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.model.ModelExport;

/**
 * Exports a trained model for other software: an ONNX file, or a bioimage.io model package that
 * deepImageJ, JDLL, ilastik and the bioimage.io model zoo read. Macro:
 * {@code run("Export Model...", "model=/path/model.zip output=/path/package.zip format=[bioimage.io package]");}
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Export Model...", label = "Export Model")
public class ExportModelCommand implements Command {

	@Parameter(label = "Model bundle (.zip or folder)", style = "open")
	private File model;

	@Parameter(label = "Output (.onnx file, or .zip / folder for a package)", style = "save")
	private File output;

	@Parameter(label = "Format", choices = { "bioimage.io package", "ONNX file" })
	private String format = "bioimage.io package";

	@Parameter(label = "Package name (5-128 letters, digits, spaces, _+-())", required = false)
	private String package_name = "";

	@Parameter(label = "Authors (comma-separated)", required = false)
	private String authors = "";

	@Parameter(label = "Licence (SPDX id)", required = false)
	private String licence = "MIT";

	@Parameter(required = false)
	private LogService log;

	@Parameter(label = "Result", type = org.scijava.ItemIO.OUTPUT)
	private String result;

	@Override
	public void run() {
		result = Commands.call(() -> {
			final String line = ModelExport.export(model.toPath(), output.toPath(), format.startsWith("ONNX") ? ModelExport.Format.ONNX
				: ModelExport.Format.BIOIMAGEIO, package_name, null, authors, licence);
			if (log != null) log.info("VoxelSeg: " + line);
			return line;
		});
	}
}
