package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.model.BioImageIo;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.OnnxExport;

/**
 * {@code export}: a segmentation bundle's network for other software: an ONNX file (ONNX Runtime,
 * deepImageJ, JDLL, ...).
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
		final String format = a.get("format", dst.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx") ? "onnx" : "bioimageio")
			.toLowerCase(Locale.ROOT).replace(".", "");
		final String name = a.get("name", null), description = a.get("description", null), authors = a.get("authors", null), license = a.get(
			"license", null);
		a.checkAllUsed();
		if (!Files.exists(model)) throw new Args.UsageException("--model " + model + " does not exist");
		if (!format.equals("onnx") && !format.equals("bioimageio")) {
			throw new Args.UsageException("--format " + format + " is not supported; use onnx or bioimageio");
		}
		final ModelBundle b = ModelBundle.load(model);
		final long t0 = System.nanoTime();
		if (format.equals("onnx")) {
			OnnxExport.write(b, dst, stem(model));
			out.printf(Locale.ROOT, "wrote %s (ONNX opset 17, %s, %d bytes, %.1f s)%n", dst, b.network().describe(), Files.size(dst),
				(System.nanoTime() - t0) / 1e9);
			return;
		}
		final BioImageIo.Meta d = BioImageIo.Meta.defaults(b, name != null ? name : "VoxelSeg " + stem(model));
		final BioImageIo.Meta meta = new BioImageIo.Meta(d.name(), description != null ? description : d.description(), authors != null ? List.of(
			authors.split("\\s*,\\s*")) : d.authors(), license != null ? license : d.license(), d.citeText(), d.citeUrl());
		BioImageIo.export(b, dst, meta);
		final double worst = BioImageIo.reproduce(dst);
		out.printf(Locale.ROOT, "wrote %s (bioimage.io model %s with ONNX weights, %s; its test tensors reproduce through ONNX Runtime " +
			"within %.1e; %.1f s)%n", dst, BioImageIo.FORMAT_VERSION, b.network().describe(), worst, (System.nanoTime() - t0) / 1e9);
	}

	static String stem(final Path p) {
		final String n = p.getFileName().toString();
		final int dot = n.lastIndexOf('.');
		return dot > 0 ? n.substring(0, dot) : n;
	}
}
