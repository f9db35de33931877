package sc.fiji.voxelseg.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import sc.fiji.voxelseg.image.Volume;

/**
 * Reads any supported volume (NIfTI-1/2, NRRD, MetaImage, a DICOM series folder) and writes NIfTI.
 * The format comes from the file name, or from the first bytes when the name says nothing.
 */
public final class VolumeIO {

	public enum Format {
		NIFTI, NRRD, METAIMAGE, OTHER
	}

	private static final java.util.List<VolumeReader> EXTRA = loadReaders();

	private static java.util.List<VolumeReader> loadReaders() {
		final java.util.List<VolumeReader> list = new java.util.ArrayList<>();
		java.util.ServiceLoader.load(VolumeReader.class, VolumeIO.class.getClassLoader()).forEach(
			list::add);
		return list;
	}

	private VolumeIO() {}

	public static Volume read(final Path p) throws IOException {
		return read(p, ReadOptions.defaults());
	}

	public static Volume read(final Path p, final ReadOptions opt) throws IOException {
		return switch (detect(p)) {
			case NIFTI -> NiftiIO.read(p, opt);
			case NRRD -> NrrdIO.read(p, opt);
			case METAIMAGE -> MetaImageIO.read(p, opt);
			case OTHER -> other(p).read(p, opt);
		};
	}

	private static VolumeReader other(final Path p) throws IOException {
		final byte[] head = head(p);
		for (final VolumeReader r : EXTRA)
			if (r.accepts(p, head)) return r;
		throw new VolumeFormatException(p, Files.isDirectory(p)
			? "no reader takes this folder (a DICOM series folder holds .dcm files or files with the DICM marker)"
			: UNKNOWN);
	}

	private static final String UNKNOWN =
		"unknown file format; VoxelSeg reads NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd) and DICOM series folders";

	private static byte[] head(final Path p) throws IOException {
		if (Files.isDirectory(p)) return new byte[0];
		try (InputStream in = Files.newInputStream(p)) {
			return in.readNBytes(352);
		}
	}

	/** Writes NIfTI ({@code .nii} or {@code .nii.gz}), atomically. */
	public static void write(final Volume v, final Path p) throws IOException {
		NiftiIO.write(v, p);
	}

	public static Format detect(final Path p) throws IOException {
		if (Files.isDirectory(p)) return Format.OTHER;
		if (!Files.exists(p)) throw new VolumeFormatException(p, "no such file or folder");
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (n.endsWith(".nii") || n.endsWith(".nii.gz")) return Format.NIFTI;
		if (n.endsWith(".nrrd") || n.endsWith(".nhdr")) return Format.NRRD;
		if (n.endsWith(".mha") || n.endsWith(".mhd")) return Format.METAIMAGE;
		final byte[] head = head(p);
		if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return Format.NIFTI;
		final String ascii = new String(head, StandardCharsets.ISO_8859_1);
		if (ascii.startsWith("NRRD")) return Format.NRRD;
		if (ascii.startsWith("ObjectType") || ascii.contains("ElementDataFile")) return Format.METAIMAGE;
		if (head.length >= 348 && (ascii.startsWith("n+1", 344) || ascii.startsWith("n+2", 4)))
			return Format.NIFTI;
		return Format.OTHER;
	}
}
