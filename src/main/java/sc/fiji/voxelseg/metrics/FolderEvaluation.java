package sc.fiji.voxelseg.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.util.Progress;

/**
 * Evaluates a folder of predicted label maps against a folder of ground truths, pairing files by
 * case id (the file name without its volume extension and without nnU-Net's {@code _0000} channel
 * suffix). Every truth case needs a prediction; a missing one is an error naming it.
 */
public final class FolderEvaluation {

	private FolderEvaluation() {}

	/** Case id → file, for the volume files of {@code dir}, sorted by id. */
	public static Map<String, Path> cases(final Path dir) throws IOException {
		if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a folder");
		final Map<String, Path> m = new LinkedHashMap<>();
		try (Stream<Path> s = Files.list(dir)) {
			for (final Path p : s.filter(Files::isRegularFile).sorted().toList()) {
				final String id = caseId(p);
				if (id == null) continue;
				if (m.put(id, p) != null) throw new IOException(dir + " holds two files for case " + id);
			}
		}
		return m;
	}

	/** The case id of a volume file, or null if the name is not a volume file's. */
	public static String caseId(final Path p) {
		return sc.fiji.voxelseg.io.CohortFiles.caseId(p.getFileName().toString());
	}

	/**
	 * Metrics of every truth case.
	 *
	 * @throws IOException if a folder is empty, a prediction is missing (all missing ones are named)
	 *           or a file cannot be read
	 * @throws IllegalArgumentException naming the case whose prediction lies on another grid
	 */
	public static List<CaseMetrics> evaluate(final Path predDir, final Path truthDir, final MetricOptions opts, final Progress progress)
		throws IOException
	{
		final Map<String, Path> truth = cases(truthDir), pred = cases(predDir);
		if (truth.isEmpty()) throw new IOException(truthDir + " holds no label maps");
		final List<String> missing = new ArrayList<>();
		for (final String id : truth.keySet()) if (!pred.containsKey(id)) missing.add(id);
		if (!missing.isEmpty()) {
			throw new IOException(predDir + " lacks predictions for " + missing.size() + " of " + truth.size() + " cases: " + String.join(
				", ", missing.subList(0, Math.min(10, missing.size()))) + (missing.size() > 10 ? ", ..." : ""));
		}
		final List<CaseMetrics> out = new ArrayList<>();
		int i = 0;
		for (final Map.Entry<String, Path> e : truth.entrySet()) {
			progress.checkCanceled();
			progress.status("Evaluating " + e.getKey());
			progress.progress(i++, truth.size());
			final Volume t = VolumeIO.read(e.getValue());
			final Volume p = VolumeIO.read(pred.get(e.getKey()));
			out.add(SegmentationMetrics.evaluate(e.getKey(), p, t, opts));
		}
		progress.progress(truth.size(), truth.size());
		return out;
	}
}
