package sc.fiji.voxelseg.command;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ij.ImagePlus;

import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.module.Module;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;

/**
 * Runs a VoxelSeg command as Fiji would, outside Fiji (the launcher's {@code --run}, which reaches
 * it by name so that the launcher itself names neither ImageJ nor SciJava). Image inputs are given
 * as file paths (any readable volume); volume outputs are written as NIfTI to {@code dst} (a file
 * for one output, else a folder), pictures (charts) as PNG when {@code dst} is given; other
 * outputs are printed.
 */
public final class HeadlessRun {

	private HeadlessRun() {}

	/**
	 * @param positional the command title ("list" for the commands) and an optional "key=value,..."
	 * @param dst where image outputs go, or null
	 * @throws IllegalArgumentException on a bad request (unknown command or key, a missing output path)
	 */
	public static void run(final List<String> positional, final String dst, final PrintStream out) throws Exception {
		final List<String> p = positional;
		try (Context context = new Context()) {
			final CommandRunner runner = new CommandRunner(context, HeadlessRun::resolve);
			if (p.get(0).equals("list")) {
				for (final Map.Entry<String, CommandInfo> e : runner.commands().entrySet())
					out.println(e.getKey() + "  (" + e.getValue().getMenuPath() + ")  " + String.join(",", Commands.keys(e.getValue())));
				return;
			}
			final CommandInfo info = runner.find(p.get(0));
			final Module m = runner.run(info, CommandRunner.parse(p.size() > 1 ? p.get(1) : ""));
			// volumes go out as NIfTI; pictures (RGB charts: a training curve, a feature space) as PNG
			final List<Map.Entry<String, Object>> images = m.getOutputs().entrySet().stream().filter(e -> e.getValue() instanceof ImagePlus imp
				&& !picture(imp)).toList();
			if (!images.isEmpty() && dst == null) throw new IllegalArgumentException(info.getTitle() +
				" makes an image: give --out OUT.nii.gz (or a folder)");
			for (final Map.Entry<String, Object> e : m.getOutputs().entrySet()) {
				if (e.getValue() instanceof ImagePlus imp && picture(imp)) {
					if (dst == null) {
						out.println(e.getKey() + ": " + imp.getWidth() + "×" + imp.getHeight() + " picture (give --out FOLDER to save it)");
						continue;
					}
					final Path target = Path.of(dst).getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? Path.of(dst)
						: Path.of(dst, e.getKey() + ".png");
					sc.fiji.voxelseg.report.Charts.writePng(imp.getBufferedImage(), target);
					out.println(e.getKey() + "=" + target);
				}
				else if (e.getValue() instanceof ImagePlus imp) {
					final Path target = images.size() == 1 && NiftiIO.isNifti(Path.of(dst)) ? Path.of(dst)
						: Path.of(dst, e.getKey() + ".nii.gz");
					NiftiIO.write(ImagePlusBridge.toVolume(imp), target);
					out.println(e.getKey() + "=" + target);
				}
				else if (e.getValue() != null) out.println(e.getKey() + "=" + e.getValue());
			}
		}
	}

	/** An RGB image of one plane: a chart, not a volume. */
	private static boolean picture(final ImagePlus imp) {
		return imp.getType() == ImagePlus.COLOR_RGB && imp.getStackSize() == 1;
	}

	/** Image inputs given as paths are read as volumes; files stay files. */
	static Object resolve(final String value, final Class<?> type) {
		if (type == ImagePlus.class) {
			try {
				final Path p = Path.of(value);
				return ImagePlusBridge.toImagePlus(VolumeIO.read(p), p.getFileName().toString());
			}
			catch (final java.io.IOException e) {
				throw new IllegalArgumentException(e.getMessage(), e);
			}
		}
		if (type == File.class) return new File(value);
		return null;
	}
}
