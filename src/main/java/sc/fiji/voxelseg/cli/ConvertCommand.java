package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.VolumeIO;

/** {@code convert IN OUT.nii.gz}: any supported volume, DICOM folders included, to NIfTI. */
final class ConvertCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "convert IN OUT.nii[.gz] [--label] [--datatype int16|float32|...]   any volume (DICOM folder, NRRD, MetaImage, NIfTI) to NIfTI with its geometry";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of("label"));
		final boolean label = a.flag("label");
		final String type = a.get("datatype", null);
		a.checkAllUsed();
		if (a.positional().size() != 2) throw new Args.UsageException("convert takes IN and OUT");
		final Path in = Path.of(a.positional().get(0)), dst = Path.of(a.positional().get(1));
		if (!NiftiIO.isNifti(dst)) throw new Args.UsageException("OUT must end in .nii or .nii.gz");
		Volume v = VolumeIO.read(in);
		if (label) v = LabelMaps.asLabelMap(v, in.toString());
		final VoxelType t = type != null ? VoxelType.fromLabel(type) : v.voxelType();
		NiftiIO.write(v, dst, t);
		out.println("wrote " + dst + " (" + v.describeGrid() + ", " + t.label() + ")");
	}
}
