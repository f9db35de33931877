package sc.fiji.voxelseg.metrics;

import java.util.List;

/**
 * How {@link SegmentationMetrics} evaluates a case.
 *
 * @param convention how HD95 and ASSD combine the two directed distances; MedPy's by default
 * @param classes the class indices to evaluate (each at least 1), or {@code null} for the
 *          foreground classes of the ground truth's class table (prediction labels outside it are
 *          not evaluated), or, without a table, every label other than 0 present in either
 *          volume
 * @param threads worker threads; 0 means all available processors
 */
public record MetricOptions(SurfaceConvention convention, List<Integer> classes, int threads) {

	public MetricOptions {
		if (convention == null) throw new IllegalArgumentException(
			"a surface convention (MEDPY or MONAI) is required");
		if (classes != null) {
			classes = List.copyOf(classes);
			for (final int c : classes)
				if (c < 1 || c > LabelRows.MAX_LABEL) throw new IllegalArgumentException(
					"class indices to evaluate must be 1.." + LabelRows.MAX_LABEL +
						" (background 0 is never evaluated), got " + c);
			if (classes.stream().distinct().count() != classes.size())
				throw new IllegalArgumentException("the class list " + classes + " names a class twice");
		}
		if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = all " +
			"processors), got " + threads);
	}

	/** MedPy's convention, classes from the ground truth, all processors. */
	public static MetricOptions defaults() {
		return new MetricOptions(SurfaceConvention.MEDPY, null, 0);
	}

	public MetricOptions withConvention(final SurfaceConvention c) {
		return new MetricOptions(c, classes, threads);
	}

	public MetricOptions withClasses(final List<Integer> list) {
		return new MetricOptions(convention, list, threads);
	}

	public MetricOptions withClasses(final int... list) {
		return withClasses(java.util.Arrays.stream(list).boxed().toList());
	}

	public MetricOptions withThreads(final int n) {
		return new MetricOptions(convention, classes, n);
	}
}
