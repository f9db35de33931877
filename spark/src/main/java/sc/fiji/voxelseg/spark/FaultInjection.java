package sc.fiji.voxelseg.spark;

/**
 * A deliberate failure for the tests of retries: when the system property
 * {@value #PROPERTY} names a case, the first attempt of that case's task dies after writing its
 * label map to a temporary file and before publishing it, as a task whose executor is lost midway.
 * Unset outside those tests.
 */
final class FaultInjection {

	static final String PROPERTY = "voxelseg.spark.killFirstAttemptOf";

	/** The error that stands for the task's death. */
	static final class Killed extends RuntimeException {

		private static final long serialVersionUID = 1L;

		Killed(final String m) {
			super(m);
		}
	}

	private FaultInjection() {}

	static void afterWrite(final String caseId, final int attempt) {
		if (attempt == 0 && caseId.equals(System.getProperty(PROPERTY))) throw new Killed("task for " + caseId + " killed midway (test)");
	}
}
