package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import ij.ImagePlus;

import net.imglib2.img.array.ArrayImgs;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;

import sc.fiji.voxelseg.fiji.ImagePlusBridge;
import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;

/** Each command run through a SciJava Context, as Fiji's macro recorder would call it. */
class CommandsTest {

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

	/**
	 * A batch-mode macro chains commands by image title: the output of Open Volume is registered as
	 * ImageJ registers a shown image, so HU Window finds it by its title (SciJava shows no output
	 * there); outside batch mode and without a macro nothing is registered.
	 */
	@Test
	void outputsReachABatchModeMacro() throws Exception {
		final Path dir = tmp.resolve("chain");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=1,seed=2,grid=32");
		final Path file = sc.fiji.voxelseg.io.TrainingDataset.read(dir).cases().get(0).image();
		final String title = Commands.baseName(file);
		ij.macro.Interpreter.batchMode = true;
		try {
			run("Open Volume", "path=[" + file + "]");
			final ImagePlus opened = ij.WindowManager.getImage(title);
			assertTrue(opened != null, "the opened volume is found by its title " + title);
			ij.WindowManager.setTempCurrentImage(null);
			ij.macro.Interpreter.removeBatchModeImage(opened);
		}
		finally {
			ij.macro.Interpreter.batchMode = false;
		}
		final int before = ij.macro.Interpreter.getBatchModeImageCount();
		run("Open Volume", "path=[" + file + "]");
		assertEquals(before, ij.macro.Interpreter.getBatchModeImageCount(), "outside a macro nothing is registered");
	}

	/**
	 * ImageJ's macro options find a key as {@code key=} not preceded by a letter, so {@code batch=}
	 * also matches inside {@code unlabeled_batch=}: no VoxelSeg command may have a parameter whose
	 * name ends, after a non-letter, with another parameter's name.
	 */
	@Test
	void noMacroKeyHidesInsideAnother() {
		final org.scijava.command.CommandService commands = context.service(org.scijava.command.CommandService.class);
		int checked = 0;
		for (final org.scijava.command.CommandInfo info : commands.getCommands()) {
			if (!info.getClassName().startsWith("sc.fiji.voxelseg.")) continue;
			checked++;
			final java.util.List<String> names = new java.util.ArrayList<>();
			for (final ModuleItem<?> item : info.inputs()) names.add(item.getName());
			for (final String a : names) {
				for (final String b : names) {
					if (a.equals(b) || !b.endsWith(a)) continue;
					final char before = b.charAt(b.length() - a.length() - 1);
					assertTrue(Character.isLetter(before), info.getTitle() + ": macro key " + a + "= also matches inside " + b + "=");
				}
			}
		}
		assertTrue(checked >= 10, "VoxelSeg commands found: " + checked);
	}

	/**
	 * Study...: an arm with an unknown train option is refused, naming the arm and the option,
	 * before anything trains; a valid design runs its cells through the launcher and shows the
	 * Dice figure.
	 */
	@Test
	void studyChecksItsArmsAndRuns() throws Exception {
		final Path dir = tmp.resolve("cohort-study");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=4,seed=4,grid=64");
		final Path out = tmp.resolve("study");
		final String common = "data_dir=[" + dir + "],output_dir=[" + out + "],train_options=[--shape 32,32,16 --width 4 --levels 3 " +
			"--batch 1],fractions=[0.5],seeds=[0],steps=3,folds=2,reference=[],withheld=unlabeled,parallel=1,";
		final Exception e = assertThrows(Exception.class, () -> run("Study", common + "arms=[plain=\nbad=--widht 2]"));
		Throwable t = e;
		while (t.getCause() != null && !String.valueOf(t.getMessage()).contains("arm bad")) t = t.getCause();
		assertTrue(String.valueOf(t.getMessage()).contains("arm bad: unknown option --widht"), e.toString());
		assertFalse(Files.exists(out.resolve("cells")));
		final Module m = run("Study", common + "arms=[plain=]");
		assertTrue(m.getOutput("figure") != null, "the Dice figure is shown");
		assertEquals(1 + 2 * 2 * 8, Files.readAllLines(out.resolve("results.csv")).size(), "2 folds × 2 test cases × 8 organs");
	}

	@Test
	void trainSemiSupervisedWithWithheldLabels() throws Exception {
		final Path dir = tmp.resolve("cohort-semi");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=2,seed=4,grid=64");
		final Path plan = tmp.resolve("plan-semi.json");
		new sc.fiji.voxelseg.preprocess.PreprocessingPlan(java.util.List.of(sc.fiji.voxelseg.preprocess.Step.Window.of(
			sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE), new sc.fiji.voxelseg.preprocess.Step.ResampleToShape(new long[] { 32,
				32, 16 }))).save(plan);
		final Path model = tmp.resolve("semi-model");
		final Module m = run("Train Semi-supervised", "data_dir=[" + dir + "],output=[" + model + "],preprocessing=[plan file],plan_file=[" +
			plan + "],base_width=4,iterations=1,batch=1,unlabeled_volumes=1,labeled_fraction=0.5,validation=0,device=cpu");
		assertTrue(((String) m.getOutput("summary")).startsWith("Trained after 1 steps"), (String) m.getOutput("summary"));
		final var b = sc.fiji.voxelseg.model.ModelBundle.load(model);
		assertEquals(ClassTable.abdomen(), b.classes());
		assertEquals(0.5, b.training().getAsJsonObject("settings").getAsJsonObject("semiSupervised").get("labeledFraction").getAsDouble());
	}

	/** A 20×16×8 CT: -1000 HU air with a 0..119 HU ramp box at x 5..14, y 4..11, z 2..5. */
	static Volume ct() {
		final short[] s = new short[20 * 16 * 8];
		java.util.Arrays.fill(s, (short) -1000);
		for (int z = 2; z <= 5; z++)
			for (int y = 4; y <= 11; y++)
				for (int x = 5; x <= 14; x++)
					s[x + 20 * (y + 16 * z)] = (short) (x * 8);
		return new Volume(ArrayImgs.shorts(s, 20, 16, 8), new double[] { 0.8, 0.8, 2.5 }, new double[] {
			-10, 20, 5 }, Volume.identity(), null, VoxelType.INT16);
	}

	private Module run(final String title, final String args) throws Exception {
		return runner.run(runner.find(title), CommandRunner.parse(args));
	}

	private static Volume out(final Module m) {
		return ImagePlusBridge.toVolume((ImagePlus) m.getOutput("result"));
	}

	@Test
	void everyCommandHasSnakeCaseKeysAndImageInputsDoNotPersist() {
		assertTrue(runner.commands().size() >= 6, runner.commands().keySet().toString());
		runner.commands().values().forEach(ci -> {
			assertTrue(ci.getMenuPath().toString().contains("VoxelSeg"), ci.getMenuPath().toString());
			for (final ModuleItem<?> i : ci.inputs()) {
				assertTrue(i.getName().matches("[a-z][a-z0-9_]*"), ci.getTitle() + ": " + i.getName());
				if (i.getType() == ImagePlus.class) assertFalse(i.isPersisted(), ci.getTitle() + ": " + i
					.getName() + " persists");
			}
		});
	}

	/** Export Model writes both formats through the launcher's use case; the package reproduces its test tensors. */
	@Test
	void exportModelWritesOnnxAndABioImageIoPackage() throws Exception {
		final Path bundle = sc.fiji.voxelseg.cli.SegmentCascadeTest.coarse(tmp.resolve("m.zip"));
		final Path onnx = tmp.resolve("m.onnx"), pkg = tmp.resolve("pkg.zip");
		Module m = run("Export Model", "model=[" + bundle + "] output=[" + onnx + "] format=[ONNX file]");
		assertTrue(Files.size(onnx) > 1000 && ((String) m.getOutput("result")).contains("ONNX opset"), (String) m.getOutput("result"));
		m = run("Export Model", "model=[" + bundle + "] output=[" + pkg + "] format=[bioimage.io package] package_name=[Abdomen test] " +
			"authors=[A. Author] licence=MIT");
		assertTrue(((String) m.getOutput("result")).contains("bioimage.io model"), (String) m.getOutput("result"));
		assertTrue(sc.fiji.voxelseg.model.BioImageIo.isPackage(pkg));
		assertTrue(sc.fiji.voxelseg.model.BioImageIo.reproduce(pkg) < 1e-4);
	}

	/**
	 * Segment Files takes files only (no image input, so headless Fiji's --run can call it): a file,
	 * a folder resumed, and a failing file named in the error; the label maps equal the launcher's.
	 */
	@Test
	void segmentFilesWorksOnFilesAndFoldersWithoutOpenImages() throws Exception {
		for (final ModuleItem<?> i : runner.find("Segment Files").inputs()) assertTrue(i.getType() != ImagePlus.class, i.getName());
		final Path bundle = sc.fiji.voxelseg.cli.SegmentCascadeTest.coarse(tmp.resolve("m.zip"));
		final Path images = Files.createDirectories(tmp.resolve("images"));
		sc.fiji.voxelseg.cli.SegmentCascadeTest.ct(images.resolve("a_0000.nii.gz"), 1);
		sc.fiji.voxelseg.cli.SegmentCascadeTest.ct(images.resolve("b_0000.nii.gz"), 2);
		final Path one = tmp.resolve("one.nii.gz");
		Module m = run("Segment Files", "model=[" + bundle + "] input=[" + images.resolve("a_0000.nii.gz") + "] output=[" + one + "] device=cpu");
		assertTrue(((String) m.getOutput("result")).startsWith("segmented 1"), (String) m.getOutput("result"));
		final Path out = tmp.resolve("out");
		m = run("Segment Files", "model=[" + bundle + "] input=[" + images + "] output=[" + out + "] device=cpu");
		assertEquals("segmented 2, skipped 0 already done, failed 0", ((String) m.getOutput("result")).replaceAll(" \\(.*", ""));
		assertArrayEquals(Voxels.floats(NiftiIO.read(one).image()), Voxels.floats(NiftiIO.read(out.resolve("a.nii.gz")).image()));
		// the same through ONNX Runtime
		final Path viaOrt = tmp.resolve("ort.nii.gz");
		run("Segment Files", "model=[" + bundle + "] input=[" + images.resolve("a_0000.nii.gz") + "] output=[" + viaOrt + "] device=[" +
			ModelCacheService.ONNX_RUNTIME + "]");
		assertArrayEquals(Voxels.floats(NiftiIO.read(one).image()), Voxels.floats(NiftiIO.read(viaOrt).image()));
		Files.writeString(images.resolve("c_0000.nii.gz"), "broken");
		final Exception e = assertThrows(Exception.class, () -> run("Segment Files", "model=[" + bundle + "] input=[" + images +
			"] output=[" + out + "] device=cpu"));
		Throwable root = e;
		while (root.getCause() != null) root = root.getCause();
		assertTrue(root.getMessage().contains("skipped 2") && root.getMessage().contains("c_0000.nii.gz"), root.getMessage());
	}

	/** Worked by hand: the soft-tissue window maps 40 HU to (40+200)/450. */
	@Test
	void huWindow() throws Exception {
		objects.put("ct", ImagePlusBridge.toImagePlus(ct(), "ct"));
		final Volume r = out(run("HU Window", "image=ct,preset=soft_tissue"));
		final float[] f = Voxels.floats(r.image());
		assertEquals(0f, f[0]);
		assertEquals(240 / 450f, f[5 + 20 * (4 + 16 * 2)], 1e-6);
		assertArrayEquals(ct().spacing(), r.spacing(), 1e-6);
		final Volume c = out(run("HU Window", "image=ct preset=custom lower=0 upper=100"));
		assertEquals(0.4f, Voxels.floats(c.image())[5 + 20 * (4 + 16 * 2)], 1e-6);
		assertThrows(IllegalArgumentException.class, () -> run("HU Window", "image=ct,preset=nope"));
		assertThrows(IllegalArgumentException.class, () -> run("HU Window", "image=ct,colour=red"));
	}

	@Test
	void bodyCropResampleAndNormalise() throws Exception {
		objects.put("ct", ImagePlusBridge.toImagePlus(ct(), "ct"));
		final Volume crop = out(run("Body Crop", "image=ct,threshold_hu=-500,margin=1"));
		assertArrayEquals(new long[] { 12, 10, 6 }, crop.dims());
		final Volume rs = out(run("Resample", "image=ct,target=shape,x=10,y=8,z=4"));
		assertArrayEquals(new long[] { 10, 8, 4 }, rs.dims());
		assertArrayEquals(new double[] { 1.6, 1.6, 5 }, rs.spacing(), 1e-6);
		final Volume sp = out(run("Resample", "image=ct,target=spacing,x=1.6,y=1.6,z=5"));
		assertArrayEquals(new long[] { 10, 8, 4 }, sp.dims());
		final Volume z = out(run("Normalise", "image=ct,method=z-score"));
		final Voxels.Stats st = Voxels.stats(z.image());
		assertEquals(0, st.mean(), 1e-4);
		final Volume zm = out(run("Normalise", "image=ct,method=z-score,use_mask=true,mask_above=-500"));
		// worked by hand: the box holds 4 planes of x*8 for x = 5..14, mean 76, so voxel x=5 -> (40-76)/sd
		final float[] zf = Voxels.floats(zm.image());
		assertTrue(zf[5 + 20 * (4 + 16 * 2)] < 0 && zf[14 + 20 * (4 + 16 * 2)] > 0);
		assertEquals(-zf[5 + 20 * (4 + 16 * 2)], zf[14 + 20 * (4 + 16 * 2)], 1e-5);
		final Volume pc = out(run("Normalise", "image=ct,method=percentile,low_percentile=1,high_percentile=99"));
		assertEquals(0, Voxels.stats(pc.image()).min(), 1e-6);
		assertEquals(1, Voxels.stats(pc.image()).max(), 1e-6);
	}

	@Test
	void openAndSaveRoundTrip() throws Exception {
		final Path ctFile = tmp.resolve("ct.nii.gz");
		NiftiIO.write(ct(), ctFile);
		final ImagePlus imp = (ImagePlus) run("Open Volume", "path=[" + ctFile + "]").getOutput("image");
		assertEquals(20, imp.getWidth());
		assertEquals(8, imp.getStackSize());
		assertEquals(0.8, imp.getCalibration().pixelWidth, 1e-6);
		assertEquals(-1000, Voxels.stats(ImagePlusBridge.toVolume(imp).image()).min());

		final byte[] b = new byte[20 * 16 * 8];
		b[3] = 2;
		final Volume lab = ct().withImage(ArrayImgs.unsignedBytes(b, 20, 16, 8), VoxelType.UINT8)
			.withClasses(ClassTable.abdomen());
		objects.put("labels", ImagePlusBridge.toImagePlus(lab, "labels"));
		final Path out = tmp.resolve("labels.nii.gz");
		run("Save Label Map", "labels=labels,path=[" + out + "]");
		final Volume back = NiftiIO.read(out);
		assertEquals(ClassTable.abdomen(), back.classes());
		assertTrue(back.sameGrid(lab));
		assertEquals(2, Voxels.floats(back.image())[3]);
		// a failure leaves nothing behind
		final Path bad = tmp.resolve("labels.txt");
		assertThrows(Exception.class, () -> run("Save Label Map", "labels=labels,path=[" + bad + "]"));
		assertFalse(Files.exists(bad));
	}

	@Test
	void phantomCohort() throws Exception {
		final Path dir = tmp.resolve("cohort");
		final Module m = run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=2,seed=3,grid=64");
		assertTrue(((String) m.getOutput("summary")).startsWith("2 phantom cases"));
		final var ds = sc.fiji.voxelseg.io.TrainingDataset.read(dir);
		assertEquals(2, ds.size());
		assertEquals(ClassTable.abdomen(), ds.classes());
		assertEquals(ClassTable.abdomen(), NiftiIO.read(ds.cases().get(0).label()).classes());
	}

	/**
	 * Self-supervised pretraining on the unlabeled images of a phantom cohort, then Train Supervised
	 * from the backbone by linear evaluation: the bundles are a pretrained backbone and an FPN
	 * segmentation model whose settings record the backbone.
	 */
	@Test
	void pretrainThenTrainALinearHead() throws Exception {
		final Path dir = tmp.resolve("ssl-cohort");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=2,seed=6,grid=64");
		final Path plan = tmp.resolve("ssl-plan.json");
		new sc.fiji.voxelseg.preprocess.PreprocessingPlan(java.util.List.of(sc.fiji.voxelseg.preprocess.Step.Window.of(
			sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE), new sc.fiji.voxelseg.preprocess.Step.ResampleToShape(new long[] { 32,
				32, 16 }))).save(plan);
		final Path backbone = tmp.resolve("backbone.zip");
		final Module p = run("Self-supervised Pretraining", "images_dir=[" + dir.resolve("imagesTr") + "],output=[" + backbone +
			"],preprocessing=[plan file],plan_file=[" + plan + "],levels=3,base_width=4,iterations=2,crop=[16,16,8],pairs=2,voxels=16," +
			"method=vox2vec,device=cpu");
		assertTrue(((String) p.getOutput("summary")).startsWith("Pretrained after 2 steps"), (String) p.getOutput("summary"));
		final var b = sc.fiji.voxelseg.model.ModelBundle.load(backbone);
		assertTrue(b.pretrained());
		assertEquals(false, b.training().getAsJsonObject("settings").getAsJsonObject("pretraining").get("balance").getAsBoolean());
		final Path model = tmp.resolve("linear.zip");
		final Module m = run("Train Supervised", "data_dir=[" + dir + "],output=[" + model + "],preprocessing=[plan file],plan_file=[" +
			plan + "],pretrained=[" + backbone + "],backbone_mode=[linear (frozen backbone)],iterations=2,batch=1,validation=0,device=cpu");
		assertTrue(((String) m.getOutput("summary")).startsWith("Trained after 2 steps"), (String) m.getOutput("summary"));
		// the training curve, as the image window Fiji shows
		final ImagePlus curve = (ImagePlus) m.getOutput("curve");
		assertEquals(ImagePlus.COLOR_RGB, curve.getType());
		assertEquals(800, curve.getWidth());
		assertEquals(500 + 2 * 220, curve.getHeight(), "the curve, seconds per step and the learning rate");
		final var trained = sc.fiji.voxelseg.model.ModelBundle.load(model);
		assertEquals(sc.fiji.voxelseg.nn.Architecture.FPN, trained.network().architecture());
		assertTrue(trained.training().getAsJsonObject("settings").get("linear").getAsBoolean());
	}

	/**
	 * Contrastive pretraining on organ patches (AGCL, organ × contrast phase) from the pretraining
	 * dialog, then the decoder on the frozen encoder from Train Supervised: a pretrained two-channel
	 * backbone, then a cascade model on the backbone's patches.
	 */
	@Test
	void agclPretrainThenTrainTheDecoder() throws Exception {
		final Path dir = tmp.resolve("agcl-cohort");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=3,seed=4,grid=64");
		final Path plan = tmp.resolve("agcl-plan.json");
		new sc.fiji.voxelseg.preprocess.PreprocessingPlan(java.util.List.of(sc.fiji.voxelseg.preprocess.Step.Window.of(
			sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE), new sc.fiji.voxelseg.preprocess.Step.ResampleToShape(new long[] { 32,
				32, 16 }))).save(plan);
		final Path backbone = tmp.resolve("agcl.zip");
		final Module p = run("Self-supervised Pretraining", "dataset_dir=[" + dir + "],output=[" + backbone + "],preprocessing=[plan file]," +
			"plan_file=[" + plan + "],method=agcl,architecture=unet,attention=labels,conditions=[" + dir.resolve("cases.json") + "]," +
			"patch=[16,16,8],patches=2,levels=3,base_width=4,iterations=2,device=cpu");
		assertTrue(((String) p.getOutput("summary")).startsWith("Pretrained after 2 steps"), (String) p.getOutput("summary"));
		final var b = sc.fiji.voxelseg.model.ModelBundle.load(backbone);
		assertTrue(b.pretrained());
		assertEquals(2, b.network().inChannels());
		final Path model = tmp.resolve("cascade.zip");
		final Module m = run("Train Supervised", "data_dir=[" + dir + "],output=[" + model + "],preprocessing=[plan file],plan_file=[" +
			plan + "],pretrained=[" + backbone + "],backbone_mode=[decoder (frozen encoder, organ patches)],attention=labels," +
			"iterations=2,batch=2,validation=0,device=cpu");
		assertTrue(((String) m.getOutput("summary")).startsWith("Trained after 2 steps"), (String) m.getOutput("summary"));
		// the training curve, as the image window Fiji shows
		final ImagePlus curve = (ImagePlus) m.getOutput("curve");
		assertEquals(ImagePlus.COLOR_RGB, curve.getType());
		assertEquals(800, curve.getWidth());
		assertEquals(500 + 2 * 220, curve.getHeight(), "the curve, seconds per step and the learning rate");
		final var cascade = sc.fiji.voxelseg.model.ModelBundle.load(model);
		assertTrue(cascade.cascade());
		assertTrue(cascade.training().getAsJsonObject("settings").getAsJsonObject("patches").get("frozenEncoder").getAsBoolean());
	}

	@Test
	void trainSupervisedOnAFolderAndOnOpenImages() throws Exception {
		final Path dir = tmp.resolve("cohort");
		run("Generate Phantom Cohort", "output_dir=[" + dir + "],cases=2,seed=3,grid=64");
		final Path plan = tmp.resolve("plan.json");
		new sc.fiji.voxelseg.preprocess.PreprocessingPlan(java.util.List.of(sc.fiji.voxelseg.preprocess.Step.Window.of(
			sc.fiji.voxelseg.preprocess.HuWindow.SOFT_TISSUE), new sc.fiji.voxelseg.preprocess.Step.ResampleToShape(new long[] { 32,
				32, 16 }))).save(plan);
		final Path model = tmp.resolve("model");
		final Module m = run("Train Supervised", "data_dir=[" + dir + "],output=[" + model + "],preprocessing=[plan file],plan_file=[" +
			plan + "],base_width=4,iterations=2,batch=1,device=cpu");
		assertTrue(((String) m.getOutput("summary")).startsWith("Trained after 2 steps"), (String) m.getOutput("summary"));
		// the training curve, as the image window Fiji shows
		final ImagePlus curve = (ImagePlus) m.getOutput("curve");
		assertEquals(ImagePlus.COLOR_RGB, curve.getType());
		assertEquals(800, curve.getWidth());
		assertEquals(500 + 2 * 220, curve.getHeight(), "the curve, seconds per step and the learning rate");
		assertEquals(ClassTable.abdomen(), sc.fiji.voxelseg.model.ModelBundle.load(model).classes());
		// a second run into the same bundle must be a resume
		final Exception e = assertThrows(Exception.class, () -> run("Train Supervised", "data_dir=[" + dir + "],output=[" + model +
			"],preprocessing=[plan file],plan_file=[" + plan + "],base_width=4,iterations=2,batch=1,device=cpu"));
		Throwable t = e;
		while (t.getCause() != null && !String.valueOf(t.getMessage()).contains("Resume")) t = t.getCause();
		assertTrue(String.valueOf(t.getMessage()).contains("Resume"), e.toString());
		// an earlier preset name passes the dialog's choices as the preset it names (here, to the same refusal);
		// a misspelt one is refused with the choices
		final Exception alias = assertThrows(Exception.class, () -> run("Train Supervised", "data_dir=[" + dir + "],output=[" + model +
			"],preprocessing=seeds-ct,base_width=4,iterations=2,batch=1,device=cpu"));
		t = alias;
		while (t.getCause() != null && !String.valueOf(t.getMessage()).contains("Resume")) t = t.getCause();
		assertTrue(String.valueOf(t.getMessage()).contains("Resume"), alias.toString());
		final Exception typo = assertThrows(IllegalArgumentException.class, () -> run("Train Supervised", "data_dir=[" + dir +
			"],output=[" + model + "],preprocessing=seeds-cct,base_width=4,iterations=2,batch=1,device=cpu"));
		assertEquals("preprocessing=seeds-cct is not one of [abdomen-ct-128, ct-body-2mm, mri-1.5mm, plan file]", typo.getMessage());
		// open images: an image and its label map
		final var ds = sc.fiji.voxelseg.io.TrainingDataset.read(dir);
		objects.put("img", ImagePlusBridge.toImagePlus(NiftiIO.read(ds.cases().get(0).image()), "img"));
		objects.put("lab", ImagePlusBridge.toImagePlus(NiftiIO.read(ds.cases().get(0).label()), "lab"));
		final Module open = run("Train Supervised", "image=img,labels=lab,output=[" + tmp.resolve("m2.zip") +
			"],preprocessing=[plan file],plan_file=[" + plan + "],base_width=4,iterations=1,batch=1,validation=0,device=cpu," +
			"representation=siamese,feature_layers=2,lambda=5,head_width=16,feature_grid=features");
		assertTrue(Files.exists(model.resolve("model.json")));
		final var trained = sc.fiji.voxelseg.model.ModelBundle.load(tmp.resolve("m2.zip")).training().getAsJsonObject("settings");
		assertEquals("SIAMESE", trained.get("representation").getAsString());
		assertEquals(16, trained.get("headWidth").getAsInt());
		assertTrue(((String) open.getOutput("summary")).startsWith("Trained after 1 steps"));
		assertTrue(Files.exists(tmp.resolve("m2.zip")));

		// the feature-space picture of the two bundles side by side, and labeled vs unlabeled voxels
		objects.put("img2", ImagePlusBridge.toImagePlus(NiftiIO.read(ds.cases().get(1).image()), "img2"));
		final Module fs = run("Feature Space", "image=img,labels=lab,model=[" + model + "],model_2=[" + tmp.resolve("m2.zip") +
			"],unlabeled_comparison=true,unlabeled=img2,depth=2,per_class=20,device=cpu");
		final ImagePlus pic = (ImagePlus) fs.getOutput("picture");
		assertEquals(ImagePlus.COLOR_RGB, pic.getType());
		assertTrue(pic.getWidth() > 3 * pic.getHeight(), "four panels side by side: " + pic.getWidth() + "x" + pic.getHeight());
		// an open image in the unlabeled field is not used unless the comparison is asked for
		final ImagePlus two = (ImagePlus) run("Feature Space", "image=img,labels=lab,model=[" + model + "],model_2=[" + tmp.resolve(
			"m2.zip") + "],unlabeled_comparison=false,unlabeled=img2,depth=2,per_class=20,device=cpu").getOutput("picture");
		assertTrue(two.getWidth() < pic.getWidth(), "fewer panels: " + two.getWidth() + " against " + pic.getWidth());

		// segment the open image twice: the service loads the model once
		final ModelCacheService cache = context.getService(ModelCacheService.class);
		final int before = cache.loads();
		Module seg = run("Segment", "image=img,model=[" + model + "],overlay=outline,probabilities=true,device=cpu");
		seg = run("Segment", "image=img,model=[" + model + "],overlay=filled,opacity=0.5,device=cpu");
		assertEquals(before + 1, cache.loads());
		final ImagePlus labels = (ImagePlus) seg.getOutput("labels");
		final Volume lv = ImagePlusBridge.toVolume(labels);
		assertTrue(lv.sameGrid(ImagePlusBridge.toVolume((ImagePlus) objects.get("img"))));
		assertEquals(ClassTable.abdomen(), lv.classes());
		assertTrue(((ImagePlus) objects.get("img")).getOverlay() != null);
		// evaluate the prediction against the truth: one row per organ
		objects.put("pred", labels);
		final Module ev = run("Evaluate", "source=[open images],prediction=pred,truth=lab,prediction_dir=[" + tmp.resolve("nowhere") +
			"],truth_dir=[" + tmp.resolve("nowhere") + "]");
		final ij.measure.ResultsTable rt = (ij.measure.ResultsTable) ev.getOutput("results");
		assertEquals(8, rt.size());
		assertEquals("spleen", rt.getStringValue("class", 0));
		assertEquals(null, ev.getOutput("dice_chart"), "no box plot of one case");
		// two folders of cases: the Dice box plot as a picture as well (the truth against itself: every Dice 1)
		final Module folders = run("Evaluate", "source=folders,prediction_dir=[" + dir.resolve("labelsTr") + "],truth_dir=[" + dir
			.resolve("labelsTr") + "]");
		assertEquals(16, ((ij.measure.ResultsTable) folders.getOutput("results")).size());
		final ImagePlus chart = (ImagePlus) folders.getOutput("dice_chart");
		assertEquals(ImagePlus.COLOR_RGB, chart.getType());
		assertEquals("Dice per organ", chart.getTitle());
	}
}
