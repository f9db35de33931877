package sc.fiji.voxelseg.spark;

/**
 * Deliberate failures for the tests of retries. When a system property names a case, the first
 * attempt of that case's task fails after its partial output is in the output folder and before
 * it is renamed into place:
 * <ul>
 * <li>{@value #KILL}: the task throws, as a task that dies;</li>
 * <li>{@value #HALT}: the executor's JVM halts at once, as an executor that is lost (only on a
 * cluster: in local mode the executor is the driver).</li>
 * </ul>
 * Unset outside those tests.
 */
final class FaultInjection {

	static final String KILL = "voxelseg.spark.killFirstAttemptOf", HALT = "voxelseg.spark.haltFirstAttemptOf";
	/** The former name of {@link #KILL}. */
	static final String PROPERTY = KILL;

	/** The error that stands for the task's death. */
	static final class Killed extends RuntimeException {

		private static final long serialVersionUID = 1L;

		Killed(final String m) {
			super(m);
		}
	}

	private FaultInjection() {}

	static void beforeRename(final String caseId, final int attempt) {
		if (attempt != 0) return;
		if (caseId.equals(System.getProperty(HALT))) Runtime.getRuntime().halt(137);
		if (caseId.equals(System.getProperty(KILL))) throw new Killed("task for " + caseId + " killed midway (test)");
	}
}
