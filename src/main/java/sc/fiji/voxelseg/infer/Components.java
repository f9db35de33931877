package sc.fiji.voxelseg.infer;

import java.util.stream.IntStream;

/**
 * Connected components of label maps: keeping the largest 6-connected component of each class
 * removes the scattered false positives a network leaves far from an organ (nnU-Net's
 * post-processing).
 */
public final class Components {

	private Components() {}

	/**
	 * Sets to background (0) every voxel of classes 1..255 outside its class's largest 6-connected
	 * component. {@code labels} is x fastest, {@code nx × ny × nz}; classes are processed in
	 * parallel, each on its bounding box.
	 */
	public static void keepLargest(final byte[] labels, final int nx, final int ny, final int nz) {
		final int[][] box = classBoxes(labels, nx, ny, nz, null);
		IntStream.range(1, 256).parallel().filter(c -> box[c] != null).forEach(c -> keepLargest(labels, nx, ny, (byte) c, box[c]));
	}

	/**
	 * The bounding box of each class 1..255 present in {@code labels} (x fastest,
	 * {@code nx × ny × nz}), in one pass: {@code box[c] = {xmin, ymin, zmin, xmax, ymax, zmax}}
	 * (inclusive), null for an absent class.
	 *
	 * @param counts if not null, 256 entries that receive each class's voxel count
	 */
	public static int[][] classBoxes(final byte[] labels, final int nx, final int ny, final int nz, final long[] counts) {
		final int[][] box = new int[256][];
		for (int z = 0, i = 0; z < nz; z++) {
			for (int y = 0; y < ny; y++) {
				for (int x = 0; x < nx; x++, i++) {
					final int c = labels[i] & 0xff;
					if (c == 0) continue;
					int[] b = box[c];
					if (b == null) box[c] = b = new int[] { x, y, z, x, y, z };
					if (x < b[0]) b[0] = x;
					if (y < b[1]) b[1] = y;
					if (z < b[2]) b[2] = z;
					if (x > b[3]) b[3] = x;
					if (y > b[4]) b[4] = y;
					if (z > b[5]) b[5] = z;
					if (counts != null) counts[c]++;
				}
			}
		}
		return box;
	}

	private static void keepLargest(final byte[] labels, final int nx, final int ny, final byte c, final int[] b) {
		final int bx = b[3] - b[0] + 1, by = b[4] - b[1] + 1, bz = b[5] - b[2] + 1;
		final int n = bx * by * bz;
		// component id per box voxel (0 = not yet visited or not this class)
		final int[] id = new int[n];
		final int[] queue = new int[n];
		int best = 0, bestSize = 0, next = 0;
		for (int start = 0; start < n; start++) {
			if (id[start] != 0 || labels[global(start, b, bx, by, nx, ny)] != c) continue;
			final int comp = ++next;
			int head = 0, tail = 0;
			queue[tail++] = start;
			id[start] = comp;
			while (head < tail) {
				final int v = queue[head++];
				final int x = v % bx, y = (v / bx) % by, z = v / (bx * by);
				if (x > 0) tail = visit(v - 1, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
				if (x < bx - 1) tail = visit(v + 1, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
				if (y > 0) tail = visit(v - bx, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
				if (y < by - 1) tail = visit(v + bx, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
				if (z > 0) tail = visit(v - bx * by, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
				if (z < bz - 1) tail = visit(v + bx * by, comp, labels, c, id, queue, tail, b, bx, by, nx, ny);
			}
			if (tail > bestSize) {
				bestSize = tail;
				best = comp;
			}
		}
		for (int v = 0; v < n; v++) if (id[v] != 0 && id[v] != best) labels[global(v, b, bx, by, nx, ny)] = 0;
	}

	private static int visit(final int v, final int comp, final byte[] labels, final byte c, final int[] id, final int[] queue, int tail,
		final int[] b, final int bx, final int by, final int nx, final int ny)
	{
		if (id[v] == 0 && labels[global(v, b, bx, by, nx, ny)] == c) {
			id[v] = comp;
			queue[tail++] = v;
		}
		return tail;
	}

	private static int global(final int v, final int[] b, final int bx, final int by, final int nx, final int ny) {
		final int x = v % bx + b[0], y = (v / bx) % by + b[1], z = v / (bx * by) + b[2];
		return x + nx * (y + ny * z);
	}
}
