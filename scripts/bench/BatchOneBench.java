import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
import sc.fiji.voxelseg.nn.Conv3dBlock;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.train.Optimiser;

/**
 * A batch of one on the CPU: the training step (forward, Dice + CE, backward, Adam) and the
 * inference pass of a U-Net of base width W at X×Y×Z, batch 1 with the half-volume split
 * (Conv3dBlock.splitDepth), batch 1 without it (-Dvoxelseg.splitBatchOne=false), and batch 2 for
 * scale, in one process, the variants taking turns round by round. Prints the medians and the
 * ratios. Usage: [W X Y Z ROUNDS STEPS], default 8 64 64 32 3 5.
 */
public class BatchOneBench {

	public static void main(final String[] a) throws Exception {
		final int w = arg(a, 0, 8), nx = arg(a, 1, 64), ny = arg(a, 2, 64), nz = arg(a, 3, 32), rounds = arg(a, 4, 3), steps = arg(a, 5, 5);
		TorchEngine.engine();
		final String[] variants = { "batch 1, split", "batch 1, unsplit", "batch 2" };
		final List<List<Double>> train = new ArrayList<>(), infer = new ArrayList<>();
		for (int v = 0; v < variants.length; v++) {
			train.add(new ArrayList<>());
			infer.add(new ArrayList<>());
		}
		for (int r = 0; r < rounds; r++) {
			for (int v = 0; v < variants.length; v++) {
				System.setProperty(Conv3dBlock.SPLIT_BATCH_ONE, v == 1 ? "false" : "true");
				final double[] t = run(w, v == 2 ? 2 : 1, nx, ny, nz, steps);
				train.get(v).add(t[0]);
				infer.get(v).add(t[1]);
			}
		}
		System.out.printf(Locale.ROOT, "U-Net, base width %d, %dx%dx%d, %s; medians of %d rounds of %d steps%n", w, nx, ny, nz, TorchEngine.describe(
			ai.djl.Device.cpu()), rounds, steps);
		System.out.printf(Locale.ROOT, "%-18s %14s %14s %16s %16s%n", "variant", "train s/step", "infer s/pass", "train vs split", "infer vs split");
		for (int v = 0; v < variants.length; v++) {
			final double tr = median(train.get(v)), in = median(infer.get(v));
			System.out.printf(Locale.ROOT, "%-18s %14.3f %14.3f %15.2fx %15.2fx%n", variants[v], tr, in, tr / median(train.get(0)), in / median(
				infer.get(0)));
		}
	}

	/** Seconds per training step and per inference pass (median over the steps after one warm-up). */
	static double[] run(final int w, final int batch, final int nx, final int ny, final int nz, final int steps) {
		TorchEngine.seed(0);
		final NetworkConfig cfg = NetworkConfig.unet(1, 9).withBaseWidth(w);
		final SegmentationNetwork net = cfg.build();
		try (NDManager root = NDManager.newBaseManager()) {
			net.initialize(root, DataType.FLOAT32, new Shape(batch, 1, nz, ny, nx));
			final ParameterStore ps = new ParameterStore(root, false);
			final NDArray x = root.randomUniform(0, 1, new Shape(batch, 1, nz, ny, nx));
			final NDArray y = root.randomInteger(0, 9, new Shape(batch, nz, ny, nx), DataType.INT64);
			final List<Parameter> params = new ArrayList<>();
			for (final Pair<String, Parameter> p : net.getParameters()) params.add(p.getValue());
			final Optimiser opt = Optimiser.adam(1e-5f, root);
			TorchEngine.setGradMode(false);
			final List<Double> tt = new ArrayList<>(), ti = new ArrayList<>();
			for (int s = 0; s <= steps; s++) {
				long t = System.nanoTime();
				try (NDScope scope = new NDScope()) {
					scope.suppressNotUsedWarning();
					try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
						final NDList out = net.forward(ps, new NDList(x), true);
						final NDArray loss = SegmentationLoss.DICE_CE.compute(out.get(0), y);
						out.close();
						gc.backward(loss);
					}
				}
				opt.step(params, 1e-3f);
				if (s > 0) tt.add((System.nanoTime() - t) / 1e9);
				t = System.nanoTime();
				try (NDScope scope = new NDScope()) {
					scope.suppressNotUsedWarning();
					net.forward(ps, new NDList(x), false).get(0).sum().getFloat();
				}
				if (s > 0) ti.add((System.nanoTime() - t) / 1e9);
			}
			return new double[] { median(tt), median(ti) };
		}
	}

	static double median(final List<Double> v) {
		final List<Double> s = new ArrayList<>(v);
		java.util.Collections.sort(s);
		final int n = s.size();
		return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
	}

	private static int arg(final String[] a, final int i, final int d) {
		return a.length > i ? Integer.parseInt(a[i]) : d;
	}
}
