package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;

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

	private static final int ROUNDS = 4;

	/**
	 * Between the forward and the backward pass the garbage collector runs and many small direct
	 * buffers are filled with 7: a constant whose memory had been freed would then read 7 (or
	 * garbage), as DJL's own {@code mul(Number)} does here. Several rounds, as the failure depends
	 * on timing.
	 */
	@Test
	void gradientsSurviveGarbageCollectionBeforeBackward() throws InterruptedException {
		final float[] x = { -2, -0.5f, 1, 3 };
		assertEquals(List.of(), wrongRounds(x, v -> Scalars.mul(v, 3), new float[] { 3, 3, 3, 3 }));
		assertEquals(List.of(), wrongRounds(x, v -> Scalars.div(v, 4), new float[] { 0.25f, 0.25f, 0.25f, 0.25f }));
		assertEquals(List.of(), wrongRounds(x, v -> Scalars.maximum(v, 0), new float[] { 0, 0, 1, 1 }));
		assertEquals(List.of(), wrongRounds(x, v -> Scalars.minimum(v, 0), new float[] { 1, 1, 0, 0 }));
	}

	/**
	 * The positive control: the same rounds with DJL's {@code mul(Number)}, whose constant is freed
	 * after the forward pass, give a wrong gradient. If this ever passes, DJL has changed, and the
	 * check above no longer shows what it claims to.
	 */
	@Test
	void theChurnExposesDjlsNumberOverload() throws InterruptedException {
		final List<String> wrong = wrongRounds(new float[] { -2, -0.5f, 1, 3 }, v -> v.mul(3), new float[] { 3, 3, 3, 3 });
		assertTrue(!wrong.isEmpty(), "x.mul(3) kept its gradient of 3 through " + ROUNDS + " rounds of churn");
	}

	/** The gradients of {@code sum(op(x))} that differ from {@code expected}, one entry per bad round. */
	private static List<String> wrongRounds(final float[] values, final UnaryOperator<NDArray> op, final float[] expected)
		throws InterruptedException
	{
		final List<String> wrong = new ArrayList<>();
		for (int round = 0; round < ROUNDS; round++) {
			try (NDManager m = NDManager.newBaseManager()) {
				final NDArray x = m.create(values);
				x.setRequiresGradient(true);
				try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
					final NDArray y = op.apply(x).sum();
					churn();
					gc.backward(y);
				}
				final float[] g = x.getGradient().toFloatArray();
				for (int i = 0; i < g.length; i++) {
					if (Math.abs(g[i] - expected[i]) > 1e-6f) {
						wrong.add("round " + round + ": " + Arrays.toString(g));
						break;
					}
				}
			}
		}
		return wrong;
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
	 * divided, raised to, or clamped by a number through DJL's {@code Number} overloads. The sources
	 * are compiled (javac's tree API, attributed against the class path), so a variable as the
	 * argument is caught as well as a literal: the check is on the overload javac binds.
	 */
	@Test
	void noNumberOverloadsWhereGradientsFlow() throws IOException {
		final Path main = Path.of("src/main/java/sc/fiji/voxelseg");
		final List<Path> all;
		try (Stream<Path> files = Files.walk(main)) {
			all = files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
		}
		final List<String> found = numberOverloadCalls(all, List.of());
		// the optimiser and the EMA update run without autograd
		final Set<String> exempt = Set.of("Optimiser.java", "MeanTeacher.java", "Scalars.java");
		found.removeIf(f -> !(f.contains("/loss/") || f.contains("/nn/") || f.contains("/train/")) || exempt.stream().anyMatch(
			f::contains));
		assertEquals(List.of(), found, "use Scalars for constants in the autograd graph");
	}

	/** The positive control of the source check: a float variable, a cast and a literal are all caught; Scalars is not. */
	@Test
	void theSourceCheckCatchesVariables() throws IOException {
		final String src = "package probe;\n" + "import ai.djl.ndarray.NDArray;\n" + "class Probe {\n" +
			"  NDArray f(NDArray x, float lambda, double beta) {\n" + "    NDArray a = x.mul(lambda);\n" +
			"    NDArray b = a.div((float) beta);\n" + "    NDArray c = b.maximum(0);\n" +
			"    NDArray d = sc.fiji.voxelseg.nn.Scalars.mul(c, lambda);\n" + "    return d.add(1).mul(x);\n" + "  }\n" + "}\n";
		final List<String> found = numberOverloadCalls(List.of(), List.of(new Source("probe/Probe.java", src)));
		assertEquals(List.of("probe/Probe.java:5: x.mul(lambda)", "probe/Probe.java:6: a.div((float)beta)", "probe/Probe.java:7: b.maximum(0)"),
			found);
	}

	/** An in-memory source file. */
	private static final class Source extends SimpleJavaFileObject {

		private final String text;

		Source(final String path, final String text) {
			super(URI.create("string:///" + path), Kind.SOURCE);
			this.text = text;
		}

		@Override
		public CharSequence getCharContent(final boolean ignoreEncodingErrors) {
			return text;
		}
	}

	/**
	 * Calls of {@code mul}, {@code div}, {@code pow}, {@code maximum} or {@code minimum} that javac
	 * binds to an {@link NDArray} method taking a {@link Number}, as {@code path:line: call}.
	 */
	private static List<String> numberOverloadCalls(final List<Path> files, final List<JavaFileObject> extra) throws IOException {
		final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
		final DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
		try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
			final List<JavaFileObject> units = new ArrayList<>(extra);
			for (final JavaFileObject f : fm.getJavaFileObjectsFromPaths(files)) units.add(f);
			final String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
			final JavacTask task = (JavacTask) javac.getTask(null, fm, diagnostics, List.of("-proc:none", "-classpath", cp), null, units);
			final Iterable<? extends CompilationUnitTree> trees = task.parse();
			task.analyze();
			final Trees t = Trees.instance(task);
			final Set<String> names = Set.of("mul", "div", "pow", "maximum", "minimum");
			final List<String> found = new ArrayList<>();
			for (final CompilationUnitTree unit : trees) {
				new TreePathScanner<Void, Void>() {

					@Override
					public Void visitMethodInvocation(final MethodInvocationTree node, final Void v) {
						if (node.getMethodSelect() instanceof MemberSelectTree sel && names.contains(sel.getIdentifier().toString())) {
							final Element e = t.getElement(getCurrentPath());
							if (e instanceof ExecutableElement m && m.getParameters().size() == 1 && m.getParameters().get(0).asType().toString()
								.equals("java.lang.Number") && ((TypeElement) m.getEnclosingElement()).getQualifiedName().toString().startsWith(
									"ai.djl.ndarray.NDArray"))
							{
								final long line = unit.getLineMap().getLineNumber(t.getSourcePositions().getStartPosition(unit, node));
								final String path = unit.getSourceFile().toUri().getPath().replaceFirst("^.*?/(?=(probe|sc)/)", "");
								found.add(path + ":" + line + ": " + node.toString().replace(" ", ""));
							}
						}
						return super.visitMethodInvocation(node, v);
					}
				}.scan(unit, null);
			}
			assertTrue(diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR),
				"the sources did not compile for the check: " + diagnostics.getDiagnostics());
			return found;
		}
	}
}
