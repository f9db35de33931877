package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import ij.ImagePlus;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.module.Module;

import sc.fiji.voxelseg.cli.SegmentCascadeTest;
import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;

/**
 * Segment... with a cascade model run through a SciJava Context, as a macro would: the coarse model
 * given, the pair loaded once for two runs; a cascade model without its coarse model refused with
 * a message naming the parameter.
 */
class SegmentCascadeCommandTest {

	static Context context;
	static final Map<String, Object> objects = new HashMap<>();
	static CommandRunner runner;

	@TempDir
	Path tmp;

	@BeforeAll
	static void start() {
		context = new Context();
		runner = new CommandRunner(context, (v, t) -> objects.get(v));
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	private Module run(final String args) throws Exception {
		return runner.run(runner.find("Segment"), CommandRunner.parse(args));
	}

	@Test
	void segmentsWithACascadeModel() throws Exception {
		final Path b = SegmentCascadeTest.cascade(tmp.resolve("cascade.zip")), c = SegmentCascadeTest.coarse(tmp.resolve("coarse.zip"));
		final Volume ct = NiftiIO.read(SegmentCascadeTest.ct(tmp.resolve("ct.nii.gz"), 0));
		objects.put("ct", ImagePlusBridge.toImagePlus(ct, "ct"));
		final ModelCacheService cache = context.getService(ModelCacheService.class);
		final int before = cache.loads();
		Module m = run("image=ct,model=[" + b + "],coarse=[" + c + "],overlay=none,device=cpu");
		m = run("image=ct,model=[" + b + "],coarse=[" + c + "],overlay=outline,probabilities=true,device=cpu");
		assertEquals(before + 1, cache.loads(), "the cascade and its coarse model load once");
		final Volume labels = ImagePlusBridge.toVolume((ImagePlus) m.getOutput("labels"));
		assertTrue(labels.sameGrid(ct));
		assertEquals(ClassTable.abdomen(), labels.classes());
		assertEquals(9, ((ImagePlus) m.getOutput("probability_maps")).getNChannels());
		final Exception e = assertThrows(Exception.class, () -> run("image=ct,model=[" + b + "],overlay=none,device=cpu"));
		Throwable t = e;
		while (t.getCause() != null && !String.valueOf(t.getMessage()).contains("cascade model")) t = t.getCause();
		assertTrue(String.valueOf(t.getMessage()).contains("is a cascade model") && t.getMessage().contains("Coarse model"), e.toString());
	}
}
