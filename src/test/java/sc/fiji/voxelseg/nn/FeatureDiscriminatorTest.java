package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.loss.SemiSupervisedLoss;

/** The voxel-wise feature discriminator: fused map shape, and one prediction branch per class. */
class FeatureDiscriminatorTest {

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	/** Encoder maps of 3 depths (deepest first) fuse to N × width on the finest grid. */
	@Test
	void fusesMapsOnTheFinestGrid() {
		try (NDManager m = NDManager.newBaseManager()) {
			final FeatureDiscriminator d = new FeatureDiscriminator(new int[] { 32, 16, 8 }, 12, 10, 3);
			d.initialize(m, DataType.FLOAT32, new Shape(1, 8, 4, 4, 4));
			final ParameterStore ps = new ParameterStore(m, false);
			final NDArray f = d.fuse(ps, List.of(m.randomNormal(new Shape(2, 32, 1, 2, 2)), m.randomNormal(new Shape(2, 16, 2, 4, 4)), m
				.randomNormal(new Shape(2, 8, 4, 8, 8))), false);
			assertEquals(new Shape(2, 12, 4, 8, 8), f.getShape());
			assertEquals(new Shape(2, 12, 4, 8, 8), d.getOutputShapes(new Shape[] { new Shape(2, 32, 1, 2, 2), new Shape(2, 16, 2, 4, 4),
				new Shape(2, 8, 4, 8, 8) })[0]);
		}
	}

	/**
	 * Oracle: the whole fused map, then the sampled voxels gathered from it. Evaluating the fusion
	 * only at sampled voxels gives the same vectors (and the same gradient for an input map), on
	 * the finest grid itself and on a grid twice as fine, including voxels on the borders (where
	 * the 3×3×3 convolution reads its zero padding) and voxels that share cells.
	 */
	@Test
	void fusionAtSampledVoxelsEqualsTheWholeMap() {
		try (NDManager m = NDManager.newBaseManager()) {
			final FeatureDiscriminator d = new FeatureDiscriminator(new int[] { 7, 5, 3 }, 6, 5, 2);
			d.initialize(m, DataType.FLOAT32, new Shape(1, 3, 4, 6, 8));
			final ParameterStore ps = new ParameterStore(m, false);
			final java.util.Random r = new java.util.Random(2);
			for (final int[] to : new int[][] { { 4, 6, 8 }, { 8, 12, 16 } }) {
				final NDArray a = m.randomNormal(new Shape(2, 7, 1, 2, 2)), b = m.randomNormal(new Shape(2, 5, 2, 3, 4)), c = m
					.randomNormal(new Shape(2, 3, 4, 6, 8));
				final int tv = to[0] * to[1] * to[2];
				final int[] index = new int[40];
				for (int i = 0; i < index.length; i++) index[i] = r.nextInt(2 * tv);
				index[0] = 0;
				index[1] = 2 * tv - 1;
				// a voxel sampled twice, and its neighbour along x (they share corner cells)
				index[3] = index[2];
				index[4] = index[2] % to[2] < to[2] - 1 ? index[2] + 1 : index[2] - 1;
				final float[][] grads = new float[2][];
				final float[][] values = new float[2][];
				for (int way = 0; way < 2; way++) {
					final NDArray aw = a.duplicate(), bw = b.duplicate(), cw = c.duplicate();
					aw.setRequiresGradient(true);
					bw.setRequiresGradient(true);
					cw.setRequiresGradient(true);
					for (final ai.djl.util.Pair<String, ai.djl.nn.Parameter> q : d.getParameters()) q.getValue().getArray().setRequiresGradient(true);
					try (ai.djl.training.GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
						final List<NDArray> maps = List.of(aw, bw, cw);
						final NDArray v = way == 0 ? sc.fiji.voxelseg.loss.VoxelFeatures.gatherUpsampled(d.fuse(ps, maps, true), index, to) : d
							.fuseAt(ps, maps, index, to, true);
						assertEquals(new Shape(index.length, 6), v.getShape());
						values[way] = v.toFloatArray();
						gc.backward(v.square().sum());
					}
					final List<Float> g = new java.util.ArrayList<>();
					for (final NDArray x : List.of(aw, bw, cw)) for (final float q : x.getGradient().toFloatArray()) g.add(q);
					for (final ai.djl.util.Pair<String, ai.djl.nn.Parameter> q : d.getParameters()) {
						if (q.getKey().startsWith("in") || q.getKey().startsWith("fuse")) {
							for (final float z : q.getValue().getArray().getGradient().toFloatArray()) g.add(z);
						}
					}
					grads[way] = new float[g.size()];
					for (int i = 0; i < g.size(); i++) grads[way][i] = g.get(i);
				}
				assertEquals(new Shape(0, 6), d.fuseAt(ps, List.of(a, b, c), new int[0], to, false).getShape(), "no voxel, no row");
				for (int i = 0; i < values[0].length; i++) assertEquals(values[0][i], values[1][i], 1e-5 * Math.max(1, Math.abs(values[0][i])),
					java.util.Arrays.toString(to) + " value " + i);
				for (int i = 0; i < grads[0].length; i++) assertEquals(grads[0][i], grads[1][i], 1e-4 * Math.max(1, Math.abs(grads[0][i])),
					java.util.Arrays.toString(to) + " gradient " + i);
			}
		}
	}

	/**
	 * Oracle: the definition of a per-class branch. Rows of classes 0 and 1 only (K = 3): branch 2
	 * gets exactly zero gradient, and branch 0's gradient equals the one from the class-0 rows alone
	 * (the class-1 rows add nothing to it); a row's logit equals its own branch applied alone.
	 */
	@Test
	void eachBranchSeesOnlyItsClass() {
		try (NDManager m = NDManager.newBaseManager()) {
			final FeatureDiscriminator d = new FeatureDiscriminator(new int[] { 4 }, 6, 5, 3);
			d.initialize(m, DataType.FLOAT32, new Shape(1, 4, 2, 2, 2));
			final ParameterStore ps = new ParameterStore(m, false);
			final NDArray rows = m.randomNormal(new Shape(5, 6));
			final int[] labels = { 0, 1, 1, 0, 1 };
			final float[] all0 = branchGradient(d, ps, rows, labels, 0, true);
			final float[] all1 = branchGradient(d, ps, rows, labels, 1, false);
			final float[] all2 = branchGradient(d, ps, rows, labels, 2, false);
			assertArrayEquals(new float[all2.length], all2, "no class-2 row: branch 2 gets no gradient");
			assertNotEquals(0f, all1[0]);
			final NDArray only0 = rows.get("{}", m.create(new long[] { 0, 3 }));
			final float[] sub0 = branchGradient(d, ps, only0, new int[] { 0, 0 }, 0, true);
			// the loss is a sum over rows, so branch 0's gradient from all rows equals that from its rows alone
			assertArrayEquals(sub0, all0, 1e-6f);
			// a row's logit is its own branch's output
			final NDArray logits = d.classify(ps, rows, labels, false);
			final NDArray alone = d.classify(ps, rows.get("1:2"), new int[] { 1 }, false);
			assertEquals(alone.toFloatArray()[0], logits.toFloatArray()[1], 1e-6);
		}
	}

	/** The gradient of the branch's weight for loss = sum of the logits (a plain sum, so rows add up). */
	private static float[] branchGradient(final FeatureDiscriminator d, final ParameterStore ps, final NDArray rows, final int[] labels,
		final int branch, final boolean check)
	{
		for (final Pair<String, Parameter> p : d.getParameters()) {
			if (p.getValue().getArray().hasGradient()) p.getValue().getArray().getGradient().muli(0);
		}
		try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
			final NDArray l = d.classify(ps, rows, labels, true).sum();
			gc.backward(l);
		}
		final Parameter w = d.branch(branch).getParameters().get("weight");
		final float[] g = w.getArray().getGradient().toFloatArray();
		if (check) assertNotEquals(0f, g[0], "a branch with rows gets gradient");
		return g;
	}

	/** The discriminator's loss decreases under its own Adam on separable rows (a sanity check). */
	@Test
	void discriminatorLossIsDifferentiable() {
		try (NDManager m = NDManager.newBaseManager()) {
			final FeatureDiscriminator d = new FeatureDiscriminator(new int[] { 4 }, 6, 5, 2);
			d.initialize(m, DataType.FLOAT32, new Shape(1, 4, 2, 2, 2));
			final ParameterStore ps = new ParameterStore(m, false);
			final NDArray maps = m.randomNormal(new Shape(2, 4, 2, 2, 2));
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray f = d.fuse(ps, List.of(maps), true);
				final NDArray rows = f.transpose(0, 2, 3, 4, 1).reshape(16, 6);
				final int[] labels = new int[16];
				final NDArray logits = d.classify(ps, rows, labels, true);
				final NDArray loss = SemiSupervisedLoss.discriminator(logits.get("0:8"), logits.get("8:"));
				gc.backward(loss);
			}
			for (final Pair<String, Parameter> p : d.getParameters()) {
				if (p.getKey().contains("branch1")) continue; // no row of class 1
				assertNotEquals(0f, p.getValue().getArray().getGradient().abs().sum().getFloat(), p.getKey());
			}
		}
	}
}
