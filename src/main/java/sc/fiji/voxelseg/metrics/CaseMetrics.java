package sc.fiji.voxelseg.metrics;

import java.util.List;

/**
 * The per-class metrics of one case (a prediction against its ground truth).
 *
 * @param caseId what the case is called in tables, e.g. {@code case_003}
 * @param convention the convention HD95 and ASSD were computed with
 * @param spacing voxel spacing {x, y, z} in mm that the distances used
 * @param classes one entry per evaluated class, by increasing class index
 */
public record CaseMetrics(String caseId, SurfaceConvention convention, double[] spacing,
	List<ClassMetrics> classes) implements java.io.Serializable
{

	public CaseMetrics {
		spacing = spacing.clone();
		classes = List.copyOf(classes);
	}

	@Override
	public double[] spacing() {
		return spacing.clone();
	}

	/** The metrics of class {@code index}. */
	public ClassMetrics get(final int index) {
		for (final ClassMetrics c : classes)
			if (c.classIndex() == index) return c;
		throw new IllegalArgumentException("class " + index + " was not evaluated in " + caseId);
	}

	/** The same metrics under another case id. */
	public CaseMetrics withCaseId(final String id) {
		return new CaseMetrics(id, convention, spacing, classes);
	}
}
