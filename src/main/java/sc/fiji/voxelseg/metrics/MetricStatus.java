package sc.fiji.voxelseg.metrics;

/**
 * Whether a class's surface distances are defined for a case.
 */
public enum MetricStatus {

	/** Both masks hold voxels: every metric is defined. */
	OK,

	/** Neither mask holds a voxel: Dice and Jaccard 1, distances 0 (a correct absence). */
	BOTH_EMPTY,

	/** The prediction misses the class: Dice and Jaccard 0, distances undefined (NaN). */
	PRED_EMPTY,

	/**
	 * The ground truth lacks the class but the prediction has it: Dice and Jaccard 0, distances
	 * undefined (NaN).
	 */
	TRUTH_EMPTY;

	/** Whether HD, HD95 and ASSD have values (are not NaN). */
	public boolean distancesDefined() {
		return this == OK || this == BOTH_EMPTY;
	}
}
