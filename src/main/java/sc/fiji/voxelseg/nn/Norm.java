package sc.fiji.voxelseg.nn;

/** The normalisation after each convolution of a network. */
public enum Norm {
	/** {@link BatchNorm3dBlock}: batch statistics in training, running ones in inference. */
	BATCH,
	/** {@link InstanceNorm3dBlock} with affine parameters: per-sample statistics, for batch size 1. */
	INSTANCE,
	/** No normalisation; the convolution then has a bias. */
	NONE;

	/** A normalisation block for {@code channels}, or null for {@link #NONE}. */
	NetBlock block(final int channels) {
		switch (this) {
			case BATCH:
				return new BatchNorm3dBlock(channels);
			case INSTANCE:
				return new InstanceNorm3dBlock(channels, true);
			default:
				return null;
		}
	}
}
