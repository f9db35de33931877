package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.LabelMaps;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.io.VolumeIO;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.util.Progress;

/**
 * A training cohort after its preprocessing plan, in memory, checked: every label map lies on its
 * image's grid, holds only classes of the class table, and the cohort has foreground.
 */
public final class TrainingData {

	/** One image with its label map, before preprocessing (from files or from images open in Fiji). */
	public record Pair(String id, Volume image, Volume labels) {}

	private final List<CaseData> cases;
	private final ClassTable classes;
	private final PreprocessingPlan plan;

	private TrainingData(final List<CaseData> cases, final ClassTable classes, final PreprocessingPlan plan) {
		this.cases = List.copyOf(cases);
		this.classes = classes;
		this.plan = plan;
	}

	public List<CaseData> cases() {
		return cases;
	}

	public ClassTable classes() {
		return classes;
	}

	/** Output classes K of a network for this cohort (class indices 0..K-1). */
	public int classCount() {
		return classes.maxIndex() + 1;
	}

	public PreprocessingPlan plan() {
		return plan;
	}

	/**
	 * Reads an {@code imagesTr/labelsTr} dataset and applies the plan to each case.
	 *
	 * @throws IOException naming the file that cannot be read
	 * @throws IllegalArgumentException naming the case whose grids or labels are wrong, or saying
	 *           that the cohort has no foreground
	 */
	public static TrainingData load(final TrainingDataset ds, final PreprocessingPlan plan, final Progress progress)
		throws IOException
	{
		final List<CaseData> out = new ArrayList<>();
		int i = 0;
		for (final TrainingDataset.Case c : ds.cases()) {
			progress.checkCanceled();
			progress.status("Preprocessing training case " + c.id());
			progress.progress(i++, ds.size());
			final Volume image = VolumeIO.read(c.image());
			final Volume labels = VolumeIO.read(c.label());
			out.add(prepare(new Pair(c.id(), image, labels), ds.classes(), plan, ds.root().relativize(c.image()) + " and " +
				ds.root().relativize(c.label())));
		}
		progress.progress(ds.size(), ds.size());
		return checked(out, ds.classes(), plan, progress);
	}

	/** Applies the plan to image/label pairs already in memory (images open in Fiji). */
	public static TrainingData of(final List<Pair> pairs, final ClassTable classes, final PreprocessingPlan plan, final Progress progress) {
		if (pairs.isEmpty()) throw new IllegalArgumentException("no training images: give at least one image with its label map");
		final List<CaseData> out = new ArrayList<>();
		int i = 0;
		for (final Pair p : pairs) {
			progress.checkCanceled();
			progress.progress(i++, pairs.size());
			out.add(prepare(p, classes, plan, "case " + p.id()));
		}
		return checked(out, classes, plan, progress);
	}

	private static CaseData prepare(final Pair p, final ClassTable classes, final PreprocessingPlan plan, final String what) {
		p.image().requireSameGrid(p.labels(), "image of " + what, "its label map");
		final Volume labels = LabelMaps.asLabelMap(p.labels(), classes, what);
		if (classes.maxIndex() > 255) throw new IllegalArgumentException("training supports at most 255 classes, the table has " + classes.maxIndex());
		final PreprocessingPlan.Result r = plan.apply(p.image(), labels);
		final long[] d = r.image().dims();
		final float[] img = Voxels.floats(r.image().image());
		for (final float f : img) {
			if (!Float.isFinite(f)) throw new IllegalArgumentException(what + ": the preprocessed image holds NaN or infinite values");
		}
		return new CaseData(p.id(), img, bytes(r.labels().image()), (int) d[0], (int) d[1], (int) d[2]);
	}

	private static byte[] bytes(final RandomAccessibleInterval<? extends RealType<?>> labels) {
		final float[] f = Voxels.floats(labels);
		final byte[] b = new byte[f.length];
		for (int i = 0; i < f.length; i++) b[i] = (byte) (int) f[i];
		return b;
	}

	private static TrainingData checked(final List<CaseData> cases, final ClassTable classes, final PreprocessingPlan plan,
		final Progress progress)
	{
		long fg = 0;
		final List<String> empty = new ArrayList<>();
		for (final CaseData c : cases) {
			final long[] h = c.histogram(classes.maxIndex() + 1);
			fg += c.voxels() - h[0];
			if (h[0] == c.voxels()) empty.add(c.id());
		}
		if (fg == 0) {
			throw new IllegalArgumentException("the " + cases.size() + " training label maps hold no foreground (every voxel is " +
				"background 0): there is nothing to learn. Check that the label maps are the right files");
		}
		if (!empty.isEmpty()) {
			progress.warning(empty.size() + " of " + cases.size() + " training label maps hold no foreground after preprocessing " +
				"(every voxel is background 0): " + String.join(", ", empty.subList(0, Math.min(10, empty.size()))) + (empty.size() > 10
					? ", ..." : "") + ". They teach only background; check that they are the right files, or that the crop keeps the organs");
		}
		return new TrainingData(cases, classes, plan);
	}

	/**
	 * Images without labels, for self-supervised pretraining: their label arrays are background
	 * and never read, and the class table is a placeholder of two classes (a pretrained backbone
	 * has no classes; its head is replaced downstream).
	 *
	 * @throws IllegalArgumentException if there are no images
	 */
	public static TrainingData unlabeled(final List<CaseData> images, final PreprocessingPlan plan) {
		if (images.isEmpty()) throw new IllegalArgumentException("no images to pretrain on");
		return new TrainingData(images, ClassTable.generic(1), plan);
	}

	/** Whether every case has the same grid size (whole-volume batches need it). */
	public boolean uniformShape() {
		final CaseData f = cases.get(0);
		for (final CaseData c : cases) if (c.nx() != f.nx() || c.ny() != f.ny() || c.nz() != f.nz()) return false;
		return true;
	}
}
