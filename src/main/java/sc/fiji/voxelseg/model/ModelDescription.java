package sc.fiji.voxelseg.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * What a model file from outside a VoxelSeg bundle (TorchScript, ONNX) cannot say by itself, as
 * JSON: the classes, the preprocessing, the input size and divisor, and whether the output is
 * logits or softmax probabilities.
 *
 * <pre>
 * {"classes": [{"index": 0, "name": "background"}, {"index": 1, "name": "liver"}],
 *  "preprocessing": {...a VoxelSeg plan...},
 *  "input": {"shape_xyz": [128, 128, 64], "divisor": 16, "channels": 1},
 *  "output": "logits" | "probabilities"}
 * </pre>
 *
 * A TorchScript file carries it as a sidecar ({@code model.pt} + {@code model.json}); an ONNX file
 * that VoxelSeg exports carries it in its metadata under {@value #ONNX_KEY}, and other ONNX files
 * take a sidecar.
 *
 * @param probabilities whether the model's output is softmax probabilities rather than logits
 */
public record ModelDescription(ClassTable classes, PreprocessingPlan plan, int[] shape, int divisor, int channels, boolean probabilities) {

	/** The ONNX metadata key of the description. */
	public static final String ONNX_KEY = "voxelseg";

	/** The description of a segmentation bundle's network, with the given output kind. */
	public static ModelDescription of(final ModelBundle b, final boolean probabilities) {
		return new ModelDescription(b.classes(), b.plan(), b.inputShape(), b.network().divisor(), b.network().inChannels(), probabilities);
	}

	/**
	 * Parses a description.
	 *
	 * @param where the file it comes from, for the message
	 * @throws IllegalArgumentException naming {@code where} and what is missing
	 */
	public static ModelDescription parse(final String json, final Object where) {
		try {
			final JsonObject o = JsonParser.parseString(json).getAsJsonObject();
			final ClassTable classes = ClassTable.fromJson(o.getAsJsonArray("classes"));
			final PreprocessingPlan plan = PreprocessingPlan.fromJson(o.get("preprocessing").toString());
			final JsonObject in = o.getAsJsonObject("input");
			final JsonArray s = in.getAsJsonArray("shape_xyz");
			final int[] shape = new int[3];
			for (int i = 0; i < 3; i++) shape[i] = s.get(i).getAsInt();
			final int divisor = in.has("divisor") ? in.get("divisor").getAsInt() : 1;
			final int channels = in.has("channels") ? in.get("channels").getAsInt() : 1;
			final String output = o.has("output") ? o.get("output").getAsString() : "logits";
			if (!output.equals("logits") && !output.equals("probabilities")) {
				throw new IllegalArgumentException("output must be \"logits\" or \"probabilities\", not \"" + output + "\"");
			}
			return new ModelDescription(classes, plan, shape, divisor, channels, output.equals("probabilities"));
		}
		catch (final JsonParseException | IllegalStateException | NullPointerException | IllegalArgumentException | IndexOutOfBoundsException e) {
			throw new IllegalArgumentException(where + ": not a valid model description (needs classes, preprocessing and " +
				"input.shape_xyz): " + e.getMessage(), e);
		}
	}

	public JsonObject toJson() {
		final JsonObject o = new JsonObject();
		o.add("classes", classes.toJson());
		o.add("preprocessing", JsonParser.parseString(plan.toJson()));
		final JsonObject in = new JsonObject();
		final JsonArray s = new JsonArray();
		for (final int v : shape) s.add(v);
		in.add("shape_xyz", s);
		in.addProperty("divisor", divisor);
		in.addProperty("channels", channels);
		o.add("input", in);
		o.addProperty("output", probabilities ? "probabilities" : "logits");
		return o;
	}

	/** The number of output channels: one per class index. */
	public int outputChannels() {
		return classes.maxIndex() + 1;
	}
}
