package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

/**
 * A macro call of a VoxelSeg command with a key the command does not have is refused, naming the
 * key and the command's keys; a call with known keys passes. The macro options are set as ImageJ
 * sets them for the thread of a {@code run(...)} call ({@code Macro.setOptions} on a thread named
 * as ImageJ names a macro's thread, {@code Run$_...}); not covered:
 * imagej-legacy's own handling of the same call (it is not on Maven Central).
 */
class MacroKeysPreprocessorTest {

	private static Context context;

	@BeforeAll
	static void start() {
		context = new Context();
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	private static MacroKeysPreprocessor run(final String options) {
		final Module m = context.service(ModuleService.class).createModule(context.service(CommandService.class).getCommand(
			SegmentFilesCommand.class));
		final MacroKeysPreprocessor p = new MacroKeysPreprocessor();
		context.inject(p);
		// ImageJ hands macro options only to a macro's thread, named "Run$_..."
		final Thread t = new Thread(() -> {
			ij.Macro.setOptions(options);
			try {
				p.process(m);
			}
			finally {
				ij.Macro.setOptions(null);
			}
		}, "Run$_test");
		t.start();
		try {
			t.join();
		}
		catch (final InterruptedException e) {
			throw new AssertionError(e);
		}
		return p;
	}

	@Test
	void unknownKeysAreRefusedWithTheCommandsKeys() {
		final MacroKeysPreprocessor bad = run("modle=/data/model.zip input=[/my data/ct.nii.gz] output=/out mirorr");
		assertTrue(bad.isCanceled());
		assertEquals("Segment Files: unknown macro keys 'modle', 'mirorr'; its keys: model, input, output, mode, overlap, mirror, " +
			"largest_component, overwrite, device", bad.getCancelReason());

		final MacroKeysPreprocessor good = run("model=/data/model.zip input=[/my data/ct.nii.gz] output=/out mirror device=cpu");
		assertFalse(good.isCanceled(), good.getCancelReason());
		// keys are case-insensitive in ImageJ's macro options
		assertFalse(run("Model=/m.zip INPUT=/in output=/out").isCanceled());
		// without macro options (a dialog, the launcher, a script) nothing is checked
		assertFalse(run(null).isCanceled());
	}

	@Test
	void keysOfMacroOptions() {
		assertEquals(List.of("path", "mirror", "device", "x"), MacroKeysPreprocessor.keys(
			" path=[/my data/ct 1.nii.gz] mirror device=cpu x=[unclosed"));
		assertEquals(List.of(), MacroKeysPreprocessor.keys("  "));
		assertNull(MacroKeysPreprocessor.problem(context.service(ModuleService.class).createModule(context.service(CommandService.class)
			.getCommand(SegmentFilesCommand.class)), "model=a input=b output=c"));
	}
}
