import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.sun.management.OperatingSystemMXBean;

import net.imglib2.img.array.ArrayImgs;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.ClassMetrics;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SegmentationMetrics;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.Resampler;

/**
 * VoxelSeg's side of scripts/bench/metrics.sh. Subcommands:
 * <ul>
 * <li>{@code make DIR}: the ground truth is full-scale phantom case 14 (8 organs) resampled
 * (nearest neighbour) to 512×512×200; the prediction perturbs it organ by organ: spleen shifted
 * (+4, -3, +1) voxels, left kidney eroded by one voxel, gallbladder dropped (an empty
 * prediction), esophagus shifted (0, +2, 0), liver dilated by one voxel plus a 9×9×7-voxel
 * false-positive liver island ending at the last labelled voxel in storage order (the top of
 * the esophagus, on the grid's top slice, about 30 mm above the liver), stomach shifted (-3, +2, -1), pancreas eroded, duodenum shifted (+1, +1,
 * 0). Writes {@code truth.raw} and {@code pred.raw} (uint8, x fastest) and {@code spec.json}
 * (dims, spacing in mm, classes).</li>
 * <li>{@code serve DIR THREADS OUT.json}: a worker. It loads the label maps, runs
 * {@link SegmentationMetrics#evaluate} (MedPy convention, {@code THREADS} threads, 0 for all
 * processors, the default) twice to warm the JIT, writes the per-class values to
 * {@code OUT.json}, prints one JSON line {@code {"ready": ...}}, then answers each stdin line
 * {@code evaluate N} with one JSON line {@code {"s": [...], "cpu_s": ...}}: the wall seconds of N
 * back-to-back runs and the process CPU seconds of all N (JVM threads included). An empty line or
 * the end of input ends it. The metrics use their own fork/join pool of {@code THREADS} threads
 * ({@code MetricOptions.threads}); one thread runs everything on the caller.</li>
 * </ul>
 */
public class MetricsBench {

	static final int NX = 512, NY = 512, NZ = 200;

	public static void main(final String[] args) throws Exception {
		if (args[0].equals("make")) make(Path.of(args[1]));
		else serve(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
	}

	static void make(final Path dir) throws Exception {
		Files.createDirectories(dir);
		final Volume phantom = new PhantomGenerator(PhantomConfig.defaults()).generate(14).labels();
		final Volume truth = Resampler.toShape(phantom, new long[] { NX, NY, NZ },
			Interpolation.NEAREST);
		final byte[] t = (byte[]) Voxels.backingArray(truth.image());
		final byte[] p = new byte[t.length];
		final int plane = NX * NY;
		// keep (or erode) the organs that are not shifted
		for (int z = 0; z < NZ; z++)
			for (int y = 0; y < NY; y++)
				for (int x = 0; x < NX; x++) {
					final int i = x + NX * (y + NY * z);
					final int l = t[i];
					if (l == PhantomGenerator.LEFT_KIDNEY || l == PhantomGenerator.PANCREAS) {
						final boolean inner = x > 0 && x < NX - 1 && y > 0 && y < NY - 1 && z > 0 && z < NZ -
							1 && t[i - 1] == l && t[i + 1] == l && t[i - NX] == l && t[i + NX] == l && t[i -
								plane] == l && t[i + plane] == l;
						if (inner) p[i] = (byte) l;
					}
					else if (l == PhantomGenerator.LIVER) p[i] = (byte) l;
				}
		// liver dilated by one voxel into unlabelled voxels
		for (int z = 1; z < NZ - 1; z++)
			for (int y = 1; y < NY - 1; y++)
				for (int x = 1; x < NX - 1; x++) {
					final int i = x + NX * (y + NY * z);
					final int L = PhantomGenerator.LIVER;
					if (t[i] == 0 && (t[i - 1] == L || t[i + 1] == L || t[i - NX] == L || t[i + NX] == L ||
						t[i - plane] == L || t[i + plane] == L)) p[i] = (byte) L;
				}
		shift(t, p, PhantomGenerator.SPLEEN, 4, -3, 1);
		shift(t, p, PhantomGenerator.ESOPHAGUS, 0, 2, 0);
		shift(t, p, PhantomGenerator.STOMACH, -3, 2, -1);
		shift(t, p, PhantomGenerator.DUODENUM, 1, 1, 0);
		// a false-positive liver island ending at the last labelled voxel (top of the esophagus)
		int[] far = { 0, 0, 0 };
		for (int i = 0; i < t.length; i++)
			if (t[i] != 0) far = new int[] { i % NX, (i / NX) % NY, i / plane };
		for (int z = far[2] - 6; z <= far[2]; z++)
			for (int y = far[1] - 8; y <= far[1]; y++)
				for (int x = far[0] - 8; x <= far[0]; x++)
					if (x >= 0 && y >= 0 && z >= 0) p[x + NX * (y + NY * z)] = PhantomGenerator.LIVER;
		Files.write(dir.resolve("truth.raw"), t);
		Files.write(dir.resolve("pred.raw"), p);
		final double[] s = truth.spacing();
		Files.writeString(dir.resolve("spec.json"), String.format(Locale.ROOT,
			"{\"dims\": [%d, %d, %d], \"spacing\": [%s, %s, %s], \"pred\": \"%s\", \"truth\": \"%s\", " +
				"\"classes\": [1, 2, 3, 4, 5, 6, 7, 8]}%n", NX, NY, NZ, Double.toString(s[0]), Double
					.toString(s[1]), Double.toString(s[2]), dir.resolve("pred.raw"), dir.resolve(
						"truth.raw")));
	}

	private static void shift(final byte[] t, final byte[] p, final int label, final int dx,
		final int dy, final int dz)
	{
		for (int z = 0; z < NZ; z++)
			for (int y = 0; y < NY; y++)
				for (int x = 0; x < NX; x++) {
					if (t[x + NX * (y + NY * z)] != label) continue;
					final int a = x + dx, b = y + dy, c = z + dz;
					if (a >= 0 && b >= 0 && c >= 0 && a < NX && b < NY && c < NZ) p[a + NX * (b + NY * c)] =
						(byte) label;
				}
	}

	static void serve(final Path dir, final int threads, final Path out) throws Exception {
		final String spec = Files.readString(dir.resolve("spec.json"));
		final String sp = spec.substring(spec.indexOf("\"spacing\": [") + 12);
		final String[] parts = sp.substring(0, sp.indexOf(']')).split(",");
		final double[] s = { Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1]
			.trim()), Double.parseDouble(parts[2].trim()) };
		final Volume truth = volume(Files.readAllBytes(dir.resolve("truth.raw")), s);
		final Volume pred = volume(Files.readAllBytes(dir.resolve("pred.raw")), s).withClasses(null);
		final MetricOptions opts = MetricOptions.defaults().withThreads(threads);
		CaseMetrics m = null;
		for (int k = 0; k < 2; k++) // warm the JIT
			m = SegmentationMetrics.evaluate("bench", pred, truth, opts);
		final String values = values(m);
		Files.writeString(out, values + "\n");
		System.out.printf(Locale.ROOT, "{\"ready\": true, \"threads\": %d}%n", threads > 0 ? threads
			: Runtime.getRuntime().availableProcessors());
		System.out.flush();
		final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory
			.getOperatingSystemMXBean();
		final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in,
			StandardCharsets.UTF_8));
		for (String line; (line = stdin.readLine()) != null && !line.isBlank();) {
			final String[] w = line.trim().split("\\s+");
			if (!w[0].equals("evaluate")) throw new IllegalArgumentException("unknown task " + w[0]);
			final int n = Integer.parseInt(w[1]);
			final StringBuilder sb = new StringBuilder("{\"s\": [");
			final long c0 = os.getProcessCpuTime();
			for (int k = 0; k < n; k++) {
				final long t0 = System.nanoTime();
				m = SegmentationMetrics.evaluate("bench", pred, truth, opts);
				sb.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6f", (System
					.nanoTime() - t0) / 1e9));
			}
			if (!values(m).equals(values)) throw new IllegalStateException("values changed between runs");
			System.out.println(sb.append(String.format(Locale.ROOT, "], \"cpu_s\": %.6f}", (os
				.getProcessCpuTime() - c0) / 1e9)));
			System.out.flush();
		}
	}

	/** The per-class values as JSON: {"classes": {"1": {...}, ...}}. */
	private static String values(final CaseMetrics m) {
		final StringBuilder sb = new StringBuilder("{\"classes\": {");
		for (int i = 0; i < m.classes().size(); i++) {
			final ClassMetrics c = m.classes().get(i);
			sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT,
				"\"%d\": {\"name\": \"%s\", \"status\": \"%s\", \"dice\": %s, \"jaccard\": %s, " +
					"\"hd\": %s, \"hd95\": %s, \"assd\": %s, \"pred\": %d, \"truth\": %d}", c.classIndex(), c
						.className(), c.status(), json(c.dice()), json(c.jaccard()), json(c.hd()), json(c
							.hd95()), json(c.assd()), c.predVoxels(), c.truthVoxels()));
		}
		return sb.append("}}").toString();
	}

	private static Volume volume(final byte[] b, final double[] s) {
		return new Volume(ArrayImgs.unsignedBytes(b, NX, NY, NZ), s, new double[3], Volume
			.identity(), ClassTable.abdomen(), VoxelType.UINT8);
	}

	private static String json(final double v) {
		return Double.isNaN(v) ? "NaN" : Double.toString(v);
	}
}
