package sc.fiji.voxelseg.model;

import java.io.IOException;

/**
 * Whether ONNX Runtime is on the class path, asked without touching its classes: {@link OnnxModel}
 * cannot even be loaded without them. The launcher has it; Fiji needs its jar added.
 */
public final class OnnxRuntimeCheck {

	private OnnxRuntimeCheck() {}

	public static boolean available() {
		try {
			Class.forName("ai.onnxruntime.OrtEnvironment", false, OnnxRuntimeCheck.class.getClassLoader());
			return true;
		}
		catch (final ClassNotFoundException | LinkageError e) {
			return false;
		}
	}

	/** @param what the model file, for the message */
	public static void require(final Object what) throws IOException {
		if (!available()) {
			throw new IOException(what + ": running ONNX models needs ONNX Runtime (com.microsoft.onnxruntime:onnxruntime 1.23.2 from " +
				"Maven Central) on the class path; the voxelseg launcher has it, in Fiji put its jar into Fiji's jars/ folder");
		}
	}
}
