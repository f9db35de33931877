package sc.fiji.voxelseg.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/**
 * A loaded model ready for inference: a VoxelSeg bundle or an imported TorchScript file. It maps
 * preprocessed images N × 1 × D × H × W to logits N × K × D × H × W, with autograd off.
 */
public interface SegmentationModel extends AutoCloseable {

	/** Output classes (index = output channel). */
	ClassTable classes();

	/** The preprocessing the model was trained with. */
	PreprocessingPlan plan();

	/** The model input {x, y, z}: the model grid of whole-volume models, or the patch size. */
	int[] inputShape();

	/** Spatial sizes must be multiples of this (1 when any size works). */
	int divisor();

	/** Logits for {@code input}, on the input's manager. */
	NDArray logits(NDArray input);

	/** The manager that owns the model's weights (on the model's device). */
	NDManager manager();

	/** One line: what the model is and where it runs. */
	String describe();

	@Override
	void close();

	/**
	 * Loads a bundle (folder or {@code .zip}), a TorchScript {@code .pt} file with its JSON sidecar
	 * ({@code model.pt} + {@code model.json}), an ONNX file (VoxelSeg's export, or another with a
	 * sidecar), or a bioimage.io package (zip, folder or rdf.yaml) with ONNX or TorchScript weights.
	 */
	static SegmentationModel load(final Path path, final Device device) throws IOException {
		return load(path, device, false);
	}

	/**
	 * {@link #load(Path, Device)}, with a bundle's network run by ONNX Runtime (its ONNX export, built
	 * in memory) when {@code onnxRuntime}; ONNX files always run there, TorchScript files never; a
	 * bioimage.io package runs its TorchScript weights on libtorch unless {@code onnxRuntime} and
	 * it has ONNX weights, else its ONNX weights on ONNX Runtime.
	 *
	 * @throws IllegalArgumentException for a TorchScript file with {@code onnxRuntime}
	 */
	static SegmentationModel load(final Path path, final Device device, final boolean onnxRuntime) throws IOException {
		final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
		if (Files.isRegularFile(path) && (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript"))) {
			if (onnxRuntime) throw new IllegalArgumentException(path + " is a TorchScript file, which only libtorch runs: choose libtorch (the " +
				"launcher's --engine torch, Fiji's cpu, gpu or auto device), or export the model to ONNX");
			return TorchScriptModel.load(path, device);
		}
		if (Files.isRegularFile(path) && name.endsWith(".onnx")) {
			OnnxRuntimeCheck.require(path);
			return OnnxModel.load(path, null);
		}
		if (BioImageIo.isPackage(path)) return BioImageIo.load(path, device, onnxRuntime);
		final ModelBundle b = ModelBundle.load(path);
		b.requireSegmentation(path);
		if (onnxRuntime) OnnxRuntimeCheck.require(path);
		return onnxRuntime ? OnnxModel.of(b, path) : BundleModel.load(b, device);
	}
}
