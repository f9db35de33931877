package sc.fiji.voxelseg.command;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.CaseData;
import sc.fiji.voxelseg.train.PretrainSettings;
import sc.fiji.voxelseg.train.Pretrainer;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingSettings;
import sc.fiji.voxelseg.train.UnlabeledImages;

/**
 * Self-supervised dense pretraining (seed 004) on a folder of images without labels, writing a
 * pretrained backbone that Train Supervised starts from (plus checkpoint, history CSV and curve).
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Train>Self-supervised pretraining...", label = "Self-supervised Pretraining")
public class PretrainCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Folder of images without labels", style = "directory")
	private File images_dir;

	@Parameter(label = "Pretrained bundle to write (folder or .zip)", style = "save")
	private File output;

	@Parameter(label = "Preprocessing", choices = { "pretrain-ct", "seeds-ct", "mri", "plan file" })
	private String preprocessing = "pretrain-ct";

	@Parameter(label = "Plan file (for 'plan file')", required = false)
	private File plan_file;

	@Parameter(label = "Method", choices = { "full", "vox2vec" })
	private String method = "full";

	@Parameter(label = "Architecture", choices = { "fpn", "unet", "vnet" })
	private String architecture = "fpn";

	@Parameter(label = "Levels (0 = default)", min = "0")
	private int levels = 0;

	@Parameter(label = "Base width (0 = default)", min = "0")
	private int base_width = 0;

	@Parameter(label = "Iterations", min = "1")
	private long iterations = 50_000;

	@Parameter(label = "Crop size x,y,z")
	private String crop = "128,128,32";

	@Parameter(label = "Crop pairs per batch", min = "1")
	private int pairs = 10;

	@Parameter(label = "Voxel pairs per crop pair", min = "1")
	private int voxels = 1024;

	@Parameter(label = "Learning rate")
	private double learning_rate = 3e-4;

	@Parameter(label = "Seed")
	private long seed = 42;

	@Parameter(label = "Device", choices = { "auto", "cpu", "gpu" })
	private String device = "auto";

	@Parameter(label = "Resume from the checkpoint beside the bundle")
	private boolean resume = false;

	@Parameter(type = ItemIO.OUTPUT)
	private String summary;

	@Override
	public void run() {
		final StatusProgress progress = new StatusProgress(status, this::isCanceled);
		final Path out = output.toPath();
		final Trainer.Result r = Commands.call(() -> {
			final PreprocessingPlan plan = Commands.plan(preprocessing, plan_file);
			final List<CaseData> images = UnlabeledImages.load(images_dir.toPath(), plan, progress);
			final Path ckpt = Commands.checkpointToResume(out, resume);
			return ckpt != null ? Pretrainer.resume(ckpt, images, plan, out, progress) : new Pretrainer(images, plan, settings(), out,
				progress).train();
		});
		summary = (r.cancelled() ? "Cancelled" : "Pretrained") + " after " + r.steps() + " steps: " + out;
		status.showStatus(summary);
	}

	private TrainingSettings settings() {
		final TrainingSettings s = PretrainSettings.defaults().architecture(Architecture.parse(architecture)).levels(levels).baseWidth(
			base_width).iterations(iterations).learningRate(learning_rate).seed(seed).device(device);
		final PretrainSettings p = s.pretraining;
		final String[] c = crop.trim().split("[,x×]");
		if (c.length != 3) throw new IllegalArgumentException("crop size needs x,y,z, got '" + crop + "'");
		try {
			p.crop = new int[] { Integer.parseInt(c[0].trim()), Integer.parseInt(c[1].trim()), Integer.parseInt(c[2].trim()) };
		}
		catch (final NumberFormatException e) {
			throw new IllegalArgumentException("crop size needs three whole numbers x,y,z, got '" + crop + "'");
		}
		p.pairs = pairs;
		p.voxels = voxels;
		final boolean vox2vec = method.equals("vox2vec");
		p.balance = !vox2vec;
		p.restore = !vox2vec;
		p.augment = !vox2vec;
		return s.validate();
	}
}
