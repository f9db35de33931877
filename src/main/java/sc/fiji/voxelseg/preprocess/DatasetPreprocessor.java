package sc.fiji.voxelseg.preprocess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

/**
 * Applies a {@link PreprocessingPlan} to every case of an {@code imagesTr/labelsTr} dataset and
 * writes a dataset of the same layout: the processed images and label maps under the same names,
 * {@code plan.json}, {@code traces.json} (per case, the grid it came from and the grid it is on,
 * so predictions can go back) and a {@code dataset.json} that records the plan. Each file is
 * written atomically and {@code dataset.json} last, so a folder with a {@code dataset.json} is
 * complete.
 */
public final class DatasetPreprocessor {

	private DatasetPreprocessor() {}

	public static TrainingDataset run(final TrainingDataset ds, final PreprocessingPlan plan,
		final Path out, final Progress progress) throws IOException
	{
		if (Files.isSameFile(ds.root(), Files.createDirectories(out))) throw new IOException(out +
			": the output folder must differ from the dataset folder");
		final Map<String, PreprocessingPlan.Trace> traces = new LinkedHashMap<>();
		int done = 0;
		for (final TrainingDataset.Case c : ds.cases()) {
			progress.checkCanceled();
			progress.status("Preprocessing " + c.id() + " (" + (done + 1) + "/" + ds.size() + ")");
			final Volume img = VolumeIO.read(c.image());
			final Volume lab = LabelMaps.asLabelMap(VolumeIO.read(c.label()), ds.classes(), c.label()
				.toString());
			img.requireSameGrid(lab, "image " + c.image(), "label map " + c.label());
			final PreprocessingPlan.Result r = plan.apply(img, lab);
			NiftiIO.write(r.image(), out.resolve(ds.root().relativize(c.image())));
			NiftiIO.write(r.labels(), out.resolve(ds.root().relativize(c.label())));
			traces.put(c.id(), r.trace());
			progress.progress(++done, ds.size());
		}
		plan.save(out.resolve("plan.json"));
		Json.write(out.resolve("traces.json"), traces);
		final JsonObject json = ds.json();
		json.add("voxelseg_preprocessing", JsonParser.parseString(plan.toJson()));
		Json.write(out.resolve("dataset.json"), json);
		return TrainingDataset.read(out);
	}
}
