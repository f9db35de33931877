package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.FeatureProjection;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.model.BundleModel;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.TorchEngine;
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
		final List<LinePlot> plots = new ArrayList<>();
		for (final Path m : models) {
			try (BundleModel model = BundleModel.load(ModelBundle.load(m), TorchEngine.device(device))) {
				final FeatureProjection.Points p = FeatureProjection.project(model, img, lab, depth, perClass, seed);
				plots.add(FeatureProjection.plot(p, model.classes(), m.getFileName() + ", encoder depth " + depth));
				out.printf(Locale.ROOT, "%s: %d voxels, first two components explain %.0f%% and %.0f%%%n", m, p.classes().length, 100 * p
					.explained()[0], 100 * p.explained()[1]);
				if (uImg != null) {
					// seed 003's picture: labeled against unlabeled voxels on shared axes, and how far apart they lie
					final FeatureProjection.DomainComparison d = FeatureProjection.compareDomains(model, img, lab, uImg, uLab, depth, perClass,
						seed);
					plots.add(FeatureProjection.plotDomains(d.points(), m.getFileName() + ": labeled vs unlabeled, depth " + depth));
					final double[] gap = d.gap();
					final StringBuilder b = new StringBuilder();
					for (int k = 1; k < gap.length; k++) {
						if (Double.isNaN(gap[k])) continue;
						b.append(String.format(Locale.ROOT, " %s %.2f", model.classes().contains(k) ? model.classes().get(k).name() : "class_" + k,
							gap[k]));
					}
					out.printf(Locale.ROOT, "%s: labeled-unlabeled gap per class (distance of the class means in pooled sd; unlabeled classes %s):%s%n",
						m, uLab != null ? "given" : "predicted", b);
				}
			}
		}
		FeatureProjection.writeSideBySide(png, plots);
		out.println("wrote " + png);
	}
}
