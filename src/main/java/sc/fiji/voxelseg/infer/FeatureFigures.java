package sc.fiji.voxelseg.infer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.model.BundleModel;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.report.LinePlot;

/**
 * The feature-space figures of one or more bundles, the use case under the launcher's
 * {@code features} and Fiji's Feature Space: per bundle, the PCA of sampled voxel features of a
 * hidden layer coloured by class (seed 000's Fig. 3) and, with an unlabeled image, the labeled
 * against the unlabeled voxels on shared axes with the distance of the class means (seed 003's
 * Fig. 7).
 */
public final class FeatureFigures {

	private FeatureFigures() {}

	/**
	 * @param unlabeled null for no comparison
	 * @param unlabeledLabels the unlabeled image's classes, or null to take the model's prediction
	 * @param lines what each bundle shows, one line each, for the user
	 * @return the plots, in order
	 */
	public static List<LinePlot> plots(final List<Path> models, final Volume image, final Volume labels, final Volume unlabeled,
		final Volume unlabeledLabels, final int depth, final int perClass, final long seed, final String device, final Consumer<String> lines)
		throws IOException
	{
		final List<LinePlot> plots = new ArrayList<>();
		for (final Path m : models) {
			try (BundleModel model = BundleModel.load(ModelBundle.load(m), TorchEngine.device(device))) {
				final FeatureProjection.Points p = FeatureProjection.project(model, image, labels, depth, perClass, seed);
				plots.add(FeatureProjection.plot(p, model.classes(), m.getFileName() + ", encoder depth " + depth));
				lines.accept(String.format(Locale.ROOT, "%s: %d voxels, first two components explain %.0f%% and %.0f%%", m, p.classes().length,
					100 * p.explained()[0], 100 * p.explained()[1]));
				if (unlabeled == null) continue;
				final FeatureProjection.DomainComparison d = FeatureProjection.compareDomains(model, image, labels, unlabeled, unlabeledLabels,
					depth, perClass, seed);
				plots.add(FeatureProjection.plotDomains(d.points(), m.getFileName() + ": labeled vs unlabeled, depth " + depth));
				final double[] gap = d.gap();
				final StringBuilder b = new StringBuilder();
				for (int k = 1; k < gap.length; k++) {
					if (Double.isNaN(gap[k])) continue;
					b.append(String.format(Locale.ROOT, " %s %.2f", model.classes().contains(k) ? model.classes().get(k).name() : "class_" + k,
						gap[k]));
				}
				lines.accept(String.format(Locale.ROOT, "%s: labeled-unlabeled gap per class (distance of the class means in pooled sd; " +
					"unlabeled classes %s):%s", m, unlabeledLabels != null ? "given" : "predicted", b));
			}
		}
		return plots;
	}
}
