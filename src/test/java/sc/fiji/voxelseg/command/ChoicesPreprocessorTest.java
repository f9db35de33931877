package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

/**
 * Choice inputs set without a dialog (a macro call, headless Fiji's --run) are held to their
 * choices: an earlier preset name becomes its current name, anything else cancels the command
 * with the choices named.
 */
class ChoicesPreprocessorTest {

	private static Context context;

	@BeforeAll
	static void start() {
		context = new Context();
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	private static Module module(final Class<? extends org.scijava.command.Command> c) {
		return context.service(ModuleService.class).createModule(context.service(CommandService.class).getCommand(c));
	}

	private static ChoicesPreprocessor process(final Module m) {
		final ChoicesPreprocessor p = new ChoicesPreprocessor();
		context.inject(p);
		p.process(m);
		return p;
	}

	@Test
	void valuesOutsideTheChoicesAreRefusedAndAliasesResolved() {
		// Fiji's --run parses [ONNX file] as a list: its text is not a choice
		final Module export = module(ExportModelCommand.class);
		export.setInput("format", "[ONNX file]");
		final ChoicesPreprocessor bad = process(export);
		assertTrue(bad.isCanceled());
		assertEquals("Export Model: format=[ONNX file] is not one of: bioimage.io package, ONNX file", bad.getCancelReason());

		final Module onnx = module(ExportModelCommand.class);
		onnx.setInput("format", "ONNX file");
		assertFalse(process(onnx).isCanceled());

		final Module train = module(TrainSupervisedCommand.class);
		train.setInput("preprocessing", "seeds-ct");
		assertFalse(process(train).isCanceled());
		assertEquals("abdomen-ct-128", train.getInput("preprocessing"));

		// inputs not set (a dialog will offer the choices) are left alone
		final Module fresh = module(SegmentFilesCommand.class);
		assertFalse(process(fresh).isCanceled());
	}
}
