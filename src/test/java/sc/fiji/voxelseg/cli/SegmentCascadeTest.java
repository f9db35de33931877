package sc.fiji.voxelseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.imglib2.img.array.ArrayImgs;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.model.ModelBundle;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.Norm;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;

/**
 * {@code segment --model CASCADE --coarse COARSE} end to end with real (untrained) bundles: a tiny
 * ordinary U-Net as the coarse model, a tiny two-channel cascade U-Net on 16×16×8 patches; one file
 * and a folder (resumable); and the usage errors of a cascade model without {@code --coarse} and of
 * {@code --coarse} with an ordinary model.
 */
public class SegmentCascadeTest {

	@TempDir
	Path tmp;

	static final PreprocessingPlan PLAN = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ResampleToShape(
		new long[] { 32, 32, 16 })));

	/** An untrained network with seeded weights, as a bundle at {@code out}. */
	static Path bundle(final Path out, final NetworkConfig cfg, final int[] input, final JsonObject training) throws Exception {
		TorchEngine.engine();
		TorchEngine.seed(3);
		final SegmentationNetwork net = cfg.build();
		try (NDManager m = NDManager.newBaseManager()) {
			net.initialize(m, DataType.FLOAT32, new Shape(1, cfg.inChannels(), input[2], input[1], input[0]));
			new ModelBundle(cfg, ClassTable.abdomen(), PLAN, input, training, ModelBundle.weightsOf(net), null).save(out);
		}
		return out;
	}

	public static Path cascade(final Path out) throws Exception {
		final JsonObject training = JsonParser.parseString("{\"settings\": {\"patches\": {\"patch\": [16,16,8], \"attention\": \"labels\"}}}")
			.getAsJsonObject();
		return bundle(out, new NetworkConfig(Architecture.UNET, 2, 2, 2, 4, 3, Norm.BATCH), new int[] { 16, 16, 8 }, training);
	}

	public static Path coarse(final Path out) throws Exception {
		return bundle(out, new NetworkConfig(Architecture.UNET, 1, 9, 2, 4, 3, Norm.BATCH), new int[] { 32, 32, 16 }, null);
	}

	/** A 40×36×20 int16 CT: air around a soft-tissue body with brighter and darker blobs. */
	public static Path ct(final Path out, final int seed) throws Exception {
		final int nx = 40, ny = 36, nz = 20;
		final short[] s = new short[nx * ny * nz];
		for (int z = 0, i = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++, i++) {
			final double bx = (x - 20) / 17.0, by = (y - 18) / 15.0, bz = (z - 10) / 9.0;
			s[i] = (short) (bx * bx + by * by + bz * bz < 1 ? 40 + 8 * ((x * 7 + y * 3 + z * 5 + seed) % 11) : -1000);
			if (Math.abs(x - 13) < 5 && Math.abs(y - 15) < 6 && Math.abs(z - 9) < 4) s[i] = 160;
			if (Math.abs(x - 27) < 4 && Math.abs(y - 22) < 4 && Math.abs(z - 11) < 3) s[i] = -60;
		}
		NiftiIO.write(new Volume(ArrayImgs.shorts(s, nx, ny, nz), new double[] { 0.9, 0.9, 2 }, new double[] { -18, -16, 0 }, Volume
			.identity(), null, VoxelType.INT16), out);
		return out;
	}

	@Test
	void segmentsWithACascadeModelAndItsCoarseModel() throws Exception {
		final Path b = cascade(tmp.resolve("cascade.zip")), c = coarse(tmp.resolve("coarse.zip"));
		assertTrue(ModelBundle.load(b).cascade());
		final Path image = ct(tmp.resolve("ct.nii.gz"), 0), out = tmp.resolve("labels.nii.gz");
		MainTest.Result r = MainTest.run("segment", "--model", b.toString(), "--coarse", c.toString(), "--in", image.toString(), "--out",
			out.toString(), "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("wrote " + out), r.out());
		final Volume labels = NiftiIO.read(out);
		assertTrue(labels.sameGrid(NiftiIO.read(image)), labels.describeGrid());
		assertEquals(ClassTable.abdomen(), labels.classes());
		for (final float v : Voxels.floats(labels.image())) assertTrue(ClassTable.abdomen().contains((int) v) && v == (int) v, "label " + v);

		// a folder: resumable
		final Path images = Files.createDirectories(tmp.resolve("images")), pred = tmp.resolve("pred");
		ct(images.resolve("a_0000.nii.gz"), 1);
		ct(images.resolve("b_0000.nii.gz"), 2);
		r = MainTest.run("segment", "--model", b.toString(), "--coarse", c.toString(), "--in", images.toString(), "--out", pred.toString(),
			"--device", "cpu", "--largest-component");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("segmented 2, skipped 0 already done, failed 0"), r.out());
		assertTrue(Files.exists(pred.resolve("a.nii.gz")) && Files.exists(pred.resolve("b.nii.gz")));
		r = MainTest.run("segment", "--model", b.toString(), "--coarse", c.toString(), "--in", images.toString(), "--out", pred.toString(),
			"--device", "cpu");
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("segmented 0, skipped 2 already done, failed 0"), r.out());
	}

	@Test
	void usageErrorsNameTheCoarseModel() throws Exception {
		final Path b = cascade(tmp.resolve("cascade")), c = coarse(tmp.resolve("coarse.zip"));
		final Path image = ct(tmp.resolve("ct.nii.gz"), 0);
		// a cascade model alone
		MainTest.Result r = MainTest.run("segment", "--model", b.toString(), "--in", image.toString(), "--out", tmp.resolve("x.nii.gz")
			.toString(), "--device", "cpu");
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("is a cascade model") && r.err().contains("--coarse") && r.err().contains(b.toString()), r.err());
		assertTrue(r.err().contains("usage: voxelseg segment") && r.err().contains("[--coarse"), r.err());
		// --coarse with an ordinary model
		r = MainTest.run("segment", "--model", c.toString(), "--coarse", c.toString(), "--in", image.toString(), "--out", tmp.resolve(
			"x.nii.gz").toString(), "--device", "cpu");
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("--coarse is only for cascade models") && r.err().contains(c.toString()), r.err());
		// a coarse model that is not there
		r = MainTest.run("segment", "--model", b.toString(), "--coarse", tmp.resolve("nope.zip").toString(), "--in", image.toString(),
			"--out", tmp.resolve("x.nii.gz").toString());
		assertEquals(2, r.code(), r.err());
		assertTrue(r.err().contains("nope.zip"), r.err());
		assertFalse(Files.exists(tmp.resolve("x.nii.gz")));
	}
}
