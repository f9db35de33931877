package sc.fiji.voxelseg.train;

import java.util.Locale;

/**
 * Learning rate against the optimisation step (0-based), a function of the step alone so that a
 * resumed run continues the same curve.
 *
 * @param kind constant, poly ({@code lr·(1 - step/total)^power}, seeds 000 and 003 use power 0.9)
 *          or step decay ({@code lr·gamma^floor(step/every)}, seed 003: ×0.1 every 2500)
 * @param base the initial learning rate
 * @param total steps of the whole run (poly)
 * @param power poly exponent
 * @param every steps between decays (step)
 * @param gamma decay factor (step)
 */
public record LearningRateSchedule(Kind kind, double base, long total, double power, long every, double gamma) {

	/** The schedule families. */
	public enum Kind {
		CONSTANT, POLY, STEP;

		public static Kind parse(final String s) {
			try {
				return valueOf(s.trim().toUpperCase(Locale.ROOT));
			}
			catch (final IllegalArgumentException e) {
				throw new IllegalArgumentException("unknown schedule '" + s + "': use poly, step or constant");
			}
		}
	}

	public LearningRateSchedule {
		if (!(base > 0) || !Double.isFinite(base)) throw new IllegalArgumentException("learning rate must be positive, not " + base);
		if (kind == Kind.POLY && total < 1) throw new IllegalArgumentException("the poly schedule needs the total number of steps");
		if (kind == Kind.STEP && (every < 1 || !(gamma > 0))) throw new IllegalArgumentException("step decay needs every ≥ 1 and gamma > 0");
	}

	public static LearningRateSchedule poly(final double base, final long total, final double power) {
		return new LearningRateSchedule(Kind.POLY, base, total, power, 0, 0);
	}

	public static LearningRateSchedule step(final double base, final long every, final double gamma) {
		return new LearningRateSchedule(Kind.STEP, base, 0, 0, every, gamma);
	}

	public static LearningRateSchedule constant(final double base) {
		return new LearningRateSchedule(Kind.CONSTANT, base, 0, 0, 0, 0);
	}

	/** The learning rate for step {@code step} (0-based). */
	public double at(final long step) {
		switch (kind) {
			case POLY:
				return base * Math.pow(Math.max(0, 1 - (double) step / total), power);
			case STEP:
				return base * Math.pow(gamma, Math.floorDiv(step, every));
			default:
				return base;
		}
	}
}
