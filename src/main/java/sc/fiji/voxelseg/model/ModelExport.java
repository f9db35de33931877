package sc.fiji.voxelseg.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The export use case behind {@code voxelseg export} and Fiji's Export Model command: a
 * segmentation bundle as an ONNX file or a bioimage.io package.
 */
public final class ModelExport {

	/** The formats. */
	public enum Format {
		ONNX, BIOIMAGEIO;

		/** {@code onnx} or {@code bioimageio} (also {@code bioimage.io}); null: from the output's name, {@code .onnx} or not. */
		public static Format parse(final String s, final Path out) {
			if (s == null || s.isBlank()) return out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx") ? ONNX : BIOIMAGEIO;
			switch (s.trim().toLowerCase(Locale.ROOT).replace(".", "")) {
				case "onnx":
					return ONNX;
				case "bioimageio":
					return BIOIMAGEIO;
				default:
					throw new IllegalArgumentException("export format '" + s + "' is not supported; use onnx or bioimageio");
			}
		}
	}

	private ModelExport() {}

	/**
	 * Exports {@code model} to {@code out}; a bioimage.io package is then run on its own test tensors.
	 *
	 * @param name, description, authors (comma-separated), license: the package's fields, null for defaults
	 * @return one line saying what was written
	 */
	public static String export(final Path model, final Path out, final Format format, final String name, final String description,
		final String authors, final String license) throws IOException
	{
		final ModelBundle b = ModelBundle.load(model);
		final long t0 = System.nanoTime();
		if (format == Format.ONNX) {
			OnnxExport.write(b, out, stem(model));
			return String.format(Locale.ROOT, "wrote %s (ONNX opset %d, %s, %d bytes, %.1f s)", out, sc.fiji.voxelseg.onnx.OnnxGraph.OPSET, b
				.network().describe(), Files.size(out), (System.nanoTime() - t0) / 1e9);
		}
		// the default name keeps only what a bioimage.io name allows
		final BioImageIo.Meta d = BioImageIo.Meta.defaults(b, name != null && !name.isBlank() ? name : ("VoxelSeg " + stem(model)).replaceAll(
			"[^A-Za-z0-9_+\\- ()]", "_"));
		final BioImageIo.Meta meta = new BioImageIo.Meta(d.name(), blank(description) ? d.description() : description, blank(authors) ? d
			.authors() : List.of(authors.trim().split("\\s*,\\s*")), blank(license) ? d.license() : license.trim(), d.citeText(), d.citeUrl());
		BioImageIo.export(b, out, meta);
		String check = "not run through ONNX Runtime, which is not on the class path";
		if (OnnxRuntimeCheck.available()) {
			final double worst = BioImageIo.reproduce(out, true);
			if (!(worst <= BioImageIo.TOLERANCE)) {
				try {
					sc.fiji.voxelseg.util.AtomicFiles.deleteTree(out);
				}
				catch (final IOException e) {
					// the error below says what happened
				}
				throw new IOException(out + ": the exported package does not reproduce its own test output through ONNX Runtime (largest " +
					"difference " + worst + ", allowed " + BioImageIo.TOLERANCE + "); nothing was kept");
			}
			check = String.format(Locale.ROOT, "its test tensors reproduce through ONNX Runtime within %.1e", worst);
		}
		return String.format(Locale.ROOT, "wrote %s (bioimage.io model %s with ONNX weights, %s; %s; %.1f s)", out, BioImageIo.FORMAT_VERSION,
			b.network().describe(), check, (System.nanoTime() - t0) / 1e9);
	}

	private static boolean blank(final String s) {
		return s == null || s.isBlank();
	}

	static String stem(final Path p) {
		final String n = p.getFileName().toString();
		final int dot = n.lastIndexOf('.');
		return dot > 0 ? n.substring(0, dot) : n;
	}
}
