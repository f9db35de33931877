package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.testutil.Python;

/**
 * {@code .npy} reading against files that Debian's python3-numpy writes (the values are worked by
 * hand: {@code i · 0.5 - 3}); the orders and types it does not read are refused by name. Writing is
 * checked by numpy in {@code BioImageIoTest}.
 */
class NpyTest {

	@Test
	void readsWhatNumpyWritesAndRefusesWhatItCannot(@TempDir final Path dir) throws Exception {
		Python.run("npy_write.py", dir.toString());
		final float[] want = new float[24];
		for (int i = 0; i < 24; i++) want[i] = i * 0.5f - 3;
		for (final String f : new String[] { "f4.npy", "f8.npy", "be.npy" }) {
			final Npy.Array a = Npy.read(dir.resolve(f));
			assertArrayEquals(new long[] { 2, 3, 4 }, a.shape(), f);
			assertArrayEquals(want, a.data(), 0f, f);
		}
		Exception e = assertThrows(IOException.class, () -> Npy.read(dir.resolve("fortran.npy")));
		assertTrue(e.getMessage().contains("fortran.npy") && e.getMessage().contains("Fortran"), e.getMessage());
		e = assertThrows(IOException.class, () -> Npy.read(dir.resolve("ints.npy")));
		assertTrue(e.getMessage().contains("ints.npy") && e.getMessage().contains("float32 or float64"), e.getMessage());
		final Path junk = Files.writeString(dir.resolve("junk.npy"), "nope");
		e = assertThrows(IOException.class, () -> Npy.read(junk));
		assertTrue(e.getMessage().contains("not a .npy"), e.getMessage());
		// round trip of what VoxelSeg writes
		Npy.write(new Npy.Array(want, new long[] { 4, 6 }), dir.resolve("mine.npy"));
		final Npy.Array back = Npy.read(dir.resolve("mine.npy"));
		assertArrayEquals(new long[] { 4, 6 }, back.shape());
		assertArrayEquals(want, back.data(), 0f);
	}
}
