package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.model.ModelExport;

/**
 * {@code export}: a segmentation bundle for other software: an ONNX file (ONNX Runtime, deepImageJ,
 * JDLL, ...) or a bioimage.io model package ({@link ModelExport}).
 */
final class ExportCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "export --model BUNDLE --out FILE.onnx|PACKAGE.zip|DIR [--format onnx|bioimageio] [--name NAME] [--description TEXT] " +
			"[--authors \"A, B\"] [--license SPDX]   onnx: the trained network as ONNX (opset 17; batch norm folded, softmax probabilities " +
			"out; classes, preprocessing and input size in its metadata, so segment --model FILE.onnx runs it); bioimageio: a bioimage.io " +
			"model package (format 0.5) with ONNX weights, test tensors, cover and README (default format: from --out, .onnx or not)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final Path model = a.path("model"), dst = a.path("out");
		final ModelExport.Format format;
		try {
			format = ModelExport.Format.parse(a.get("format", null), dst);
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		final String name = a.get("name", null), description = a.get("description", null), authors = a.get("authors", null), license = a.get(
			"license", null);
		a.checkAllUsed();
		if (!Files.exists(model)) throw new Args.UsageException("--model " + model + " does not exist");
		out.println(ModelExport.export(model, dst, format, name, description, authors, license));
	}
}
