package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.OnnxExport;

/**
 * {@code export}: a segmentation bundle's network for other software: an ONNX file (ONNX Runtime,
 * deepImageJ, JDLL, ...).
 */
final class ExportCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "export --model BUNDLE --out FILE.onnx [--format onnx]   the trained network as ONNX (opset 17; batch norm folded, " +
			"softmax probabilities out; classes, preprocessing and input size in its metadata, so segment --model FILE.onnx runs it)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final Path model = a.path("model"), dst = a.path("out");
		final String format = a.get("format", "onnx").toLowerCase(Locale.ROOT);
		a.checkAllUsed();
		if (!Files.exists(model)) throw new Args.UsageException("--model " + model + " does not exist");
		if (!format.equals("onnx")) throw new Args.UsageException("--format " + format + " is not supported; use onnx");
		final ModelBundle b = ModelBundle.load(model);
		final long t0 = System.nanoTime();
		OnnxExport.write(b, dst, stem(model));
		out.printf(Locale.ROOT, "wrote %s (ONNX opset 17, %s, %d bytes, %.1f s)%n", dst, b.network().describe(), Files.size(dst),
			(System.nanoTime() - t0) / 1e9);
	}

	static String stem(final Path p) {
		final String n = p.getFileName().toString();
		final int dot = n.lastIndexOf('.');
		return dot > 0 ? n.substring(0, dot) : n;
	}
}
