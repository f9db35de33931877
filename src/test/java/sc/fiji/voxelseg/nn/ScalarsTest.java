package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/**
 * Constants in the autograd graph must outlive the backward pass. Oracle: derivatives worked by
 * hand (d(3x)/dx = 3, d(x/4)/dx = 0.25, d max(x, 0)/dx = 1 for x > 0 and 0 for x < 0, d min(x, 0)/dx
 * the other way round).
 */
class ScalarsTest {

	/**
	 * Between the forward and the backward pass the garbage collector runs and many small direct
	 * buffers are filled with 7: a constant whose memory had been freed would then read 7 (or
	 * garbage), as DJL's own {@code mul(Number)} does here. Several rounds, as the failure depends
	 * on timing.
	 */
	@Test
	void gradientsSurviveGarbageCollectionBeforeBackward() throws InterruptedException {
		final float[] x = { -2, -0.5f, 1, 3 };
		check(x, v -> Scalars.mul(v, 3), new float[] { 3, 3, 3, 3 });
		check(x, v -> Scalars.div(v, 4), new float[] { 0.25f, 0.25f, 0.25f, 0.25f });
		check(x, v -> Scalars.maximum(v, 0), new float[] { 0, 0, 1, 1 });
		check(x, v -> Scalars.minimum(v, 0), new float[] { 1, 1, 0, 0 });
	}

	private static void check(final float[] values, final UnaryOperator<NDArray> op, final float[] expected) throws InterruptedException {
		for (int round = 0; round < 4; round++) {
			try (NDManager m = NDManager.newBaseManager()) {
				final NDArray x = m.create(values);
				x.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray y = op.apply(x).sum();
					churn();
					gc.backward(y);
				}
				assertArrayEquals(expected, x.getGradient().toFloatArray(), 1e-6f, "round " + round);
			}
		}
	}

	/** Frees what the collector can free and hands the memory out again, filled with 7. */
	private static void churn() throws InterruptedException {
		for (int i = 0; i < 3; i++) System.gc();
		Thread.sleep(50);
		final List<ByteBuffer> hold = new ArrayList<>();
		for (int i = 0; i < 20000; i++) {
			final ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
			b.putFloat(0, 7f);
			hold.add(b);
		}
		assertTrue(hold.size() > 0);
	}

	/**
	 * Where gradients flow (losses, blocks, training objectives and regimes), no array is multiplied,
	 * divided, raised to, or clamped by a number through DJL's Number overloads.
	 */
	@Test
	void noNumberOverloadsWhereGradientsFlow() throws IOException {
		final Path main = Path.of("src/main/java/sc/fiji/voxelseg");
		final Pattern unsafe = Pattern.compile("(?<!Math)\\.(mul|div|pow|maximum|minimum)\\(\\s*(\\((float|double|int)\\)|-?[0-9])");
		final List<String> found = new ArrayList<>();
		for (final String dir : new String[] { "loss", "nn", "train" }) {
			try (Stream<Path> files = Files.walk(main.resolve(dir))) {
				for (final Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
					final String name = f.getFileName().toString();
					// the optimiser and the EMA update run without autograd
					if (name.equals("Optimiser.java") || name.equals("MeanTeacher.java") || name.equals("Scalars.java")) continue;
					final List<String> lines = Files.readAllLines(f);
					for (int i = 0; i < lines.size(); i++) {
						final Matcher mt = unsafe.matcher(lines.get(i));
						if (mt.find()) found.add(name + ":" + (i + 1) + ": " + lines.get(i).trim());
					}
				}
			}
		}
		assertTrue(found.isEmpty(), "use Scalars for constants in the autograd graph: " + found);
	}
}
