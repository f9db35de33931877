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

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.loss.FeatureGrid;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.Representation;
import sc.fiji.voxelseg.train.Sampling;
import sc.fiji.voxelseg.train.PatchSettings;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingJob;
import sc.fiji.voxelseg.train.TrainingSettings;

/**
 * Supervised training on an imagesTr/labelsTr folder, or on an image and its label map open in
 * Fiji, writing a model bundle (plus checkpoint, history CSV and training curve beside it).
 */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Train>Supervised...", label = "Train Supervised")
public class TrainSupervisedCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Dataset folder (imagesTr/labelsTr; empty: use the open images)", style = "directory", required = false)
	private File data_dir;

	@Parameter(label = "Image (when no dataset folder)", required = false, persist = false)
	private ImagePlus image;

	@Parameter(label = "Label map (when no dataset folder)", required = false, persist = false)
	private ImagePlus labels;

	@Parameter(label = "Model bundle to write (folder or .zip)", style = "save")
	private File output;

	@Parameter(label = "Preprocessing", choices = { "abdomen-ct-128", "ct-body-2mm", "mri-1.5mm", "plan file" }, attrs = @Attr(name = "aliases",
		value = sc.fiji.voxelseg.preprocess.PreprocessingPlan.PRESET_ALIASES))
	private String preprocessing = "abdomen-ct-128";

	@Parameter(label = "Plan file (for 'plan file')", required = false)
	private File plan_file;

	@Parameter(label = "Architecture (ignored with a pretrained backbone)", choices = { "unet", "vnet", "fpn" })
	private String architecture = "unet";

	@Parameter(label = "Pretrained backbone (optional; from Self-supervised pretraining)", required = false)
	private File pretrained;

	@Parameter(label = "With a pretrained backbone", choices = { "fine-tune", "linear (frozen backbone)",
		"decoder (frozen encoder, organ patches)" })
	private String backbone_mode = "fine-tune";

	@Parameter(label = "Organ-patch cascade: attention from (empty: whole volumes; labels, a coarse model, or a folder of label maps)",
		required = false)
	private String attention = "";

	@Parameter(label = "Base width (0 = default)", min = "0")
	private int base_width = 0;

	@Parameter(label = "Loss", choices = { "dice", "ce", "dice+ce" })
	private String loss = "dice";

	@Parameter(label = "Epochs", min = "1")
	private int epochs = 500;

	@Parameter(label = "Iterations (0 = from epochs)", min = "0")
	private long iterations = 0;

	@Parameter(label = "Batch size", min = "1")
	private int batch = 4;

	@Parameter(label = "Learning rate")
	private double learning_rate = 1e-3;

	@Parameter(label = "Patch size x,y,z (empty = whole volumes, or the backbone's organ patches)", required = false)
	private String patch = "";

	@Parameter(label = "Validation fraction", min = "0", max = "0.9")
	private double validation = 0.2;

	@Parameter(label = "Seed")
	private long seed = 42;

	@Parameter(label = "Representation loss", choices = { "none", "siamese", "contrastive" })
	private String representation = "none";

	@Parameter(label = "Feature layers (from the deepest)", min = "1", max = "3")
	private int feature_layers = 3;

	@Parameter(label = "Lambda (0 = 10 for 2-3 layers, 100 for 1)", min = "0")
	private double lambda = 0;

	@Parameter(label = "Head width", min = "1")
	private int head_width = 64;

	@Parameter(label = "Feature grid", choices = { "labels", "features" })
	private String feature_grid = "labels";

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
			final TrainingJob job = Commands.job(settings(), out, resume, progress);
			final PreprocessingPlan plan = Commands.plan(preprocessing, plan_file);
			if (data_dir != null && !data_dir.getPath().isEmpty()) return job.onDataset(data_dir.toPath(), plan, null).result();
			return job.onData(openImages(plan, progress), null, List.of()).result();
		});
		summary = Commands.trainingSummary(r, out);
		curve = Commands.figure(sc.fiji.voxelseg.train.Trainer.curvePath(out));
		status.showStatus(summary);
	}

	/** The open image and its label map as training data. */
	private TrainingData openImages(final PreprocessingPlan plan, final StatusProgress progress) {
		if (image == null || labels == null) throw new IllegalArgumentException("choose a dataset folder, or an open image and its label map");
		final Volume img = ImagePlusBridge.toVolume(image), lab = ImagePlusBridge.toVolume(labels);
		final ClassTable classes = lab.classes() != null ? lab.classes() : ImagePlusBridge.readClasses(labels) != null
			? ImagePlusBridge.readClasses(labels) : sc.fiji.voxelseg.image.LabelMaps.asLabelMap(lab, labels.getTitle()).classes();
		return TrainingData.of(List.of(new TrainingData.Pair(image.getTitle(), img, lab)), classes, plan, progress);
	}

	private TrainingSettings settings() {
		final TrainingSettings s = new TrainingSettings().architecture(Architecture.parse(architecture)).baseWidth(base_width)
			.loss(SegmentationLoss.parse(loss)).epochs(epochs).iterations(iterations).batchSize(batch).learningRate(learning_rate)
			.validationFraction(validation).seed(seed).device(device).representation(Representation.parse(representation))
			.featureLayers(feature_layers).lambda(lambda).headWidth(head_width).featureGrid(FeatureGrid.parse(feature_grid));
		final int[] size = patch == null || patch.isBlank() ? null : Commands.triple("patch size", patch);
		final boolean cascade = attention != null && !attention.isBlank(), decoder = backbone_mode.startsWith("decoder");
		if (decoder && !cascade) {
			throw new IllegalArgumentException("the decoder on a frozen encoder trains a cascade on organ patches: give the attention source");
		}
		if (cascade) {
			s.patches = new PatchSettings();
			s.patches.attention = attention.trim();
			s.patches.frozenEncoder = decoder;
			if (size != null) s.patches.patch = size;
			else if (pretrained != null && !pretrained.getPath().isEmpty()) s.patches.patch = loadPretrained().inputShape();
		}
		else if (size != null) s.sampling(Sampling.patches(size[0], size[1], size[2], 0.33));
		if (pretrained != null && !pretrained.getPath().isEmpty()) {
			// the network is the backbone's; the dialog's optimiser choices stay as given
			final TrainingSettings p = new TrainingSettings().fromPretrained(pretrained.getPath(), loadPretrained().network(), backbone_mode
				.startsWith("linear"));
			s.architecture(p.architecture).levels(p.levels).baseWidth(p.baseWidth).kernel(p.kernel).norm(p.norm).init(p.init).linear(p.linear)
				.fineTune(decoder ? 0 : p.freezeSteps, decoder ? 0 : p.rampSteps);
		}
		return s.validate();
	}

	private sc.fiji.voxelseg.model.ModelBundle loadPretrained() {
		try {
			final sc.fiji.voxelseg.model.ModelBundle b = sc.fiji.voxelseg.model.ModelBundle.load(pretrained.toPath());
			b.requirePretrained(pretrained);
			return b;
		}
		catch (final java.io.IOException e) {
			throw new IllegalArgumentException("cannot read the pretrained backbone " + pretrained + ": " + e.getMessage(), e);
		}
	}

}
