import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.PatchSettings;
import sc.fiji.voxelseg.train.PatchTrainer;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingHistory;
import sc.fiji.voxelseg.train.TrainingSettings;
import sc.fiji.voxelseg.util.Progress;

/**
 * VoxelSeg's side of scripts/bench/agcl.sh: contrastive pretraining steps of seed 002 (AGCL) as the
 * trainer takes them (PatchTrainer: the U-Net encoder on 2B views of B two-channel organ patches,
 * global average pooling, projection MLP to 256, SupCon with (organ, condition) labels, backward,
 * Adam), on random volumes with eight box organs and four condition tags; the time of each step from
 * the run's history (patches and views are cut ahead on the batch loader's thread and not counted,
 * as the peer's random tensors are not). Usage: STEPS LEVELS WIDTH PX PY PZ PATCHES; threads from
 * -Dvoxelseg.threads. Prints JSON like agcl_peer.py.
 */
public class AgclBench {

	public static void main(final String[] a) throws Exception {
		final int steps = Integer.parseInt(a[0]), levels = Integer.parseInt(a[1]), width = Integer.parseInt(a[2]);
		final int[] patch = { Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(a[5]) };
		final int patches = Integer.parseInt(a[6]);
		final List<TrainingData.Pair> cases = new ArrayList<>();
		final Map<String, byte[]> attention = new HashMap<>();
		final Map<String, String> phases = new HashMap<>();
		final SplittableRandom r = new SplittableRandom(1);
		final int nx = 2 * patch[0], ny = 2 * patch[1], nz = 2 * patch[2];
		for (int i = 0; i < 4; i++) {
			final float[] f = new float[nx * ny * nz];
			for (int k = 0; k < f.length; k++) f[k] = (float) r.nextDouble();
			// eight organs: boxes in a 4 × 2 grid
			final byte[] l = new byte[f.length];
			for (int z = nz / 4; z < 3 * nz / 4; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) {
				l[(z * ny + y) * nx + x] = (byte) (1 + x * 4 / nx + 4 * (y * 2 / ny));
			}
			final float[] lf = new float[l.length];
			for (int k = 0; k < l.length; k++) lf[k] = l[k];
			final long[] dims = { nx, ny, nz };
			final double[] spacing = { 1, 1, 1 }, origin = { 0, 0, 0 }, direction = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
			cases.add(new TrainingData.Pair("random" + i, Volume.ofFloats(f, dims, spacing, origin, direction), Volume.ofFloats(lf, dims,
				spacing, origin, direction)));
			attention.put("random" + i, l);
			phases.put("random" + i, "phase" + i);
		}
		final List<String> organs = new ArrayList<>();
		for (int k = 1; k <= 8; k++) organs.add("organ" + k);
		final TrainingData data = TrainingData.of(cases, ClassTable.of(organs), new PreprocessingPlan(List.of()), Progress.NONE);
		final TrainingSettings s = PatchSettings.pretrainingDefaults(PatchSettings.Method.AGCL).levels(levels).baseWidth(width).iterations(
			steps + 1).checkpointEvery(1_000_000).validationFraction(0).batchSize(patches).seed(0);
		s.patches.patch = patch;
		s.patches.conditions = phases;
		final Path out = Files.createTempDirectory("voxelseg-agcl-bench");
		final Trainer.Result res = new PatchTrainer(data, attention, s, out.resolve("p.zip"), Progress.NONE).train();
		final List<Double> times = new ArrayList<>();
		for (final TrainingHistory.StepRecord rec : res.history().steps()) if (rec.step() > 0) times.add(rec.seconds());
		Collections.sort(times);
		final double median = times.size() % 2 == 1 ? times.get(times.size() / 2) : (times.get(times.size() / 2 - 1) + times.get(
			times.size() / 2)) / 2;
		long hwm = -1;
		for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith("VmHWM:")) hwm = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
		}
		System.out.printf(java.util.Locale.ROOT, "{\"median_s\": %.4f, \"peak_rss\": %d, \"loss\": %.4f, \"engine\": \"%s\", \"threads\": %d}%n",
			median, hwm, res.history().steps().get(res.history().steps().size() - 1).loss(), TorchEngine.engine().getVersion(), TorchEngine
				.threads());
	}
}
