package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.FeatureFigures;
import sc.fiji.voxelseg.infer.FeatureProjection;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.report.LinePlot;

/**
 * {@code features}: the feature-space picture (PCA of sampled voxel features of a hidden layer,
 * coloured by class) for one or more bundles side by side, e.g. a plain and a Siamese-trained
 * U-Net.
 */
final class FeaturesCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "features --model BUNDLE [--model BUNDLE2 ...] --image FILE --labels FILE --out PNG [--unlabeled-image FILE " +
			"[--unlabeled-labels FILE]] [--depth 1] [--per-class 200] [--seed 1] [--device auto]";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final List<Path> models = new ArrayList<>();
		final List<String> rest = new ArrayList<>();
		for (int i = 0; i < argv.size(); i++) {
			if (argv.get(i).equals("--model") && i + 1 < argv.size()) models.add(Path.of(argv.get(++i)));
			else rest.add(argv.get(i));
		}
		final Args a = new Args(rest, Set.of());
		final Path image = a.path("image"), labels = a.path("labels"), png = a.path("out");
		final String unlabeledImage = a.get("unlabeled-image", null), unlabeledLabels = a.get("unlabeled-labels", null);
		if (unlabeledLabels != null && unlabeledImage == null) throw new Args.UsageException("--unlabeled-labels needs --unlabeled-image");
		final int depth = a.getInt("depth", 1), perClass = a.getInt("per-class", 200);
		final long seed = a.getLong("seed", 1);
		final String device = a.get("device", "auto");
		a.checkAllUsed();
		if (models.isEmpty()) throw new Args.UsageException("give at least one --model");
		final Volume img = VolumeIO.read(image), lab = VolumeIO.read(labels);
		final Volume uImg = unlabeledImage == null ? null : VolumeIO.read(Path.of(unlabeledImage));
		final Volume uLab = unlabeledLabels == null ? null : VolumeIO.read(Path.of(unlabeledLabels));
		final List<LinePlot> plots = FeatureFigures.plots(models, img, lab, uImg, uLab, depth, perClass, seed, device, out::println);
		FeatureProjection.writeSideBySide(png, plots);
		out.println("wrote " + png);
	}
}
