package sc.fiji.voxelseg.preprocess;

/**
 * One step of a {@link PreprocessingPlan}. Intensity steps change the image only; geometric steps
 * move image and label map alike (trilinear for the image, nearest neighbour for labels).
 */
public sealed interface Step {

	/** The name a step has in plan JSON ({@code "op"}) and on the command line. */
	String op();

	default boolean geometric() {
		return false;
	}

	/** Clip to an HU window and scale to [0, 1]. */
	record Window(String preset, double lower, double upper) implements Step {

		public static Window of(final HuWindow w) {
			return new Window(w.name(), w.lower(), w.upper());
		}

		public HuWindow window() {
			return new HuWindow(preset == null ? "custom" : preset, lower, upper);
		}

		@Override
		public String op() {
			return "window";
		}
	}

	/** Z-score over all voxels, or over voxels above {@code maskAbove} when it is not null. */
	record ZScore(Double maskAbove) implements Step {

		@Override
		public String op() {
			return "zscore";
		}
	}

	/** Clip to the low/high percentiles (0-100) and scale to [0, 1] (MRI: 0.01 and 99.9). */
	record PercentileClip(double low, double high) implements Step {

		@Override
		public String op() {
			return "percentile_clip";
		}
	}

	/** Crop to the smallest box of voxels above {@code threshold} (body: -500 HU), plus a margin. */
	record ForegroundCrop(double threshold, int margin) implements Step {

		@Override
		public String op() {
			return "foreground_crop";
		}

		@Override
		public boolean geometric() {
			return true;
		}
	}

	/** Centred crop or pad to {@code shape} {x, y, z}; the image pads with {@code fill}, labels with 0. */
	record CropOrPad(long[] shape, double fill) implements Step {

		@Override
		public String op() {
			return "crop_or_pad";
		}

		@Override
		public boolean geometric() {
			return true;
		}
	}

	/** Resample to {@code shape} {x, y, z} voxels over the same field of view. */
	record ResampleToShape(long[] shape) implements Step {

		@Override
		public String op() {
			return "resample_shape";
		}

		@Override
		public boolean geometric() {
			return true;
		}
	}

	/** Resample to {@code spacing} {x, y, z} in mm. */
	record ResampleToSpacing(double[] spacing) implements Step {

		@Override
		public String op() {
			return "resample_spacing";
		}

		@Override
		public boolean geometric() {
			return true;
		}
	}
}
