package sc.fiji.voxelseg.model;

import java.io.IOException;
import java.nio.file.Path;

import ai.djl.Device;

import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.onnx.OnnxGraph;
import sc.fiji.voxelseg.util.AtomicFiles;
import sc.fiji.voxelseg.util.Json;

/**
 * A segmentation bundle's network as an ONNX model (opset {@value OnnxGraph#OPSET}): input
 * {@value #INPUT}, N × C × D × H × W float (preprocessed image; D, H, W multiples of the network's
 * divisor), output {@value #OUTPUT}, N × K × D × H × W softmax probabilities. Batch normalisation
 * is folded into the convolutions with its running statistics, as VoxelSeg's own inference does.
 * The model's metadata holds the {@link ModelDescription} (classes, preprocessing, input size) under
 * {@value ModelDescription#ONNX_KEY}, so that {@code segment --model X.onnx} needs nothing else.
 */
public final class OnnxExport {

	/** The graph's input and output names. */
	public static final String INPUT = "image", OUTPUT = "probabilities";

	private OnnxExport() {}

	/** Writes {@code bundle}'s network to {@code target}, atomically. */
	public static void write(final ModelBundle bundle, final Path target, final String name) throws IOException {
		final OnnxGraph g = graph(bundle);
		AtomicFiles.write(target, out -> g.write(out, name, version(), "VoxelSeg " + bundle.network().describe() + "; classes " +
			bundle.classes().names().values() + "; input: the image preprocessed by the plan in the metadata"));
	}

	/** The ONNX graph of {@code bundle}'s network, with its description as metadata. */
	public static OnnxGraph graph(final ModelBundle bundle) throws IOException {
		bundle.requireSegmentation("the model");
		try (BundleModel m = BundleModel.load(bundle, Device.cpu())) {
			final SegmentationNetwork net = m.network();
			final OnnxGraph g = new OnnxGraph();
			final int k = bundle.network().classes();
			g.input(INPUT, "batch", (long) bundle.network().inChannels(), "z", "y", "x");
			final String logits = net.onnxLogits(g, INPUT);
			g.output(g.node("Softmax", new String[] { logits }, OnnxGraph.Attribute.of("axis", 1L)), OUTPUT, "batch", (long) k, "z", "y", "x");
			g.metadata(ModelDescription.ONNX_KEY, Json.toJson(ModelDescription.of(bundle, true).toJson()));
			g.metadata("network", bundle.network().describe());
			return g;
		}
	}

	private static String version() {
		final String v = OnnxExport.class.getPackage().getImplementationVersion();
		return v == null ? "dev" : v;
	}
}
