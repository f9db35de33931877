import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.ClassMetrics;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SegmentationMetrics;
import sc.fiji.voxelseg.phantom.PhantomCase;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.train.Augmentation;
import sc.fiji.voxelseg.train.Representation;
import sc.fiji.voxelseg.train.SupervisedTrainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingSettings;
import sc.fiji.voxelseg.util.Progress;

/**
 * The study of issue 4 on the phantom cohort: a plain 3D U-Net against the same network trained
 * with seed 000's voxel-level Siamese loss and with the supervised-contrastive baseline, each on
 * 10 %, 20 % and 100 % of the training cases' labels, several seeds, the same step budget. The
 * test cases are segmented on their own grids and scored per organ (Dice, HD95, ASSD, MedPy
 * convention). Usage: OUT_DIR [CASES TEST SEEDS STEPS GRID FRACTIONS METHODS FIRST_SEED] (seeds
 * FIRST_SEED .. FIRST_SEED + SEEDS - 1, so that seeds can run in separate processes); a method is
 * none, siamese or contrastive, optionally with its λ after a colon (siamese:1). Prints the table
 * and writes OUT_DIR/results.csv after every run.
 */
public class RepresentationStudy {

	public static void main(final String[] a) throws Exception {
		final Path out = Path.of(a[0]);
		final int cases = a.length > 1 ? Integer.parseInt(a[1]) : 24, test = a.length > 2 ? Integer.parseInt(a[2]) : 6;
		final int seeds = a.length > 3 ? Integer.parseInt(a[3]) : 2, steps = a.length > 4 ? Integer.parseInt(a[4]) : 200;
		final int grid = a.length > 5 ? Integer.parseInt(a[5]) : 64;
		final String[] fractions = (a.length > 6 ? a[6] : "0.1,0.2,1.0").split(",");
		final String[] methods = (a.length > 7 ? a[7] : "none,siamese,contrastive").split(",");
		final int firstSeed = a.length > 8 ? Integer.parseInt(a[8]) : 0;
		Files.createDirectories(out);
		final PreprocessingPlan plan = new PreprocessingPlan(List.of(Step.Window.of(HuWindow.SOFT_TISSUE), new Step.ResampleToShape(
			new long[] { grid, grid, grid / 2 })));
		final PhantomGenerator gen = new PhantomGenerator(PhantomConfig.ofGrid(cases, 11, 128));
		final List<TrainingData.Pair> all = new ArrayList<>();
		for (int i = 0; i < cases; i++) {
			final PhantomCase c = gen.generate(i);
			all.add(new TrainingData.Pair(PhantomGenerator.caseId(i), c.image(), c.labels()));
		}
		final List<TrainingData.Pair> pool = all.subList(0, cases - test), tests = all.subList(cases - test, cases);
		final ClassTable classes = ClassTable.abdomen();
		final StringBuilder csv = new StringBuilder("method,fraction,seed,train_cases,case,class,dice,hd95,assd,status\n");
		// method -> fraction -> per-seed mean Dice / HD95 / ASSD and per-organ Dice sums
		final Map<String, double[][]> summary = new LinkedHashMap<>();
		final Map<String, double[][]> organs = new LinkedHashMap<>();
		for (final String f : fractions) {
			for (int s = firstSeed; s < firstSeed + seeds; s++) {
				final List<TrainingData.Pair> shuffled = new ArrayList<>(pool);
				Collections.shuffle(shuffled, new java.util.Random(1000 + s));
				final int n = Math.max(2, (int) Math.round(Double.parseDouble(f) * pool.size()));
				final TrainingData data = TrainingData.of(shuffled.subList(0, n), classes, plan, Progress.NONE);
				for (final String m : methods) {
					final TrainingSettings st = new TrainingSettings().baseWidth(8).batchSize(2).iterations(steps).learningRate(3e-3).loss(
						SegmentationLoss.DICE_CE).validationFraction(0).seed(s + 1).augmentation(Augmentation.defaults()).device("cpu")
						.representation(Representation.valueOf(m.split(":")[0].toUpperCase(Locale.ROOT)));
					if (m.contains(":")) st.lambda = Double.parseDouble(m.split(":")[1]);
					final Path bundle = out.resolve(m.replace(':', '_') + "-" + f + "-" + s);
					Files.deleteIfExists(SupervisedTrainer.checkpointPath(bundle));
					final long t0 = System.nanoTime();
					new SupervisedTrainer(data, st, bundle, Progress.NONE).train();
					final double trainS = (System.nanoTime() - t0) / 1e9;
					double dice = 0, hd = 0, assd = 0;
					int nd = 0, nh = 0;
					final double[] organDice = new double[classes.maxIndex() + 1];
					try (Predictor p = Predictor.load(bundle, "cpu")) {
						for (final TrainingData.Pair t : tests) {
							final Volume pred = p.predict(t.image(), PredictOptions.defaults(), null).labels();
							final CaseMetrics cm = SegmentationMetrics.evaluate(t.id(), pred, t.labels(), MetricOptions.defaults());
							for (final ClassMetrics c : cm.classes()) {
								csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%s,%s,%.6f,%.4f,%.4f,%s%n", m, f, s, n, t.id(), c.className(), c
									.dice(), c.hd95(), c.assd(), c.status()));
								dice += c.dice();
								nd++;
								organDice[c.classIndex()] += c.dice() / tests.size();
								if (Double.isFinite(c.hd95())) {
									hd += c.hd95();
									assd += c.assd();
									nh++;
								}
							}
						}
					}
					final String key = m + " @ " + f;
					summary.computeIfAbsent(key, k -> new double[seeds][]) [s - firstSeed] = new double[] { dice / nd, nh == 0 ? Double.NaN : hd / nh,
						nh == 0 ? Double.NaN : assd / nh };
					organs.computeIfAbsent(key, k -> new double[seeds][]) [s - firstSeed] = organDice;
					Files.writeString(out.resolve("results.csv"), csv.toString());
					System.out.printf(Locale.ROOT, "%-24s seed %d, %2d training cases: mean Dice %.3f, HD95 %.2f mm, ASSD %.2f mm (train %.0f s)%n",
						key, s, n, dice / nd, hd / Math.max(1, nh), assd / Math.max(1, nh), trainS);
				}
			}
		}
		Files.writeString(out.resolve("results.csv"), csv.toString());
		System.out.println();
		System.out.printf(Locale.ROOT, "%-24s %17s %17s %17s%n", "method @ label fraction", "Dice", "HD95 mm", "ASSD mm");
		for (final Map.Entry<String, double[][]> e : summary.entrySet()) {
			System.out.printf(Locale.ROOT, "%-24s %17s %17s %17s%n", e.getKey(), pm(e.getValue(), 0), pm(e.getValue(), 1), pm(e.getValue(),
				2));
		}
		System.out.println();
		final StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-24s", "Dice per organ"));
		for (int c = 1; c <= classes.maxIndex(); c++) h.append(String.format(Locale.ROOT, " %8.8s", classes.get(c).name()));
		System.out.println(h);
		for (final Map.Entry<String, double[][]> e : organs.entrySet()) {
			final StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s", e.getKey()));
			for (int c = 1; c <= classes.maxIndex(); c++) {
				double mean = 0;
				for (final double[] s : e.getValue()) mean += s[c] / e.getValue().length;
				b.append(String.format(Locale.ROOT, " %8.3f", mean));
			}
			System.out.println(b);
		}
	}

	/** Mean ± sample sd over seeds of column {@code k}. */
	static String pm(final double[][] perSeed, final int k) {
		double m = 0;
		for (final double[] s : perSeed) m += s[k] / perSeed.length;
		double v = 0;
		for (final double[] s : perSeed) v += (s[k] - m) * (s[k] - m);
		final double sd = perSeed.length > 1 ? Math.sqrt(v / (perSeed.length - 1)) : Double.NaN;
		return String.format(Locale.ROOT, "%.3f ± %.3f", m, sd);
	}
}
