package sc.fiji.voxelseg.util;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 as lowercase hex: what bundles, bioimage.io packages and caches record of their files. */
public final class Digests {

	private Digests() {}

	/** The SHA-256 of the parts one after another. */
	public static String sha256(final byte[]... parts) {
		try {
			final MessageDigest d = MessageDigest.getInstance("SHA-256");
			for (final byte[] p : parts) d.update(p);
			return HexFormat.of().formatHex(d.digest());
		}
		catch (final NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}
}
