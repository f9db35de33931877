package sc.fiji.voxelseg.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import sc.fiji.voxelseg.util.AtomicFiles;

/** Loss per step and validation Dice per class, kept in checkpoints so a resumed run continues the curve. */
public final class TrainingHistory {

	/** One optimisation step: its 0-based index, loss, learning rate and wall time. */
	public record StepRecord(long step, double loss, double learningRate, double seconds) {}

	/**
	 * One validation after {@code step} steps: for segmentation, Dice per class (index = class; NaN
	 * where the class is absent from truth and prediction of every validation case) and their mean
	 * over foreground, with {@code loss} NaN; for pretraining, the loss on held-out views, with
	 * {@code meanDice} NaN and no classes.
	 */
	public record Validation(long step, double meanDice, double[] dice, double loss) {

		/** A segmentation validation: Dice. */
		public Validation(final long step, final double meanDice, final double[] dice) {
			this(step, meanDice, dice, Double.NaN);
		}

		/** A validation by the loss on held-out data (lower is better). */
		public static Validation ofLoss(final long step, final double loss) {
			return new Validation(step, Double.NaN, new double[0], loss);
		}

		/** Whether this validation is a held-out loss rather than Dice (it has no per-class Dice). */
		public boolean byLoss() {
			return dice.length == 0;
		}

		/** Whether this validation is better than {@code other} (null: always); a NaN value is the worst. */
		public boolean betterThan(final Validation other) {
			if (other == null) return true;
			final double a = byLoss() ? -loss : meanDice, b = other.byLoss() ? -other.loss : other.meanDice;
			return !Double.isNaN(a) && (Double.isNaN(b) || a > b);
		}
	}

	private final List<StepRecord> steps = new ArrayList<>();
	private final List<Validation> validations = new ArrayList<>();

	public List<StepRecord> steps() {
		return steps;
	}

	public List<Validation> validations() {
		return validations;
	}

	public void add(final StepRecord r) {
		steps.add(r);
	}

	public void add(final Validation v) {
		validations.add(v);
	}

	/** The best validation so far, or null. */
	public Validation best() {
		Validation b = null;
		for (final Validation v : validations) if (v.betterThan(b)) b = v;
		return b;
	}

	/** Mean loss of the last {@code n} steps. */
	public double recentLoss(final int n) {
		double s = 0;
		int k = 0;
		for (int i = steps.size() - 1; i >= 0 && k < n; i--, k++) s += steps.get(i).loss();
		return k == 0 ? Double.NaN : s / k;
	}

	public JsonObject toJson() {
		final JsonObject o = new JsonObject();
		final JsonArray s = new JsonArray();
		for (final StepRecord r : steps) {
			final JsonArray a = new JsonArray();
			a.add(r.step());
			a.add(r.loss());
			a.add(r.learningRate());
			a.add(r.seconds());
			s.add(a);
		}
		o.add("steps", s);
		final JsonArray v = new JsonArray();
		for (final Validation r : validations) {
			final JsonObject a = new JsonObject();
			a.addProperty("step", r.step());
			if (!Double.isNaN(r.meanDice())) a.addProperty("mean_dice", r.meanDice());
			if (r.byLoss()) {
				a.addProperty("held_out_loss", true);
				if (!Double.isNaN(r.loss())) a.addProperty("loss", r.loss());
			}
			final JsonArray d = new JsonArray();
			for (final double x : r.dice()) d.add(Double.isNaN(x) ? null : x);
			a.add("dice", d);
			v.add(a);
		}
		o.add("validations", v);
		return o;
	}

	public static TrainingHistory fromJson(final JsonObject o) {
		final TrainingHistory h = new TrainingHistory();
		if (o == null) return h;
		for (final var e : o.getAsJsonArray("steps")) {
			final JsonArray a = e.getAsJsonArray();
			h.add(new StepRecord(a.get(0).getAsLong(), a.get(1).getAsDouble(), a.get(2).getAsDouble(), a.get(3).getAsDouble()));
		}
		for (final var e : o.getAsJsonArray("validations")) {
			final JsonObject a = e.getAsJsonObject();
			final JsonArray d = a.getAsJsonArray("dice");
			final double[] dice = new double[d.size()];
			for (int i = 0; i < dice.length; i++) dice[i] = d.get(i).isJsonNull() ? Double.NaN : d.get(i).getAsDouble();
			// absent (or null) for a validation by loss
			final double mean = !a.has("mean_dice") || a.get("mean_dice").isJsonNull() ? Double.NaN : a.get("mean_dice").getAsDouble();
			h.add(new Validation(a.get("step").getAsLong(), mean, a.has("held_out_loss") ? new double[0] : dice, a.has("loss") ? a.get("loss")
				.getAsDouble() : Double.NaN));
		}
		return h;
	}

	/** Writes step, loss, learning rate and, on validation steps, mean and per-class Dice as CSV. */
	public void writeCsv(final Path file, final List<String> classNames) throws IOException {
		final boolean byLoss = validations.stream().anyMatch(Validation::byLoss);
		final StringBuilder b = new StringBuilder("step,loss,learning_rate,seconds,val_mean_dice");
		for (int c = 1; c < classNames.size(); c++) b.append(",val_dice_").append(classNames.get(c));
		if (byLoss) b.append(",val_loss");
		b.append('\n');
		int vi = 0;
		for (final StepRecord r : steps) {
			b.append(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.3f", r.step() + 1, r.loss(), r.learningRate(), r.seconds()));
			while (vi < validations.size() && validations.get(vi).step() < r.step() + 1) vi++;
			if (vi < validations.size() && validations.get(vi).step() == r.step() + 1) {
				final Validation v = validations.get(vi);
				b.append(',');
				if (!Double.isNaN(v.meanDice())) b.append(String.format(Locale.ROOT, "%.6f", v.meanDice()));
				for (int c = 1; c < classNames.size(); c++) {
					b.append(',');
					if (c < v.dice().length && !Double.isNaN(v.dice()[c])) b.append(String.format(Locale.ROOT, "%.6f", v.dice()[c]));
				}
				if (byLoss) b.append(',').append(v.byLoss() ? String.format(Locale.ROOT, "%.6g", v.loss()) : "");
			}
			else {
				b.append(',');
				for (int c = 1; c < classNames.size(); c++) b.append(',');
				if (byLoss) b.append(',');
			}
			b.append('\n');
		}
		AtomicFiles.writeString(file, b.toString());
	}
}
