package sc.fiji.voxelseg.command;

import ij.ImagePlus;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** What every VoxelSeg command shares: error reporting and naming. */
final class Commands {

	private Commands() {}

	/**
	 * An output image registered as ImageJ registers a shown image, where no one else would show it:
	 * without the ImageJ window (headless Fiji) while a macro runs, or in a batch-mode macro, SciJava
	 * displays no command output, so the macro's next command could not find it by title. With the
	 * ImageJ window outside batch mode SciJava shows it, and nothing is done here.
	 */
	static ImagePlus shown(final ImagePlus imp) {
		if (imp != null && (ij.macro.Interpreter.isBatchMode() || ij.IJ.getInstance() == null && ij.IJ.isMacro())) imp.show();
		return imp;
	}

	/** Three whole numbers written x,y,z (or x×y×z) in a dialog field, {@code what} naming it in the message. */
	static int[] triple(final String what, final String v) {
		final String[] c = v.trim().split("[,x×]");
		if (c.length != 3) throw new IllegalArgumentException(what + " needs x,y,z, got '" + v + "'");
		try {
			return new int[] { Integer.parseInt(c[0].trim()), Integer.parseInt(c[1].trim()), Integer.parseInt(c[2].trim()) };
		}
		catch (final NumberFormatException e) {
			throw new IllegalArgumentException(what + " needs three whole numbers x,y,z, got '" + v + "'");
		}
	}

	/**
	 * Runs core work; a failure becomes an {@link IllegalStateException} carrying the core's
	 * message (which names the file and the problem), so macros and the launcher stop with it.
	 * The failure is also one line in the Log window and the status bar, and in headless Fiji it
	 * ends the JVM with exit status 1 ({@link #exitOnFailure}).
	 */
	static <T> T call(final Callable<T> work) {
		try {
			return work.call();
		}
		catch (final RuntimeException e) {
			failed(e);
			throw e;
		}
		catch (final Exception e) {
			failed(e);
			throw new IllegalStateException(e.getMessage(), e);
		}
	}

	/** The property that decides {@link #exitOnFailure} when it is set: true or false. */
	static final String EXIT_ON_FAILURE = "voxelseg.exitOnFailure";

	/**
	 * Whether a failed command ends the JVM with exit status 1. ImageJ exits 0 after a failed
	 * command under {@code --headless} (imagej/imagej2#61), so a batch job could not tell; hence in
	 * a headless JVM started by Fiji's launcher (both the ImageJ launcher and Jaunch set
	 * {@code ij.executable}; pyimagej and the launcher's {@code --run} do not), a failure exits.
	 * {@code -Dvoxelseg.exitOnFailure=false} keeps the JVM running (a script that catches errors),
	 * {@code =true} exits anywhere.
	 */
	static boolean exitOnFailure() {
		final String p = System.getProperty(EXIT_ON_FAILURE);
		if (p != null && !p.isBlank()) return Boolean.parseBoolean(p.trim());
		final String launcher = System.getProperty("ij.executable");
		return java.awt.GraphicsEnvironment.isHeadless() && launcher != null && !launcher.isBlank();
	}

	/**
	 * The failure as one line in the Log window and the status bar (the exception itself goes to
	 * SciJava, which shows or prints it); in headless Fiji, the line on stderr and exit status 1.
	 * A cancelled command is not a failure.
	 */
	private static void failed(final Exception e) {
		if (e instanceof sc.fiji.voxelseg.util.Progress.CanceledException) return;
		failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
	}

	/** A failure described by {@code message}, reported as {@link #failed(Exception)} reports an exception. */
	static void failed(final String message) {
		final String line = StatusProgress.LOG_PREFIX + "error: " + message.replace('\n', ' ');
		ij.IJ.log(line);
		ij.IJ.showStatus(line);
		if (exitOnFailure()) {
			System.err.println(line);
			System.err.flush();
			System.out.flush();
			System.exit(1);
		}
	}

	/** The preprocessing plan a training command names: a preset, or the chosen plan file. */
	static sc.fiji.voxelseg.preprocess.PreprocessingPlan plan(final String preprocessing, final java.io.File planFile)
		throws java.io.IOException
	{
		if (!preprocessing.equals("plan file")) return sc.fiji.voxelseg.preprocess.PreprocessingPlan.preset(preprocessing);
		if (planFile == null) throw new IllegalArgumentException("choose the plan file");
		return sc.fiji.voxelseg.preprocess.PreprocessingPlan.load(planFile.toPath());
	}

	/**
	 * A training run of the Fiji commands writing the bundle {@code out}, fresh or resumed; the
	 * resume guard words its refusal for the dialog ("tick Resume", "another bundle").
	 */
	static sc.fiji.voxelseg.train.TrainingJob job(final sc.fiji.voxelseg.train.TrainingSettings settings, final Path out,
		final boolean resume, final sc.fiji.voxelseg.util.Progress progress)
	{
		return new sc.fiji.voxelseg.train.TrainingJob(settings, out, progress).resume(resume, "tick Resume", "another bundle");
	}

	/**
	 * A chart the core wrote as PNG (a training curve, a study figure), opened as an image window
	 * titled with its file name, or null when there is none; registered as {@link #shown} does.
	 */
	static ImagePlus figure(final Path png) {
		if (!java.nio.file.Files.isRegularFile(png)) return null;
		final ImagePlus imp = ij.IJ.openImage(png.toString());
		if (imp != null) imp.setTitle(png.getFileName().toString());
		return shown(imp);
	}

	/** A chart drawn in memory as an image window titled {@code title}; registered as {@link #shown} does. */
	static ImagePlus figure(final String title, final java.awt.image.BufferedImage picture) {
		return shown(new ImagePlus(title, picture));
	}

	/** The keys a call of the command can set: its inputs, without the services and context SciJava fills in. */
	static java.util.List<String> keys(final org.scijava.module.ModuleInfo info) {
		final java.util.List<String> keys = new java.util.ArrayList<>();
		for (final org.scijava.module.ModuleItem<?> i : info.inputs())
			if (!org.scijava.service.Service.class.isAssignableFrom(i.getType()) && !org.scijava.Context.class.isAssignableFrom(i
				.getType())) keys.add(i.getName());
		return keys;
	}

	/** The status line after training: cancelled or trained, steps, bundle and best validation Dice. */
	static String trainingSummary(final sc.fiji.voxelseg.train.Trainer.Result r, final Path out) {
		final sc.fiji.voxelseg.train.TrainingHistory.Validation best = r.history().best();
		return (r.cancelled() ? "Cancelled" : "Trained") + " after " + r.steps() + " steps: " + out + (best == null ? ""
			: String.format(java.util.Locale.ROOT, " (best mean validation Dice %.3f)", best.meanDice()));
	}

	/** A file name without its volume extension. */
	static String baseName(final Path p) {
		return sc.fiji.voxelseg.io.CohortFiles.stem(p.getFileName().toString());
	}

	/** The title of a derived image, e.g. {@code ct-windowed}. */
	static String derived(final String title, final String what) {
		return (title == null || title.isBlank() ? "volume" : title) + "-" + what;
	}

	/**
	 * One hyperstack with a channel per class (channel c = class c, labelled with its name), from
	 * per-class volumes on one grid.
	 */
	static ij.ImagePlus stackOfClasses(final java.util.List<sc.fiji.voxelseg.image.Volume> perClass,
		final sc.fiji.voxelseg.image.ClassTable classes, final String title)
	{
		if (perClass.isEmpty()) return null;
		final java.util.List<ij.ImagePlus> imps = new java.util.ArrayList<>();
		for (final sc.fiji.voxelseg.image.Volume v : perClass) imps.add(sc.fiji.voxelseg.fiji.ImagePlusBridge.toImagePlus(v, title));
		final ij.ImagePlus first = imps.get(0);
		final int k = imps.size(), d = first.getStackSize();
		final ij.ImageStack stack = new ij.ImageStack(first.getWidth(), first.getHeight());
		for (int z = 1; z <= d; z++) {
			for (int c = 0; c < k; c++) {
				final String name = classes != null && classes.contains(c) ? classes.get(c).name() : "class_" + c;
				stack.addSlice(name, imps.get(c).getStack().getProcessor(z));
			}
		}
		final ij.ImagePlus out = new ij.ImagePlus(title, stack);
		out.setDimensions(k, d, 1);
		out.setCalibration(first.getCalibration());
		out.setProperty(sc.fiji.voxelseg.fiji.ImagePlusBridge.GEOMETRY_PROPERTY, first.getProperty(
			sc.fiji.voxelseg.fiji.ImagePlusBridge.GEOMETRY_PROPERTY));
		return new ij.CompositeImage(out, ij.CompositeImage.GRAYSCALE);
	}
}
