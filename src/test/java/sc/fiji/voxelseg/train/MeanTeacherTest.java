package sc.fiji.voxelseg.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;

/** The EMA update of a mean teacher: exact, and the teacher never gets gradient. */
class MeanTeacherTest {

	@BeforeAll
	static void engine() {
		TorchEngine.engine();
	}

	/**
	 * Oracle: the formula in Java float arithmetic, {@code fl(fl(a·t) + fl((1-a)·s))} per element,
	 * against the update on two differently initialised tiny U-Nets (running statistics included),
	 * after a student backward pass through a loss that also reads the teacher's output.
	 */
	@Test
	void emaIsExactAndGradientFree() {
		final NetworkConfig cfg = NetworkConfig.defaults(Architecture.UNET, 1, 2).withLevels(2).withBaseWidth(4);
		try (NDManager m = NDManager.newBaseManager()) {
			TorchEngine.seed(1);
			final SegmentationNetwork student = cfg.build(), teacher = cfg.build();
			student.initialize(m, DataType.FLOAT32, new Shape(1, 1, 4, 4, 4));
			teacher.initialize(m, DataType.FLOAT32, new Shape(1, 1, 4, 4, 4));
			MeanTeacher.freeze(teacher);
			final List<Parameter> s = MeanTeacher.parameters(student), t = MeanTeacher.parameters(teacher);
			final ParameterStore ps = new ParameterStore(m, false);
			final NDArray x = m.randomNormal(new Shape(2, 1, 4, 4, 4));
			try (GradientCollector gc = TorchEngine.engine().newGradientCollector()) {
				final NDArray so = SegmentationNetwork.logits(student.forward(ps, new NDList(x), true));
				final NDArray to = SegmentationNetwork.logits(teacher.forward(ps, new NDList(x), true));
				gc.backward(so.softmax(1).sub(to.softmax(1)).square().mean());
			}
			for (final Parameter p : t) {
				assertFalse(p.requiresGradient(), p.getName());
				assertFalse(p.getArray().hasGradient(), "teacher parameter " + p.getName() + " has no gradient");
			}
			assertTrue(s.get(0).getArray().hasGradient(), "the student has gradient");
			final List<float[]> before = new ArrayList<>(), studentValues = new ArrayList<>();
			for (int i = 0; i < t.size(); i++) {
				before.add(t.get(i).getArray().toFloatArray());
				studentValues.add(s.get(i).getArray().toFloatArray());
			}
			final float a = 0.99f;
			MeanTeacher.update(t, s, a);
			int checked = 0;
			for (int i = 0; i < t.size(); i++) {
				final float[] after = t.get(i).getArray().toFloatArray(), tb = before.get(i), sv = studentValues.get(i);
				for (int k = 0; k < after.length; k++) {
					final float expected = a * tb[k] + (1f - a) * sv[k];
					assertEquals(expected, after[k], 0f, "parameter " + t.get(i).getName() + "[" + k + "]");
					checked++;
				}
				assertFalse(t.get(i).getArray().hasGradient());
			}
			assertTrue(checked > 100);
			assertNotEquals(before.get(0)[0], t.get(0).getArray().toFloatArray()[0], "the teacher moved");
			// the copy makes the teacher equal to the student
			MeanTeacher.copy(t, s);
			for (int i = 0; i < t.size(); i++) {
				final float[] tv = t.get(i).getArray().toFloatArray(), sv = studentValues.get(i);
				for (int k = 0; k < tv.length; k++) assertEquals(sv[k], tv[k], 0f);
			}
		}
	}
}
