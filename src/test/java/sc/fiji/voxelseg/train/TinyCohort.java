package sc.fiji.voxelseg.train;

import java.util.ArrayList;
import java.util.List;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.phantom.PhantomCase;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.util.Progress;

/** Small phantom cohorts for training tests: 64-voxel phantoms on a 32×32×16 model grid. */
final class TinyCohort {

	private TinyCohort() {}

	static final PreprocessingPlan PLAN = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE),
		new Step.ResampleToShape(new long[] { 32, 32, 16 })));

	/** Phantom cases with only the liver kept as class 1 (the others become background). */
	static TrainingData liver(final int cases) {
		return of(cases, ClassTable.of(List.of("liver")), PhantomGenerator.LIVER);
	}

	/** Phantom cases keeping the given organs as classes 1, 2, ... */
	static TrainingData of(final int cases, final ClassTable table, final int... organs) {
		final PhantomGenerator g = new PhantomGenerator(PhantomConfig.ofGrid(cases, 7, 64));
		final List<TrainingData.Pair> pairs = new ArrayList<>();
		for (int i = 0; i < cases; i++) {
			final PhantomCase c = g.generate(i);
			final float[] l = Voxels.floats(c.labels().image());
			for (int k = 0; k < l.length; k++) {
				float v = 0;
				for (int o = 0; o < organs.length; o++) if (l[k] == organs[o]) v = o + 1;
				l[k] = v;
			}
			final Volume lv = Volume.ofFloats(l, c.labels().dims(), c.labels().spacing(), c.labels().origin(), c.labels().direction());
			pairs.add(new TrainingData.Pair("case" + i, c.image(), lv));
		}
		return TrainingData.of(pairs, table, PLAN, Progress.NONE);
	}
}
