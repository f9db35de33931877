package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/**
 * {@code --run "Title" "key=value,..." [--out PATH]}: runs a VoxelSeg command as Fiji would
 * ({@code command.HeadlessRun}, reached by name: the launcher names neither ImageJ nor SciJava, so
 * that its other subcommands load none of them). Image inputs are given as file paths (any readable
 * volume); image outputs are written as NIfTI to {@code --out} (a file for one output, else a
 * folder); other outputs are printed.
 */
final class RunCommand implements Main.Subcommand {

	/** The Fiji face's entry point for running a command outside Fiji. */
	static final String HEADLESS_RUN = "sc.fiji.voxelseg.command.HeadlessRun";

	@Override
	public String usage() {
		return "--run \"Title\" \"key=value,...\" [--out OUT.nii.gz|DIR]   run any VoxelSeg command Fiji-style (--run list: the commands)";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, java.util.Set.of());
		final String dst = a.get("out", null);
		a.checkAllUsed();
		final List<String> p = a.positional();
		if (p.isEmpty() || p.size() > 2) throw new Args.UsageException(
			"--run takes a command title and an optional \"key=value,...\" string");
		final java.lang.reflect.Method run;
		try {
			run = Class.forName(HEADLESS_RUN).getMethod("run", List.class, String.class, PrintStream.class);
		}
		catch (final ClassNotFoundException | NoSuchMethodException | LinkageError e) {
			throw new IllegalStateException("--run needs VoxelSeg's Fiji commands and their ImageJ and SciJava jars on the class path (" +
				e + ")", e);
		}
		try {
			run.invoke(null, p, dst, out);
		}
		catch (final InvocationTargetException e) {
			final Throwable t = e.getCause();
			if (t instanceof IllegalArgumentException) throw new Args.UsageException(t.getMessage());
			if (t instanceof Exception x) throw x;
			throw (Error) t;
		}
	}
}
