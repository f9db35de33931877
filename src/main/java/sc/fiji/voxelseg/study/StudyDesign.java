package sc.fiji.voxelseg.study;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a study compares: named arms (each a list of ordinary {@code train} options) trained on a
 * dataset at several label fractions and seeds with the same step budget, every cell scored on
 * the same test cases.
 * <p>
 * The design is paired: for a seed and a fraction (and a fold, with cross-validation) every arm
 * gets the same labeled cases and the same unlabeled pool (see {@link StudySplits}), so arm
 * differences can be compared seed by seed and test case by test case.
 *
 * @param data the dataset folder (imagesTr/labelsTr, with imagesTs/labelsTs unless {@code folds} > 0)
 * @param out the study folder
 * @param arms arm name → its train options, in report order
 * @param common train options given to every arm (before the arm's own)
 * @param fractions label fractions in (0, 1]
 * @param seeds seeds; each gives its own labeled subset and its own training seed
 * @param steps optimisation steps per cell
 * @param folds 0 to test on imagesTs/labelsTs, else K-fold cross-validation on the training cases
 * @param reference the arm the others are compared with
 * @param parallel cells trained at once (each with its share of the threads)
 * @param dropWithheld whether the training cases whose labels a fraction withholds are left out,
 *          instead of joining the unlabeled pool (for a domain shift, where the unlabeled images
 *          must come from the dataset's {@code imagesUnlabeled/} alone)
 * @param stages stage name → its {@code pretrain} options: a pretraining run per (fraction, seed,
 *          fold) on that cell's labeled cases, not scored, whose bundle arms use through a
 *          reference (see {@link #references})
 */
public record StudyDesign(Path data, Path out, Map<String, List<String>> arms, List<String> common, List<Double> fractions,
	List<Long> seeds, long steps, int folds, String reference, int parallel, boolean dropWithheld, Map<String, List<String>> stages)
{

	/**
	 * The prefix of a reference: an option value {@code @NAME} in an arm's or a stage's options stands
	 * for the bundle of arm or stage NAME in the same (fraction, seed, fold), for example
	 * {@code --init @agcl} (a pretrained bundle of stage agcl), {@code --attention @plain} or
	 * {@code --coarse @plain} (the model of arm plain). The cell then runs after the one it names.
	 */
	public static final String REFERENCE = "@";

	/**
	 * The arm option that is not a train option: {@code --coarse MODEL} segments the cell's test
	 * cases as a cascade on MODEL's coarse segmentation ({@code segment --coarse}).
	 */
	public static final String COARSE = "--coarse";

	/** A design without stages. */
	public StudyDesign(final Path data, final Path out, final Map<String, List<String>> arms, final List<String> common,
		final List<Double> fractions, final List<Long> seeds, final long steps, final int folds, final String reference, final int parallel,
		final boolean dropWithheld)
	{
		this(data, out, arms, common, fractions, seeds, steps, folds, reference, parallel, dropWithheld, Map.of());
	}

	/** A design whose withheld training cases join the unlabeled pool. */
	public StudyDesign(final Path data, final Path out, final Map<String, List<String>> arms, final List<String> common,
		final List<Double> fractions, final List<Long> seeds, final long steps, final int folds, final String reference, final int parallel)
	{
		this(data, out, arms, common, fractions, seeds, steps, folds, reference, parallel, false);
	}

	/**
	 * Cells trained at once by default: two, each with half the threads, where there are two cores
	 * or more. On 2 cores a study of 8 cells finished in 522 s so, against 677 s one at a time with
	 * both threads (docs/BENCHMARKS.md).
	 */
	public static int defaultParallel() {
		return Math.min(2, Runtime.getRuntime().availableProcessors());
	}

	/** Train options the study sets itself; an arm may not give them. */
	public static final List<String> RESERVED = List.of("data", "out", "seed", "iterations", "epochs", "resume", "labeled-fraction",
		"unlabeled");

	public StudyDesign {
		if (arms.isEmpty()) throw new IllegalArgumentException("a study needs at least one arm (--arm NAME=\"train options\")");
		for (final String name : arms.keySet()) {
			if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.+-]*")) {
				throw new IllegalArgumentException("arm name '" + name + "': use letters, digits and _ . + - (it names a folder)");
			}
		}
		arms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(arms));
		common = List.copyOf(common);
		if (fractions.isEmpty()) throw new IllegalArgumentException("a study needs at least one label fraction");
		for (final double f : fractions) {
			if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("label fraction " + f + " is outside (0, 1]");
		}
		if (fractions.stream().distinct().count() != fractions.size()) throw new IllegalArgumentException("a label fraction is listed twice: " +
			fractions);
		fractions = List.copyOf(fractions);
		if (seeds.isEmpty()) throw new IllegalArgumentException("a study needs at least one seed");
		if (seeds.stream().distinct().count() != seeds.size()) throw new IllegalArgumentException("a seed is listed twice: " + seeds);
		seeds = List.copyOf(seeds);
		if (steps < 1) throw new IllegalArgumentException("steps per cell must be at least 1, not " + steps);
		if (folds < 0 || folds == 1) throw new IllegalArgumentException("--folds must be 2 or more (or 0 for the test set), not " + folds);
		if (reference == null) reference = arms.keySet().iterator().next();
		if (!arms.containsKey(reference)) throw new IllegalArgumentException("reference arm '" + reference + "' is not one of the arms " +
			arms.keySet());
		if (parallel < 1) throw new IllegalArgumentException("cells in parallel must be at least 1, not " + parallel);
		for (final Map.Entry<String, List<String>> a : arms.entrySet()) checkReserved("arm " + a.getKey(), a.getValue());
		checkReserved("the common train options", common);
		stages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stages));
		for (final Map.Entry<String, List<String>> e : stages.entrySet()) {
			final String name = e.getKey();
			if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.+-]*")) {
				throw new IllegalArgumentException("stage name '" + name + "': use letters, digits and _ . + - (it names a folder)");
			}
			if (arms.containsKey(name)) throw new IllegalArgumentException("'" + name + "' names both an arm and a stage");
			for (final String o : e.getValue()) {
				if (!o.startsWith("--")) continue;
				final String key = o.substring(2).split("=", 2)[0];
				if (List.of("data", "out", "seed", "resume").contains(key)) {
					throw new IllegalArgumentException("stage " + name + " sets --" + key + ", which the study sets itself");
				}
			}
		}
		// references name an arm or a stage, and never come back to where they start
		final Map<String, List<String>> all = new LinkedHashMap<>(stages);
		all.putAll(arms);
		for (final Map.Entry<String, List<String>> e : all.entrySet()) {
			for (final String r : referencesIn(e.getValue())) {
				if (!all.containsKey(r)) {
					throw new IllegalArgumentException((arms.containsKey(e.getKey()) ? "arm " : "stage ") + e.getKey() + " refers to @" + r +
						", which is neither an arm nor a stage (" + all.keySet() + ")");
				}
			}
		}
		for (final String name : all.keySet()) order(name, all, new java.util.ArrayList<>(), new java.util.LinkedHashSet<>());
		for (final Map.Entry<String, List<String>> e : stages.entrySet()) {
			if (e.getValue().contains(COARSE)) throw new IllegalArgumentException("stage " + e.getKey() + ": " + COARSE + " is for arms");
		}
		for (final Map.Entry<String, List<String>> e : arms.entrySet()) {
			final int i = e.getValue().indexOf(COARSE);
			if (i >= 0 && (i + 1 >= e.getValue().size() || e.getValue().get(i + 1).startsWith("--"))) {
				throw new IllegalArgumentException("arm " + e.getKey() + ": " + COARSE + " needs a model (for example " + COARSE + " @plain)");
			}
		}
	}

	/** Appends {@code name}'s references, then {@code name}, to {@code done} (depth first), refusing a cycle. */
	private static void order(final String name, final Map<String, List<String>> all, final List<String> done,
		final java.util.LinkedHashSet<String> path)
	{
		if (done.contains(name)) return;
		if (!path.add(name)) {
			throw new IllegalArgumentException("the references go round in a circle: " + String.join(" → ", path) + " → " + name);
		}
		for (final String r : referencesIn(all.get(name))) order(r, all, done, path);
		path.remove(name);
		done.add(name);
	}

	/** The names that options refer to with {@code @NAME}, in order, each once. */
	public static List<String> referencesIn(final List<String> options) {
		final java.util.LinkedHashSet<String> r = new java.util.LinkedHashSet<>();
		for (final String o : options) if (o.startsWith(REFERENCE) && o.length() > 1) r.add(o.substring(1));
		return List.copyOf(r);
	}

	/** The arms and stages that arm or stage {@code name} refers to. */
	public List<String> references(final String name) {
		return referencesIn(isStage(name) ? stages.get(name) : trainOptions(name));
	}

	/** Whether {@code name} is a stage (a pretraining run) rather than an arm. */
	public boolean isStage(final String name) {
		return stages.containsKey(name);
	}

	/**
	 * Every cell to run, stages included: within each (fraction, seed, fold), every name after the
	 * ones it refers to, otherwise stages first and then the arms in their order.
	 */
	public List<Cell> runOrder() {
		final Map<String, List<String>> all = new LinkedHashMap<>(stages);
		all.putAll(arms);
		final List<String> names = new ArrayList<>();
		for (final String n : all.keySet()) order(n, all, names, new java.util.LinkedHashSet<>());
		final List<Cell> cells = new ArrayList<>();
		for (final double f : fractions) for (final long s : seeds) for (int k = folds > 0 ? 1 : 0; k <= folds; k++) {
			for (final String n : names) cells.add(new Cell(n, f, s, k));
		}
		return cells;
	}

	/**
	 * Options with every reference replaced by the path of the bundle it names in {@code cell}'s
	 * (fraction, seed, fold).
	 */
	public List<String> resolve(final List<String> options, final Cell cell) {
		final List<String> r = new ArrayList<>();
		for (final String o : options) {
			r.add(o.startsWith(REFERENCE) && o.length() > 1 ? new Cell(o.substring(1), cell.fraction(), cell.seed(), cell.fold()).dir(out)
				.resolve(MODEL).toString() : o);
		}
		return r;
	}

	/** The bundle a cell writes in its folder. */
	public static final String MODEL = "model.zip";

	private static void checkReserved(final String where, final List<String> options) {
		for (final String o : options) {
			if (!o.startsWith("--")) continue;
			final String key = o.substring(2).split("=", 2)[0];
			if (RESERVED.contains(key)) {
				throw new IllegalArgumentException(where + " sets --" + key + ", which the study sets itself (its data, output, seed, " +
					"budget and labeled cases are the same for every arm)");
			}
		}
	}

	/** One (arm, fraction, seed, fold) run. */
	public record Cell(String arm, double fraction, long seed, int fold) {

		/** The cell's folder under the study folder: {@code cells/ARM/fFRACTION/sSEED[/kFOLD]}. */
		public Path dir(final Path out) {
			final Path p = out.resolve("cells").resolve(arm).resolve(fractionName(fraction)).resolve("s" + seed);
			return fold > 0 ? p.resolve("k" + fold) : p;
		}

		@Override
		public String toString() {
			return arm + " at " + percent(fraction) + " labels, seed " + seed + (fold > 0 ? ", fold " + fold : "");
		}
	}

	/** Every cell, arm-major within (fraction, seed, fold), so that the arms of one split run together. */
	public List<Cell> cells() {
		final List<Cell> cells = new ArrayList<>();
		for (final double f : fractions) for (final long s : seeds) for (int k = folds > 0 ? 1 : 0; k <= folds; k++) {
			for (final String a : arms.keySet()) cells.add(new Cell(a, f, s, k));
		}
		return cells;
	}

	/** The options a cell's training gets: the common ones, then the arm's. */
	public List<String> trainOptions(final String arm) {
		final List<String> o = new ArrayList<>(common);
		o.addAll(arms.get(arm));
		return o;
	}

	/** {@code f0.1}, {@code f0.25}, {@code f1}: the shortest decimal form. */
	public static String fractionName(final double f) {
		return "f" + shortDecimal(f);
	}

	/** {@code 10 %}, {@code 12.5 %}. */
	public static String percent(final double f) {
		return shortDecimal(100 * f) + " %";
	}

	private static String shortDecimal(final double v) {
		final String s = new java.math.BigDecimal(v).round(new java.math.MathContext(10)).stripTrailingZeros().toPlainString();
		return s.toLowerCase(Locale.ROOT);
	}

	/**
	 * Numbers written {@code 0.1,0.2} (label fractions, or seeds), as both faces take them.
	 *
	 * @throws IllegalArgumentException naming {@code what} and the text that is not a number
	 */
	public static List<Double> numbers(final String what, final String s) {
		final List<Double> l = new ArrayList<>();
		for (final String p : s.split(",")) {
			try {
				l.add(Double.parseDouble(p.trim()));
			}
			catch (final NumberFormatException e) {
				throw new IllegalArgumentException(what + " needs comma-separated numbers, got '" + p + "'");
			}
		}
		return l;
	}

	/** Seeds written {@code 0,1,2}: {@link #numbers}, as whole numbers. */
	public static List<Long> seeds(final String what, final String s) {
		final List<Long> l = new ArrayList<>();
		for (final double d : numbers(what, s)) l.add((long) d);
		return l;
	}

	/**
	 * Adds an arm written {@code NAME=train options} (as the launcher's {@code --arm} and a line of
	 * the Fiji dialog take it) to {@code arms}.
	 *
	 * @throws IllegalArgumentException if the arm has no name or is given twice
	 */
	public static void addArm(final Map<String, List<String>> arms, final String spec) {
		final int eq = spec.indexOf('=');
		final String name = (eq < 0 ? spec : spec.substring(0, eq)).trim();
		if (name.isEmpty()) throw new IllegalArgumentException("arm '" + spec + "' has no name: use NAME=\"train options\"");
		if (arms.put(name, words(eq < 0 ? "" : spec.substring(eq + 1))) != null) throw new IllegalArgumentException("arm '" + name +
			"' is given twice");
	}

	/** Splits options at white space; single or double quotes keep a value with spaces together. */
	public static List<String> words(final String s) {
		final List<String> w = new ArrayList<>();
		final StringBuilder b = new StringBuilder();
		char quote = 0;
		boolean any = false;
		for (int i = 0; i < s.length(); i++) {
			final char c = s.charAt(i);
			if (quote != 0) {
				if (c == quote) quote = 0;
				else b.append(c);
			}
			else if (c == '"' || c == '\'') {
				quote = c;
				any = true;
			}
			else if (Character.isWhitespace(c)) {
				if (any || b.length() > 0) w.add(b.toString());
				b.setLength(0);
				any = false;
			}
			else b.append(c);
		}
		if (quote != 0) throw new IllegalArgumentException("unbalanced quote in '" + s + "'");
		if (any || b.length() > 0) w.add(b.toString());
		return w;
	}
}
