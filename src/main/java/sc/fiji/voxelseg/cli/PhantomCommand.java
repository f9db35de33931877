package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;

/** {@code phantom}: writes a synthetic abdominal CT cohort in the imagesTr/labelsTr layout. */
final class PhantomCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "phantom --cases N --seed S --out DIR [--test N] [--grid 512 | --scale 1.0] [--noise 1.0]   synthetic abdominal CT cohort (8 organs), nnU-Net layout";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final PhantomConfig cfg = config(a, PhantomConfig.defaults());
		final Path dir = a.path("out");
		final int test = a.getInt("test", 0);
		if (test < 0) throw new Args.UsageException("--test needs a count of 0 or more, got " + test);
		a.checkAllUsed();
		final TrainingDataset ds = PhantomCohort.write(cfg, test, dir, new TerminalProgress(System.err));
		out.println("wrote " + ds.size() + " phantom cases to " + dir + (test > 0 ? " and " + test + " test cases to imagesTs/, labelsTs/"
			: ""));
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
