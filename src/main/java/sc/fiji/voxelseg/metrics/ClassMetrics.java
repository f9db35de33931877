package sc.fiji.voxelseg.metrics;

/**
 * The metrics of one class in one case, A being the prediction's mask of the class and B the
 * ground truth's. Distances are in mm, using the voxel spacing; they are NaN when exactly one mask
 * is empty (see {@link MetricStatus}).
 *
 * @param classIndex the label value
 * @param className its name
 * @param dice {@code 2|A∩B| / (|A| + |B|)}
 * @param jaccard {@code |A∩B| / |A∪B|}
 * @param hd Hausdorff distance: the largest of d(A→B) and d(B→A), mm
 * @param hd95 95th percentile Hausdorff distance under the case's {@link SurfaceConvention}, mm
 * @param assd average symmetric surface distance under the case's convention, mm
 * @param predVoxels |A|
 * @param truthVoxels |B|
 * @param status which masks are empty
 */
public record ClassMetrics(int classIndex, String className, double dice, double jaccard,
	double hd, double hd95, double assd, long predVoxels, long truthVoxels, MetricStatus status)
implements java.io.Serializable {}
