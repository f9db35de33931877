package sc.fiji.voxelseg.phantom;

/**
 * What {@link PhantomGenerator} makes: how many cases, from which seed, at which size.
 * <p>
 * At {@code scale} 1 a case has real CT geometry: in-plane spacing 0.6 to 1.0 mm and slice spacing
 * 1 to 5 mm over a field of view of about 340 to 380 mm in-plane and 150 to 250 mm
 * craniocaudally, i.e. roughly 340 to 630 voxels across. A smaller scale keeps the field of view
 * and the anatomy (painted in mm) and coarsens the grid: in-plane spacing is divided by
 * {@code scale}, slice spacing by {@code sqrt(scale)} (so thin structures keep a few slices).
 * Scale 0.25 gives grids of about 85 to 160 voxels in-plane, 0.125 about 40 to 80.
 *
 * @param cases number of cases, at least 1
 * @param seed cohort seed; case {@code i} depends only on {@code (seed, i)}
 * @param scale grid size factor in (0, 1]; 1 is full CT resolution
 * @param noiseScale multiplies the per-case Gaussian noise SD (10 to 20 HU at 1); 0 turns noise off
 * @param variation how cases vary beyond the classic cohort ({@link PhantomVariation})
 */
public record PhantomConfig(int cases, long seed, double scale, double noiseScale, PhantomVariation.Profile variation) {

	/** Nominal in-plane grid size at scale 1 (the usual CT matrix). */
	public static final int FULL_GRID = 512;

	public PhantomConfig {
		if (cases < 1) throw new IllegalArgumentException("a phantom cohort needs at least 1 case, got " +
			cases);
		if (!(scale > 0 && scale <= 1)) throw new IllegalArgumentException(
			"phantom scale must be in (0, 1], got " + scale);
		if (!(noiseScale >= 0) || !Double.isFinite(noiseScale)) throw new IllegalArgumentException(
			"noise scale must be finite and >= 0, got " + noiseScale);
		if (variation == null) variation = PhantomVariation.Profile.CLASSIC;
	}

	/** A classic cohort (no variation). */
	public PhantomConfig(final int cases, final long seed, final double scale, final double noiseScale) {
		this(cases, seed, scale, noiseScale, PhantomVariation.Profile.CLASSIC);
	}

	public PhantomConfig withVariation(final PhantomVariation.Profile v) {
		return new PhantomConfig(cases, seed, scale, noiseScale, v);
	}

	/** Ten full-resolution cases from seed 42. */
	public static PhantomConfig defaults() {
		return new PhantomConfig(10, 42, 1, 1);
	}

	/**
	 * A config whose grids are about {@code grid} voxels across in-plane ({@code grid / 512} of
	 * full scale), e.g. 128 for demos and 64 for fast tests.
	 */
	public static PhantomConfig ofGrid(final int cases, final long seed, final int grid) {
		if (grid < 16 || grid > FULL_GRID) throw new IllegalArgumentException("phantom grid must be 16.." +
			FULL_GRID + ", got " + grid);
		return new PhantomConfig(cases, seed, grid / (double) FULL_GRID, 1);
	}

	public PhantomConfig withCases(final int n) {
		return new PhantomConfig(n, seed, scale, noiseScale, variation);
	}

	public PhantomConfig withSeed(final long s) {
		return new PhantomConfig(cases, s, scale, noiseScale, variation);
	}

	public PhantomConfig withScale(final double s) {
		return new PhantomConfig(cases, seed, s, noiseScale, variation);
	}

	public PhantomConfig withNoiseScale(final double n) {
		return new PhantomConfig(cases, seed, scale, n, variation);
	}
}
