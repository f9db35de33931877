package sc.fiji.voxelseg.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

/**
 * A regime's own blocks (projection heads, classifiers) in checkpoints: their parameters one block
 * after another, read back into blocks built for the run's settings, each array's shape checked.
 */
final class HeadState {

	private HeadState() {}

	/** The parameters of {@code blocks}, in order. */
	static byte[] save(final Block... blocks) {
		final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			for (final Block b : blocks) b.saveParameters(out);
		}
		catch (final IOException e) {
			throw new UncheckedIOException(e);
		}
		return bytes.toByteArray();
	}

	/**
	 * Loads what {@link #save} wrote into {@code blocks} on {@code manager}; loaded arrays that
	 * train get their gradients back (they are new arrays).
	 *
	 * @param what what the blocks are, for the messages
	 * @throws IOException if there is no state, or it does not fit the blocks the settings build
	 */
	static void load(final NDManager manager, final byte[] state, final String what, final Block... blocks) throws IOException {
		if (state == null) throw new IOException("the checkpoint holds no " + what);
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
			for (final Block block : blocks) {
				final List<Shape> declared = new ArrayList<>();
				for (final Pair<String, Parameter> p : block.getParameters()) declared.add(p.getValue().getArray().getShape());
				block.loadParameters(manager, in);
				int i = 0;
				for (final Pair<String, Parameter> p : block.getParameters()) {
					final NDArray a = p.getValue().getArray();
					if (!a.getShape().equals(declared.get(i++))) {
						throw new IOException(what + " parameter " + p.getKey() + " holds " + a.getShape() + " where the settings need " +
							declared.get(i - 1));
					}
					if (p.getValue().requiresGradient()) a.setRequiresGradient(true);
				}
			}
		}
		catch (final MalformedModelException | RuntimeException e) {
			throw new IOException("the checkpoint's " + what + " do not fit these settings: " + e.getMessage(), e);
		}
	}
}
