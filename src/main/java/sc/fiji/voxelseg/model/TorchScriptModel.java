package sc.fiji.voxelseg.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;


import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * A TorchScript model exported from PyTorch ({@code torch.jit.trace} or {@code script}, then
 * {@code save}), for inference. Its JSON sidecar, the same name with {@code .json}, says what the
 * file alone cannot (a {@link ModelDescription}).
 *
 * The module takes N × 1 × D × H × W and returns logits N × K × D × H × W (or a tuple whose first
 * element is the logits).
 */
public final class TorchScriptModel implements SegmentationModel {

	private final Model model;
	private final ClassTable classes;
	private final PreprocessingPlan plan;
	private final int[] shape;
	private final int divisor;
	private final Path file;

	private TorchScriptModel(final Model model, final ClassTable classes, final PreprocessingPlan plan, final int[] shape,
		final int divisor, final Path file)
	{
		this.model = model;
		this.classes = classes;
		this.plan = plan;
		this.shape = shape;
		this.divisor = divisor;
		this.file = file;
	}

	/** The sidecar of {@code model.pt}: {@code model.json}. */
	public static Path sidecar(final Path pt) {
		final String n = pt.getFileName().toString();
		final int dot = n.lastIndexOf('.');
		return pt.resolveSibling((dot > 0 ? n.substring(0, dot) : n) + ".json");
	}

	public static TorchScriptModel load(final Path pt, final Device device) throws IOException {
		final Path side = sidecar(pt);
		if (!Files.isRegularFile(side)) {
			throw new IOException(pt + ": a TorchScript model needs its sidecar " + side.getFileName() +
				" with the classes, preprocessing and input shape");
		}
		final ModelDescription d;
		try {
			d = ModelDescription.parse(Files.readString(side), side);
		}
		catch (final IllegalArgumentException e) {
			throw new IOException(e.getMessage(), e);
		}
		if (d.probabilities()) throw new IOException(side + ": a TorchScript model must return logits (\"output\": \"logits\")");
		final ClassTable classes = d.classes();
		final PreprocessingPlan plan = d.plan();
		final int[] shape = d.shape();
		final int divisor = d.divisor();
		TorchEngine.engine();
		final Model m = Model.newInstance(pt.getFileName().toString(), device, "PyTorch");
		try {
			m.load(pt);
		}
		catch (final MalformedModelException | IOException | RuntimeException e) {
			m.close();
			throw new IOException(pt + ": not a TorchScript file libtorch " + TorchEngine.engine().getVersion() + " can load (" + e
				.getMessage() + ")", e);
		}
		return new TorchScriptModel(m, classes, plan, shape, divisor, pt);
	}

	@Override
	public ClassTable classes() {
		return classes;
	}

	@Override
	public PreprocessingPlan plan() {
		return plan;
	}

	@Override
	public int[] inputShape() {
		return shape.clone();
	}

	@Override
	public int divisor() {
		return divisor;
	}

	@Override
	public NDArray logits(final NDArray input) {
		TorchEngine.setGradMode(false);
		final NDList out = model.getBlock().forward(new ParameterStore(input.getManager(), false), new NDList(input), false);
		final NDArray logits = out.get(0);
		if (logits.getShape().dimension() != 5 || logits.getShape().get(1) != classes.maxIndex() + 1) {
			throw new IllegalStateException(file + " returned " + logits.getShape() + ", expected N×" + (classes.maxIndex() + 1) +
				"×D×H×W logits for the sidecar's " + (classes.maxIndex() + 1) + " classes");
		}
		return logits;
	}

	@Override
	public NDManager manager() {
		return model.getNDManager();
	}

	@Override
	public String describe() {
		return "TorchScript " + file.getFileName() + ", " + TorchEngine.describe(model.getNDManager().getDevice());
	}

	@Override
	public void close() {
		model.close();
	}
}
