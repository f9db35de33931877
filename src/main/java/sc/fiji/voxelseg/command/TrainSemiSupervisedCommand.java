package sc.fiji.voxelseg.command;

import java.io.File;
import java.nio.file.Path;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Attr;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.train.Optimiser;
import sc.fiji.voxelseg.train.SemiSupervisedSettings;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * Semi-supervised training (seed 003: mean teacher, voxel-wise feature discriminator, BYOL voxel
 * features, consistency) on an imagesTr/labelsTr folder plus unlabeled images, writing a model
 * bundle of the student (plus checkpoint, history CSV and training curve beside it).
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Train>Semi-supervised...", label = "Train Semi-supervised")
public class TrainSemiSupervisedCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Dataset folder (imagesTr/labelsTr)", style = "directory")
	private File data_dir;

	@Parameter(label = "Unlabeled images folder (empty: the dataset's imagesUnlabeled/, if any)", style = "directory", required = false)
	private File unlabeled_dir;

	@Parameter(label = "Labeled fraction of the training cases (the rest lend their images only)", min = "0.001", max = "1")
	private double labeled_fraction = 1;

	@Parameter(label = "Model bundle to write (folder or .zip)", style = "save")
	private File output;

	@Parameter(label = "Preprocessing", choices = { "abdomen-ct-128", "ct-body-2mm", "mri-1.5mm", "plan file" }, attrs = @Attr(name = "aliases",
		value = sc.fiji.voxelseg.preprocess.PreprocessingPlan.PRESET_ALIASES))
	private String preprocessing = "abdomen-ct-128";

	@Parameter(label = "Plan file (for 'plan file')", required = false)
	private File plan_file;

	@Parameter(label = "Architecture", choices = { "vnet", "unet" })
	private String architecture = "vnet";

	@Parameter(label = "Base width (0 = default)", min = "0")
	private int base_width = 0;

	@Parameter(label = "Loss on labeled volumes", choices = { "dice", "ce", "dice+ce" })
	private String loss = "dice";

	@Parameter(label = "Iterations", min = "1")
	private long iterations = 6000;

	@Parameter(label = "Labeled volumes per batch", min = "1")
	private int batch = 2;

	@Parameter(label = "Unlabeled volumes per batch", min = "1")
	private int unlabeled_volumes = 2;

	@Parameter(label = "Optimiser (sgd: left atrium; adam: multi-organ)", choices = { "sgd", "adam" })
	private String optimiser = "sgd";

	@Parameter(label = "Learning rate (0 = 0.01 for sgd, 1e-3 for adam)", min = "0")
	private double learning_rate = 0;

	@Parameter(label = "Adversarial term (alpha)")
	private boolean adversarial = true;

	@Parameter(label = "Alpha", min = "0")
	private double alpha = 0.01;

	@Parameter(label = "Feature term (beta)")
	private boolean feature = true;

	@Parameter(label = "Beta (0 = 0.1 for one class, 100 for more)", min = "0")
	private double beta = 0;

	@Parameter(label = "Consistency term (gamma ramp-up)")
	private boolean consistency = true;

	@Parameter(label = "Gamma0", min = "0")
	private double gamma0 = 0.001;

	@Parameter(label = "EMA decay", min = "0", max = "0.9999")
	private double ema = 0.99;

	@Parameter(label = "Pseudo-label threshold", min = "0", max = "0.999")
	private double confidence = 0.7;

	@Parameter(label = "Student passes (batch norm)", choices = { "labeled and unlabeled apart", "one shared batch" })
	private String passes = "labeled and unlabeled apart";

	@Parameter(label = "Model to write", choices = { "student", "teacher" })
	private String export = "student";

	@Parameter(label = "Validation fraction", min = "0", max = "0.9")
	private double validation = 0.2;

	@Parameter(label = "Seed")
	private long seed = 42;

	@Parameter(label = "Device", choices = { "auto", "cpu", "gpu" })
	private String device = "auto";

	@Parameter(label = "Resume from the checkpoint beside the bundle")
	private boolean resume = false;

	@Parameter(type = ItemIO.OUTPUT)
	private String summary;

	@Parameter(type = ItemIO.OUTPUT, label = "Training curve")
	private ImagePlus curve;

	@Override
	public void run() {
		final StatusProgress progress = new StatusProgress(status, this::isCanceled);
		final Path out = output.toPath();
		final Trainer.Result r = Commands.call(() -> Commands.job(settings(), out, resume, progress).onDataset(data_dir.toPath(), Commands
			.plan(preprocessing, plan_file), unlabeled_dir != null && !unlabeled_dir.getPath().isEmpty() ? unlabeled_dir.toPath() : null)
			.result());
		summary = Commands.trainingSummary(r, out);
		curve = Commands.figure(sc.fiji.voxelseg.train.Trainer.curvePath(out));
		status.showStatus(summary);
	}

	private TrainingSettings settings() {
		final Optimiser.Kind opt = Optimiser.Kind.parse(optimiser);
		final TrainingSettings s = TrainingSettings.semiSupervisedDefaults().architecture(Architecture.parse(architecture)).baseWidth(
			base_width).loss(SegmentationLoss.parse(loss)).iterations(iterations).batchSize(batch).optimiser(opt).learningRate(
				learning_rate > 0 ? learning_rate : opt == Optimiser.Kind.SGD ? 0.01 : 1e-3).weightDecay(opt == Optimiser.Kind.SGD ? 1e-4
					: 1e-5).validationFraction(validation).seed(seed).device(device);
		final SemiSupervisedSettings m = s.semiSupervised;
		m.unlabeledBatch(unlabeled_volumes).labeledFraction(labeled_fraction).emaDecay(ema).confidence(confidence).terms(adversarial, feature,
			consistency).alpha(alpha).beta(beta).gamma0(gamma0).exportTeacher(export.equals("teacher"))
			.separatePasses(!passes.startsWith("one"));
		return s.validate();
	}

}
