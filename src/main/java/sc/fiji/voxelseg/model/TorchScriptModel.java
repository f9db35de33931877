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
 * The module takes N × C × D × H × W and returns logits N × K × D × H × W (or a tuple whose first
 * element is the logits). A bioimage.io package's TorchScript weights come with the package's
 * description instead of a sidecar; theirs may return softmax probabilities, which are read as
 * their logarithm (the same arg-max and the same softmax).
 */
public final class TorchScriptModel implements SegmentationModel {

	private final Model model;
	private final ModelDescription description;
	private final Path file;

	private TorchScriptModel(final Model model, final ModelDescription description, final Path file) {
		this.model = model;
		this.description = description;
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
		return of(pt, d, device, pt);
	}

	/**
	 * Loads the TorchScript file {@code pt} as described by {@code d}; {@code shownAs} names it in
	 * messages (a package's weights may be loaded from a temporary copy).
	 */
	static TorchScriptModel of(final Path pt, final ModelDescription d, final Device device, final Path shownAs) throws IOException {
		TorchEngine.engine();
		final Model m = Model.newInstance(shownAs.getFileName().toString(), device, "PyTorch");
		try {
			m.load(pt);
		}
		catch (final MalformedModelException | IOException | RuntimeException e) {
			m.close();
			throw new IOException(shownAs + ": not a TorchScript file libtorch " + TorchEngine.engine().getVersion() + " can load (" + e
				.getMessage() + ")", e);
		}
		return new TorchScriptModel(m, d, shownAs);
	}

	public ModelDescription description() {
		return description;
	}

	@Override
	public ClassTable classes() {
		return description.classes();
	}

	@Override
	public PreprocessingPlan plan() {
		return description.plan();
	}

	@Override
	public int[] inputShape() {
		return description.shape().clone();
	}

	@Override
	public int divisor() {
		return description.divisor();
	}

	@Override
	public NDArray logits(final NDArray input) {
		final NDArray out = output(input);
		// log of probabilities: the same arg-max, and softmax gives the probabilities back
		return description.probabilities() ? out.maximum(out.getManager().create(Float.MIN_NORMAL)).log() : out;
	}

	/** The raw output (logits, or probabilities where the description says so) for {@code input}. */
	private NDArray output(final NDArray input) {
		TorchEngine.setGradMode(false);
		final NDList out = model.getBlock().forward(new ParameterStore(input.getManager(), false), new NDList(input), false);
		final NDArray raw = out.get(0);
		final int k = description.outputChannels();
		if (raw.getShape().dimension() != 5 || raw.getShape().get(1) != k) {
			throw new IllegalStateException(file + " returned " + raw.getShape() + ", expected N×" + k + "×D×H×W " + (description
				.probabilities() ? "probabilities" : "logits") + " for the " + k + " classes it is described with");
		}
		return raw;
	}

	/** The raw output for {@code data} of {@code shape} (N × C × D × H × W), as the module gives it. */
	public float[] run(final float[] data, final long[] shape) {
		try (NDManager m = model.getNDManager().newSubManager()) {
			return output(m.create(data, new ai.djl.ndarray.types.Shape(shape))).toFloatArray();
		}
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
