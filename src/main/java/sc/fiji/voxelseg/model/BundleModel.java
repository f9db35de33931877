package sc.fiji.voxelseg.model;

import java.io.IOException;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/** A VoxelSeg network loaded from its bundle, run in inference mode (running batch-norm statistics). */
public final class BundleModel implements SegmentationModel {

	private final ModelBundle bundle;
	private final NDManager manager;
	private final SegmentationNetwork net;
	private final ParameterStore ps;

	private BundleModel(final ModelBundle bundle, final NDManager manager, final SegmentationNetwork net) {
		this.bundle = bundle;
		this.manager = manager;
		this.net = net;
		this.ps = new ParameterStore(manager, false);
	}

	public static BundleModel load(final ModelBundle bundle, final Device device) throws IOException {
		TorchEngine.engine();
		final NDManager m = NDManager.newBaseManager(device);
		try {
			return new BundleModel(bundle, m, bundle.network(m));
		}
		catch (final IOException | RuntimeException e) {
			m.close();
			throw e;
		}
	}

	public ModelBundle bundle() {
		return bundle;
	}

	public SegmentationNetwork network() {
		return net;
	}

	@Override
	public ClassTable classes() {
		return bundle.classes();
	}

	@Override
	public PreprocessingPlan plan() {
		return bundle.plan();
	}

	@Override
	public int[] inputShape() {
		return bundle.inputShape();
	}

	@Override
	public int divisor() {
		return bundle.network().divisor();
	}

	@Override
	public NDArray logits(final NDArray input) {
		TorchEngine.setGradMode(false);
		final NDList out = net.forward(ps, new NDList(input), false);
		final NDArray logits = out.get(0);
		for (int i = 1; i < out.size(); i++) out.get(i).close();
		return logits;
	}

	/**
	 * The whole forward output in inference mode: logits, then the encoder maps deepest first,
	 * then the decoder maps (see {@link SegmentationNetwork}), for feature analysis.
	 */
	public NDList forward(final NDArray input) {
		TorchEngine.setGradMode(false);
		return net.forward(ps, new NDList(input), false);
	}

	@Override
	public NDManager manager() {
		return manager;
	}

	@Override
	public String describe() {
		return bundle.network().describe() + ", " + TorchEngine.describe(manager.getDevice());
	}

	@Override
	public void close() {
		manager.close();
	}
}
