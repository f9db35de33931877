package sc.fiji.voxelseg.command;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import ij.ImagePlus;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Attr;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.AttentionMaps;
import sc.fiji.voxelseg.train.PatchSettings;
import sc.fiji.voxelseg.train.PretrainSettings;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * Pretraining of a backbone, writing a pretrained bundle that Train Supervised starts from (plus
 * checkpoint, history CSV and curve): self-supervised dense pretraining (seed 004; methods full and
 * vox2vec) on a folder of images without labels, or contrastive pretraining on organ patches with an
 * attention channel (seed 002; methods agcl, sscl and ce) on a labeled dataset.
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Train>Self-supervised pretraining...", label = "Self-supervised Pretraining")
public class PretrainCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Folder of images without labels (full, vox2vec)", style = "directory", required = false)
	private File images_dir;

	@Parameter(label = "Labeled dataset folder (agcl, sscl, ce)", style = "directory", required = false)
	private File dataset_dir;

	@Parameter(label = "Attention (agcl, sscl, ce): labels, a coarse model, or a folder of label maps")
	private String attention = "labels";

	@Parameter(label = "Condition tags per case, CSV or cases.json (agcl, ce; empty: organ only)", required = false)
	private File conditions;

	@Parameter(label = "Organ patch size x,y,z (agcl, sscl, ce)")
	private String patch = "64,64,32";

	@Parameter(label = "Organ patches per batch (agcl, sscl, ce)", min = "1")
	private int patches = 8;

	@Parameter(label = "Pretrained bundle to write (folder or .zip)", style = "save")
	private File output;

	@Parameter(label = "Preprocessing", choices = { "ct-body-2mm", "abdomen-ct-128", "mri-1.5mm", "plan file" }, attrs = @Attr(name = "aliases",
		value = sc.fiji.voxelseg.preprocess.PreprocessingPlan.PRESET_ALIASES))
	private String preprocessing = "ct-body-2mm";

	@Parameter(label = "Plan file (for 'plan file')", required = false)
	private File plan_file;

	@Parameter(label = "Method", choices = { "full", "vox2vec", "agcl", "sscl", "ce" })
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

	@Parameter(type = ItemIO.OUTPUT, label = "Training curve")
	private ImagePlus curve;

	@Override
	public void run() {
		final StatusProgress progress = new StatusProgress(status, this::isCanceled);
		final Path out = output.toPath();
		final Trainer.Result r = Commands.call(() -> {
			final PreprocessingPlan plan = Commands.plan(preprocessing, plan_file);
			if (!method.equals("full") && !method.equals("vox2vec")) return onPatches(plan, out, progress);
			if (images_dir == null) throw new IllegalArgumentException("method " + method + " learns from images alone: choose their folder");
			return Commands.job(settings(), out, resume, progress).onImageFolders(List.of(images_dir.toPath()), plan).result();
		});
		summary = (r.cancelled() ? "Cancelled" : "Pretrained") + " after " + r.steps() + " steps: " + out;
		curve = Commands.figure(sc.fiji.voxelseg.train.Trainer.curvePath(out));
		status.showStatus(summary);
	}

	/** Contrastive pretraining on organ patches of the labeled dataset (seed 002). */
	private Trainer.Result onPatches(final PreprocessingPlan plan, final Path out, final StatusProgress progress) throws Exception {
		if (dataset_dir == null) throw new IllegalArgumentException("method " + method + " learns from organ patches: choose a labeled dataset folder");
		final TrainingSettings s = PatchSettings.pretrainingDefaults(PatchSettings.Method.parse(method)).architecture(Architecture.parse(
			architecture)).levels(levels).baseWidth(base_width).iterations(iterations).learningRate(learning_rate).batchSize(patches).seed(
				seed).device(device);
		if (s.architecture == Architecture.FPN) throw new IllegalArgumentException("method " + method + " takes the encoder of a unet or vnet");
		s.patches.patch = Commands.triple("organ patch size", patch);
		s.patches.attention = attention.trim();
		if (conditions != null) s.patches.conditions = AttentionMaps.conditions(conditions.toPath());
		s.validate();
		return Commands.job(s, out, resume, progress).onDataset(dataset_dir.toPath(), plan, null).result();
	}

	private TrainingSettings settings() {
		final TrainingSettings s = PretrainSettings.defaults().architecture(Architecture.parse(architecture)).levels(levels).baseWidth(
			base_width).iterations(iterations).learningRate(learning_rate).seed(seed).device(device);
		final PretrainSettings p = s.pretraining;
		p.crop = Commands.triple("crop size", crop);
		p.pairs = pairs;
		p.voxels = voxels;
		final boolean vox2vec = method.equals("vox2vec");
		p.balance = !vox2vec;
		p.restore = !vox2vec;
		p.augment = !vox2vec;
		return s.validate();
	}
}
