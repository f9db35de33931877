import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

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
 * 512×512×200 int16 CT-like test volume (or takes an existing file); {@code run IN.nii.gz OUT.raw
 * REPEATS} times reading and the soft-tissue window + trilinear resample to 128×128×64, prints JSON
 * and writes the result for the peer to compare.
 */
public class PreprocessBench {

	public static void main(final String[] args) throws Exception {
		if (args[0].equals("make")) make(Path.of(args[1]));
		else run(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
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

	static void run(final Path in, final Path out, final int reps) throws Exception {
		double read = Double.MAX_VALUE, pre = Double.MAX_VALUE;
		Volume v = null, r = null;
		for (int k = 0; k < reps; k++) {
			long t0 = System.nanoTime();
			v = NiftiIO.read(in);
			read = Math.min(read, (System.nanoTime() - t0) / 1e9);
		}
		final Grid g = Resampler.shapeGrid(Grid.of(v), new long[] { 128, 128, 64 });
		for (int k = 0; k < reps + 2; k++) { // two extra runs warm the JIT
			final long t0 = System.nanoTime();
			r = Resampler.resample(v, g, Interpolation.LINEAR, 0, HuWindow.SOFT_TISSUE);
			if (k >= 2) pre = Math.min(pre, (System.nanoTime() - t0) / 1e9);
		}
		final float[] f = Voxels.floats(r.image());
		final ByteBuffer bb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		bb.asFloatBuffer().put(f);
		Files.write(out, bb.array());
		System.out.printf(java.util.Locale.ROOT,
			"{\"read_s\": %.4f, \"preprocess_s\": %.4f, \"threads\": %d}%n", read, pre, Runtime
				.getRuntime().availableProcessors());
	}
}
