package sc.fiji.voxelseg.cli;

import java.io.PrintStream;

import sc.fiji.voxelseg.util.Progress;

/** Progress as status lines on the terminal (standard error, so standard output stays parseable). */
final class TerminalProgress implements Progress {

	private final PrintStream err;

	TerminalProgress(final PrintStream err) {
		this.err = err;
	}

	@Override
	public void status(final String message) {
		err.println(message);
	}
}
