import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.train.Optimiser;

/**
 * VoxelSeg's side of scripts/bench/train.sh: the seed's 3D U-Net (NetworkConfig.unet(1, 9)), one
 * training step as Trainer takes it (scoped forward, soft Dice, backward, Adam) or one
 * inference pass, timed. Usage: train|infer BATCH STEPS [X Y Z] [none|siamese|contrastive]; threads
 * from -Dvoxelseg.threads. With a representation, the training step adds seed 000's voxel-level
 * loss on the three deepest encoder maps (|F| = 3, λ 10, heads of width 64) as the trainer does.
 * Prints JSON like train_peer.py.
 */
public class TrainBench {

	public static void main(final String[] a) throws Exception {
		final String mode = a[0];
		final int batch = Integer.parseInt(a[1]), steps = Integer.parseInt(a[2]);
		final int nx = a.length > 5 ? Integer.parseInt(a[3]) : 128, ny = a.length > 5 ? Integer.parseInt(a[4]) : 128,
			nz = a.length > 5 ? Integer.parseInt(a[5]) : 64;
		final String representation = a.length > 6 ? a[6] : "none";
		TorchEngine.engine();
		TorchEngine.seed(0);
		final NetworkConfig cfg = NetworkConfig.unet(1, 9);
		final SegmentationNetwork net = cfg.build();
		final List<Double> times = new ArrayList<>();
		try (NDManager root = NDManager.newBaseManager()) {
			net.initialize(root, DataType.FLOAT32, new Shape(batch, 1, nz, ny, nx));
			final ParameterStore ps = new ParameterStore(root, false);
			final NDArray x = root.randomUniform(0, 1, new Shape(batch, 1, nz, ny, nx));
			final NDArray y = root.randomInteger(0, 9, new Shape(batch, nz, ny, nx), DataType.INT64);
			final List<Parameter> params = new ArrayList<>();
			for (final Pair<String, Parameter> p : net.getParameters()) params.add(p.getValue());
			final sc.fiji.voxelseg.train.TrainingSettings ts = new sc.fiji.voxelseg.train.TrainingSettings().representation(
				sc.fiji.voxelseg.train.Representation.valueOf(representation.toUpperCase(java.util.Locale.ROOT)));
			final sc.fiji.voxelseg.train.RepresentationObjective obj = representation.equals("none") ? null
				: sc.fiji.voxelseg.train.RepresentationObjective.of(ts, net);
			if (obj != null) params.addAll(obj.parameters(root));
			final Optimiser opt = Optimiser.adam(1e-5f, root);
			TorchEngine.setGradMode(false);
			for (int s = 0; s <= steps; s++) {
				final long t = System.nanoTime();
				if (mode.equals("train")) {
					try (NDScope scope = new NDScope()) {
						scope.suppressNotUsedWarning();
						try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
							final NDList out = net.forward(ps, new NDList(x), true);
							final NDArray loss = obj == null ? SegmentationLoss.DICE.compute(out.get(0), y) : obj.loss(ps, out, y, s);
							out.close();
							gc.backward(loss);
						}
					}
					opt.step(params, 1e-3f);
				}
				else {
					try (NDScope scope = new NDScope()) {
						scope.suppressNotUsedWarning();
						net.forward(ps, new NDList(x), false).get(0).sum().getFloat();
					}
				}
				if (s > 0) times.add((System.nanoTime() - t) / 1e9);
			}
		}
		Collections.sort(times);
		final double median = times.size() % 2 == 1 ? times.get(times.size() / 2) : (times.get(times.size() / 2 - 1) + times.get(
			times.size() / 2)) / 2;
		double mean = 0;
		for (final double t : times) mean += t;
		mean /= times.size();
		long hwm = -1;
		for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith("VmHWM:")) hwm = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
		}
		System.out.printf(java.util.Locale.ROOT, "{\"median_s\": %.4f, \"mean_s\": %.4f, \"peak_rss\": %d, \"params\": %d, \"engine\": \"%s\", \"threads\": %d}%n",
			median, mean, hwm, net.parameterCount(), TorchEngine.engine().getVersion(), TorchEngine.threads());
	}
}
