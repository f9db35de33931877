package sc.fiji.voxelseg.command;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ij.IJ;
import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.study.LauncherRunner;
import sc.fiji.voxelseg.study.Study;
import sc.fiji.voxelseg.study.StudyDesign;
import sc.fiji.voxelseg.study.StudyReport;

/**
 * A study (see {@link Study}): named arms of train options, one per line ({@code NAME=options}),
 * trained and scored at several label fractions and seeds on paired splits of a dataset folder.
 * Each cell runs the launcher's {@code train} and {@code segment} in a process of its own; running
 * the command again resumes. Shows the Dice-against-fraction figure; the report and
 * {@code results.csv} are in the output folder.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Study...", label = "Study")
public class StudyCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Dataset folder (imagesTr/labelsTr, imagesTs/labelsTs)", style = "directory")
	private File data_dir;

	@Parameter(label = "Study folder", style = "directory")
	private File output_dir;

	@Parameter(label = "Arms, one per line: NAME=train options", style = "text area")
	private String arms = "plain=\nsiamese=--representation siamese --lambda 0.1";

	@Parameter(label = "Pretraining stages, one per line: NAME=pretrain options (arms use them as @NAME)", style = "text area",
		required = false)
	private String stages = "";

	@Parameter(label = "Train options for every arm")
	private String train_options = "";

	@Parameter(label = "Label fractions")
	private String fractions = "0.1,0.2";

	@Parameter(label = "Seeds")
	private String seeds = "0,1,2,3,4";

	@Parameter(label = "Steps per cell", min = "1")
	private long steps = 1000;

	@Parameter(label = "Cross-validation folds (0: the test set)", min = "0")
	private int folds = 0;

	@Parameter(label = "Reference arm (empty: the first)", required = false)
	private String reference = "";

	@Parameter(label = "Withheld training cases", choices = { "unlabeled", "drop" })
	private String withheld = "unlabeled";

	@Parameter(label = "Cells in parallel", min = "1")
	private int parallel = StudyDesign.defaultParallel();

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus figure;

	@Override
	public void run() {
		final Study.Outcome o = Commands.call(() -> {
			final Map<String, List<String>> a = new LinkedHashMap<>();
			for (final String line : arms.split("\\R")) if (!line.isBlank()) StudyDesign.addArm(a, line.trim());
			final Map<String, List<String>> st = new LinkedHashMap<>();
			if (stages != null) for (final String line : stages.split("\\R")) if (!line.isBlank()) StudyDesign.addArm(st, line.trim());
			final StudyDesign d = new StudyDesign(data_dir.toPath(), output_dir.toPath(), a, StudyDesign.words(train_options), StudyDesign
				.numbers("label fractions", fractions), StudyDesign.seeds("seeds", seeds), steps, folds, reference == null || reference.isBlank() ? null : reference.trim(), parallel, withheld
					.equals("drop"), st);
			return Study.run(d, new LauncherRunner("sc.fiji.voxelseg.cli.Main"), new StatusProgress(status, this::isCanceled));
		});
		IJ.log(Study.describe(o));
		for (final String f : o.failed()) IJ.log("failed: " + f);
		for (final StudyReport.Comparison c : o.comparisons()) {
			if (c.level().equals("seed, case")) IJ.log(String.format(Locale.ROOT, "%s at %s labels: %+.3f Dice [%+.3f, %+.3f] against the " +
				"reference, Wilcoxon p %.3g (%d pairs)", c.arm(), StudyDesign.percent(c.fraction()), c.meanDifference(), c.low(), c.high(), c
					.wilcoxonP(), c.pairs()));
		}
		IJ.log("report " + o.report());
		final java.nio.file.Path png = output_dir.toPath().resolve("dice_vs_fraction.png");
		figure = Commands.figure(png);
		status.showStatus(Study.describe(o));
	}
}
