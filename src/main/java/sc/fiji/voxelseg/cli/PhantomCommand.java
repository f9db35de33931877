package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomVariation;

/** {@code phantom}: writes a synthetic abdominal CT cohort in the imagesTr/labelsTr layout. */
final class PhantomCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "phantom --cases N --seed S --out DIR [--test N] [--unlabeled N] [--variation classic|varied|source|target | " +
			"--domain-shift] [--grid 512 | --scale 1.0] [--noise 1.0]   synthetic abdominal CT cohort (8 organs), nnU-Net layout; " +
			"--domain-shift: labeled cases portal-venous and low noise, unlabeled and test cases mixed phases, noisier, with pathologies";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of("domain-shift"));
		final PhantomConfig cfg = config(a, PhantomConfig.defaults());
		final Path dir = a.path("out");
		final int test = a.getInt("test", 0), unlabeled = a.getInt("unlabeled", 0);
		if (test < 0 || unlabeled < 0) throw new Args.UsageException("--test and --unlabeled need counts of 0 or more");
		final boolean shift = a.flag("domain-shift");
		final String variation = a.get("variation", null);
		if (shift && variation != null) throw new Args.UsageException("give --variation or --domain-shift, not both");
		final PhantomVariation.Profile profile;
		try {
			profile = variation == null ? PhantomVariation.Profile.CLASSIC : PhantomVariation.Profile.parse(variation);
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		a.checkAllUsed();
		final PhantomCohort.Layout layout = shift ? PhantomCohort.Layout.domainShift(cfg, unlabeled, test) : new PhantomCohort.Layout(cfg
			.withVariation(profile), unlabeled, test, profile, profile);
		final TrainingDataset ds = PhantomCohort.write(layout, dir, new TerminalProgress(System.err));
		out.println("wrote " + ds.size() + " labeled phantom cases to " + dir + (unlabeled > 0 ? ", " + unlabeled +
			" unlabeled images to imagesUnlabeled/" : "") + (test > 0 ? ", " + test + " test cases to imagesTs/ and labelsTs/" : "") +
			"; parameters in cases.json");
	}

	static PhantomConfig config(final Args a, final PhantomConfig base) {
		PhantomConfig cfg = base.withCases(a.getInt("cases", base.cases())).withSeed(a.getLong("seed",
			base.seed()));
		final String grid = a.get("grid", null), scale = a.get("scale", null), noise = a.get("noise",
			null);
		if (grid != null && scale != null) throw new Args.UsageException("give --grid or --scale, not both");
		try {
			if (grid != null) cfg = cfg.withScale(Integer.parseInt(grid) / (double) PhantomConfig.FULL_GRID);
			if (scale != null) cfg = cfg.withScale(Double.parseDouble(scale));
			if (noise != null) cfg = cfg.withNoiseScale(Double.parseDouble(noise));
		}
		catch (final NumberFormatException e) {
			throw new Args.UsageException("--grid, --scale and --noise take numbers: " + e.getMessage());
		}
		return cfg;
	}
}
