import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.infer.CascadePredictor;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Prediction;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.RawData;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.phantom.PhantomCase;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Resampler;

/**
 * VoxelSeg's side of scripts/bench/cascade.sh: cascade segmentation (a coarse whole-volume model,
 * then a two-channel cascade model on organ patches) against the coarse model's single whole-volume
 * pass, on a CT-sized phantom. Subcommands:
 * <ul>
 * <li>{@code make CT.nii.gz TRUTH.nii.gz NX NY NZ [CASE]}: phantom case CASE (default 27) at full
 * scale, its image resampled trilinearly to NX×NY×NZ and rounded to int16 HU, its label map (8
 * organs) by nearest neighbour to the same grid;</li>
 * <li>{@code bundles COARSE CASCADE}: the seed's U-Net ({@code NetworkConfig.unet(1, 9)}, plan
 * seeds-ct, whole-volume input 128×128×64) and a cascade model of the same width and depth
 * ({@code NetworkConfig.unet(2, 2)}, plan seeds-ct, 64×64×32 patches, AGCL's default), both with
 * seeded random weights;</li>
 * <li>{@code single CT COARSE REPEATS}: Predictor.load(COARSE, "cpu"), then REPEATS times: read the
 * CT, predict with PredictOptions.defaults(); prints JSON with the times, the process's peak
 * resident set (VmHWM) and the largest resident set (VmRSS, sampled every 20 ms) in each stage;</li>
 * <li>{@code cascade CT TRUTH COARSE CASCADE REPEATS}: CascadePredictor.load(CASCADE, COARSE, "cpu"),
 * then REPEATS times: read the CT, the coarse model's pass (timed), its label map overwritten in
 * place with the phantom's (untimed; an untrained coarse model labels noise), then the cascade's
 * second stage, CascadePredictor.refine, on it (timed): what CascadePredictor.predict does, with the
 * coarse labels a trained model would give, so that all 8 organs get their patches; prints the same
 * JSON, the cascade's stages split into preprocessing, organ patches and labels back.</li>
 * </ul>
 */
public class CascadeBench {

	/** The stage the process is in, for {@link #sampler}. */
	static volatile String stage = "load";
	/** The largest resident set seen per stage, MiB. */
	static final java.util.Map<String, Long> stagePeaks = new java.util.concurrent.ConcurrentHashMap<>();

	/** Samples the resident set (VmRSS) every 20 ms into {@link #stagePeaks}. */
	static void sampler() {
		final Thread t = new Thread(() -> {
			try {
				while (true) {
					for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
						if (line.startsWith("VmRSS:")) stagePeaks.merge(stage, Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024, Math::max);
					}
					Thread.sleep(20);
				}
			}
			catch (final Exception e) {
				// the process ends
			}
		});
		t.setDaemon(true);
		t.start();
	}

	/** {@link #stagePeaks} as JSON. */
	static String stagePeaksJson() {
		final StringBuilder b = new StringBuilder("{");
		new java.util.TreeMap<>(stagePeaks).forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v));
		return b.append('}').toString();
	}

	/** Sets {@link #stage} from a predictor's status lines. */
	static final sc.fiji.voxelseg.util.Progress STAGES = m -> {
		if (m.startsWith("Organ patches")) stage = "organ patches";
		else if (m.startsWith("Labels on the image grid") && stage.equals("organ patches")) stage = "cascade labels back";
	};

	public static void main(final String[] a) throws Exception {
		switch (a[0]) {
			case "make" -> make(Path.of(a[1]), Path.of(a[2]), new long[] { Long.parseLong(a[3]), Long.parseLong(a[4]), Long.parseLong(a[5]) },
				a.length > 6 ? Integer.parseInt(a[6]) : 27);
			case "bundles" -> bundles(Path.of(a[1]), Path.of(a[2]));
			case "single" -> single(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3]));
			case "cascade" -> cascade(Path.of(a[1]), Path.of(a[2]), Path.of(a[3]), Path.of(a[4]), Integer.parseInt(a[5]));
			default -> throw new IllegalArgumentException("make | bundles | single | cascade");
		}
	}

	static void make(final Path ct, final Path truth, final long[] shape, final int index) throws Exception {
		final PhantomCase c = new PhantomGenerator(new PhantomConfig(1, 42, 1, 1)).generate(index);
		final Volume r = Resampler.toShape(c.image(), shape, Interpolation.LINEAR);
		final float[] f = Voxels.floats(r.image());
		final short[] s = new short[f.length];
		for (int i = 0; i < f.length; i++) s[i] = (short) Math.round(Math.max(-32768, Math.min(32767, f[i])));
		NiftiIO.write(new Volume(RawData.wrap(s, VoxelType.INT16, shape), r.spacing(), r.origin(), r.direction(), null, VoxelType.INT16),
			ct);
		final Volume l = LabelMaps.asLabelMap(Resampler.toShape(c.labels(), shape, Interpolation.NEAREST), ClassTable.abdomen(), "truth");
		NiftiIO.write(l, truth);
		final long[] hist = LabelMaps.histogram(l);
		int organs = 0;
		for (int k = 1; k < hist.length; k++) if (hist[k] > 0) organs++;
		System.err.printf(Locale.ROOT, "phantom case %d %s resampled to %s, %d organs in its label map%n", index, c.image().describeGrid(),
			Volume.formatDims(shape), organs);
	}

	static void bundles(final Path coarse, final Path cascade) throws Exception {
		TorchEngine.engine();
		TorchEngine.seed(0);
		save(NetworkConfig.unet(1, 9), new int[] { 128, 128, 64 }, null, coarse);
		final JsonObject training = JsonParser.parseString("{\"settings\": {\"patches\": {\"patch\": [64, 64, 32], \"attention\": \"labels\"}}}")
			.getAsJsonObject();
		save(NetworkConfig.unet(2, 2), new int[] { 64, 64, 32 }, training, cascade);
	}

	private static void save(final NetworkConfig cfg, final int[] input, final JsonObject training, final Path out) throws Exception {
		final SegmentationNetwork net = cfg.build();
		try (NDManager m = NDManager.newBaseManager()) {
			net.initialize(m, DataType.FLOAT32, new Shape(1, cfg.inChannels(), input[2], input[1], input[0]));
			new ModelBundle(cfg, ClassTable.abdomen(), PreprocessingPlan.seedsCt(), input, training, ModelBundle.weightsOf(net), null).save(out);
		}
		System.err.printf(Locale.ROOT, "bundle %s: %s, %d parameters, input %dx%dx%d%n", out, cfg.describe(), net.parameterCount(),
			input[0], input[1], input[2]);
	}

	static void single(final Path ct, final Path coarse, final int reps) throws Exception {
		sampler();
		TorchEngine.engine();
		final long tl = System.nanoTime();
		try (Predictor p = Predictor.load(coarse, "cpu")) {
			final double load = (System.nanoTime() - tl) / 1e9;
			final List<String> runs = new ArrayList<>();
			for (int r = 0; r < reps; r++) {
				final double[] c0 = cpu();
				final long t0 = System.nanoTime();
				stage = "read";
				final Volume v = NiftiIO.read(ct);
				final long t1 = System.nanoTime();
				stage = "coarse pass";
				final Prediction pr = p.predict(v, PredictOptions.defaults(), null);
				final long t2 = System.nanoTime();
				stage = "between runs";
				final double[] c1 = cpu();
				runs.add(String.format(Locale.ROOT, "{\"read_s\": %.4f, \"predict_s\": %.4f, \"total_s\": %.4f, \"other_cores\": %.3f}",
					(t1 - t0) / 1e9, (t2 - t1) / 1e9, (t2 - t0) / 1e9, other(c0, c1, t2 - t0)));
				if (pr.labels().voxelCount() != v.voxelCount()) throw new IllegalStateException("labels off the image grid");
			}
			System.out.printf(Locale.ROOT, "{\"load_s\": %.4f, \"runs\": [%s], \"peak_rss\": %d, \"stage_peaks_mib\": %s, \"engine\": \"%s\", " +
				"\"torch_threads\": %d, \"java_threads\": %d}%n", load, String.join(", ", runs), hwm(), stagePeaksJson(), TorchEngine.engine()
					.getVersion(), TorchEngine.threads(), ForkJoinPool.getCommonPoolParallelism() + 1);
		}
	}

	static void cascade(final Path ct, final Path truth, final Path coarse, final Path cascade, final int reps) throws Exception {
		sampler();
		TorchEngine.engine();
		// the phantom's label map, run-length encoded (a few kB), stands in for the coarse labels
		final int[] rle = encode(truth);
		System.gc();
		final long tl = System.nanoTime();
		try (CascadePredictor p = CascadePredictor.load(cascade, coarse, "cpu")) {
			final double load = (System.nanoTime() - tl) / 1e9;
			final List<String> runs = new ArrayList<>();
			int[] hist = null;
			for (int r = 0; r < reps; r++) {
				final double[] c0 = cpu();
				final long t0 = System.nanoTime();
				stage = "read";
				final Volume v = NiftiIO.read(ct);
				final long t1 = System.nanoTime();
				stage = "coarse pass";
				final Volume labels = p.coarse().predict(v, PredictOptions.defaults(), null).labels();
				stage = "cascade preprocessing";
				final long t2 = System.nanoTime();
				// untimed: the coarse labels become the phantom's, in their own array, as a trained coarse model would give them
				decode(rle, (byte[]) Voxels.backingArray(labels.image()));
				final long t3 = System.nanoTime();
				final Prediction pr = p.refine(v, labels, PredictOptions.defaults(), STAGES);
				final long t4 = System.nanoTime();
				stage = "between runs";
				final double[] c1 = cpu();
				final long busy = (t2 - t0) + (t4 - t3);
				runs.add(String.format(Locale.ROOT, "{\"read_s\": %.4f, \"coarse_s\": %.4f, \"refine_s\": %.4f, \"total_s\": %.4f, " +
					"\"patches\": %d, \"other_cores\": %.3f}", (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t4 - t3) / 1e9, busy / 1e9, pr.windows(),
					other(c0, c1, t4 - t0)));
				hist = new int[256];
				for (final byte b : (byte[]) Voxels.backingArray(pr.labels().image())) hist[b & 0xff]++;
			}
			final StringBuilder h = new StringBuilder();
			for (int c = 0; c < 9; c++) h.append(c == 0 ? "" : ", ").append(hist[c]);
			System.out.printf(Locale.ROOT, "{\"load_s\": %.4f, \"runs\": [%s], \"label_counts\": [%s], \"peak_rss\": %d, \"stage_peaks_mib\": %s, " +
				"\"engine\": \"%s\", \"torch_threads\": %d, \"java_threads\": %d}%n", load, String.join(", ", runs), h, hwm(), stagePeaksJson(),
				TorchEngine.engine().getVersion(), TorchEngine.threads(), ForkJoinPool.getCommonPoolParallelism() + 1);
		}
	}

	/** A label map as (value, run length) pairs, x fastest. */
	static int[] encode(final Path labels) throws Exception {
		// the uint8 array as read, not a float copy (200 MB of heap the cascade side would carry into its runs)
		final byte[] f = (byte[]) Voxels.backingArray(NiftiIO.read(labels).image());
		final List<Integer> runs = new ArrayList<>();
		for (int i = 0; i < f.length;) {
			int j = i;
			while (j < f.length && f[j] == f[i]) j++;
			runs.add(f[i] & 0xff);
			runs.add(j - i);
			i = j;
		}
		return runs.stream().mapToInt(Integer::intValue).toArray();
	}

	static void decode(final int[] rle, final byte[] into) {
		int o = 0;
		for (int k = 0; k < rle.length; k += 2) {
			java.util.Arrays.fill(into, o, o + rle[k + 1], (byte) rle[k]);
			o += rle[k + 1];
		}
		if (o != into.length) throw new IllegalStateException("the label map has " + o + " voxels, the coarse labels " + into.length);
	}

	/** Cores other processes kept busy over {@code nanos}, from {@link #cpu} readings before and after. */
	static double other(final double[] c0, final double[] c1, final long nanos) {
		return (c1[0] - c0[0] - (c1[1] - c0[1])) / (nanos / 1e9);
	}

	/** {busy CPU seconds of the whole machine, CPU seconds of this process}. */
	static double[] cpu() throws Exception {
		final String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
		// cpu user nice system idle iowait irq softirq ...; USER_HZ is 100 on Linux. Niced processes (the
		// background study) count in "nice".
		final long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7]);
		final long own = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
			.getProcessCpuTime();
		return new double[] { busy / 100.0, own / 1e9 };
	}

	/** The process's peak resident set (VmHWM), bytes. */
	static long hwm() throws Exception {
		for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
		}
		return -1;
	}
}
