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
		NIFTI, NRRD, METAIMAGE, DICOM
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
			case DICOM -> DicomSeriesIO.read(p, opt);
		};
	}

	/** Writes NIfTI ({@code .nii} or {@code .nii.gz}), atomically. */
	public static void write(final Volume v, final Path p) throws IOException {
		NiftiIO.write(v, p);
	}

	public static Format detect(final Path p) throws IOException {
		if (Files.isDirectory(p)) return Format.DICOM;
		if (!Files.exists(p)) throw new VolumeFormatException(p, "no such file or folder");
		final String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (n.endsWith(".nii") || n.endsWith(".nii.gz")) return Format.NIFTI;
		if (n.endsWith(".nrrd") || n.endsWith(".nhdr")) return Format.NRRD;
		if (n.endsWith(".mha") || n.endsWith(".mhd")) return Format.METAIMAGE;
		if (n.endsWith(".dcm")) return Format.DICOM;
		final byte[] head;
		try (InputStream in = Files.newInputStream(p)) {
			head = in.readNBytes(352);
		}
		if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return Format.NIFTI;
		final String ascii = new String(head, StandardCharsets.ISO_8859_1);
		if (ascii.startsWith("NRRD")) return Format.NRRD;
		if (ascii.startsWith("ObjectType") || ascii.contains("ElementDataFile")) return Format.METAIMAGE;
		if (head.length >= 132 && ascii.startsWith("DICM", 128)) return Format.DICOM;
		if (head.length >= 348 && (ascii.startsWith("n+1", 344) || ascii.startsWith("n+2", 4)))
			return Format.NIFTI;
		throw new VolumeFormatException(p,
			"unknown file format; VoxelSeg reads NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd) and DICOM series folders");
	}
}
