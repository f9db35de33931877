package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.ndarray.NDArray;
import ai.djl.util.Pair;

import sc.fiji.voxelseg.onnx.OnnxGraph;

/**
 * Base of VoxelSeg's blocks. Every parameter's shape is fixed when the block is built (channel
 * counts are constructor arguments, as in PyTorch), so initialisation needs no shape inference:
 * children are initialised with whatever input shape the caller gives. Parameters are registered in
 * the order PyTorch's {@code state_dict()} lists them, so weights map one to one.
 */
public abstract class NetBlock extends AbstractBlock {

	protected NetBlock() {
		super((byte) 1);
	}

	@Override
	protected void initializeChildBlocks(final NDManager manager, final DataType dataType, final Shape... inputShapes) {
		for (final Pair<String, Block> child : getChildren()) {
			child.getValue().initialize(manager, dataType, inputShapes);
		}
	}

	@Override
	protected void prepare(final Shape[] inputShapes) {
		// shapes are fixed at construction
	}

	/** A parameter of fixed shape. */
	protected static Parameter param(final String name, final Parameter.Type type, final Shape shape) {
		return Parameter.builder().setName(name).setType(type).optShape(shape).build();
	}

	/**
	 * Closes the Java handles of intermediate arrays once the forward pass no longer needs them and
	 * returns {@code result}. Autograd keeps its own references to what the backward pass needs, so
	 * this frees exactly what PyTorch frees when a Python variable goes out of scope; without it a
	 * scope would hold every intermediate until the step ends.
	 */
	protected static NDArray release(final NDArray result, final NDArray... temporaries) {
		for (final NDArray t : temporaries) if (t != null && t != result) t.close();
		return result;
	}

	/**
	 * A deliberate gradient error for the tests' positive control: when not 0, every parameter read
	 * in training carries {@code (1 + gradientFault)} times its true gradient, with forward values
	 * unchanged. The gradient checks against PyTorch must fail while it is set. Always 0 outside
	 * those tests.
	 */
	static volatile double gradientFault;

	/** The parameter's value on the input's device, recorded for autograd when training. */
	protected static NDArray value(final ParameterStore ps, final Parameter p, final NDArray like, final boolean training) {
		final NDArray v = ps.getValue(p, like.getDevice(), training);
		final double fault = gradientFault;
		if (fault == 0 || !training) return v;
		// v + fault·(v - sg(v)): the value of v, the gradient (1 + fault)·∇
		return v.add(Scalars.mul(v.sub(v.stopGradient()), fault));
	}

	/**
	 * This block's inference-mode computation as ONNX nodes applied to the value {@code x} of
	 * {@code g}; returns the name of its output value. Blocks that never run at inference (projection
	 * heads, discriminators) have no ONNX form.
	 */
	public String onnx(final OnnxGraph g, final String x) {
		throw new UnsupportedOperationException(getClass().getSimpleName() + " has no ONNX form");
	}

	/** A parameter's current values, in PyTorch's layout. */
	protected static float[] values(final Parameter p) {
		return p.getArray().toFloatArray();
	}

	/**
	 * Number of learned scalars, as PyTorch's {@code sum(p.numel() for p in parameters())} counts
	 * them: batch norm's running statistics are buffers, not parameters, and are left out.
	 */
	public long parameterCount() {
		long n = 0;
		for (final Pair<String, Parameter> p : getParameters()) {
			if (p.getValue().getType() == Parameter.Type.RUNNING_MEAN || p.getValue().getType() == Parameter.Type.RUNNING_VAR) continue;
			n += p.getValue().getShape().size();
		}
		return n;
	}
}
