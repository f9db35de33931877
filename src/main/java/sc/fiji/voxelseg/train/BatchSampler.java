package sc.fiji.voxelseg.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Cuts batch {@code s} from the training cases as a pure function of {@code (seed, s)}: which cases,
 * where the patches lie and how they are augmented do not depend on timing or threads, so a run
 * is repeatable and a resumed run draws the batches the uninterrupted one would have drawn.
 * Cases are visited in a fresh random order every epoch (every {@code cases} samples).
 */
public final class BatchSampler implements BatchSource {

	private final List<CaseData> cases;
	private final Sampling sampling;
	private final Augmentation augmentation;
	private final int batchSize;
	private final long seed;
	private final int nx, ny, nz;
	/** Per case and class, the foreground voxel indices (patch mode only). */
	private final List<int[][]> foreground = new ArrayList<>();

	public BatchSampler(final List<CaseData> cases, final int classes, final Sampling sampling, final Augmentation augmentation,
		final int batchSize, final long seed)
	{
		if (cases.isEmpty()) throw new IllegalArgumentException("no training cases");
		if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
		this.cases = List.copyOf(cases);
		this.sampling = sampling;
		this.augmentation = augmentation;
		this.batchSize = batchSize;
		this.seed = seed;
		if (sampling.mode() == Sampling.Mode.WHOLE) {
			final CaseData f = cases.get(0);
			for (final CaseData c : cases) {
				if (c.nx() != f.nx() || c.ny() != f.ny() || c.nz() != f.nz()) {
					throw new IllegalArgumentException("whole-volume batches need every case on one grid, but " + f.id() + " is " +
						f.shape() + " and " + c.id() + " is " + c.shape() +
						": resample to a fixed shape in the preprocessing plan, or train on patches");
				}
			}
			nx = f.nx();
			ny = f.ny();
			nz = f.nz();
		}
		else {
			nx = sampling.patch()[0];
			ny = sampling.patch()[1];
			nz = sampling.patch()[2];
			for (final CaseData c : cases) foreground.add(foregroundIndex(c, classes));
		}
	}

	/** Sample shape {x, y, z}. */
	@Override
	public int[] sampleShape() {
		return new int[] { nx, ny, nz };
	}

	@Override
	public int batchSize() {
		return batchSize;
	}

	/** Steps in one epoch: every case seen once (rounded up). */
	@Override
	public long stepsPerEpoch() {
		return (cases.size() + batchSize - 1) / batchSize;
	}

	/** The batch of step {@code step}. */
	@Override
	public Batch batch(final long step) {
		final int v = nx * ny * nz;
		final float[] img = new float[batchSize * v];
		final byte[] lab = new byte[batchSize * v];
		final SplittableRandom rng = new SplittableRandom(mix(seed, step));
		for (int j = 0; j < batchSize; j++) {
			final long g = step * batchSize + j;
			final CaseData c = cases.get(order(g / cases.size())[(int) (g % cases.size())]);
			final float[] si = new float[v];
			final byte[] sl = new byte[v];
			if (sampling.mode() == Sampling.Mode.WHOLE) {
				System.arraycopy(c.image(), 0, si, 0, v);
				System.arraycopy(c.labels(), 0, sl, 0, v);
			}
			else {
				patch(c, foreground.get(cases.indexOf(c)), rng, si, sl);
			}
			augmentation.apply(si, sl, nx, ny, nz, rng);
			System.arraycopy(si, 0, img, j * v, v);
			System.arraycopy(sl, 0, lab, j * v, v);
		}
		return new Batch(step, img, lab, batchSize, nx, ny, nz);
	}

	/** The case order of epoch {@code e}: a seeded Fisher-Yates shuffle. */
	private int[] order(final long e) {
		final int n = cases.size();
		final int[] o = new int[n];
		for (int i = 0; i < n; i++) o[i] = i;
		final SplittableRandom r = new SplittableRandom(mix(seed ^ 0x5DEECE66DL, e));
		for (int i = n - 1; i > 0; i--) {
			final int k = r.nextInt(i + 1);
			final int t = o[i];
			o[i] = o[k];
			o[k] = t;
		}
		return o;
	}

	private void patch(final CaseData c, final int[][] fg, final SplittableRandom rng, final float[] si, final byte[] sl) {
		int cx, cy, cz;
		final List<int[]> present = new ArrayList<>();
		for (final int[] f : fg) if (f.length > 0) present.add(f);
		if (!present.isEmpty() && rng.nextDouble() < sampling.foregroundFraction()) {
			final int[] cls = present.get(rng.nextInt(present.size()));
			final int idx = cls[rng.nextInt(cls.length)];
			cx = idx % c.nx();
			cy = (idx / c.nx()) % c.ny();
			cz = idx / (c.nx() * c.ny());
		}
		else {
			cx = rng.nextInt(c.nx());
			cy = rng.nextInt(c.ny());
			cz = rng.nextInt(c.nz());
		}
		// the patch lies around the centre, shifted inside the volume where it fits
		final int x0 = start(cx, nx, c.nx()), y0 = start(cy, ny, c.ny()), z0 = start(cz, nz, c.nz());
		for (int z = 0; z < nz; z++) {
			final int zz = z0 + z;
			for (int y = 0; y < ny; y++) {
				final int yy = y0 + y;
				final int o = (z * ny + y) * nx;
				if (zz < 0 || zz >= c.nz() || yy < 0 || yy >= c.ny()) continue; // stays 0: padding
				for (int x = 0; x < nx; x++) {
					final int xx = x0 + x;
					if (xx < 0 || xx >= c.nx()) continue;
					final int s = xx + c.nx() * (yy + c.ny() * zz);
					si[o + x] = c.image()[s];
					sl[o + x] = c.labels()[s];
				}
			}
		}
	}

	/** First index of a patch of {@code p} centred on {@code c} in a line of {@code n}, kept inside when p ≤ n. */
	static int start(final int c, final int p, final int n) {
		int s = c - p / 2;
		if (p <= n) s = Math.max(0, Math.min(s, n - p));
		else s = -(p - n) / 2; // smaller volume: centred, padded
		return s;
	}

	private static int[][] foregroundIndex(final CaseData c, final int classes) {
		final int[] counts = new int[classes];
		for (final byte b : c.labels()) counts[b & 0xff]++;
		final int[][] idx = new int[classes][];
		for (int k = 0; k < classes; k++) idx[k] = new int[k == 0 ? 0 : counts[k]];
		final int[] fill = new int[classes];
		final byte[] l = c.labels();
		for (int i = 0; i < l.length; i++) {
			final int k = l[i] & 0xff;
			if (k != 0) idx[k][fill[k]++] = i;
		}
		return idx;
	}

	/** SplitMix64 of a seed and a counter, so neighbouring steps get unrelated streams. */
	static long mix(final long seed, final long n) {
		long z = seed + 0x9E3779B97F4A7C15L * (n + 1);
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}
}
