package sc.fiji.voxelseg.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.Conv3dBlock;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.testutil.Python;
import sc.fiji.voxelseg.util.Progress;

/**
 * The predictor against independent computations.
 * <ul>
 * <li>End to end against {@code scripts/bench/segment_peer.py} (nibabel reads, numpy windows,
 * {@code scipy.ndimage.zoom} resamples, the U-Net in Debian's python3-torch with the bundle's
 * weights, {@code F.interpolate} brings the probabilities back, arg-max, nibabel writes) on a
 * phantom CT: the label maps must be equal except at float ties.</li>
 * <li>Sliding windows against the whole volume, with a model that looks at its neighbours (one
 * 3×3×3 convolution): equal wherever every window covering a voxel holds its neighbourhood; and
 * everywhere equal to the Gaussian blend of the per-window softmax written here from the
 * javadoc (σ = window/8, maximum 1, floor 1e-3, weights normalised per voxel).</li>
 * <li>Mirroring with a model that is not mirror-symmetric: the mean of the 8 flipped predictions
 * flipped back, computed here.</li>
 * </ul>
 */
class PredictorOracleTest {

	@TempDir
	static Path tmp;

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	@Test
	void endToEndMatchesAnIndependentPipeline() throws Exception {
		final Volume ct = new PhantomGenerator(PhantomConfig.ofGrid(1, 11, 64)).generate(0).image();
		final Path ctFile = tmp.resolve("ct.nii.gz"), bundle = tmp.resolve("model"), prefix = tmp.resolve("weights");
		NiftiIO.write(ct, ctFile);
		final int[] grid = { 32, 32, 16 };
		final PreprocessingPlan plan = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ResampleToShape(
			new long[] { grid[0], grid[1], grid[2] })));
		final NetworkConfig cfg = new NetworkConfig(Architecture.UNET, 1, 9, 3, 4, 3, Norm.BATCH);
		exportBundle(cfg, plan, grid, NiftiIO.read(ctFile), bundle, prefix);
		final Path ours = tmp.resolve("ours.nii.gz");
		try (Predictor p = Predictor.load(bundle, "cpu")) {
			NiftiIO.write(p.predict(NiftiIO.read(ctFile), PredictOptions.defaults().withMode(PredictOptions.Mode.WHOLE), Progress.NONE)
				.labels(), ours);
		}
		final JsonObject peer = Python.json(Path.of("scripts/bench/segment_peer.py").toAbsolutePath(), ctFile.toString(), prefix.toString(),
			tmp.resolve("peer.nii.gz").toString(), "2", "1", "torch", ours.toString(), "-", "margins").getAsJsonObject();
		final JsonArray counts = peer.getAsJsonArray("label_counts");
		int present = 0;
		for (int c = 0; c < counts.size(); c++) if (counts.get(c).getAsLong() > 0) present++;
		assertTrue(present >= 3, "the network's labels are not trivial: " + counts);
		final long differ = peer.get("differ").getAsLong(), voxels = peer.get("voxels").getAsLong();
		assertEquals(ct.voxelCount(), voxels);
		assertTrue(differ <= voxels / 10000, differ + " of " + voxels + " labels differ: " + peer);
		assertTrue(peer.get("max_margin_at_differences").getAsDouble() < 1e-4, "labels differ beyond float ties: " + peer);
	}

	/**
	 * A U-Net whose batch norm normalises the case as a training-mode pass over it would (so its
	 * labels vary over the volume), saved as a bundle and as flat float32 weights with the
	 * manifest {@code segment_peer.py} reads.
	 */
	private static void exportBundle(final NetworkConfig cfg, final PreprocessingPlan plan, final int[] grid, final Volume ct,
		final Path bundle, final Path prefix) throws Exception
	{
		TorchEngine.seed(3);
		final SegmentationNetwork net = cfg.build();
		try (NDManager m = NDManager.newBaseManager()) {
			net.initialize(m, DataType.FLOAT32, new Shape(1, 1, grid[2], grid[1], grid[0]));
			TorchEngine.setGradMode(false);
			try (NDScope scope = new NDScope()) {
				scope.suppressNotUsedWarning();
				final float[] x = Voxels.floats(plan.apply(ct).image().image());
				net.forward(new ParameterStore(m, false), new NDList(m.create(FloatBuffer.wrap(x), new Shape(1, 1, grid[2], grid[1],
					grid[0]))), true);
			}
			// running = 0.9·(0, 1) + 0.1·batch: solve for the batch statistics
			for (final Pair<String, Parameter> p : net.getParameters()) {
				final NDArray a = p.getValue().getArray();
				if (p.getKey().endsWith("running_mean")) a.set(a.mul(10f).toFloatArray());
				else if (p.getKey().endsWith("running_var")) a.set(a.sub(0.9f).mul(10f).toFloatArray());
			}
			new ModelBundle(cfg, ClassTable.abdomen(), plan, grid, null, ModelBundle.weightsOf(net), null).save(bundle);
			final JsonArray params = new JsonArray();
			try (OutputStream os = Files.newOutputStream(Path.of(prefix + ".f32"))) {
				for (final Pair<String, Parameter> p : net.getParameters()) {
					final float[] f = p.getValue().getArray().toFloatArray();
					final ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
					b.asFloatBuffer().put(f);
					os.write(b.array());
					final JsonObject e = new JsonObject();
					e.addProperty("name", p.getKey());
					final JsonArray shape = new JsonArray();
					for (final long d : p.getValue().getArray().getShape().getShape()) shape.add(d);
					e.add("shape", shape);
					params.add(e);
				}
			}
			final JsonObject manifest = new JsonObject(), config = new JsonObject();
			config.addProperty("levels", cfg.levels());
			config.addProperty("base", cfg.baseWidth());
			config.addProperty("classes", cfg.classes());
			final JsonArray g = new JsonArray();
			for (final int v : grid) g.add(v);
			config.add("grid", g);
			manifest.add("config", config);
			manifest.add("params", params);
			Files.writeString(Path.of(prefix + ".json"), manifest.toString());
		}
	}

	private static final int K = 3;

	/** One 3×3×3 convolution to 3 classes with seeded random weights: it sees each voxel's 26 neighbours. */
	private static final class NeighbourModel implements AutoCloseable {

		final NDManager m = NDManager.newBaseManager();
		final Conv3dBlock conv = Conv3dBlock.same(1, K, 3, true);
		final ParameterStore ps = new ParameterStore(m, false);

		NeighbourModel() {
			TorchEngine.seed(5);
			conv.initialize(m, DataType.FLOAT32, new Shape(1, 1, 4, 4, 4));
			final NDArray w = conv.getParameters().get("weight").getArray();
			w.set(w.mul(3f).toFloatArray());
		}

		NDArray logits(final NDArray x) {
			return conv.forward(ps, new NDList(x), false).head();
		}

		/** Softmax of the window {@code w} at {@code (x0, y0, z0)} of img (zeros outside), K × window voxels. */
		float[] window(final float[] img, final int[] d, final int[] w, final int x0, final int y0, final int z0, final int flips) {
			final float[] buf = new float[w[0] * w[1] * w[2]];
			for (int z = 0; z < w[2]; z++) for (int y = 0; y < w[1]; y++) for (int x = 0; x < w[0]; x++) {
				final int xx = x0 + x, yy = y0 + y, zz = z0 + z;
				if (xx < d[0] && yy < d[1] && zz < d[2]) buf[(z * w[1] + y) * w[0] + x] = img[(zz * d[1] + yy) * d[0] + xx];
			}
			try (NDScope s = new NDScope()) {
				s.suppressNotUsedWarning();
				final NDArray in = m.create(buf, new Shape(1, 1, w[2], w[1], w[0]));
				NDArray sum = null;
				for (int f = 0; f < flips; f++) {
					final int[] axes = axes(f);
					final NDArray x = axes.length == 0 ? in : in.flip(axes);
					NDArray p = logits(x).softmax(1);
					if (axes.length > 0) p = p.flip(axes);
					sum = sum == null ? p : sum.add(p);
				}
				return sum.div((float) flips).toFloatArray();
			}
		}

		private static int[] axes(final int f) {
			final int[] a = new int[Integer.bitCount(f)];
			int n = 0;
			if ((f & 1) != 0) a[n++] = 4;
			if ((f & 2) != 0) a[n++] = 3;
			if ((f & 4) != 0) a[n++] = 2;
			return a;
		}

		@Override
		public void close() {
			m.close();
		}
	}

	private static float[] image(final int[] d) {
		final java.util.Random r = new java.util.Random(9);
		final float[] img = new float[d[0] * d[1] * d[2]];
		for (int i = 0; i < img.length; i++) img[i] = (float) r.nextGaussian();
		return img;
	}

	/** σ = size/8 per axis, centre (size - 1)/2, maximum 1, floor 1e-3: written from the javadoc. */
	private static double gauss(final int[] w, final int x, final int y, final int z) {
		double g = 1, max = 1;
		final int[] i = { x, y, z };
		for (int a = 0; a < 3; a++) {
			final double c = (w[a] - 1) / 2.0, s = w[a] / 8.0;
			g *= Math.exp(-(i[a] - c) * (i[a] - c) / (2 * s * s));
			// the maximum over the window: at the centre, or the two middle voxels of an even size
			final double m = Math.floor(c);
			max *= Math.exp(-(m - c) * (m - c) / (2 * s * s));
		}
		return Math.max(g / max, 1e-3);
	}

	@Test
	void slidingWindowsBlendAsDocumentedAndMatchTheWholeVolume() {
		final int[] d = { 20, 18, 14 }, w = { 12, 10, 8 };
		final float[] img = image(d);
		final int n = d[0] * d[1] * d[2];
		try (NeighbourModel model = new NeighbourModel()) {
			for (final boolean mirror : new boolean[] { false, true }) {
				final SlidingWindow sw = new SlidingWindow(model.m, K, model::logits);
				final float[][] slid = sw.probabilities(img, d, w, 1, 0.5, mirror, Progress.NONE, new int[1]);
				final float[][] whole = sw.probabilities(img, d, null, 1, 0, mirror, Progress.NONE, new int[1]);
				// the blend, independently: nnU-Net's starts, the Gaussian, normalised per voxel
				final int[][] starts = new int[3][];
				for (int a = 0; a < 3; a++) {
					final int count = (int) Math.ceil((d[a] - w[a]) / (w[a] * 0.5)) + 1;
					starts[a] = new int[count];
					for (int i = 0; i < count; i++) starts[a][i] = (int) Math.round((double) i * (d[a] - w[a]) / (count - 1));
				}
				final double[][] acc = new double[K][n];
				final double[] weight = new double[n];
				final boolean[] sameView = new boolean[n];
				java.util.Arrays.fill(sameView, true);
				for (final int z0 : starts[2]) for (final int y0 : starts[1]) for (final int x0 : starts[0]) {
					final float[] p = model.window(img, d, w, x0, y0, z0, mirror ? 8 : 1);
					final int wv = w[0] * w[1] * w[2];
					for (int z = 0; z < w[2]; z++) for (int y = 0; y < w[1]; y++) for (int x = 0; x < w[0]; x++) {
						final int i = ((z0 + z) * d[1] + y0 + y) * d[0] + x0 + x;
						final double g = gauss(w, x, y, z);
						weight[i] += g;
						for (int c = 0; c < K; c++) acc[c][i] += g * p[c * wv + (z * w[1] + y) * w[0] + x];
						// the window holds the voxel's neighbourhood unless it ends next to it inside the volume
						final boolean cut = (x == 0 && x0 > 0) || (x == w[0] - 1 && x0 + w[0] < d[0]) || (y == 0 && y0 > 0) || (y == w[1] - 1 &&
							y0 + w[1] < d[1]) || (z == 0 && z0 > 0) || (z == w[2] - 1 && z0 + w[2] < d[2]);
						if (cut) sameView[i] = false;
					}
				}
				int same = 0, differ = 0;
				for (int i = 0; i < n; i++) {
					for (int c = 0; c < K; c++) {
						final double expected = acc[c][i] / weight[i];
						assertEquals(expected, slid[c][i], 2e-6, String.format(Locale.ROOT, "mirror %s, blend at voxel %d class %d", mirror, i, c));
						if (sameView[i]) assertEquals(whole[c][i], slid[c][i], 2e-6, "mirror " + mirror + ", whole against windows at " + i);
					}
					if (sameView[i]) same++;
					else if (Math.abs(whole[0][i] - slid[0][i]) > 1e-4) differ++;
				}
				assertTrue(same > n / 4 && differ > 0, same + " voxels with the same view, " + differ + " others that differ");
			}
		}
	}

	/**
	 * Mirroring of the whole volume: the mean over the 8 flips of the flipped prediction flipped
	 * back, and for this model different from the plain prediction.
	 */
	@Test
	void mirroringAveragesTheEightFlips() {
		final int[] d = { 12, 10, 8 };
		final float[] img = image(d);
		try (NeighbourModel model = new NeighbourModel()) {
			final SlidingWindow sw = new SlidingWindow(model.m, K, model::logits);
			final float[][] mirrored = sw.probabilities(img, d, null, 1, 0, true, Progress.NONE, new int[1]);
			final float[][] plain = sw.probabilities(img, d, null, 1, 0, false, Progress.NONE, new int[1]);
			final float[] expected = model.window(img, d, d, 0, 0, 0, 8);
			final int n = img.length;
			double change = 0;
			for (int c = 0; c < K; c++) for (int i = 0; i < n; i++) {
				assertEquals(expected[c * n + i], mirrored[c][i], 2e-6);
				change = Math.max(change, Math.abs(mirrored[c][i] - plain[c][i]));
			}
			assertTrue(change > 0.05, "the model is not mirror-symmetric: mirroring moved probabilities by " + change);
		}
	}
}
