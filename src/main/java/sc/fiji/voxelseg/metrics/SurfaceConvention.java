package sc.fiji.voxelseg.metrics;

/**
 * Which definitions of HD95 and ASSD to use. Both conventions share the surfaces (MedPy's
 * 6-connected erosion, see {@link Surfaces}), the directed distances d(A→B) and d(B→A) in mm, and
 * HD as the largest of them; they differ in how the two directions are combined.
 */
public enum SurfaceConvention {

	/**
	 * MedPy's {@code medpy.metric.binary}, which the semi-supervised baselines (UA-MT, SASSNet,
	 * DTC, MC-Net) evaluate with: HD95 is the 95th percentile (numpy's linear interpolation) of
	 * d(A→B) and d(B→A) pooled together; ASSD is the mean of the two directed means,
	 * {@code (mean d(A→B) + mean d(B→A)) / 2}.
	 */
	MEDPY,

	/**
	 * MONAI's {@code compute_hausdorff_distance(percentile=95)} and symmetric
	 * {@code compute_average_surface_distance}: HD95 is the larger of the two directed 95th
	 * percentiles; ASSD is the mean of the pooled distances.
	 */
	MONAI
}
