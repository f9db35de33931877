package sc.fiji.voxelseg.nn;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/** Convolution units applied one after another (PyTorch's {@code Sequential} of them). */
public final class ConvStack extends NetBlock {

	private final List<ConvUnit> units = new ArrayList<>();

	public ConvStack(final List<ConvUnit> units) {
		if (units.isEmpty()) throw new IllegalArgumentException("a convolution stack needs at least one unit");
		for (int i = 0; i < units.size(); i++) this.units.add(addChildBlock(Integer.toString(i), units.get(i)));
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training, final PairList<String, Object> params) {
		return new NDList(apply(ps, inputs.head(), training));
	}

	/** Runs the units one after another. */
	public NDArray apply(final ParameterStore ps, final NDArray x, final boolean training) {
		return rest(ps, x, 0, training);
	}

	/**
	 * Runs the units on the channel concatenation of {@code a} and {@code up(low)} without forming
	 * it: the first unit convolves the two parts separately ({@link ConvUnit#forwardUpPair}).
	 */
	public NDArray applyUpPair(final ParameterStore ps, final NDArray a, final NDArray low, final ConvTranspose3dBlock up,
		final boolean training) {
		final NDArray y = units.get(0).forwardUpPair(ps, a, low, up, training);
		return release(rest(ps, y, 1, training), y);
	}

	/** The units from {@code first} on, applied to {@code x}; closes what they make on the way. */
	private NDArray rest(final ParameterStore ps, final NDArray x, final int first, final boolean training) {
		NDArray y = x;
		for (int i = first; i < units.size(); i++) {
			final NDArray in = y;
			y = units.get(i).forward(ps, new NDList(in), training).head();
			if (in != x) in.close();
		}
		return y;
	}

	@Override
	public String onnx(final OnnxGraph g, final String x) {
		String y = x;
		for (final ConvUnit u : units) y = u.onnx(g, y);
		return y;
	}

	public int outChannels() {
		return units.get(units.size() - 1).outChannels();
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		final Shape s = inputShapes[0];
		return new Shape[] { new Shape(s.get(0), outChannels(), s.get(2), s.get(3), s.get(4)) };
	}
}
