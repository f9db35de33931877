package sc.fiji.voxelseg.phantom;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How one phantom case departs from the classic cohort: the ways hospital CT cohorts vary, drawn
 * per case from a {@link Profile}.
 * <ul>
 * <li>Contrast phase ({@link Phase}), which shifts each organ's HU as in clinical CT (table in
 * {@link Phase}).</li>
 * <li>Reconstruction kernel ({@link Kernel}): its blur and its noise level.</li>
 * <li>Patient size (the visceral cavity scaled by {@code size}) and subcutaneous fat
 * ({@code fatMm}); large patients reach beyond the in-plane field of view.</li>
 * <li>Field of view: the scanned range shifted craniocaudally by {@code zShiftMm}, so that the
 * liver dome, the spleen or the pelvis can be cut at the volume border; an in-plane rotation of
 * {@code rotationDeg} (patient positioning).</li>
 * <li>Pathologies, labelled as their organ: fatty liver (liver HU lowered by
 * {@code fattyLiverHu}), splenomegaly (spleen scaled by {@code spleenScale}), hypo- and
 * hyperdense liver lesions and kidney cysts ({@link Lesion}).</li>
 * <li>Metal ({@code metal}): a dense implant beside the spine with streak artefacts in its slices.</li>
 * </ul>
 * The slice thickness varies in every profile, as in the classic cohort (1 to 5 mm at full scale).
 * A case's variation comes from its own generator, seeded from the case seed, so the classic
 * anatomy draws of a case are the same in every profile.
 */
public record PhantomVariation(Profile profile, Phase phase, Kernel kernel, double noiseSd, double size, double fatMm,
	double zShiftMm, double rotationDeg, double fattyLiverHu, double spleenScale, List<Lesion> lesions, boolean metal)
{

	/** Which distribution a case's variation is drawn from. */
	public enum Profile {
		/** No variation: the classic cohort (portal-venous phase, standard kernel), bit for bit. */
		CLASSIC,
		/** Every kind of variation, mixed. */
		VARIED,
		/**
		 * The labeled side of a domain shift: portal-venous phase, soft or standard kernel, noise
		 * 6 to 14 HU, habitus near the classic one, small shifts and rotations, no pathology, no metal.
		 */
		SOURCE,
		/**
		 * The unlabeled and test side: all four phases, standard or sharp kernel (more noise), wide
		 * habitus, field-of-view cuts and rotations, frequent pathologies, sometimes metal.
		 */
		TARGET;

		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}

		public static Profile parse(final String s) {
			for (final Profile p : values()) if (p.id().equals(s.trim().toLowerCase(Locale.ROOT))) return p;
			throw new IllegalArgumentException("unknown phantom variation '" + s + "': use classic, varied, source or target");
		}
	}

	/**
	 * Contrast phase. Organ attenuation in HU, each case drawn uniformly in the range (sources:
	 * typical adult values of clinical abdominal CT; the portal-venous column is the classic
	 * cohort's own draw):
	 *
	 * <pre>
	 * tissue            native    arterial   portal-venous       delayed
	 * liver             50..65    65..80     95..115             75..90
	 * spleen            40..50    105..135   liver + 0..15       75..90
	 * kidney cortex     28..38    170..220   150..185            110..140
	 * kidney medulla    25..35    70..100    cortex - 20..40     170..250 (excretion)
	 * pancreas          40..50    100..130   80..100             60..80
	 * aorta             35..45    250..350   140..180            90..120
	 * IVC               35..45    60..100    aorta - 10..30      90..120
	 * bowel, stomach,   35..45    80..100    classic walls       55..70
	 *   duodenal wall                        (40..85)
	 * esophagus         35..45    60..80     40..60              45..60
	 * gallbladder       8..22 in every phase (bile does not enhance)
	 * </pre>
	 */
	public enum Phase {
		NATIVE, ARTERIAL, PORTAL_VENOUS, DELAYED;

		public String id() {
			return name().toLowerCase(Locale.ROOT).replace('_', '-');
		}

		/** The HU range {lo, hi} of {@code tissue} in this phase; null where the classic draw stands (portal-venous). */
		public double[] range(final Tissue tissue) {
			if (this == PORTAL_VENOUS) return null;
			final double[][] t = TABLE[tissue.ordinal()];
			return t[this == NATIVE ? 0 : this == ARTERIAL ? 1 : 2];
		}
	}

	/** The tissues whose attenuation depends on the phase. */
	public enum Tissue {
		LIVER, SPLEEN, KIDNEY_CORTEX, KIDNEY_MEDULLA, PANCREAS, AORTA, IVC, BOWEL_WALL, ESOPHAGUS
	}

	/** Per tissue: {native, arterial, delayed} ranges (portal-venous is the classic draw). */
	private static final double[][][] TABLE = { //
		{ { 50, 65 }, { 65, 80 }, { 75, 90 } }, // liver
		{ { 40, 50 }, { 105, 135 }, { 75, 90 } }, // spleen
		{ { 28, 38 }, { 170, 220 }, { 110, 140 } }, // kidney cortex
		{ { 25, 35 }, { 70, 100 }, { 170, 250 } }, // kidney medulla
		{ { 40, 50 }, { 100, 130 }, { 60, 80 } }, // pancreas
		{ { 35, 45 }, { 250, 350 }, { 90, 120 } }, // aorta
		{ { 35, 45 }, { 60, 100 }, { 90, 120 } }, // IVC
		{ { 35, 45 }, { 80, 100 }, { 55, 70 } }, // bowel, stomach and duodenal walls
		{ { 35, 45 }, { 60, 80 }, { 45, 60 } } // esophagus
	};

	/**
	 * Reconstruction kernel: the partial-volume blur it leaves (Gaussian SD in voxels, in-plane and
	 * along z) and the noise it lets through (SD in HU at full scale).
	 */
	public enum Kernel {
		SOFT(0.7, 0.5, 6, 12), STANDARD(0.5, 0.4, 10, 20), SHARP(0.3, 0.3, 20, 35);

		public final double blurInPlane, blurZ, noiseLo, noiseHi;

		Kernel(final double blurInPlane, final double blurZ, final double noiseLo, final double noiseHi) {
			this.blurInPlane = blurInPlane;
			this.blurZ = blurZ;
			this.noiseLo = noiseLo;
			this.noiseHi = noiseHi;
		}

		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}
	}

	/**
	 * A focal lesion, painted as a sphere inside its organ only (the label stays the organ's): its
	 * attenuation is {@code hu} itself when {@code absolute} (a cyst's water), else the organ's plus
	 * {@code hu}.
	 */
	public record Lesion(String kind, int organ, double radiusMm, double hu, boolean absolute) {}

	public PhantomVariation {
		lesions = List.copyOf(lesions);
	}

	/** The classic cohort's variation: portal-venous, standard kernel, nothing else. */
	static PhantomVariation classic(final double noiseSd) {
		return new PhantomVariation(Profile.CLASSIC, Phase.PORTAL_VENOUS, Kernel.STANDARD, noiseSd, 1, Double.NaN, 0, 0, 0, 1, List.of(),
			false);
	}

	/** Draws a case's variation from {@code profile} with the case's own variation generator. */
	static PhantomVariation draw(final Profile profile, final SplittableRandom r) {
		final boolean source = profile == Profile.SOURCE, target = profile == Profile.TARGET;
		final Phase phase = source ? Phase.PORTAL_VENOUS : Phase.values()[r.nextInt(4)];
		final Kernel kernel = source ? (r.nextBoolean() ? Kernel.SOFT : Kernel.STANDARD) : target ? (r.nextBoolean() ? Kernel.STANDARD
			: Kernel.SHARP) : Kernel.values()[r.nextInt(3)];
		// the labeled side of a domain shift is low-noise whatever its kernel
		final double noise = source ? u(r, 6, 14) : u(r, kernel.noiseLo, kernel.noiseHi);
		final double size = source ? u(r, 0.95, 1.05) : u(r, 0.85, 1.2);
		final double fat = source ? u(r, 8, 30) : u(r, 5, 55);
		final double zShift = source ? u(r, -10, 10) : u(r, -35, 35);
		final double rotation = source ? u(r, -2, 2) : u(r, -10, 10);
		final double pFatty = source ? 0 : target ? 0.3 : 0.15, pSpleno = source ? 0 : target ? 0.2 : 0.1;
		final double pLiverLesion = source ? 0 : target ? 0.6 : 0.35, pCyst = source ? 0 : target ? 0.4 : 0.25;
		final double pMetal = source ? 0 : target ? 0.15 : 0.1;
		final double fatty = r.nextDouble() < pFatty ? u(r, 25, 60) : 0;
		final double spleen = r.nextDouble() < pSpleno ? u(r, 1.35, 1.7) : 1;
		final List<Lesion> lesions = new ArrayList<>();
		if (r.nextDouble() < pLiverLesion) {
			final int n = 1 + r.nextInt(3);
			for (int i = 0; i < n; i++) {
				final boolean hyper = r.nextDouble() < 0.3;
				final double delta = hyper ? (phase == Phase.ARTERIAL ? u(r, 40, 80) : u(r, 15, 30)) : -u(r, 30, 60);
				lesions.add(new Lesion(hyper ? "hyperdense liver lesion" : "hypodense liver lesion", PhantomGenerator.LIVER, u(r, 5, 22),
					delta, false));
			}
		}
		if (r.nextDouble() < pCyst) {
			final int n = 1 + r.nextInt(2);
			// a simple cyst holds water (0..15 HU) whatever the phase
			for (int i = 0; i < n; i++) lesions.add(new Lesion("kidney cyst", PhantomGenerator.LEFT_KIDNEY, u(r, 4, 14), u(r, 0, 15), true));
		}
		final boolean metal = r.nextDouble() < pMetal;
		return new PhantomVariation(profile, phase, kernel, noise, size, fat, zShift, rotation, fatty, spleen, lesions, metal);
	}

	private static double u(final SplittableRandom r, final double lo, final double hi) {
		return lo + (hi - lo) * r.nextDouble();
	}
}
