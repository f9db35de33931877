package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import net.imglib2.img.array.ArrayImgs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;

/** The launcher: its JSON, its exit codes and one-line errors, and the demo end to end. */
class MainTest {

	@TempDir
	Path tmp;

	record Result(int code, String out, String err) {}

	static Result run(final String... args) {
		final ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
		final int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(
			e, true, StandardCharsets.UTF_8));
		return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
	}

	/** Values worked by hand: voxels 0..23 with slope 2 and intercept -5 stored as int16. */
	@Test
	void infoPrintsGeometryAndStatistics() throws Exception {
		final short[] s = new short[24];
		for (int i = 0; i < 24; i++)
			s[i] = (short) i;
		final Volume v = new Volume(ArrayImgs.shorts(s, 4, 3, 2), new double[] { 0.5, 0.75, 3 },
			new double[] { 1, 2, 3 }, new double[] { -1, 0, 0, 0, -1, 0, 0, 0, 1 }, null, VoxelType.INT16);
		final Path f = tmp.resolve("v.nii.gz");
		NiftiIO.write(v, f);
		final Result r = run("info", f.toString());
		assertEquals(0, r.code(), r.err());
		final JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
		assertEquals("[4,3,2]", o.get("dims").toString());
		assertEquals("[0.5,0.75,3.0]", o.get("spacing").toString());
		assertEquals("[1.0,2.0,3.0]", o.get("origin").toString());
		assertEquals("[-1.0,0.0,0.0,0.0,-1.0,0.0,0.0,0.0,1.0]", o.get("direction").toString());
		assertEquals("int16", o.get("datatype").getAsString());
		assertEquals(0, o.get("min").getAsDouble());
		assertEquals(23, o.get("max").getAsDouble());
		assertEquals(11.5, o.get("mean").getAsDouble(), 1e-12);
	}

	@Test
	void failuresExitNonZeroWithOneLine() throws Exception {
		final Path bad = tmp.resolve("broken.nii");
		Files.write(bad, new byte[] { 92, 1, 0, 0, 1, 2, 3 });
		final Result r = run("info", bad.toString());
		assertEquals(1, r.code());
		assertEquals(1, r.err().strip().lines().count(), r.err());
		assertTrue(r.err().startsWith("voxelseg: error: ") && r.err().contains("broken.nii"), r.err());
		assertEquals(2, run("frobnicate").code());
		final Result u = run("info", "a", "--bogus", "1");
		assertEquals(2, u.code());
		assertTrue(u.err().contains("--bogus"), u.err());
		final Result missing = run("convert", tmp.resolve("nope.nii").toString(), tmp.resolve("out.nii")
			.toString());
		assertEquals(1, missing.code());
		assertFalse(Files.exists(tmp.resolve("out.nii")));
	}

	@Test
	void phantomPreprocessConvertAndRun() throws Exception {
		final Path cohort = tmp.resolve("cohort");
		assertEquals(0, run("phantom", "--cases", "2", "--seed", "5", "--grid", "64", "--out", cohort
			.toString()).code());
		final TrainingDataset ds = TrainingDataset.read(cohort);
		assertEquals(2, ds.size());
		final Path pre = tmp.resolve("pre");
		final Result r = run("preprocess", "--in", cohort.toString(), "--out", pre.toString(), "--window",
			"soft_tissue", "--shape", "32,32,16");
		assertEquals(0, r.code(), r.err());
		final TrainingDataset p = TrainingDataset.read(pre);
		final Volume img = NiftiIO.read(p.cases().get(1).image());
		assertArrayEquals(new long[] { 32, 32, 16 }, img.dims());
		assertEquals(ds.classes(), NiftiIO.read(p.cases().get(1).label()).classes());
		assertEquals(2, PreprocessingPlan.load(pre.resolve("plan.json")).steps().size());
		assertTrue(Files.readString(pre.resolve("traces.json")).contains("case_001"));

		final Path nrrdLike = tmp.resolve("c.nii");
		assertEquals(0, run("convert", ds.cases().get(0).image().toString(), nrrdLike.toString()).code());
		assertTrue(NiftiIO.read(nrrdLike).sameGrid(NiftiIO.read(ds.cases().get(0).image())));

		final Path bone = tmp.resolve("bone.nii.gz");
		final Result run = run("--run", "HU Window", "image=[" + ds.cases().get(0).image() +
			"],preset=bone", "--out", bone.toString());
		assertEquals(0, run.code(), run.err());
		// the window is monotonic: the brightest output voxel is the window of the brightest input
		final double maxHu = sc.fiji.voxelseg.image.Voxels.stats(NiftiIO.read(ds.cases().get(0).image())
			.image()).max();
		assertEquals(sc.fiji.voxelseg.preprocess.HuWindow.BONE.apply(maxHu), sc.fiji.voxelseg.image.Voxels
			.stats(NiftiIO.read(bone).image()).max(), 1e-6);
	}

	@Test
	void demoRunsOnTheEmbeddedCohort() {
		final Result r = run("demo", "--out", tmp.resolve("demo").toString(), "--cases", "2", "--grid",
			"64", "--iterations", "2", "--test-cases", "1");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("2 cases"), r.out());
		assertTrue(r.out().contains("trained") && r.out().contains("for 2 steps"), r.out());
		assertTrue(Files.exists(tmp.resolve("demo/preprocessed/dataset.json")));
		assertTrue(Files.exists(tmp.resolve("demo/model/model.json")));
		assertTrue(Files.exists(tmp.resolve("demo/model.training.png")));
	}

	/**
	 * End to end through the launcher: pretrain on the images of a phantom cohort, then linear
	 * evaluation and fine-tuning from the pretrained bundle, then segmentation with the fine-tuned
	 * model; segment refuses the pretrained bundle, train --init refuses options that contradict it.
	 */
	@Test
	void pretrainThenLinearAndFineTuneThenSegment() throws Exception {
		final Path cohort = tmp.resolve("ssl-cohort");
		assertEquals(0, run("phantom", "--cases", "3", "--seed", "8", "--grid", "64", "--out", cohort.toString()).code());
		final String[] plan = { "--window", "soft_tissue", "--shape", "32,32,16" };
		final Path pretrained = tmp.resolve("ssl.zip");
		Result r = run(cat(new String[] { "pretrain", "--images", cohort.resolve("imagesTr").toString(), "--out", pretrained.toString(),
			"--iterations", "2", "--levels", "3", "--width", "4", "--crop", "16,16,8", "--pairs", "2", "--voxels", "16", "--projection", "8",
			"--device", "cpu" }, plan));
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("pretrained after 2 steps on 3 images"), r.out());
		r = run("segment", "--model", pretrained.toString(), "--in", cohort.resolve("imagesTr").toString(), "--out", tmp.resolve("ssl-pred")
			.toString(), "--device", "cpu");
		assertTrue(r.code() != 0 && (r.err() + r.out()).contains("pretrained backbone"), r.err() + r.out());

		final Path linear = tmp.resolve("linear.zip"), tuned = tmp.resolve("tuned.zip");
		r = run("train", "--data", cohort.toString(), "--out", linear.toString(), "--init", pretrained.toString(), "--mode", "linear",
			"--iterations", "2", "--batch", "1", "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		final sc.fiji.voxelseg.model.ModelBundle lb = sc.fiji.voxelseg.model.ModelBundle.load(linear);
		assertEquals(sc.fiji.voxelseg.nn.Architecture.FPN, lb.network().architecture());
		assertEquals(sc.fiji.voxelseg.model.ModelBundle.load(pretrained).plan(), lb.plan(), "the preprocessing comes from the backbone");
		r = run("train", "--data", cohort.toString(), "--out", tuned.toString(), "--init", pretrained.toString(), "--iterations", "3",
			"--freeze", "1", "--ramp", "1", "--batch", "1", "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		r = run("segment", "--model", tuned.toString(), "--in", cohort.resolve("imagesTr").toString(), "--out", tmp.resolve("tuned-pred")
			.toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		r = run("train", "--data", cohort.toString(), "--out", tmp.resolve("bad.zip").toString(), "--init", pretrained.toString(), "--arch",
			"unet", "--width", "8");
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--arch unet") && r.err().contains("--width 8"), r.err());
		r = run("train", "--data", cohort.toString(), "--out", tmp.resolve("bad.zip").toString(), "--mode", "linear");
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--init"), r.err());
	}

	/**
	 * Seed 002 end to end through the launcher: a coarse model, AGCL pretraining on organ patches with
	 * the cohort's contrast phases as conditions, the second stage on the frozen encoder with the
	 * coarse model's masks as attention, then cascade segmentation; the refusals of missing or
	 * contradictory options.
	 */
	@Test
	void agclPretrainThenDecoderThenCascadeSegment() throws Exception {
		final Path cohort = tmp.resolve("agcl-cohort");
		assertEquals(0, run("phantom", "--cases", "4", "--seed", "9", "--grid", "64", "--out", cohort.toString()).code());
		final String[] plan = { "--window", "soft_tissue", "--shape", "32,32,16", "--device", "cpu" };
		final String[] net = { "--levels", "3", "--width", "4" };
		final Path coarse = tmp.resolve("coarse.zip"), pretrained = tmp.resolve("agcl.zip"), cascade = tmp.resolve("cascade.zip");
		Result r = run(cat(cat(new String[] { "train", "--data", cohort.toString(), "--out", coarse.toString(), "--iterations", "2",
			"--batch", "1" }, net), plan));
		assertEquals(0, r.code(), r.err());
		r = run(cat(cat(new String[] { "pretrain", "--method", "agcl", "--data", cohort.toString(), "--attention", "labels", "--conditions",
			cohort.resolve("cases.json").toString(), "--out", pretrained.toString(), "--patch", "16,16,8", "--batch", "2", "--iterations", "2",
			"--projection", "8" }, net), plan));
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("pretrained after 2 steps on 4 cases"), r.out());
		final com.google.gson.JsonObject tags = sc.fiji.voxelseg.model.ModelBundle.load(pretrained).training().getAsJsonObject("settings")
			.getAsJsonObject("patches").getAsJsonObject("conditions");
		for (final sc.fiji.voxelseg.io.TrainingDataset.Case c : TrainingDataset.read(cohort).cases()) {
			assertTrue(tags.has(c.id()), "every case's phase is recorded: " + tags);
		}
		r = run("train", "--data", cohort.toString(), "--out", cascade.toString(), "--mode", "decoder", "--init", pretrained.toString(),
			"--attention", coarse.toString(), "--iterations", "2", "--batch", "2", "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		final sc.fiji.voxelseg.model.ModelBundle b = sc.fiji.voxelseg.model.ModelBundle.load(cascade);
		assertTrue(b.cascade());
		assertArrayEquals(new int[] { 16, 16, 8 }, b.inputShape(), "the patch comes from the pretrained bundle");
		final Path image = cohort.resolve("imagesTr").resolve(Files.list(cohort.resolve("imagesTr")).sorted().findFirst().orElseThrow()
			.getFileName());
		r = run("segment", "--model", cascade.toString(), "--coarse", coarse.toString(), "--in", image.toString(), "--out", tmp.resolve(
			"cascade.nii.gz").toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(Files.exists(tmp.resolve("cascade.nii.gz")));

		r = run("pretrain", "--method", "agcl", "--data", cohort.toString(), "--out", tmp.resolve("x.zip").toString());
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--attention"), r.err());
		r = run("train", "--data", cohort.toString(), "--out", tmp.resolve("x.zip").toString(), "--mode", "decoder");
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--attention"), r.err());
		r = run("train", "--data", cohort.toString(), "--out", tmp.resolve("x.zip").toString(), "--init", pretrained.toString(),
			"--iterations", "1");
		assertTrue(r.code() != 0 && r.err().contains("input channels"), r.err());
		r = run("pretrain", "--method", "moco", "--data", cohort.toString(), "--attention", "labels", "--out", tmp.resolve("x.zip")
			.toString());
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("agcl, sscl or ce"), r.err());
	}

	/**
	 * Every subcommand's --help is wrapped at 100 columns, breaking only between options, and loses
	 * nothing of its usage text.
	 */
	@Test
	void helpIsWrappedAndComplete() {
		for (final Map.Entry<String, Main.Subcommand> e : Main.COMMANDS.entrySet()) {
			final Result r = run(e.getKey(), "--help");
			assertEquals(0, r.code(), e.getKey());
			for (final String line : r.out().split("\n")) assertTrue(line.length() <= 100, e.getKey() + ": " + line.length() + " columns: " + line);
			assertEquals(("usage: voxelseg " + e.getValue().usage()).replaceAll("\\s", ""), r.out().replaceAll("\\s", ""), e.getKey());
		}
	}

	private static String[] cat(final String[] a, final String[] b) {
		final String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, c, a.length, b.length);
		return c;
	}

	@Test
	void trainWritesABundleAndRefusesToOverwriteARunWithoutResume() throws Exception {
		final Path cohort = tmp.resolve("cohort");
		assertEquals(0, run("phantom", "--cases", "3", "--seed", "5", "--grid", "64", "--out", cohort.toString()).code());
		final Path model = tmp.resolve("m.zip");
		final String[] args = { "train", "--data", cohort.toString(), "--out", model.toString(), "--window", "soft_tissue", "--shape",
			"32,32,16", "--iterations", "3", "--width", "4", "--levels", "3", "--batch", "1", "--device", "cpu" };
		Result r = run(args);
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("trained after 3 steps"), r.out());
		final sc.fiji.voxelseg.model.ModelBundle b = sc.fiji.voxelseg.model.ModelBundle.load(model);
		assertEquals(TrainingDataset.read(cohort).classes(), b.classes());
		assertEquals(4, b.network().baseWidth());
		r = run(args);
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--resume"), r.err());
		final String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
		resume[args.length] = "--resume";
		r = run(resume);
		assertEquals(0, r.code(), r.err());
		// segment the folder: resumable, past a bad file, with a summary
		final Path pred = tmp.resolve("pred"), images = cohort.resolve("imagesTr");
		r = run("segment", "--model", model.toString(), "--in", images.toString(), "--out", pred.toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("segmented 3, skipped 0 already done, failed 0"), r.out());
		final Volume first = NiftiIO.read(pred.resolve("case_000.nii.gz"));
		assertTrue(first.sameGrid(NiftiIO.read(images.resolve("case_000_0000.nii.gz"))));
		assertEquals(b.classes(), first.classes());
		Files.write(images.resolve("case_009_0000.nii.gz"), new byte[] { 31, -117, 8, 0 });
		r = run("segment", "--model", model.toString(), "--in", images.toString(), "--out", pred.toString(), "--device", "cpu");
		assertEquals(1, r.code());
		assertTrue(r.out().contains("segmented 0, skipped 3 already done, failed 1"), r.out());
		assertTrue(r.err().contains("case_009_0000.nii.gz"), r.err());
		Files.delete(images.resolve("case_009_0000.nii.gz"));
		// the feature-space picture of the bundle
		r = run("features", "--model", model.toString(), "--image", images.resolve("case_000_0000.nii.gz").toString(), "--labels",
			cohort.resolve("labelsTr/case_000.nii.gz").toString(), "--out", tmp.resolve("features.png").toString(), "--depth", "2",
			"--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(Files.size(tmp.resolve("features.png")) > 1000);
		// labeled against unlabeled voxels: a second panel and the gap per class
		r = run("features", "--model", model.toString(), "--image", images.resolve("case_000_0000.nii.gz").toString(), "--labels",
			cohort.resolve("labelsTr/case_000.nii.gz").toString(), "--unlabeled-image", images.resolve("case_001_0000.nii.gz").toString(),
			"--out", tmp.resolve("domains.png").toString(), "--depth", "2", "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("labeled-unlabeled gap per class") && r.out().contains("predicted"), r.out());
		assertTrue(Files.size(tmp.resolve("domains.png")) > Files.size(tmp.resolve("features.png")), "two panels");
		r = run("features", "--model", model.toString(), "--image", "a.nii", "--labels", "b.nii", "--unlabeled-labels", "c.nii", "--out",
			"x.png");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("--unlabeled-labels needs --unlabeled-image"), r.err());
		// evaluate against the labels
		r = run("evaluate", "--pred", pred.toString(), "--truth", cohort.resolve("labelsTr").toString(), "--out", tmp.resolve("eval")
			.toString());
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("3 cases") && r.out().contains("liver") && r.out().contains("mean Dice"), r.out());
		assertEquals(1 + 3 * 8, Files.readAllLines(tmp.resolve("eval/cases.csv")).size());
		assertTrue(Files.exists(tmp.resolve("eval/dice.png")));
		Files.delete(pred.resolve("case_001.nii.gz"));
		r = run("evaluate", "--pred", pred.toString(), "--truth", cohort.resolve("labelsTr").toString(), "--out", tmp.resolve("eval2")
			.toString());
		assertEquals(1, r.code());
		assertTrue(r.err().contains("lacks predictions for 1 of 3 cases: case_001"), r.err());
		r = run("train", "--data", cohort.toString(), "--out", tmp.resolve("x").toString(), "--arch", "resnet");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("unknown architecture 'resnet'"), r.err());
	}
}
