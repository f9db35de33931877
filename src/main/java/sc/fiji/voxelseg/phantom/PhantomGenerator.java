package sc.fiji.voxelseg.phantom;

import java.util.Locale;

import sc.fiji.voxelseg.image.ClassTable;

/**
 * Deterministic synthetic abdominal CT phantoms with labels for the eight organs of
 * {@link ClassTable#abdomen()}.
 * <p>
 * Case {@code i} is drawn from a random generator seeded by {@code (config.seed(), i)} alone, so
 * the same seed gives bit-identical volumes, and a case does not depend on how many others are
 * generated. Each case has its own spacing (in-plane 0.6 to 1.0 mm, slice 1 to 5 mm, both divided
 * by the config's scale as {@link PhantomConfig} describes), a field of view of about 360 × 360 ×
 * 150..250 mm, body habitus, organ sizes, positions and shapes, contrast (portal venous phase) and
 * noise level. Anatomy is painted in world millimetres, so it is the same whatever the spacing.
 * <p>
 * Images are int16 HU; label maps uint8. Both are stored x, y, z with direction diag(-1, -1, 1)
 * (the radiological, LPS-like storage of most CT NIfTI files): index x grows toward the
 * patient's left, index y toward posterior, index z toward superior, so the patient's right
 * appears on the image's left.
 * <p>
 * What a case contains: air outside the body (-1000 HU); an elliptical body with subcutaneous fat
 * (about -100 HU), an abdominal muscle wall (about +50), visceral fat; vertebrae (cancellous bone
 * 300..450 HU in a cortical rim of 800..1000, discs, spinal canal, posterior elements),
 * paraspinal and psoas muscles, ribs as arcs at the periphery of the upper slices, aorta and IVC,
 * an unlabelled right kidney, colon and small bowel loops with air and fluid; and the labelled
 * organs: liver (right, large), spleen (left posterior), left kidney (cortex and medulla, fatty
 * hilum), gallbladder (fluid, under the liver), stomach (left upper, wall, fluid and an anterior
 * air pocket), pancreas (a thin tube across the midline in front of the aorta), duodenum (a
 * C-loop around the pancreatic head) and esophagus (a small tube in front of the aorta in the upper
 * slices). Several organs share similar HU, as in real CT. The image is then blurred slightly
 * (partial volume, about half a voxel SD along each axis) and Gaussian noise of 10 to 20 HU SD
 * (times the config's noise scale) is added.
 * <p>
 * That is the classic cohort. With a {@link PhantomVariation.Profile} other than
 * {@code CLASSIC}, cases also vary in contrast phase, reconstruction kernel and noise, habitus,
 * field of view and positioning, pathologies and metal, as {@link PhantomVariation} describes.
 */
public final class PhantomGenerator {

	/** Label values, as in {@link ClassTable#abdomen()}. */
	public static final int SPLEEN = 1, LEFT_KIDNEY = 2, GALLBLADDER = 3, ESOPHAGUS = 4, LIVER = 5,
			STOMACH = 6, PANCREAS = 7, DUODENUM = 8;

	/**
	 * The voxel grid of a case: dims {x, y, z}, spacing {x, y, z} in mm, origin (world RAS+ mm of
	 * voxel (0, 0, 0)) and direction (row-major 3×3, column c = axis c).
	 */
	public record Grid(long[] dims, double[] spacing, double[] origin, double[] direction) {}

	private final PhantomConfig config;

	public PhantomGenerator(final PhantomConfig config) {
		this.config = config;
	}

	public PhantomConfig config() {
		return config;
	}

	/** {@code case_000}, {@code case_001}, ... */
	public static String caseId(final int index) {
		return String.format(Locale.ROOT, "case_%03d", index);
	}

	/** The grid case {@code index} will have, without painting it (cheap). */
	public Grid grid(final int index) {
		final PhantomPainter p = new PhantomPainter(config, index, caseSeed(config.seed(), index));
		return p.grid();
	}

	/** Generates case {@code index} (need not be below {@code config.cases()}) with the config's variation. */
	public PhantomCase generate(final int index) {
		return generate(index, config.variation());
	}

	/**
	 * Generates case {@code index} with the variation {@code profile}; its anatomy draws are those
	 * of the classic case of the same index ({@link PhantomVariation}).
	 */
	public PhantomCase generate(final int index, final PhantomVariation.Profile profile) {
		if (index < 0) throw new IllegalArgumentException("case index must be >= 0, got " + index);
		return new PhantomPainter(config, profile, index, caseSeed(config.seed(), index)).paint(caseId(index));
	}

	/** The seed of case {@code index}: a SplitMix64 mix of the cohort seed and the index. */
	static long caseSeed(final long seed, final int index) {
		return mix(mix(seed) ^ (0x9E3779B97F4A7C15L * (index + 1L)));
	}

	static long mix(long z) {
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}
}
