package sc.fiji.voxelseg.loss;

import java.util.Arrays;

/**
 * Chooses the voxels whose features enter the voxel-level representation losses of one hidden
 * layer (seed 000, "Implementation details"): at most {@value #MAX_SAMPLES} voxels per layer, with
 * false negatives oversampled, at most {@value #MAX_FALSE_NEGATIVES} of them. A false negative of
 * class c is a voxel labelled c that the current prediction (arg-max of the logits) assigns to
 * another class; background counts as a class like the organs, so background voxels predicted as
 * an organ are background's false negatives.
 * <p>
 * The paper gives the two caps and nothing else; this class makes these choices:
 * <ol>
 * <li>Every class present on the grid gets an equal share of the budget
 * {@code T = min(maxSamples, voxels)}, a class with fewer voxels than its share gives the rest to
 * the others (water-filling). So every present class contributes and a small organ is not drowned
 * by the background, whose weight in the loss is set by the class weights instead.</li>
 * <li>The false-negative budget {@code min(maxFalseNegatives, T)} is shared the same way among the
 * classes, each taking at most its share and its false negatives.</li>
 * <li>Each class fills the rest of its share with correctly predicted voxels; budget a class cannot
 * fill (too few correct voxels) goes to the others' correct voxels. Hard voxels beyond the
 * false-negative cap are never taken.</li>
 * <li>Within a group (a class's false negatives, or its correct voxels) the voxels with the
 * smallest random keys are taken, a voxel's key being a SplitMix64 hash of {@code (seed, voxel
 * index)}: a uniform draw without replacement. The sample is a pure function of the labels, the
 * prediction and the seed (the trainer derives it from the run's seed, the step and the layer), so
 * a resumed run draws the voxels the uninterrupted one drew; and since keys belong to voxels, a
 * voxel that changes group leaves the rest of the draw as it was.</li>
 * </ol>
 * The result is sorted by voxel index.
 * Voxels are addressed by flat index {@code n·V + v} into the N volumes of V voxels each, the
 * layout of an N × D × H × W label array.
 */
public final class VoxelSampler {

	/** The paper's cap on sampled voxels per hidden layer. */
	public static final int MAX_SAMPLES = 1700;
	/** The paper's cap on sampled false negatives per hidden layer. */
	public static final int MAX_FALSE_NEGATIVES = 1000;

	/**
	 * The sampled voxels of one layer.
	 *
	 * @param index flat voxel indices {@code n·V + v}, ascending
	 * @param label the class of each sampled voxel
	 * @param falseNegative whether each sampled voxel is a false negative
	 * @param gridCounts voxels of each class on the whole grid (all N volumes), before sampling
	 */
	public record Sample(int[] index, int[] label, boolean[] falseNegative, long[] gridCounts) {

		public int size() {
			return index.length;
		}

		public int falseNegatives() {
			int n = 0;
			for (final boolean b : falseNegative) if (b) n++;
			return n;
		}

		/** Sampled voxels of each class. */
		public int[] counts() {
			final int[] c = new int[gridCounts.length];
			for (final int l : label) c[l]++;
			return c;
		}
	}

	private final int maxSamples, maxFalseNegatives;

	/** The paper's caps, {@value #MAX_SAMPLES} and {@value #MAX_FALSE_NEGATIVES}. */
	public VoxelSampler() {
		this(MAX_SAMPLES, MAX_FALSE_NEGATIVES);
	}

	public VoxelSampler(final int maxSamples, final int maxFalseNegatives) {
		if (maxSamples < 1 || maxFalseNegatives < 0) {
			throw new IllegalArgumentException("bad sampling caps " + maxSamples + " / " + maxFalseNegatives);
		}
		this.maxSamples = maxSamples;
		this.maxFalseNegatives = maxFalseNegatives;
	}

	/**
	 * @param labels class index of every voxel ({@code & 0xff}), flat over the N volumes
	 * @param predicted the current prediction, same layout, or null to treat every voxel as correct
	 * @param classes K, the number of classes including background
	 * @throws IllegalArgumentException for a label outside 0..K-1
	 */
	public Sample sample(final byte[] labels, final byte[] predicted, final int classes, final long seed) {
		if (predicted != null && predicted.length != labels.length) {
			throw new IllegalArgumentException("prediction has " + predicted.length + " voxels, labels " + labels.length);
		}
		final long[] hardCount = new long[classes], easyCount = new long[classes];
		for (int i = 0; i < labels.length; i++) {
			final int l = labels[i] & 0xff;
			if (l >= classes) throw new IllegalArgumentException("label " + l + " outside 0.." + (classes - 1));
			if (predicted != null && (predicted[i] & 0xff) != l) hardCount[l]++;
			else easyCount[l]++;
		}
		final int[][] hard = new int[classes][], easy = new int[classes][];
		for (int c = 0; c < classes; c++) {
			hard[c] = new int[(int) hardCount[c]];
			easy[c] = new int[(int) easyCount[c]];
		}
		final int[] hi = new int[classes], ei = new int[classes];
		for (int i = 0; i < labels.length; i++) {
			final int l = labels[i] & 0xff;
			if (predicted != null && (predicted[i] & 0xff) != l) hard[l][hi[l]++] = i;
			else easy[l][ei[l]++] = i;
		}
		final long[] all = new long[classes], hardShare = new long[classes];
		for (int c = 0; c < classes; c++) all[c] = hardCount[c] + easyCount[c];
		final long budget = Math.min(maxSamples, labels.length);
		final long[] quota = waterfill(budget, all);
		for (int c = 0; c < classes; c++) hardShare[c] = Math.min(hardCount[c], quota[c]);
		final long[] fn = waterfill(Math.min(maxFalseNegatives, budget), hardShare);
		final long[] ok = new long[classes], room = new long[classes];
		long taken = 0;
		for (int c = 0; c < classes; c++) {
			ok[c] = Math.min(quota[c] - fn[c], easyCount[c]);
			room[c] = easyCount[c] - ok[c];
			taken += fn[c] + ok[c];
		}
		final long[] extra = waterfill(budget - taken, room);
		int n = 0;
		for (int c = 0; c < classes; c++) {
			ok[c] += extra[c];
			n += fn[c] + ok[c];
		}
		final long[] chosen = new long[n];
		int k = 0;
		for (int c = 0; c < classes; c++) {
			// the flag rides in the low bit so that sorting by index keeps it
			for (final int i : draw(hard[c], (int) fn[c], seed)) chosen[k++] = (long) i << 1 | 1;
			for (final int i : draw(easy[c], (int) ok[c], seed)) chosen[k++] = (long) i << 1;
		}
		Arrays.sort(chosen);
		final int[] index = new int[n], label = new int[n];
		final boolean[] flag = new boolean[n];
		for (int i = 0; i < n; i++) {
			index[i] = (int) (chosen[i] >> 1);
			label[i] = labels[index[i]] & 0xff;
			flag[i] = (chosen[i] & 1) != 0;
		}
		return new Sample(index, label, flag, all);
	}

	/**
	 * The {@code k} voxels of {@code from} with the smallest keys (a bounded max-heap of packed
	 * {@code key bits | index}, so ties cannot occur), in no particular order.
	 */
	static int[] draw(final int[] from, final int k, final long seed) {
		if (k >= from.length) return from.clone();
		if (k <= 0) return new int[0];
		final long[] heap = new long[k];
		int size = 0;
		for (final int i : from) {
			final long key = mix(seed, i) & ~0x7FFF_FFFFL | i;
			if (size < k) {
				int c = size++;
				heap[c] = key;
				while (c > 0 && heap[(c - 1) / 2] < heap[c]) {
					swap(heap, c, (c - 1) / 2);
					c = (c - 1) / 2;
				}
			}
			else if (key < heap[0]) {
				heap[0] = key;
				int c = 0;
				while (true) {
					final int l = 2 * c + 1, r = l + 1;
					int big = c;
					if (l < k && heap[l] > heap[big]) big = l;
					if (r < k && heap[r] > heap[big]) big = r;
					if (big == c) break;
					swap(heap, c, big);
					c = big;
				}
			}
		}
		final int[] out = new int[k];
		for (int j = 0; j < k; j++) out[j] = (int) (heap[j] & 0x7FFF_FFFFL);
		return out;
	}

	private static void swap(final long[] a, final int i, final int j) {
		final long t = a[i];
		a[i] = a[j];
		a[j] = t;
	}

	/** SplitMix64's finaliser of {@code seed + golden · (n + 1)}. */
	static long mix(final long seed, final long n) {
		long z = seed + 0x9E3779B97F4A7C15L * (n + 1);
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}

	/**
	 * Shares {@code budget} among slots as equally as their capacities allow: a slot never gets
	 * more than its capacity, and what a full slot cannot take goes to the others. Units that do not
	 * divide evenly go to the lowest slots. The result sums to {@code min(budget, Σ capacity)}.
	 */
	static long[] waterfill(final long budget, final long[] capacity) {
		final long[] a = new long[capacity.length];
		long left = budget;
		while (left > 0) {
			int open = 0;
			for (int c = 0; c < a.length; c++) if (a[c] < capacity[c]) open++;
			if (open == 0) break;
			final long share = left / open;
			if (share == 0) {
				for (int c = 0; c < a.length && left > 0; c++) {
					if (a[c] < capacity[c]) {
						a[c]++;
						left--;
					}
				}
				break;
			}
			for (int c = 0; c < a.length; c++) {
				final long add = Math.min(share, capacity[c] - a[c]);
				a[c] += add;
				left -= add;
			}
		}
		return a;
	}
}
