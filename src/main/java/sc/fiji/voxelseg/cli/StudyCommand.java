package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sc.fiji.voxelseg.study.LauncherRunner;
import sc.fiji.voxelseg.study.Study;
import sc.fiji.voxelseg.study.StudyDesign;
import sc.fiji.voxelseg.study.StudyReport;

/**
 * {@code study}: named arms of ordinary {@code train} options, trained and scored at several label
 * fractions and seeds on paired splits, with {@code results.csv} and a report ({@link Study}). Every
 * cell runs the launcher's own {@code train} and {@code segment} in a process of its own
 * ({@link LauncherRunner}).
 */
final class StudyCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "study --data DATASET --out DIR --arm NAME=\"train options\" [--arm ...] --fractions 0.1,0.2 --seeds 0,1,2,3,4 " +
			"--steps N [--folds K] [--reference NAME] [--train \"options for every arm\"] [--withheld unlabeled|drop] [--parallel 2] [--report-only (results and report from the finished cells)]\n" +
			"  [--stage NAME=\"pretrain options\" ...]: a pretraining run per fraction and seed on that cell's labeled cases, not scored. " +
			"In an arm's or a stage's options, @NAME is the bundle of arm or stage NAME of the same fraction and seed (e.g. --init @agcl, " +
			"--attention @plain), and --coarse MODEL (e.g. --coarse @plain) segments the arm's test cases as a cascade";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Map<String, List<String>> arms = new LinkedHashMap<>(), stages = new LinkedHashMap<>();
		final List<String> rest = new ArrayList<>();
		for (int i = 0; i < argv.size(); i++) {
			final String s = argv.get(i);
			final String value;
			final boolean stage = s.equals("--stage") || s.startsWith("--stage=");
			if (s.equals("--arm") || s.equals("--stage")) {
				if (i + 1 >= argv.size()) throw new Args.UsageException("option " + s + " needs a value NAME=\"" + (stage ? "pretrain" : "train") +
					" options\"");
				value = argv.get(++i);
			}
			else if (s.startsWith("--arm=")) value = s.substring(6);
			else if (s.startsWith("--stage=")) value = s.substring(8);
			else {
				rest.add(s);
				continue;
			}
			try {
				StudyDesign.addArm(stage ? stages : arms, value);
			}
			catch (final IllegalArgumentException e) {
				throw new Args.UsageException(e.getMessage());
			}
		}
		final Args a = new Args(rest, Set.of("report-only"));
		final Path data = a.path("data"), dir = a.path("out");
		final List<Double> fractions;
		final List<Long> seeds;
		try {
			fractions = StudyDesign.numbers("--fractions", a.require("fractions"));
			seeds = StudyDesign.seeds("--seeds", a.require("seeds"));
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		final long steps = a.getLong("steps", 0);
		if (steps < 1) throw new Args.UsageException("--steps N (steps per cell, at least 1) is required");
		final List<String> common = StudyDesign.words(a.get("train", ""));
		final StudyDesign design;
		try {
			final String withheld = a.get("withheld", "unlabeled").trim();
			if (!withheld.equals("unlabeled") && !withheld.equals("drop")) throw new Args.UsageException("--withheld '" + withheld +
				"': use unlabeled (the withheld training cases join the unlabeled pool) or drop");
			design = new StudyDesign(data, dir, arms, common, fractions, seeds, steps, a.getInt("folds", 0), a.get("reference", null), a
				.getInt("parallel", StudyDesign.defaultParallel()), withheld.equals("drop"), stages);
		}
		catch (final IllegalArgumentException e) {
			throw new Args.UsageException(e.getMessage());
		}
		final boolean reportOnly = a.flag("report-only");
		a.checkAllUsed();
		final TerminalProgress progress = new TerminalProgress(System.err);
		final Study.Outcome o;
		try {
			o = reportOnly ? Study.report(design) : Study.run(design, new LauncherRunner(Main.class.getName()), progress);
		}
		catch (final Study.BadArmException e) {
			throw new Args.UsageException(e.getMessage());
		}
		out.println(Study.describe(o));
		for (final String f : o.failed()) out.println("failed: " + f);
		out.println("results " + o.results() + ", report " + o.report());
		for (final StudyReport.Comparison c : o.comparisons()) {
			if (!c.level().equals("seed, case")) continue;
			out.printf(java.util.Locale.ROOT, "%s − %s at %s labels: %+.3f Dice [%+.3f, %+.3f], Wilcoxon p %.3g (%d seed × case pairs)%n", c
				.arm(), design.reference(), StudyDesign.percent(c.fraction()), c.meanDifference(), c.low(), c.high(), c.wilcoxonP(), c.pairs());
		}
		if (!o.failed().isEmpty()) throw new IllegalStateException(o.failed().size() + " cell(s) failed; rerun the same command to retry them");
	}

}
