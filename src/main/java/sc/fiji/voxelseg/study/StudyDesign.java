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
 */
public record StudyDesign(Path data, Path out, Map<String, List<String>> arms, List<String> common, List<Double> fractions,
	List<Long> seeds, long steps, int folds, String reference, int parallel, boolean dropWithheld)
{

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
	}

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
