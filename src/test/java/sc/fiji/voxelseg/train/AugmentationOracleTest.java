package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.phantom.PhantomCase;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.testutil.Python;

/**
 * Spatial augmentation moves the image and its labels together. Oracle: scipy.ndimage's
 * {@code affine_transform} ({@code augment_oracle.py}, Debian's python3-scipy) on a labelled
 * phantom, the image trilinearly and the labels by nearest neighbour, voxel by voxel; flips against
 * the index arithmetic of a mirror, for image and labels alike.
 */
class AugmentationOracleTest {

	@TempDir
	Path tmp;

	/** A phantom case at 1/8 scale, its image windowed to [0, 1]. */
	private static PhantomCase phantom() {
		return new PhantomGenerator(PhantomConfig.ofGrid(1, 21, 64)).generate(0);
	}

	private static float[] windowed(final PhantomCase c) {
		final float[] hu = Voxels.floats(c.image().image());
		final float[] w = new float[hu.length];
		for (int i = 0; i < w.length; i++) w[i] = (float) Math.max(0, Math.min(1, (hu[i] + 200) / 450));
		return w;
	}

	private static byte[] labels(final PhantomCase c) {
		final float[] f = Voxels.floats(c.labels().image());
		final byte[] b = new byte[f.length];
		for (int i = 0; i < b.length; i++) b[i] = (byte) f[i];
		return b;
	}

	@Test
	void rotationAndScalingMatchScipy() throws Exception {
		final PhantomCase c = phantom();
		final int nx = c.image().width(), ny = c.image().height(), nz = c.image().depth();
		final double[][] cases = { { Math.toRadians(12.5), 1.0 }, { Math.toRadians(-9), 1.13 }, { Math.toRadians(3), 0.87 } };
		for (final double[] rs : cases) {
			final float[] img = windowed(c);
			final byte[] lab = labels(c);
			final Path in = tmp.resolve("in"), out = tmp.resolve("out");
			write(in, img, lab);
			final int ties = Python.json("augment_oracle.py", in + ".f32", in + ".u8", "" + nx, "" + ny, "" + nz, Double.toString(rs[0]),
				Double.toString(rs[1]), out.toString()).getAsJsonObject().get("ties").getAsInt();
			Augmentation.rotateScale(img, lab, nx, ny, nz, rs[0], rs[1]);
			final float[] expected = floats(out + ".f32");
			final byte[] expectedLab = Files.readAllBytes(Path.of(out + ".u8")), tie = Files.readAllBytes(Path.of(out + ".tie.u8"));
			int differ = 0, moved = 0;
			final byte[] before = labels(c);
			for (int i = 0; i < img.length; i++) {
				assertEquals(expected[i], img[i], 1e-5, "image voxel " + i + " for rotation " + rs[0] + ", scale " + rs[1]);
				if (lab[i] != expectedLab[i]) {
					assertEquals(1, tie[i], "label voxel " + i + " differs from scipy's (" + lab[i] + " against " + expectedLab[i] +
						") away from a rounding tie");
					differ++;
				}
				if (lab[i] != before[i]) moved++;
			}
			assertTrue(differ <= ties && moved > img.length / 100, differ + " label ties differ, " + moved + " labels moved");
		}
	}

	/** Each flip mirrors image and labels alike: voxel (x, y, z) takes (nx-1-x, y, z) for x, and so on. */
	@Test
	void flipsMirrorImageAndLabelsTogether() {
		final PhantomCase c = phantom();
		final int nx = c.image().width(), ny = c.image().height(), nz = c.image().depth();
		final float[] img0 = windowed(c);
		final byte[] lab0 = labels(c);
		for (int axis = 0; axis < 3; axis++) {
			final float[] img = img0.clone();
			final byte[] lab = lab0.clone();
			Augmentation.flip(img, lab, nx, ny, nz, axis);
			for (int z = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) {
				final int sx = axis == 0 ? nx - 1 - x : x, sy = axis == 1 ? ny - 1 - y : y, sz = axis == 2 ? nz - 1 - z : z;
				final int o = (z * ny + y) * nx + x, s = (sz * ny + sy) * nx + sx;
				if (img[o] != img0[s] || lab[o] != lab0[s]) throw new AssertionError("axis " + axis + " at " + x + "," + y + "," + z);
			}
			Augmentation.flip(img, lab, nx, ny, nz, axis);
			assertArrayEquals(img0, img);
			assertArrayEquals(lab0, lab);
		}
	}

	private static void write(final Path prefix, final float[] img, final byte[] lab) throws IOException {
		final ByteBuffer b = ByteBuffer.allocate(4 * img.length).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(img);
		Files.write(Path.of(prefix + ".f32"), b.array());
		Files.write(Path.of(prefix + ".u8"), lab);
	}

	private static float[] floats(final String file) throws IOException {
		final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Path.of(file))).order(ByteOrder.LITTLE_ENDIAN);
		final float[] f = new float[b.remaining() / 4];
		b.asFloatBuffer().get(f);
		return f;
	}
}
