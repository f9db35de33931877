package sc.fiji.voxelseg.nn;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.Test;

/** What the engine says where VoxelSeg ships no libtorch. */
class TorchEngineTest {

	/**
	 * Linux on x86-64 (both of Java's names for it) has no problem; Windows, macOS on Apple silicon
	 * and Linux on ARM get a message naming their system and architecture and the jar to add.
	 */
	@Test
	void otherPlatformsAreNamedInTheError() {
		// the update site ships libtorch for these (jars/linux64, jars/win64, jars/macos-arm64)
		assertNull(TorchEngine.platformProblem("Linux", "amd64"));
		assertNull(TorchEngine.platformProblem("Linux", "x86_64"));
		assertNull(TorchEngine.platformProblem("Windows 11", "amd64"));
		assertNull(TorchEngine.platformProblem("Mac OS X", "aarch64"));
		for (final String[] p : new String[][] { { "Mac OS X", "x86_64" }, { "Linux", "aarch64" }, { "Windows 11", "aarch64" } }) {
			final String m = TorchEngine.platformProblem(p[0], p[1]);
			assertTrue(m != null && m.contains(p[0]) && m.contains(p[1]) && m.contains("pytorch-native-cpu"), String.valueOf(m));
		}
	}

	/** The version the message names is the one the native jar on the class path carries. */
	@Test
	void theNamedVersionIsTheShippedOne() throws Exception {
		TorchEngine.engine();
		assertTrue(TorchEngine.engine().getVersion().startsWith(TorchEngine.PYTORCH_VERSION), TorchEngine.engine().getVersion());
	}
}
