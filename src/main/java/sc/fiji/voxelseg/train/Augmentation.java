package sc.fiji.voxelseg.train;

import java.util.SplittableRandom;

/**
 * Random augmentation of a training sample, done on the loader thread. Spatial changes apply to the
 * image and its labels alike (trilinear and nearest-neighbour), intensity changes to the image.
 *
 * @param flips mirror each axis with probability 0.5
 * @param rotateScaleProbability chance of a rotation about the z axis and an isotropic scaling
 * @param maxRotationDegrees rotation drawn from ±this
 * @param maxScale scaling drawn from 1 ± this
 * @param intensityJitter intensities become {@code a·I + b}, a from 1 ± this, b from ± this/2
 * @param noiseProbability chance of Gaussian noise with σ drawn from [0, noiseSigma]
 * @param noiseSigma largest noise σ (intensity units after preprocessing)
 */
public record Augmentation(boolean flips, double rotateScaleProbability, double maxRotationDegrees, double maxScale,
	double intensityJitter, double noiseProbability, double noiseSigma)
{

	/** Flips, ±15° rotation and ±15% scaling on 20% of samples, ±10% intensity, noise on 15%. */
	public static Augmentation defaults() {
		return new Augmentation(true, 0.2, 15, 0.15, 0.1, 0.15, 0.05);
	}

	/** No augmentation. */
	public static Augmentation none() {
		return new Augmentation(false, 0, 0, 0, 0, 0, 0);
	}

	/**
	 * The same augmentation without mirroring: for anatomy whose labels depend on the side (a left
	 * kidney beside an unlabelled right one), which mirroring across the body makes ambiguous.
	 */
	public Augmentation withoutFlips() {
		return new Augmentation(false, rotateScaleProbability, maxRotationDegrees, maxScale, intensityJitter, noiseProbability, noiseSigma);
	}

	public boolean isNone() {
		return !flips && rotateScaleProbability == 0 && intensityJitter == 0 && noiseProbability == 0;
	}

	/** Augments {@code img}/{@code lab} (x fastest, nx×ny×nz) in place. */
	public void apply(final float[] img, final byte[] lab, final int nx, final int ny, final int nz, final SplittableRandom rng) {
		if (rotateScaleProbability > 0 && rng.nextDouble() < rotateScaleProbability) {
			final double angle = Math.toRadians((rng.nextDouble() * 2 - 1) * maxRotationDegrees);
			final double scale = 1 + (rng.nextDouble() * 2 - 1) * maxScale;
			rotateScale(img, lab, nx, ny, nz, angle, scale);
		}
		if (flips) {
			if (rng.nextBoolean()) flip(img, lab, nx, ny, nz, 0);
			if (rng.nextBoolean()) flip(img, lab, nx, ny, nz, 1);
			if (rng.nextBoolean()) flip(img, lab, nx, ny, nz, 2);
		}
		if (intensityJitter > 0) {
			final float a = (float) (1 + (rng.nextDouble() * 2 - 1) * intensityJitter);
			final float b = (float) ((rng.nextDouble() - 0.5) * intensityJitter);
			for (int i = 0; i < img.length; i++) img[i] = a * img[i] + b;
		}
		if (noiseProbability > 0 && rng.nextDouble() < noiseProbability) {
			final double sigma = rng.nextDouble() * noiseSigma;
			final java.util.Random g = new java.util.Random(rng.nextLong());
			for (int i = 0; i < img.length; i++) img[i] += (float) (sigma * g.nextGaussian());
		}
	}

	/** Mirrors axis 0 (x), 1 (y) or 2 (z). */
	static void flip(final float[] img, final byte[] lab, final int nx, final int ny, final int nz, final int axis) {
		final int sx = 1, sy = nx, sz = nx * ny;
		final int n = axis == 0 ? nx : axis == 1 ? ny : nz;
		final int stride = axis == 0 ? sx : axis == 1 ? sy : sz;
		for (int z = 0; z < (axis == 2 ? 1 : nz); z++) {
			for (int y = 0; y < (axis == 1 ? 1 : ny); y++) {
				for (int x = 0; x < (axis == 0 ? 1 : nx); x++) {
					final int base = x * sx + y * sy + z * sz;
					for (int i = 0, j = n - 1; i < j; i++, j--) {
						final int a = base + i * stride, b = base + j * stride;
						final float t = img[a];
						img[a] = img[b];
						img[b] = t;
						final byte u = lab[a];
						lab[a] = lab[b];
						lab[b] = u;
					}
				}
			}
		}
	}

	/**
	 * Rotates about the z axis through the volume centre by {@code angle} and scales by {@code scale}
	 * (> 1 enlarges), in voxel units; outside samples are 0 (image) and background (labels).
	 */
	static void rotateScale(final float[] img, final byte[] lab, final int nx, final int ny, final int nz, final double angle,
		final double scale)
	{
		final float[] src = img.clone();
		final byte[] srcLab = lab.clone();
		final double cx = (nx - 1) / 2.0, cy = (ny - 1) / 2.0, cz = (nz - 1) / 2.0;
		final double cos = Math.cos(angle) / scale, sin = Math.sin(angle) / scale, inv = 1 / scale;
		final int sxy = nx * ny;
		for (int z = 0; z < nz; z++) {
			final double pz = (z - cz) * inv + cz;
			for (int y = 0; y < ny; y++) {
				final double dy = y - cy;
				for (int x = 0; x < nx; x++) {
					final double dx = x - cx;
					// inverse map: rotate by -angle, shrink by 1/scale
					final double px = cos * dx + sin * dy + cx, py = -sin * dx + cos * dy + cy;
					final int o = x + y * nx + z * sxy;
					final int ix = (int) Math.floor(px), iy = (int) Math.floor(py), iz = (int) Math.floor(pz);
					final double fx = px - ix, fy = py - iy, fz = pz - iz;
					double v = 0;
					for (int c = 0; c < 8; c++) {
						final int xx = ix + (c & 1), yy = iy + ((c >> 1) & 1), zz = iz + (c >> 2);
						if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
						final double w = ((c & 1) == 1 ? fx : 1 - fx) * (((c >> 1) & 1) == 1 ? fy : 1 - fy) * ((c >> 2) == 1 ? fz : 1 - fz);
						v += w * src[xx + yy * nx + zz * sxy];
					}
					img[o] = (float) v;
					final int rx = (int) Math.round(px), ry = (int) Math.round(py), rz = (int) Math.round(pz);
					lab[o] = rx < 0 || ry < 0 || rz < 0 || rx >= nx || ry >= ny || rz >= nz ? 0 : srcLab[rx + ry * nx + rz * sxy];
				}
			}
		}
	}
}
