package sc.fiji.voxelseg.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * A fully connected layer on rows, PyTorch's {@code Linear(in, out, bias)}: input S × in, output
 * {@code y = x · Wᵀ + b}, S × out, with weight (out, in) and optional bias (out). Both start
 * uniform in ±1/sqrt(in), PyTorch's default initialisation.
 */
public final class LinearBlock extends NetBlock {

	private final int in, out;
	private final Parameter weight, bias;

	public LinearBlock(final int in, final int out, final boolean bias) {
		if (in < 1 || out < 1) throw new IllegalArgumentException("bad Linear " + in + "->" + out);
		this.in = in;
		this.out = out;
		final float bound = (float) (1 / Math.sqrt(in));
		weight = addParameter(param("weight", Parameter.Type.WEIGHT, new Shape(out, in)));
		weight.setInitializer(new UniformInitializer(bound));
		if (bias) {
			this.bias = addParameter(param("bias", Parameter.Type.BIAS, new Shape(out)));
			this.bias.setInitializer(new UniformInitializer(bound));
		}
		else this.bias = null;
	}

	public int inFeatures() {
		return in;
	}

	public int outFeatures() {
		return out;
	}

	@Override
	protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training,
		final PairList<String, Object> params)
	{
		final NDArray x = inputs.head();
		if (x.getShape().dimension() != 2 || x.getShape().get(1) != in) {
			throw new IllegalArgumentException("Linear " + in + "->" + out + " needs rows of " + in + " features, got " + x.getShape());
		}
		final NDArray y = x.matMul(value(ps, weight, x, training).transpose());
		return new NDList(bias == null ? y : release(y.add(value(ps, bias, x, training)), y));
	}

	@Override
	public Shape[] getOutputShapes(final Shape[] inputShapes) {
		return new Shape[] { new Shape(inputShapes[0].get(0), out) };
	}
}
