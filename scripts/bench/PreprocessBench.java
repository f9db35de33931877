import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

import com.sun.management.OperatingSystemMXBean;

import net.imglib2.img.array.ArrayImgs;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.preprocess.Grid;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.Interpolation;
import sc.fiji.voxelseg.preprocess.Resampler;

/**
 * VoxelSeg's side of scripts/bench/preprocess.sh. Subcommands: {@code make OUT.nii.gz} writes the
 * 512×512×200 int16 CT-like test volume (or takes an existing file); {@code serve IN.nii.gz OUT.raw}
 * is a worker: it reads IN.nii.gz, warms the JIT (two reads, then the soft-tissue window +
 * trilinear resample to 128×128×64 at least 30 times and for at least 2 s), writes the result for
 * the peer to compare, prints one JSON line {@code {"ready": ...}}, then answers each stdin line
 * {@code TASK N} ({@code read} or {@code preprocess}) with one JSON line {@code {"s": [...],
 * "cpu_s": ...}}: the wall seconds of N back-to-back runs and the process CPU seconds of all N
 * (JVM threads included). An empty line or the end of input ends it.
 * <p>
 * Preprocessing splits its work over z slices with parallel streams on Java's common fork-join
 * pool, so its thread count is the caller plus that pool's workers: start the JVM with
 * {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=0} for one thread (the caller
 * alone), or leave it at its default (processors - 1 workers) for all processors. Reading uses one
 * thread either way.
 */
public class PreprocessBench {

	public static void main(final String[] args) throws Exception {
		if (args[0].equals("make")) make(Path.of(args[1]));
		else serve(Path.of(args[1]), Path.of(args[2]));
	}

	static void make(final Path out) throws Exception {
		final int w = 512, h = 512, d = 200;
		final short[] s = new short[w * h * d];
		final Random r = new Random(42);
		int i = 0;
		for (int z = 0; z < d; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++, i++) {
					final double dx = (x - 256) / 230.0, dy = (y - 256) / 170.0;
					double hu = dx * dx + dy * dy < 1 ? 40 + 30 * Math.sin(x / 17.0) * Math.cos(y / 23.0 + z /
						11.0) : -1000;
					final double lx = (x - 200) / 70.0, ly = (y - 230) / 60.0;
					if (lx * lx + ly * ly < 1) hu = 60;
					s[i] = (short) Math.round(hu + r.nextGaussian() * 15);
				}
		final Volume v = new Volume(ArrayImgs.shorts(s, w, h, d), new double[] { 0.78, 0.78, 2.5 },
			new double[] { -200, -200, -250 }, new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, null,
			VoxelType.INT16);
		NiftiIO.write(v, out);
	}

	static void serve(final Path in, final Path out) throws Exception {
		NiftiIO.read(in); // warm the JIT: two reads, and resampling 30 times and for at least 2 s
		final Volume v = NiftiIO.read(in);
		final Grid g = Resampler.shapeGrid(Grid.of(v), new long[] { 128, 128, 64 });
		Volume r = null;
		final long warm = System.nanoTime() + 2_000_000_000L;
		for (int k = 0; k < 30 || System.nanoTime() < warm; k++)
			r = Resampler.resample(v, g, Interpolation.LINEAR, 0, HuWindow.SOFT_TISSUE);
		final float[] f = Voxels.floats(r.image());
		final ByteBuffer bb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		bb.asFloatBuffer().put(f);
		Files.write(out, bb.array());
		final int pool = ForkJoinPool.getCommonPoolParallelism();
		final String prop = System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism");
		// parallelism 0 leaves the common pool without workers (parallel streams run on the caller);
		// getCommonPoolParallelism() still reports 1 then
		final int threads = "0".equals(prop) ? 1 : pool + 1;
		System.out.printf(Locale.ROOT, "{\"ready\": true, \"threads\": %d, \"processors\": %d}%n",
			threads, Runtime.getRuntime().availableProcessors());
		System.out.flush();
		final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory
			.getOperatingSystemMXBean();
		final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in,
			StandardCharsets.UTF_8));
		for (String line; (line = stdin.readLine()) != null && !line.isBlank();) {
			final String[] w = line.trim().split("\\s+");
			final int n = Integer.parseInt(w[1]);
			final StringBuilder s = new StringBuilder("{\"s\": [");
			final long c0 = os.getProcessCpuTime();
			for (int k = 0; k < n; k++) {
				final long t0 = System.nanoTime();
				final Volume x = switch (w[0]) {
					case "read" -> NiftiIO.read(in);
					case "preprocess" -> Resampler.resample(v, g, Interpolation.LINEAR, 0,
						HuWindow.SOFT_TISSUE);
					default -> throw new IllegalArgumentException("unknown task " + w[0]);
				};
				final long t1 = System.nanoTime();
				if (x == null) throw new IllegalStateException();
				s.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6f", (t1 - t0) / 1e9));
			}
			s.append(String.format(Locale.ROOT, "], \"cpu_s\": %.6f}", (os.getProcessCpuTime() - c0) / 1e9));
			System.out.println(s);
			System.out.flush();
		}
	}
}
