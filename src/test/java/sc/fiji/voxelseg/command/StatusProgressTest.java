package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.event.KeyEvent;

import org.junit.jupiter.api.Test;

import ij.IJ;

/** What cancels a long command in Fiji: the command's own state, Esc in ImageJ, an interrupted thread. */
class StatusProgressTest {

	@Test
	void escapeAndInterruptionCancel() {
		IJ.setKeyDown(KeyEvent.VK_ESCAPE);
		final boolean[] cancel = { false };
		// an Esc from before the command does not stop it
		final StatusProgress p = new StatusProgress(null, () -> cancel[0]);
		assertFalse(p.isCanceled());
		IJ.setKeyDown(KeyEvent.VK_ESCAPE);
		assertTrue(p.isCanceled(), "Esc pressed while the command runs");
		IJ.resetEscape();
		assertFalse(p.isCanceled());
		Thread.currentThread().interrupt();
		try {
			assertTrue(p.isCanceled(), "the command's thread interrupted");
		}
		finally {
			Thread.interrupted();
		}
		assertFalse(p.isCanceled());
		cancel[0] = true;
		assertTrue(p.isCanceled(), "the command's own cancel state");
	}

	/**
	 * Each stage of a long command becomes one Log window line (headless, ImageJ prints the Log to
	 * standard output); the per-step training lines and repeats do not.
	 */
	@Test
	void stagesGoToTheLog() {
		final java.io.PrintStream saved = System.out;
		final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
		System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
		try {
			final StatusProgress p = new StatusProgress(null, null);
			p.status("Preprocessing training case a");
			p.status("Preprocessing training case a");
			p.status("step 3/10  loss 0.5  1 s left");
			p.warning("two images are named x");
		}
		finally {
			System.setOut(saved);
		}
		final String log = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
		assertTrue(log.contains("VoxelSeg: Preprocessing training case a"), log);
		assertFalse(log.indexOf("case a") != log.lastIndexOf("case a"), "a repeated line is logged once: " + log);
		assertFalse(log.contains("step 3/10"), log);
		assertTrue(log.contains("VoxelSeg: Warning: two images are named x"), log);
	}
}
