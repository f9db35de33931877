import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.RawData;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.model.SegmentationModel;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Resampler;
import sc.fiji.voxelseg.util.Progress;

/**
 * VoxelSeg's side of scripts/bench/segment.sh and segment_large.sh: end-to-end segmentation of a
 * CT-sized volume with the seed's 3D U-Net. Subcommands:
 * <ul>
 * <li>{@code make OUT.nii.gz NX NY NZ [CASE]}: phantom case CASE (default 27: 565×565×172 at 0.65×0.65×1.27 mm) at full scale,
 * resampled trilinearly to exactly NX×NY×NZ and rounded to int16 HU;</li>
 * <li>{@code bundle CT.nii.gz BUNDLE PREFIX}: the seed's U-Net (NetworkConfig.unet(1, 9), plan
 * seeds-ct, whole-volume input 128×128×64) with seeded random weights, its batch-norm running
 * statistics set to the statistics of the preprocessed CT (so that the random network gives
 * spatially varied, non-degenerate labels), saved as a bundle; its parameters in getParameters()
 * order go to PREFIX.f32 (float32, little endian, concatenated) and PREFIX.json (names and shapes)
 * for the PyTorch peer;</li>
 * <li>{@code run CT.nii.gz BUNDLE OUT.nii.gz REPEATS [PROBS.raw]}: loads the bundle with
 * Predictor.load(bundle, "cpu") and REPEATS times reads the CT, predicts the labels with
 * PredictOptions.defaults() and writes them, timing each stage; prints JSON. With PROBS.raw, then
 * (untimed) writes the softmax of the network on the preprocessed CT (K × z × y × x float32) for the
 * peer to compare.</li>
 * </ul>
 */
public class SegmentBench {

	public static void main(final String[] a) throws Exception {
		switch (a[0]) {
			case "make" -> make(Path.of(a[1]), new long[] { Long.parseLong(a[2]), Long.parseLong(a[3]), Long.parseLong(a[4]) },
				a.length > 5 ? Integer.parseInt(a[5]) : 27);
			case "bundle" -> bundle(Path.of(a[1]), Path.of(a[2]), a[3]);
			case "run" -> run(Path.of(a[1]), Path.of(a[2]), Path.of(a[3]), Integer.parseInt(a[4]), a.length > 5 ? Path.of(a[5])
				: null);
			default -> throw new IllegalArgumentException("make | bundle | run");
		}
	}

	static void make(final Path out, final long[] shape, final int index) throws Exception {
		final Volume v = new PhantomGenerator(new PhantomConfig(1, 42, 1, 1)).generate(index).image();
		final Volume r = Resampler.toShape(v, shape, Interpolation.LINEAR);
		final float[] f = Voxels.floats(r.image());
		final short[] s = new short[f.length];
		for (int i = 0; i < f.length; i++) s[i] = (short) Math.round(Math.max(-32768, Math.min(32767, f[i])));
		NiftiIO.write(new Volume(RawData.wrap(s, VoxelType.INT16, shape), r.spacing(), r.origin(), r.direction(), null,
			VoxelType.INT16), out);
		System.err.printf(Locale.ROOT, "phantom case %d %s resampled to %s%n", index, v.describeGrid(), Volume.formatDims(shape));
	}

	static void bundle(final Path ct, final Path bundle, final String prefix) throws Exception {
		TorchEngine.engine();
		TorchEngine.seed(0);
		final NetworkConfig cfg = NetworkConfig.unet(1, 9);
		final PreprocessingPlan plan = PreprocessingPlan.seedsCt();
		final SegmentationNetwork net = cfg.build();
		final Volume pre = plan.apply(NiftiIO.read(ct)).image();
		final int nx = pre.width(), ny = pre.height(), nz = pre.depth();
		try (NDManager m = NDManager.newBaseManager()) {
			net.initialize(m, DataType.FLOAT32, new Shape(1, 1, nz, ny, nx));
			// One training-mode pass without gradients: batch norm normalises with the batch statistics
			// and moves its running ones 0.1 of the way there from (mean 0, var 1); solving for the batch
			// statistics makes inference normalise exactly as that pass did.
			TorchEngine.setGradMode(false);
			try (NDScope scope = new NDScope()) {
				scope.suppressNotUsedWarning();
				final NDArray x = m.create(FloatBuffer.wrap(Voxels.floats(pre.image())), new Shape(1, 1, nz, ny, nx));
				net.forward(new ParameterStore(m, false), new NDList(x), true);
			}
			for (final Pair<String, Parameter> p : net.getParameters()) {
				final NDArray arr = p.getValue().getArray();
				if (p.getKey().endsWith("running_mean")) arr.set(arr.mul(10f).toFloatArray());
				else if (p.getKey().endsWith("running_var")) arr.set(arr.sub(0.9f).mul(10f).toFloatArray());
			}
			new ModelBundle(cfg, ClassTable.abdomen(), plan, new int[] { nx, ny, nz }, null, ModelBundle.weightsOf(net), null)
				.save(bundle);
			final StringBuilder json = new StringBuilder("[");
			try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(Path.of(prefix + ".f32")), 1 << 20)) {
				for (final Pair<String, Parameter> p : net.getParameters()) {
					final float[] f = p.getValue().getArray().toFloatArray();
					final ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
					b.asFloatBuffer().put(f);
					os.write(b.array());
					if (json.length() > 1) json.append(", ");
					json.append("{\"name\": \"").append(p.getKey()).append("\", \"shape\": ").append(java.util.Arrays.toString(p
						.getValue().getArray().getShape().getShape())).append('}');
				}
			}
			Files.writeString(Path.of(prefix + ".json"), json.append("]\n"));
		}
		System.err.printf(Locale.ROOT, "bundle %s: %s, %d parameters, input %dx%dx%d%n", bundle, cfg.describe(), net.parameterCount(),
			nx, ny, nz);
	}

	/** Records when Predictor reaches its stages (status lines and the window progress). */
	static final class Stages implements Progress {

		long preprocess, network, networkDone, labels;

		@Override
		public void status(final String message) {
			final long t = System.nanoTime();
			if (message.startsWith("Preprocessing")) preprocess = t;
			else if (message.startsWith("Labels")) labels = t;
		}

		@Override
		public void progress(final long done, final long total) {
			final long t = System.nanoTime();
			if (done == 0 && network == 0) network = t;
			if (done == total) networkDone = t;
		}
	}

	static void run(final Path ct, final Path bundle, final Path out, final int reps, final Path probs) throws Exception {
		TorchEngine.engine();
		final long tl = System.nanoTime();
		final List<String> runs = new ArrayList<>();
		// -Dbench.engine=onnxruntime: the bundle's network through ONNX Runtime (segment --engine onnxruntime)
		final Predictor.Engine engine = Predictor.Engine.parse(System.getProperty("bench.engine", "torch"));
		try (Predictor p = Predictor.load(bundle, "cpu", engine)) {
			final double load = (System.nanoTime() - tl) / 1e9;
			int[] hist = null;
			for (int r = 0; r < reps; r++) {
				final Stages s = new Stages();
				final double[] c0 = cpu();
				final long t0 = System.nanoTime();
				final Volume v = NiftiIO.read(ct);
				final long t1 = System.nanoTime();
				final Prediction pr = p.predict(v, PredictOptions.defaults(), s);
				final long t2 = System.nanoTime();
				NiftiIO.write(pr.labels(), out);
				final long t3 = System.nanoTime();
				final double[] c1 = cpu();
				runs.add(String.format(Locale.ROOT,
					"{\"read_s\": %.4f, \"check_s\": %.4f, \"preprocess_s\": %.4f, \"network_s\": %.4f, \"labels_s\": %.4f, " +
						"\"write_s\": %.4f, \"total_s\": %.4f, \"other_cores\": %.3f}",
					(t1 - t0) / 1e9, (s.preprocess - t1) / 1e9, (s.network - s.preprocess) / 1e9, (s.labels - s.network) / 1e9, (t2 -
						s.labels) / 1e9, (t3 - t2) / 1e9, (t3 - t0) / 1e9, (c1[0] - c0[0] - (c1[1] - c0[1])) / ((t3 - t0) / 1e9)));
				if (r == reps - 1) {
					hist = new int[256];
					for (final byte b : (byte[]) Voxels.backingArray(pr.labels().image())) hist[b & 0xff]++;
				}
			}
			if (probs != null) writeProbabilities(p.model(), NiftiIO.read(ct), probs);
			final StringBuilder h = new StringBuilder();
			for (int c = 0; c < 9; c++) h.append(c == 0 ? "" : ", ").append(hist[c]);
			System.out.printf(Locale.ROOT,
				"{\"load_s\": %.4f, \"runs\": [%s], \"label_counts\": [%s], \"peak_rss\": %d, \"engine\": \"%s\", " +
					"\"network_engine\": \"%s\", \"torch_threads\": %d, \"java_threads\": %d}%n",
				load, String.join(", ", runs), h, hwm(), TorchEngine.engine().getVersion(), engine == Predictor.Engine.ONNXRUNTIME
					? "ONNX Runtime " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() : "libtorch", TorchEngine.threads(),
				ForkJoinPool.getCommonPoolParallelism() + 1);
		}
	}

	/** The model's softmax on the preprocessed CT, K × z × y × x float32, as Predictor computes it in whole-volume mode. */
	static void writeProbabilities(final SegmentationModel model, final Volume ct, final Path out) throws Exception {
		final Volume pre = model.plan().apply(ct).image();
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			final NDArray x = model.manager().create(FloatBuffer.wrap(Voxels.floats(pre.image())), new Shape(1, 1, pre.depth(), pre
				.height(), pre.width()));
			final float[] f = model.logits(x).softmax(1).toFloatArray();
			final ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
			b.asFloatBuffer().put(f);
			Files.write(out, b.array());
		}
	}

	/**
	 * {busy CPU seconds of the whole machine, CPU seconds of this process}: their difference over a run
	 * is what other processes took from the cores meanwhile.
	 */
	static double[] cpu() throws Exception {
		final String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
		// cpu user nice system idle iowait irq softirq steal ...; USER_HZ is 100 on Linux
		final long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long
			.parseLong(f[7]);
		final long own = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
			.getOperatingSystemMXBean()).getProcessCpuTime();
		return new double[] { busy / 100.0, own / 1e9 };
	}

	static long hwm() throws Exception {
		for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
		}
		return -1;
	}
}
