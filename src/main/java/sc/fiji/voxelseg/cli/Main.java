package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The headless launcher behind {@code scripts/voxelseg}. Each subcommand prints its result on
 * standard output; on failure it prints one line {@code voxelseg: error: <reason>} on standard
 * error and exits non-zero (1 for a failure, 2 for a usage error).
 */
public final class Main {

	/** One launcher subcommand. */
	interface Subcommand {

		String usage();

		void run(List<String> args, PrintStream out) throws Exception;
	}

	static final Map<String, Subcommand> COMMANDS = new LinkedHashMap<>();

	/**
	 * System property: when true, the launcher stops as soon as the process that started it ends
	 * (a study's cells, so that killing the study never leaves a cell training on its own).
	 */
	static final String EXIT_WITH_PARENT = sc.fiji.voxelseg.study.LauncherRunner.EXIT_WITH_PARENT;

	static {
		COMMANDS.put("demo", new DemoCommand());
		COMMANDS.put("info", new InfoCommand());
		COMMANDS.put("convert", new ConvertCommand());
		COMMANDS.put("preprocess", new PreprocessCommand());
		COMMANDS.put("phantom", new PhantomCommand());
		COMMANDS.put("pretrain", new PretrainCommand());
		COMMANDS.put("train", new TrainCommand());
		COMMANDS.put("segment", new SegmentCommand());
		COMMANDS.put("evaluate", new EvaluateCommand());
		COMMANDS.put("features", new FeaturesCommand());
		COMMANDS.put("export", new ExportCommand());
		COMMANDS.put("study", new StudyCommand());
		COMMANDS.put("--run", new RunCommand());
	}

	private Main() {}

	public static void main(final String[] args) {
		System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
		System.setProperty("ai.djl.offline", "true");
		if (Boolean.getBoolean(EXIT_WITH_PARENT)) {
			ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(143)));
		}
		final int code = run(args, System.out, System.err);
		System.out.flush();
		System.exit(code);
	}

	/** Runs the launcher; returns the exit code. */
	public static int run(final String[] args, final PrintStream out, final PrintStream err) {
		if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals(
			"help"))
		{
			usage(out);
			return args.length == 0 ? 2 : 0;
		}
		final Subcommand c = COMMANDS.get(args[0]);
		if (c == null) {
			err.println("voxelseg: error: unknown subcommand '" + args[0] + "' (try: " + String.join(", ",
				COMMANDS.keySet()) + ")");
			return 2;
		}
		final List<String> rest = Arrays.asList(args).subList(1, args.length);
		if (rest.contains("--help") || rest.contains("-h")) {
			out.println(Usage.format(c.usage(), Usage.WIDTH));
			return 0;
		}
		try {
			if (rest.contains("--spark") && SPARK_JOBS.contains(args[0])) return spark(args[0], rest, out, err);
			c.run(rest, out);
			return 0;
		}
		catch (final Args.UsageException e) {
			err.println("voxelseg: error: " + e.getMessage());
			err.println(Usage.format(c.usage(), Usage.WIDTH));
			return 2;
		}
		catch (final OutOfMemoryError e) {
			err.println(
				"voxelseg: error: out of memory; give Java more with VOXELSEG_JAVA_OPTS=-Xmx<size> or work on a smaller volume");
			return 1;
		}
		catch (final Exception | Error e) {
			err.println("voxelseg: error: " + oneLine(e));
			if (Boolean.getBoolean("voxelseg.debug")) e.printStackTrace(err);
			return 1;
		}
	}

	/** The subcommands that run as cohort jobs on Apache Spark with {@code --spark MASTER}. */
	static final List<String> SPARK_JOBS = List.of("segment", "preprocess", "evaluate");
	/** The Spark entry point of the optional voxelseg-spark artifact. */
	static final String SPARK = "sc.fiji.voxelseg.spark.SparkCohort";

	/** A cohort job of voxelseg-spark, when it is on the class path; its exit code. */
	private static int spark(final String command, final List<String> rest, final PrintStream out, final PrintStream err) throws Exception {
		final Class<?> c;
		try {
			c = Class.forName(SPARK);
		}
		catch (final ClassNotFoundException e) {
			throw new Args.UsageException("--spark needs the optional voxelseg-spark artifact on the class path: run through scripts/voxelseg " +
				"(which builds spark/ and adds it), or use spark-submit --class " + SPARK + " on a cluster");
		}
		try {
			return (int) c.getMethod("run", String.class, List.class, PrintStream.class, PrintStream.class).invoke(null, command, rest, out, err);
		}
		catch (final java.lang.reflect.InvocationTargetException e) {
			throw e.getCause() instanceof Exception x ? x : e;
		}
	}

	static String oneLine(final Throwable e) {
		String m = e.getMessage();
		if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
		return m.replace('\n', ' ').replace('\r', ' ');
	}

	private static void usage(final PrintStream out) {
		out.println("VoxelSeg: label-efficient 3D medical image segmentation, headless launcher");
		out.println("usage: voxelseg SUBCOMMAND [options]   (voxelseg SUBCOMMAND --help for details)");
		for (final Map.Entry<String, Subcommand> e : COMMANDS.entrySet()) {
			// the synopsis's first words: the subcommand and its required inputs
			final List<String> units = Usage.units(e.getValue().usage().split("\n")[0]);
			final StringBuilder b = new StringBuilder("  ");
			for (final String u : units) {
				if (b.length() + 1 + u.length() > Usage.WIDTH - 4) {
					b.append(" ...");
					break;
				}
				b.append(b.length() > 2 ? " " : "").append(u);
			}
			out.println(b);
		}
	}
}
