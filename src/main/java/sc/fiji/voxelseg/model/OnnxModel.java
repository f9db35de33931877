package sc.fiji.voxelseg.model;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * An ONNX model run by ONNX Runtime on the CPU, with {@code voxelseg.threads} intra-op threads: a
 * VoxelSeg export (its description in the metadata) or any 3D segmentation network with one input
 * N × C × D × H × W and one output N × K × D × H × W, described by a sidecar ({@code model.json}
 * beside {@code model.onnx}, a {@link ModelDescription}). Outputs that are probabilities are
 * returned as their logarithm, so that the predictor's softmax gives them back.
 */
public final class OnnxModel implements SegmentationModel {

	private final OrtEnvironment env;
	private final OrtSession session;
	private final String input;
	private final ModelDescription description;
	private final NDManager manager;
	private final Path file;

	private OnnxModel(final OrtEnvironment env, final OrtSession session, final String input, final ModelDescription description,
		final Path file)
	{
		this.env = env;
		this.session = session;
		this.input = input;
		this.description = description;
		this.file = file;
		this.manager = NDManager.newBaseManager(Device.cpu());
	}

	/**
	 * Loads an ONNX file; its description comes from its sidecar if there is one, else from the
	 * metadata VoxelSeg wrote.
	 *
	 * @param description null to read it from the sidecar or metadata
	 */
	public static OnnxModel load(final Path file, final ModelDescription description) throws IOException {
		return open(file, (env, o) -> env.createSession(file.toString(), o), description);
	}

	/**
	 * A segmentation bundle's network run by ONNX Runtime: its ONNX export, built in memory
	 * ({@code segment --engine onnxruntime}).
	 */
	public static OnnxModel of(final ModelBundle bundle, final Path source) throws IOException {
		final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
		OnnxExport.graph(bundle).write(bytes, "model", "in-memory", null);
		return open(source, (env, o) -> env.createSession(bytes.toByteArray(), o), ModelDescription.of(bundle, true));
	}

	/** An ONNX model from its bytes (a bioimage.io package's weights), named {@code source} in messages. */
	public static OnnxModel of(final byte[] model, final ModelDescription description, final Path source) throws IOException {
		return open(source, (env, o) -> env.createSession(model, o), description);
	}

	@FunctionalInterface
	private interface Sessions {

		OrtSession create(OrtEnvironment env, OrtSession.SessionOptions o) throws OrtException;
	}

	private static OnnxModel open(final Path file, final Sessions sessions, final ModelDescription description) throws IOException {
		OnnxRuntimeCheck.require(file);
		TorchEngine.engine();
		final OrtEnvironment env = OrtEnvironment.getEnvironment();
		OrtSession s = null;
		try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
			o.setIntraOpNumThreads(TorchEngine.threads());
			o.setInterOpNumThreads(1);
			o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
			// without the memory pattern, which plans one block for all of a run's tensors up front: on the
			// 512×512×200 CT benchmark the peak fell from 3.4 to 2.2–2.5 GiB at the same speed
			o.setMemoryPatternOptimization(false);
			s = sessions.create(env, o);
			final ModelDescription d = description != null ? description : describe(file, s);
			final String in = check(file, s, d);
			final OnnxModel m = new OnnxModel(env, s, in, d, file);
			s = null;
			return m;
		}
		catch (final OrtException e) {
			throw new IOException(file + ": ONNX Runtime cannot load it (" + e.getMessage().replace('\n', ' ') + ")", e);
		}
		catch (final IllegalArgumentException e) {
			throw new IOException(e.getMessage(), e);
		}
		finally {
			if (s != null) {
				try {
					s.close();
				}
				catch (final OrtException e) {
					// the load failed already
				}
			}
		}
	}

	/** The description: the sidecar if there is one, else the metadata VoxelSeg wrote. */
	private static ModelDescription describe(final Path file, final OrtSession s) throws IOException, OrtException {
		final Path side = TorchScriptModel.sidecar(file);
		if (Files.isRegularFile(side)) return ModelDescription.parse(Files.readString(side), side);
		final String meta = s.getMetadata().getCustomMetadata().get(ModelDescription.ONNX_KEY);
		if (meta == null) {
			throw new IOException(file + ": an ONNX model from outside VoxelSeg needs a sidecar " + side.getFileName() +
				" with its classes, preprocessing and input shape (see `voxelseg segment --help`)");
		}
		return ModelDescription.parse(meta, file + " (metadata)");
	}

	/** Checks the graph's input and output against the description; returns the input's name. */
	private static String check(final Path file, final OrtSession s, final ModelDescription d) throws OrtException {
		final Map<String, NodeInfo> ins = s.getInputInfo(), outs = s.getOutputInfo();
		if (ins.size() != 1) {
			throw new IllegalArgumentException(file + ": the graph has " + ins.size() + " inputs " + ins.keySet() +
				"; VoxelSeg runs graphs with one image input N×C×D×H×W");
		}
		if (outs.size() != 1) {
			throw new IllegalArgumentException(file + ": the graph has " + outs.size() + " outputs " + outs.keySet() +
				"; VoxelSeg runs graphs with one output N×K×D×H×W (logits or probabilities)");
		}
		final String in = ins.keySet().iterator().next();
		tensor(file, "input", in, ins.get(in), d.channels(), "channel(s) as the description says");
		final NodeInfo out = outs.values().iterator().next();
		tensor(file, "output", out.getName(), out, d.outputChannels(), "channels, one per class of the description");
		return in;
	}

	private static void tensor(final Path file, final String role, final String name, final NodeInfo info, final int channels,
		final String why)
	{
		if (!(info.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
			throw new IllegalArgumentException(file + ": the " + role + " '" + name + "' is " + info.getInfo() +
				"; VoxelSeg runs float32 tensors N×C×D×H×W");
		}
		final long[] shape = t.getShape();
		if (shape.length != 5) {
			throw new IllegalArgumentException(file + ": the " + role + " '" + name + "' has rank " + shape.length + " (" + Arrays.toString(
				shape) + "); VoxelSeg runs 3D networks on N×C×D×H×W tensors (rank 5)");
		}
		if (shape[1] >= 0 && shape[1] != channels) {
			throw new IllegalArgumentException(file + ": the " + role + " '" + name + "' has " + shape[1] + " channels; expected " +
				channels + " " + why);
		}
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

	public ModelDescription description() {
		return description;
	}

	/** The raw output (probabilities or logits, as the model gives them) for {@code input}'s values. */
	public float[] run(final float[] data, final long[] shape) {
		try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape); OrtSession.Result r = session.run(Map.of(input, t))) {
			final OnnxTensor o = (OnnxTensor) r.get(0);
			final long[] os = o.getInfo().getShape();
			if (os.length != 5 || os[1] != description.outputChannels() || os[0] != shape[0] || os[2] != shape[2] || os[3] != shape[3] ||
				os[4] != shape[4])
			{
				throw new IllegalStateException(file + " returned " + Arrays.toString(os) + " for input " + Arrays.toString(shape) +
					"; expected N×" + description.outputChannels() + "×D×H×W");
			}
			final FloatBuffer b = o.getFloatBuffer();
			final float[] v = new float[b.remaining()];
			b.get(v);
			return v;
		}
		catch (final OrtException e) {
			throw new IllegalStateException(file + ": ONNX Runtime failed on input " + Arrays.toString(shape) + ": " + e.getMessage(), e);
		}
	}

	@Override
	public NDArray logits(final NDArray x) {
		final long[] shape = x.getShape().getShape();
		final float[] v = run(x.toFloatArray(), shape);
		if (description.probabilities()) for (int i = 0; i < v.length; i++) v[i] = (float) Math.log(Math.max(v[i], Float.MIN_NORMAL));
		return x.getManager().create(v, new Shape(shape[0], description.outputChannels(), shape[2], shape[3], shape[4]));
	}

	@Override
	public NDManager manager() {
		return manager;
	}

	@Override
	public String describe() {
		return "ONNX " + file.getFileName() + ", ONNX Runtime on the CPU, " + TorchEngine.threads() + " thread(s)";
	}

	@Override
	public void close() {
		try {
			session.close();
		}
		catch (final OrtException e) {
			// nothing left to release
		}
		manager.close();
	}
}
