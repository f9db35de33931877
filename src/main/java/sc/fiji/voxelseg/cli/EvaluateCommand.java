package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import sc.fiji.voxelseg.metrics.EvaluationReport;
import sc.fiji.voxelseg.metrics.Evaluation;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SurfaceConvention;

/** {@code evaluate}: Dice, Jaccard, HD95 and ASSD of predicted label maps against the truth, per case and class. */
final class EvaluateCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "evaluate --pred DIR --truth DIR --out DIR [--convention medpy|monai]   cases.csv, summary.csv, dice.png, hd95.png " +
			"(on Apache Spark: add --spark local[N]|spark://HOST:PORT; tables also as Parquet in OUT/_voxelseg/)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of());
		final Path pred = a.path("pred"), truth = a.path("truth"), dst = a.path("out");
		final SurfaceConvention convention;
		try {
			convention = SurfaceConvention.valueOf(a.get("convention", "medpy").trim().toUpperCase(Locale.ROOT));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException("unknown --convention '" + a.get("convention", "") + "': use medpy or monai");
		}
		a.checkAllUsed();
		final Evaluation.Result r = Evaluation.folders(pred, truth, MetricOptions.defaults().withConvention(convention), dst,
			new TerminalProgress(System.err));
		out.printf(Locale.ROOT, "%d cases, %s convention; %s, %s, %s and %s in %s%n", r.cases().size(), convention.name().toLowerCase(
			Locale.ROOT), EvaluationReport.CASES, EvaluationReport.SUMMARY, EvaluationReport.DICE_PLOT, EvaluationReport.HD95_PLOT, dst);
		out.print(EvaluationReport.text(r.summary()));
	}
}
