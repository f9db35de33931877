package sc.fiji.voxelseg.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.image.LabelClass;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.ReadOptions;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.util.Json;

/** {@code info FILE}: one JSON object describing a volume. */
final class InfoCommand implements Main.Subcommand {

	@Override
	public String usage() {
		return "info FILE|DICOM_DIR [--allow-non-finite]   print dims, spacing, origin, direction, datatype, min/max/mean as JSON";
	}

	@Override
	public void run(final List<String> argv, final PrintStream out) throws Exception {
		final Args a = new Args(argv, Set.of("allow-non-finite"));
		final boolean lenient = a.flag("allow-non-finite");
		a.checkAllUsed();
		if (a.positional().size() != 1) throw new Args.UsageException("info takes one file or folder");
		final Path p = Path.of(a.positional().get(0));
		final Volume v = VolumeIO.read(p, ReadOptions.defaults().optAllowNonFinite(lenient));
		out.println(Json.toJson(describe(p, v)));
	}

	static JsonObject describe(final Path p, final Volume v) {
		final JsonObject o = new JsonObject();
		o.addProperty("file", p.toString());
		o.add("dims", array(v.dims()));
		o.add("spacing", array(v.spacing()));
		o.add("origin", array(v.origin()));
		o.add("direction", array(v.direction()));
		o.addProperty("datatype", v.voxelType() == null ? "float32" : v.voxelType().label());
		final Voxels.Stats s = Voxels.stats(v.image());
		o.addProperty("min", s.min());
		o.addProperty("max", s.max());
		o.addProperty("mean", s.mean());
		if (s.nonFinite() > 0) o.addProperty("non_finite", s.nonFinite());
		o.addProperty("label_map", v.isLabelMap());
		if (v.isLabelMap()) {
			final JsonArray classes = new JsonArray();
			for (final LabelClass c : v.classes().classes()) {
				final JsonObject co = new JsonObject();
				co.addProperty("index", c.index());
				co.addProperty("name", c.name());
				co.addProperty("colour", c.hexColour());
				classes.add(co);
			}
			o.add("classes", classes);
		}
		return o;
	}

	static JsonArray array(final long[] a) {
		final JsonArray j = new JsonArray();
		for (final long v : a)
			j.add(v);
		return j;
	}

	static JsonArray array(final double[] a) {
		final JsonArray j = new JsonArray();
		for (final double v : a)
			j.add(v);
		return j;
	}
}
