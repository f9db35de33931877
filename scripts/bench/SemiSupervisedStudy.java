import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.infer.PredictOptions;
import sc.fiji.voxelseg.infer.Predictor;
import sc.fiji.voxelseg.loss.SegmentationLoss;
import sc.fiji.voxelseg.metrics.CaseMetrics;
import sc.fiji.voxelseg.metrics.ClassMetrics;
import sc.fiji.voxelseg.metrics.MetricOptions;
import sc.fiji.voxelseg.metrics.SegmentationMetrics;
import sc.fiji.voxelseg.nn.Architecture;
import sc.fiji.voxelseg.phantom.PhantomCase;
import sc.fiji.voxelseg.phantom.PhantomConfig;
import sc.fiji.voxelseg.phantom.PhantomGenerator;
import sc.fiji.voxelseg.preprocess.HuWindow;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.preprocess.Step;
import sc.fiji.voxelseg.train.Augmentation;
import sc.fiji.voxelseg.train.LearningRateSchedule;
import sc.fiji.voxelseg.train.Optimiser;
import sc.fiji.voxelseg.train.SemiSupervisedTrainer;
import sc.fiji.voxelseg.train.SupervisedTrainer;
import sc.fiji.voxelseg.train.TrainingData;
import sc.fiji.voxelseg.train.TrainingSettings;
import sc.fiji.voxelseg.util.Progress;

/**
 * The ablation of issue 6 (seed 003's Table IV) on the phantom cohort: with a share of the
 * training cases labeled and the rest used as unlabeled images, the same network trained
 * supervised only, as a mean teacher only (consistency), mean teacher + L_adv, mean teacher +
 * L_feature, and with the full method, several seeds, the same step budget. The test cases are
 * segmented on their own grids and scored per organ (Dice, Jaccard, HD95, ASSD, MedPy
 * convention); the seconds per step of each variant are printed beside the supervised one's.
 * <p>
 * Usage: OUT_DIR [CASES TEST SEEDS STEPS GRID FRACTIONS VARIANTS ARCH WIDTH LEVELS FIRST_SEED] (seeds
 * FIRST_SEED .. FIRST_SEED + SEEDS - 1, so that seeds can run in separate processes); a variant is
 * one of supervised, joint, mt, mt+adv, mt+feature, full, optionally with weights after colons: a
 * bare number is β (full:1), or alpha=, beta=, gamma0= (mt:gamma0=0.1)
 * and "/split" or "/shared" after the name to run the student's labeled and unlabeled volumes as
 * two forward passes or one (mt/split:1; the settings' default otherwise).
 * "supervised" is the supervised trainer on the labeled cases alone (batches of 2 volumes);
 * "joint" is the semi-supervised trainer with every unsupervised term off (the 2 + 2 batch and
 * nothing else); the others run the semi-supervised trainer (2 labeled + 2 unlabeled volumes) with
 * the named terms on, so "mt" is the mean teacher with the consistency term only. Optimiser for
 * all: Adam,
 * lr 3e-3, poly decay (the paper's multi-organ schedule decays every 2500 steps, beyond these
 * budgets); the paper's α, β, γ0, EMA decay and threshold. Writes OUT_DIR/results.csv.
 */
public class SemiSupervisedStudy {

	public static void main(final String[] a) throws Exception {
		final Path out = Path.of(a[0]);
		final int cases = arg(a, 1, 24), test = arg(a, 2, 6), seeds = arg(a, 3, 2), steps = arg(a, 4, 200), grid = arg(a, 5, 64);
		final String[] fractions = (a.length > 6 ? a[6] : "0.2,0.1").split(",");
		final String[] variants = (a.length > 7 ? a[7] : "supervised,mt,mt+adv,mt+feature,full").split(",");
		final Architecture arch = Architecture.valueOf((a.length > 8 ? a[8] : "vnet").toUpperCase(Locale.ROOT));
		final int width = arg(a, 9, 8), levels = arg(a, 10, 4), firstSeed = arg(a, 11, 0);
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
		final TrainingData data = TrainingData.of(pool, classes, plan, Progress.NONE);
		final StringBuilder csv = new StringBuilder("method,fraction,seed,train_cases,case,class,dice,jaccard,hd95,assd,status\n");
		final Map<String, List<Double>> secondsPerStep = new LinkedHashMap<>();
		for (final String f : fractions) {
			for (int s = firstSeed; s < firstSeed + seeds; s++) {
				for (final String v : variants) {
					final TrainingSettings st = TrainingSettings.semiSupervisedDefaults().architecture(arch).baseWidth(width).levels(levels)
						.optimiser(Optimiser.Kind.ADAM).learningRate(3e-3).weightDecay(0).schedule(LearningRateSchedule.Kind.POLY).iterations(
							steps).loss(SegmentationLoss.DICE_CE).validationFraction(0).seed(s + 1).augmentation(Augmentation.defaults()).device(
								"cpu");
					st.semiSupervised.labeledFraction(Double.parseDouble(f));
					// after the name, colon-separated weights: a bare number is β (full:1), or alpha=, beta=, gamma0=
					final String[] parts = v.split(":");
					for (final String w : java.util.Arrays.copyOfRange(parts, 1, parts.length)) {
						final String[] kv = w.contains("=") ? w.split("=", 2) : new String[] { "beta", w };
						final double x = Double.parseDouble(kv[1]);
						switch (kv[0]) {
							case "alpha" -> st.semiSupervised.alpha(x);
							case "beta" -> st.semiSupervised.beta(x);
							case "gamma0" -> st.semiSupervised.gamma0(x);
							default -> throw new IllegalArgumentException("variant weight: alpha, beta or gamma0, not " + kv[0]);
						}
					}
					final String name = parts[0];
					if (name.endsWith("/split") || name.endsWith("/shared")) st.semiSupervised.separatePasses(name.endsWith("/split"));
					switch (name.replaceAll("/.*", "")) {
						case "supervised" -> {}
						case "joint" -> st.semiSupervised.terms(false, false, false);
						case "mt" -> st.semiSupervised.terms(false, false, true);
						case "mt+adv" -> st.semiSupervised.terms(true, false, true);
						case "mt+feature" -> st.semiSupervised.terms(false, true, true);
						case "full" -> st.semiSupervised.terms(true, true, true);
						default -> throw new IllegalArgumentException("variant: supervised, joint, mt, mt+adv, mt+feature or full, not " + v);
					}
					final List<String> keep = SemiSupervisedTrainer.labeledIds(data.cases(), Double.parseDouble(f), st.seed);
					final int labeled = keep.size();
					final Path bundle = out.resolve(v.replace('+', '_').replace(':', '_').replace('/', '_').replace("=", "") + "-" + f + "-" + s);
					final long t0 = System.nanoTime();
					if (v.startsWith("supervised")) {
						// the labeled cases alone, batches of 2 labeled volumes, the same optimiser and budget
						final List<TrainingData.Pair> sub = new ArrayList<>();
						for (final TrainingData.Pair p : pool) if (keep.contains(p.id())) sub.add(p);
						st.semiSupervised = null;
						new SupervisedTrainer(TrainingData.of(sub, classes, plan, Progress.NONE), st, bundle, Progress.NONE).train();
					}
					else new SemiSupervisedTrainer(data, List.of(), st, bundle, Progress.NONE).train();
					final double trainS = (System.nanoTime() - t0) / 1e9;
					secondsPerStep.computeIfAbsent(v, k -> new ArrayList<>()).add(trainS / steps);
					double dice = 0, hd = 0;
					int nd = 0, nh = 0;
					try (Predictor p = Predictor.load(bundle, "cpu")) {
						for (final TrainingData.Pair t : tests) {
							final CaseMetrics cm = SegmentationMetrics.evaluate(t.id(), p.predict(t.image(), PredictOptions.defaults(), null)
								.labels(), t.labels(), MetricOptions.defaults());
							for (final ClassMetrics c : cm.classes()) {
								csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%s,%s,%.6f,%.6f,%.4f,%.4f,%s%n", v, f, s, labeled, t.id(), c
									.className(), c.dice(), c.jaccard(), c.hd95(), c.assd(), c.status()));
								dice += c.dice();
								nd++;
								if (Double.isFinite(c.hd95())) {
									hd += c.hd95();
									nh++;
								}
							}
						}
					}
					Files.writeString(out.resolve("results.csv"), csv.toString());
					System.out.printf(Locale.ROOT, "%-12s @ %s seed %d, %2d labeled + %2d unlabeled: mean Dice %.3f, HD95 %.2f mm (train %.0f s, " +
						"%.2f s/step)%n", v, f, s, labeled, pool.size() - labeled, dice / nd, hd / Math.max(1, nh), trainS, trainS / steps);
				}
			}
		}
		System.out.println();
		final List<Double> base = secondsPerStep.get("supervised");
		for (final Map.Entry<String, List<Double>> e : secondsPerStep.entrySet()) {
			final double m = median(e.getValue());
			System.out.printf(Locale.ROOT, "cost %-12s %.3f s/step (median of %d runs)%s%n", e.getKey(), m, e.getValue().size(), base == null
				? "" : String.format(Locale.ROOT, ", %.2fx the supervised step", m / median(base)));
		}
	}

	private static int arg(final String[] a, final int i, final int dflt) {
		return a.length > i ? Integer.parseInt(a[i]) : dflt;
	}

	private static double median(final List<Double> v) {
		final List<Double> s = new ArrayList<>(v);
		s.sort(null);
		final int n = s.size();
		return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
	}
}
