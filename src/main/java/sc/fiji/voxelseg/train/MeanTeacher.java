package sc.fiji.voxelseg.train;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

/**
 * The exponential moving average that makes a mean teacher:
 * {@code θ_t ← a·θ_t + (1 - a)·θ_s}, in place, for parameters paired by position (two blocks of
 * one configuration list their parameters in the same order). Batch normalisation's running
 * statistics are averaged like the weights (as timm's ModelEmaV2 does with buffers), so a teacher
 * run in inference mode normalises with statistics that match its averaged weights. The teacher's
 * parameters are frozen: they never require gradient, and only this update changes them. Call it
 * outside any gradient collector.
 */
public final class MeanTeacher {

	private MeanTeacher() {}

	/** The parameters of a block in registration order. */
	public static List<Parameter> parameters(final Block b) {
		final List<Parameter> l = new ArrayList<>();
		for (final Pair<String, Parameter> p : b.getParameters()) l.add(p.getValue());
		return l;
	}

	/** Freezes the teacher: its parameters stop requiring gradient. */
	public static void freeze(final Block teacher) {
		teacher.freezeParameters(true);
	}

	/** {@code θ_t ← θ_s}, exactly (the teacher starts as a copy of the student). */
	public static void copy(final List<Parameter> teacher, final List<Parameter> student) {
		update(teacher, student, 0f);
	}

	/**
	 * {@code θ_t ← a·θ_t + (1 - a)·θ_s} in float: each element becomes
	 * {@code fl(fl(a·θ_t) + fl((1 - a)·θ_s))} with {@code a} and {@code 1 - a} as floats.
	 *
	 * @throws IllegalArgumentException if the lists do not pair up shape by shape
	 */
	public static void update(final List<Parameter> teacher, final List<Parameter> student, final float decay) {
		if (teacher.size() != student.size()) {
			throw new IllegalArgumentException("teacher has " + teacher.size() + " parameters, student " + student.size());
		}
		final float rest = 1f - decay;
		try (NDScope scope = new NDScope()) {
			scope.suppressNotUsedWarning();
			for (int i = 0; i < teacher.size(); i++) {
				final NDArray t = teacher.get(i).getArray(), s = student.get(i).getArray();
				if (!t.getShape().equals(s.getShape())) {
					throw new IllegalArgumentException("teacher parameter " + teacher.get(i).getName() + " is " + t.getShape() + ", the student's " +
						s.getShape());
				}
				if (decay == 0f) t.muli(0f).addi(s.stopGradient());
				else t.muli(decay).addi(s.stopGradient().mul(rest));
			}
		}
	}
}
