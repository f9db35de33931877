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
}
