import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.train.CaseData;
import sc.fiji.voxelseg.train.PretrainSettings;
import sc.fiji.voxelseg.train.Pretrainer;
import sc.fiji.voxelseg.train.Trainer;
import sc.fiji.voxelseg.train.TrainingHistory;
import sc.fiji.voxelseg.train.TrainingSettings;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.util.Progress;

/**
 * VoxelSeg's side of scripts/bench/pretrain.sh: self-supervised pretraining steps as the trainer
 * takes them (Pretrainer: FPN forward on the views, pyramid vectors of the paired voxels, projection
 * MLP, symmetric InfoNCE, restorative MSE, backward, gradient clipping at 1, Adam), on random
 * volumes, the time of each step from the run's history (batch preparation runs ahead on its own
 * thread and is not counted, as the peer's random tensors are not). Usage: STEPS LEVELS WIDTH CX CY CZ
 * PAIRS VOXELS; threads from -Dvoxelseg.threads. Prints JSON like pretrain_peer.py.
 */
public class PretrainBench {

	public static void main(final String[] a) throws Exception {
		final int steps = Integer.parseInt(a[0]), levels = Integer.parseInt(a[1]), width = Integer.parseInt(a[2]);
		final int[] crop = { Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(a[5]) };
		final int pairs = Integer.parseInt(a[6]), voxels = Integer.parseInt(a[7]);
		final List<CaseData> images = new ArrayList<>();
		final SplittableRandom r = new SplittableRandom(1);
		for (int i = 0; i < 2; i++) {
			final int nx = 2 * crop[0], ny = 2 * crop[1], nz = 2 * crop[2];
			final float[] f = new float[nx * ny * nz];
			for (int k = 0; k < f.length; k++) f[k] = (float) r.nextDouble();
			images.add(new CaseData("random" + i, f, new byte[f.length], nx, ny, nz));
		}
		final TrainingSettings s = PretrainSettings.defaults().levels(levels).baseWidth(width).iterations(steps + 1).checkpointEvery(
			1_000_000).seed(0);
		s.pretraining.crop = crop;
		s.pretraining.pairs = pairs;
		s.pretraining.voxels = voxels;
		final Path out = Files.createTempDirectory("voxelseg-pretrain-bench");
		// the trainer's pre-flight estimate, from its start-of-training status line
		final long[] estimate = { -1 };
		final Progress status = m -> {
			final java.util.regex.Matcher x = java.util.regex.Pattern.compile("about (\\d+) MiB needed").matcher(m);
			if (x.find()) estimate[0] = Long.parseLong(x.group(1)) << 20;
		};
		final Trainer.Result res = new Pretrainer(images, new PreprocessingPlan(List.of()), s, out.resolve("p.zip"), status).train();
		final List<Double> times = new ArrayList<>();
		for (final TrainingHistory.StepRecord rec : res.history().steps()) if (rec.step() > 0) times.add(rec.seconds());
		Collections.sort(times);
		final double median = times.size() % 2 == 1 ? times.get(times.size() / 2) : (times.get(times.size() / 2 - 1) + times.get(
			times.size() / 2)) / 2;
		long hwm = -1;
		for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith("VmHWM:")) hwm = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
		}
		System.out.printf(java.util.Locale.ROOT, "{\"median_s\": %.4f, \"peak_rss\": %d, \"estimate\": %d, \"loss\": %.4f, \"engine\": \"%s\", \"threads\": %d}%n",
			median, hwm, estimate[0], res.history().steps().get(res.history().steps().size() - 1).loss(), TorchEngine.engine().getVersion(), TorchEngine
				.threads());
	}
}
