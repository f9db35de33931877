package sc.fiji.voxelseg.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.testutil.FuzzRunner;

/**
 * Seeded fuzzing of the NRRD, MetaImage and DICOM readers: valid small files, written here by
 * hand from the formats' specifications (and pydicom's own test files for DICOM), are truncated,
 * get flipped bytes, lying sizes, dimensions and types, huge sizes, zero, negative, NaN and
 * absurd spacings, singular or sheared orientations, corrupted compressed data, out-of-range ASCII
 * values, control characters, and data file paths that point outside their folder.
 * <p>
 * All cases are read in a forked JVM with a 96 MiB heap and no memory cap of the readers' own
 * ({@link FuzzRunner}), so a reader that allocates what a header claims fails here. Each case
 * must end in a correct read or a {@link VolumeFormatException} whose one-line message names the
 * file; what each corruption allows is worked out from the format, not from another reader:
 * <ul>
 * <li>THROW: the file is certainly wrong (its data are too short, its geometry is unusable, a
 * path leaves the folder): it must be refused;</li>
 * <li>SAME: a corruption a checksum or the format's structure reveals (compressed data, bytes
 * after the pixel data): refused, or read exactly as the intact file;</li>
 * <li>ANY: undetectable in principle (a flipped bit in raw voxels): either outcome, but a read
 * is a valid volume.</li>
 * </ul>
 * {@code -Dfuzz.cases=N} and {@code -Dfuzz.seed=S} explore further ({@code scripts/fuzz.sh}).
 */
class HostileVolumeFuzzTest {

	@TempDir
	Path tmp;

	enum Expect {
		THROW, SAME, ANY
	}

	/** A generated case: the file to read, the files whose names a message may name, the expectation. */
	record Case(String kind, Path file, List<String> names, Expect expect, String baseDigest) {}

	/** A text-header volume before serialisation: fields in order, raw voxel bytes, encoding. */
	record TextVolume(String format, String name, LinkedHashMap<String, String> fields, VoxelType type, ByteOrder order,
		byte[] raw, String encoding, boolean detached)
	{

		TextVolume copy() {
			return new TextVolume(format, name, new LinkedHashMap<>(fields), type, order, raw.clone(), encoding, detached);
		}

		boolean compressed() {
			return encoding.equals("gzip") || encoding.equals("zlib");
		}
	}

	private static final int NX = 5, NY = 4, NZ = 3, N = NX * NY * NZ;

	/** An oblique rotation: its columns are the axis directions. */
	private static final double[][] AXES = { { 0.36, 0.48, -0.8 }, { -0.8, 0.6, 0 }, { 0.48, 0.64, 0.6 } };

	private static final double[] SPACING = { 0.7, 1.3, 2.5 };

	private static byte[] voxels(final VoxelType t, final ByteOrder order) {
		final ByteBuffer b = ByteBuffer.allocate(N * t.bytes).order(order);
		for (int i = 0; i < N; i++) {
			switch (t) {
				case UINT8 -> b.put((byte) (i * 7 % 256));
				case INT16 -> b.putShort((short) (i * 37 - 1000));
				case FLOAT32 -> b.putFloat((float) (Math.sin(i) * 100));
				default -> throw new IllegalArgumentException(t.toString());
			}
		}
		return b.array();
	}

	private static String nrrdType(final VoxelType t) {
		return switch (t) {
			case UINT8 -> "uchar";
			case INT16 -> "short";
			default -> "float";
		};
	}

	private static String metType(final VoxelType t) {
		return switch (t) {
			case UINT8 -> "MET_UCHAR";
			case INT16 -> "MET_SHORT";
			default -> "MET_FLOAT";
		};
	}

	private static String vec(final double... v) {
		final StringBuilder b = new StringBuilder("(");
		for (int i = 0; i < v.length; i++)
			b.append(i > 0 ? "," : "").append(v[i]);
		return b.append(')').toString();
	}

	private static List<TextVolume> bases() {
		final List<TextVolume> out = new ArrayList<>();
		final VoxelType[] types = { VoxelType.UINT8, VoxelType.INT16, VoxelType.FLOAT32 };
		int k = 0;
		for (final String enc : new String[] { "raw", "gzip", "ascii" })
			for (final boolean detached : new boolean[] { false, true })
				for (final boolean oriented : new boolean[] { true, false }) {
					final VoxelType t = types[k++ % types.length];
					final ByteOrder order = k % 2 == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
					final LinkedHashMap<String, String> f = new LinkedHashMap<>();
					f.put("type", nrrdType(t));
					f.put("dimension", "3");
					if (oriented) f.put("space", "left-posterior-superior");
					f.put("sizes", NX + " " + NY + " " + NZ);
					if (oriented) {
						final StringBuilder d = new StringBuilder();
						for (int a = 0; a < 3; a++)
							d.append(a > 0 ? " " : "").append(vec(AXES[0][a] * SPACING[a], AXES[1][a] * SPACING[a], AXES[2][a] * SPACING[a]));
						f.put("space directions", d.toString());
						f.put("space origin", vec(10, -20.5, 30));
					}
					else f.put("spacings", SPACING[0] + " " + SPACING[1] + " " + SPACING[2]);
					if (t.bytes > 1) f.put("endian", order == ByteOrder.BIG_ENDIAN ? "big" : "little");
					f.put("encoding", enc);
					out.add(new TextVolume("nrrd", "nrrd-" + enc + (detached ? "-nhdr" : "") + (oriented ? "-space" : "-spacings"), f, t,
						order, voxels(t, order), enc, detached));
				}
		k = 0;
		for (final String enc : new String[] { "raw", "zlib" })
			for (final boolean detached : new boolean[] { false, true })
				for (final boolean oriented : new boolean[] { true, false }) {
					final VoxelType t = types[k++ % types.length];
					final ByteOrder order = k % 2 == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
					final LinkedHashMap<String, String> f = new LinkedHashMap<>();
					f.put("ObjectType", "Image");
					f.put("NDims", "3");
					f.put("BinaryData", "True");
					f.put("BinaryDataByteOrderMSB", order == ByteOrder.BIG_ENDIAN ? "True" : "False");
					f.put("CompressedData", enc.equals("zlib") ? "True" : "False");
					if (oriented) {
						final StringBuilder d = new StringBuilder();
						for (int a = 0; a < 3; a++)
							for (int r = 0; r < 3; r++)
								d.append(d.length() > 0 ? " " : "").append(AXES[r][a]);
						f.put("TransformMatrix", d.toString());
						f.put("Offset", "10 -20.5 30");
					}
					f.put("ElementSpacing", SPACING[0] + " " + SPACING[1] + " " + SPACING[2]);
					f.put("DimSize", NX + " " + NY + " " + NZ);
					f.put("ElementType", metType(t));
					out.add(new TextVolume("mha", "mha-" + enc + (detached ? "-mhd" : "") + (oriented ? "-oriented" : "-plain"), f, t,
						order, voxels(t, order), enc, detached));
				}
		return out;
	}

	private static byte[] payload(final TextVolume v) throws IOException {
		switch (v.encoding) {
			case "raw":
				return v.raw;
			case "gzip": {
				final ByteArrayOutputStream b = new ByteArrayOutputStream();
				try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
					gz.write(v.raw);
				}
				return b.toByteArray();
			}
			case "zlib": {
				final ByteArrayOutputStream b = new ByteArrayOutputStream();
				try (DeflaterOutputStream z = new DeflaterOutputStream(b)) {
					z.write(v.raw);
				}
				return b.toByteArray();
			}
			default: { // ascii: the values of the raw bytes as text
				final ByteBuffer bb = ByteBuffer.wrap(v.raw).order(v.order);
				final StringBuilder s = new StringBuilder();
				for (int i = 0; i < N; i++) {
					s.append(switch (v.type) {
						case UINT8 -> Integer.toString(bb.get() & 0xff);
						case INT16 -> Short.toString(bb.getShort());
						default -> Float.toString(bb.getFloat());
					}).append(i % 8 == 7 ? "\n" : " ");
				}
				return s.toString().getBytes(StandardCharsets.US_ASCII);
			}
		}
	}

	/** Header text and data bytes; {@code dataName} is the detached data file's name, if any. */
	private static byte[][] serialise(final TextVolume v, final String dataName) throws IOException {
		final StringBuilder h = new StringBuilder();
		if (v.format.equals("nrrd")) {
			h.append("NRRD0004\n# written by the fuzz test\n");
			for (final Map.Entry<String, String> e : v.fields.entrySet())
				h.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
			if (v.detached && !v.fields.containsKey("data file")) h.append("data file: ").append(dataName).append('\n');
			if (!v.detached) h.append('\n');
		}
		else {
			for (final Map.Entry<String, String> e : v.fields.entrySet())
				h.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
			if (!v.fields.containsKey("ElementDataFile")) h.append("ElementDataFile = ").append(v.detached ? dataName : "LOCAL").append(
				'\n');
		}
		return new byte[][] { h.toString().getBytes(StandardCharsets.ISO_8859_1), payload(v) };
	}

	private static byte[] concat(final byte[] a, final byte[] b) {
		final byte[] c = Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, c, a.length, b.length);
		return c;
	}

	/** Writes a text volume as case {@code id}; returns the file to read and the file names a message may name. */
	private Case write(final String id, final TextVolume v, final byte[][] parts, final Expect expect, final String digest)
		throws IOException
	{
		final Path dir = Files.createDirectories(tmp.resolve("cases").resolve(id));
		final String ext = v.format.equals("nrrd") ? v.detached ? ".nhdr" : ".nrrd" : v.detached ? ".mhd" : ".mha";
		final Path header = dir.resolve(id + ext);
		final String dataName = id + (v.compressed() ? ".zraw" : ".raw");
		if (v.detached) {
			Files.write(header, parts[0]);
			Files.write(dir.resolve(dataName), parts[1]);
		}
		else Files.write(header, concat(parts[0], parts[1]));
		return new Case(v.name, header, List.of(header.getFileName().toString(), dataName), expect, digest);
	}

	@Test
	void hostileFilesAreReadCorrectlyOrRefusedCleanly() throws Exception {
		final Random rnd = new Random(Long.getLong("fuzz.seed", 20261207L));
		final int perFormat = Integer.getInteger("fuzz.cases", 320);
		final List<TextVolume> bases = bases();
		// the intact files, read here: what SAME compares with
		final Map<String, String> digests = new LinkedHashMap<>();
		for (final TextVolume b : bases) {
			final Case c = write("base-" + b.name, b, serialise(b, "base-" + b.name + (b.compressed() ? ".zraw" : ".raw")), Expect.SAME,
				null);
			digests.put(b.name, FuzzRunner.digest(VolumeIO.read(c.file)));
		}
		// every base: one geometry; spacing and direction as written
		final var any = VolumeIO.read(write("check", bases.get(0), serialise(bases.get(0), "check.raw"), Expect.SAME, null).file);
		assertEquals(List.of(5L, 4L, 3L), Arrays.stream(any.dims()).boxed().toList());

		final List<Case> cases = new ArrayList<>();
		for (final String format : new String[] { "nrrd", "mha" }) {
			final List<TextVolume> fb = bases.stream().filter(b -> b.format.equals(format)).toList();
			for (int n = 0; n < perFormat; n++) {
				final TextVolume b = fb.get(rnd.nextInt(fb.size()));
				cases.add(mutate(format + n, b, digests.get(b.name), rnd));
			}
		}
		cases.addAll(dicomCases(perFormat, rnd));

		final List<String[]> list = new ArrayList<>();
		for (final Case c : cases)
			list.add(new String[] { "volume", c.file.toString() });
		final Path work = Files.createDirectories(tmp.resolve("runner"));
		final List<FuzzRunner.Result> results = FuzzRunner.run(list, work, 600);
		final List<String> failures = new ArrayList<>();
		final Map<String, int[]> tally = new java.util.TreeMap<>();
		for (int i = 0; i < cases.size(); i++) {
			final Case c = cases.get(i);
			final FuzzRunner.Result r = results.get(i);
			final String problem = problem(c, r);
			if (problem != null) failures.add(c.file.getFileName() + " [" + c.kind + ", " + c.expect + "]: " + problem);
			final String fmt = c.file.getFileName().toString().replaceAll("^([a-z]+).*", "$1");
			tally.computeIfAbsent(fmt, k -> new int[3])[r.status().equals("OK") ? 0 : r.status().equals("ERR") ? 1 : 2]++;
		}
		System.out.println("hostile volume fuzzing, " + cases.size() + " cases (read, refused, crashed): " + tally.entrySet().stream()
			.map(e -> e.getKey() + " " + Arrays.toString(e.getValue())).toList());
		assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases went wrong:\n" + String.join("\n", failures
			.subList(0, Math.min(40, failures.size()))));
		for (final int[] t : tally.values())
			assertTrue(t[0] > 0 && t[1] > 0, "each format has both outcomes: " + tally.keySet());
	}

	/** What is wrong with a result, or null. */
	static String problem(final Case c, final FuzzRunner.Result r) {
		switch (r.status()) {
			case "CRASH":
				return "crashed: " + r.text();
			case "ERR":
				if (r.text().contains("<CTRL>")) return "the message holds control characters: " + r.text();
				if (c.names.stream().noneMatch(r.text()::contains)) return "the message names no file: " + r.text();
				return null;
			default:
				if (c.expect == Expect.THROW) return "read, but must be refused: " + r.text();
				if (c.expect == Expect.SAME && c.baseDigest != null && !r.text().equals(c.baseDigest)) return "read with changed data: " +
					r.text() + " instead of " + c.baseDigest;
				return null;
		}
	}

	private static final String[] TYPES_NRRD = { "uchar", "signed char", "short", "ushort", "int", "uint", "float", "double",
		"longlong" };
	private static final String[] TYPES_MET = { "MET_UCHAR", "MET_CHAR", "MET_SHORT", "MET_USHORT", "MET_INT", "MET_UINT",
		"MET_FLOAT", "MET_DOUBLE", "MET_LONG_LONG" };
	private static final String[] BAD_SPACING = { "0", "-1", "NaN", "1e-300", "1e308", "Infinity", "-0" };

	private static int typeBytes(final String name) {
		return switch (name) {
			case "uchar", "signed char", "MET_UCHAR", "MET_CHAR" -> 1;
			case "short", "ushort", "MET_SHORT", "MET_USHORT" -> 2;
			case "double", "longlong", "MET_DOUBLE", "MET_LONG_LONG" -> 8;
			default -> 4;
		};
	}

	private Case mutate(final String id, final TextVolume base, final String digest, final Random rnd) throws IOException {
		final boolean nrrd = base.format.equals("nrrd");
		final TextVolume v = base.copy();
		final String dataName = id + (v.compressed() ? ".zraw" : ".raw");
		final String sizesKey = nrrd ? "sizes" : "DimSize";
		final int op = rnd.nextInt(15);
		switch (op) {
			case 0: { // truncation of the data (or of the whole attached file)
				final byte[][] p = serialise(v, dataName);
				if (v.detached) {
					p[1] = Arrays.copyOf(p[1], rnd.nextInt(p[1].length));
					return write(id, v, p, v.encoding.equals("ascii") ? Expect.ANY : Expect.THROW, digest);
				}
				final byte[] all = concat(p[0], p[1]);
				final int cut = rnd.nextInt(all.length);
				return write(id, v, new byte[][] { Arrays.copyOf(all, cut), new byte[0] }, v.encoding.equals("ascii") && cut > p[0].length
					? Expect.ANY : Expect.THROW, digest);
			}
			case 1: { // a flipped byte in the header
				final byte[][] p = serialise(v, dataName);
				final int at = rnd.nextInt(p[0].length);
				p[0][at] ^= (byte) (1 << rnd.nextInt(8));
				return write(id, v, p, Expect.ANY, digest);
			}
			case 2: { // a flipped byte in the data: only a checksum can tell
				final byte[][] p = serialise(v, dataName);
				if (p[1].length == 0) break;
				final int at = rnd.nextInt(p[1].length);
				p[1][at] ^= (byte) (1 << rnd.nextInt(8));
				// gzip's header bytes 4-9 (time, flags, system) are outside its checksum
				final boolean unchecked = v.encoding.equals("gzip") && at >= 4 && at <= 9;
				return write(id, v, p, v.compressed() && !unchecked ? Expect.SAME : Expect.ANY, digest);
			}
			case 3: { // a size that promises more data than there is
				final long[] s = { NX, NY, NZ };
				final int a = rnd.nextInt(3);
				final long[] factors = { 2, 7, 1000, 1_000_000, 4_000_000_000L };
				s[a] *= factors[rnd.nextInt(factors.length)];
				v.fields.put(sizesKey, s[0] + " " + s[1] + " " + s[2]);
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 4: { // huge sizes everywhere
				final String[] huge = { "100000 100000 100000", "2147483647 2147483647 2", "30000 30000 1", "1 1 9000000000000000000" };
				v.fields.put(sizesKey, huge[rnd.nextInt(huge.length)]);
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 5: { // a dimension that contradicts the sizes
				v.fields.put(nrrd ? "dimension" : "NDims", Integer.toString(rnd.nextBoolean() ? 2 : 4));
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 6: { // another voxel type
				final String[] names = nrrd ? TYPES_NRRD : TYPES_MET;
				final String t = names[rnd.nextInt(names.length)];
				v.fields.put(nrrd ? "type" : "ElementType", t);
				if (nrrd && typeBytes(t) > 1) v.fields.putIfAbsent("endian", "little");
				final boolean longer = typeBytes(t) > v.type.bytes;
				// ASCII: more bytes per value change nothing; a fraction in an integer type must fail
				final Expect e = v.encoding.equals("ascii") ? (v.type == VoxelType.FLOAT32 && !t.equals("float") && !t.equals("double")
					? Expect.THROW : Expect.ANY) : longer ? Expect.THROW : Expect.ANY;
				return write(id, v, serialise(v, dataName), e, digest);
			}
			case 7: { // an impossible spacing on one axis
				final int a = rnd.nextInt(3);
				final String bad = BAD_SPACING[rnd.nextInt(BAD_SPACING.length)];
				if (nrrd && v.fields.containsKey("space directions")) {
					// a negative scale only turns the axis round: a valid direction of length 1
					final String[] vs = new String[3];
					for (int k = 0; k < 3; k++) {
						final double s = k == a ? Double.parseDouble(bad.replace("Infinity", "1e400")) : SPACING[k];
						vs[k] = vec(AXES[0][k] * s, AXES[1][k] * s, AXES[2][k] * s);
					}
					v.fields.put("space directions", String.join(" ", vs));
					if (bad.equals("-1")) return write(id, v, serialise(v, dataName), Expect.ANY, digest);
				}
				else {
					final String[] s = { "" + SPACING[0], "" + SPACING[1], "" + SPACING[2] };
					s[a] = bad;
					v.fields.put(nrrd ? "spacings" : "ElementSpacing", String.join(" ", s));
				}
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 8: { // a singular or sheared orientation
				final double[][] m = { AXES[0].clone(), AXES[1].clone(), AXES[2].clone() };
				final int a = rnd.nextInt(3), b = (a + 1 + rnd.nextInt(2)) % 3;
				switch (rnd.nextInt(3)) {
					case 0 -> { // two parallel axes
						for (int r = 0; r < 3; r++)
							m[r][a] = m[r][b];
					}
					case 1 -> { // sheared by 10 degrees
						for (int r = 0; r < 3; r++)
							m[r][a] = Math.cos(0.17) * m[r][a] + Math.sin(0.17) * m[r][b];
					}
					default -> { // an axis that is not a unit vector (MetaImage) or zero (NRRD)
						for (int r = 0; r < 3; r++)
							m[r][a] *= nrrd ? 0 : 1.5;
					}
				}
				if (nrrd) {
					final String[] vs = new String[3];
					for (int k = 0; k < 3; k++)
						vs[k] = vec(m[0][k] * SPACING[k], m[1][k] * SPACING[k], m[2][k] * SPACING[k]);
					v.fields.remove("spacings");
					v.fields.put("space", "left-posterior-superior");
					v.fields.put("space directions", String.join(" ", vs));
				}
				else {
					final StringBuilder d = new StringBuilder();
					for (int k = 0; k < 3; k++)
						for (int r = 0; r < 3; r++)
							d.append(d.length() > 0 ? " " : "").append(m[r][k]);
					v.fields.put("TransformMatrix", d.toString());
				}
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 9: { // an origin that is not a place
				final String[] bad = { "NaN", "1e300", "-Infinity" };
				final String o = bad[rnd.nextInt(bad.length)];
				if (nrrd) {
					v.fields.remove("spacings");
					v.fields.put("space", "left-posterior-superior");
					if (!v.fields.containsKey("space directions")) v.fields.put("space directions", "(0.7,0,0) (0,1.3,0) (0,0,2.5)");
					v.fields.put("space origin", vec(1, Double.parseDouble(o.replace("Infinity", "1e400")), 2));
				}
				else v.fields.put("Offset", "1 " + o + " 2");
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 10: { // a data file outside the header's folder: ../ or an absolute path, the file there intact
				final Path outside = Files.createDirectories(tmp.resolve("outside"));
				final byte[][] p = serialise(v, dataName);
				final Path target = outside.resolve(dataName);
				Files.write(target, p[1]);
				final String ref = rnd.nextBoolean() ? "../../outside/" + dataName : target.toString();
				final TextVolume w = new TextVolume(v.format, v.name, v.fields, v.type, v.order, v.raw, v.encoding, true);
				w.fields.put(nrrd ? "data file" : "ElementDataFile", ref);
				final byte[][] q = serialise(w, ref);
				final Path dir = Files.createDirectories(tmp.resolve("cases").resolve(id));
				final Path header = dir.resolve(id + (nrrd ? ".nhdr" : ".mhd"));
				Files.write(header, q[0]);
				return new Case(v.name, header, List.of(header.getFileName().toString(), dataName), Expect.THROW, digest);
			}
			case 11: { // a control sequence (clear screen, a fake line) inside a header value
				final String[] keys = nrrd ? new String[] { "type", "encoding", "sizes" } : new String[] { "ElementType", "DimSize",
					"NDims" };
				final String k = keys[rnd.nextInt(keys.length)];
				v.fields.put(k, "\u001b[2J\u001b[1;1H" + v.fields.get(k) + "\roops\u0007");
				return write(id, v, serialise(v, dataName), Expect.THROW, digest);
			}
			case 12: { // a misspelt field (NRRD refuses unknown fields) or a misspelt key (MetaImage ignores it)
				if (nrrd) {
					final String k = rnd.nextBoolean() ? "spacings" : "encoding";
					final String val = v.fields.containsKey(k) ? v.fields.remove(k) : "1 1 1";
					v.fields.put(k.equals("spacings") ? "spacigns" : "encodnig", val);
					return write(id, v, serialise(v, dataName), Expect.THROW, digest);
				}
				v.fields.put("ElementSpacnig", v.fields.remove("ElementSpacing"));
				return write(id, v, serialise(v, dataName), Expect.ANY, digest);
			}
			case 13: { // an ASCII value the type cannot hold, or no number at all
				if (!v.encoding.equals("ascii")) {
					// binary: skip far past the data
					v.fields.put(nrrd ? "byte skip" : "HeaderSize", Long.toString(1L << (20 + rnd.nextInt(30))));
					if (!nrrd) v.fields.put("ElementDataFile", dataName);
					final TextVolume w = nrrd ? v : new TextVolume(v.format, v.name, v.fields, v.type, v.order, v.raw, v.encoding, true);
					return write(id, w, serialise(w, dataName), Expect.THROW, digest);
				}
				final byte[][] p = serialise(v, dataName);
				final String[] tokens = new String(p[1], StandardCharsets.US_ASCII).split("\\s+");
				final String[] bad = v.type == VoxelType.FLOAT32 ? new String[] { "nan", "abc", "1e99999", "0x1G" } : new String[] {
					"300", "-129", "70000", "1e10", "nan", "abc", "1.5", "-40000" };
				String b = bad[rnd.nextInt(bad.length)];
				if (v.type == VoxelType.INT16 && (b.equals("300") || b.equals("-129"))) b = "40000";
				tokens[rnd.nextInt(tokens.length)] = b;
				p[1] = String.join(" ", tokens).getBytes(StandardCharsets.US_ASCII);
				return write(id, v, p, Expect.THROW, digest);
			}
			default: { // bytes appended after the data: allowed, the voxels stay the same
				final byte[][] p = serialise(v, dataName);
				final byte[] extra = new byte[1 + rnd.nextInt(64)];
				rnd.nextBytes(extra);
				p[1] = concat(p[1], extra);
				// ASCII: appended bytes may hold more numbers; zlib/gzip: a second stream is never read
				return write(id, v, p, v.encoding.equals("ascii") ? Expect.ANY : Expect.SAME, digest);
			}
		}
		return write(id, v, serialise(v, dataName), Expect.SAME, digest);
	}

	// ---------------------------------------------------------------- DICOM

	static final Path PYDICOM = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");

	/** Where a pydicom test file's pixel data start and end, and its byte order and VR style. */
	private record DicomBase(String name, byte[] bytes, int pixelStart, int pixelEnd, String digest) {}

	private List<DicomBase> dicomBases() throws IOException {
		final List<DicomBase> out = new ArrayList<>();
		for (final String n : new String[] { "CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm" }) {
			final Path p = PYDICOM.resolve(n);
			if (!Files.isRegularFile(p)) continue;
			final Map<String, String> tags = dicomTags(p);
			final int start = Integer.parseInt(tags.get("7FE0,0010").trim());
			final int rows = Integer.parseInt(tags.get("0028,0010").trim()), cols = Integer.parseInt(tags.get("0028,0011").trim());
			final int bits = Integer.parseInt(tags.get("0028,0100").trim());
			out.add(new DicomBase(n.replace(".dcm", ""), Files.readAllBytes(p), start, start + rows * cols * bits / 8, FuzzRunner.digest(
				VolumeIO.read(p))));
		}
		return out;
	}

	/** Offsets of the value of (group, element) in any of the three encodings, or -1. */
	private static int valueAt(final byte[] b, final int group, final int element, final boolean bigEndian) {
		final byte g0 = (byte) (bigEndian ? group >> 8 : group), g1 = (byte) (bigEndian ? group : group >> 8);
		final byte e0 = (byte) (bigEndian ? element >> 8 : element), e1 = (byte) (bigEndian ? element : element >> 8);
		for (int i = 132; i + 10 < b.length; i++) {
			if (b[i] != g0 || b[i + 1] != g1 || b[i + 2] != e0 || b[i + 3] != e1) continue;
			if (b[i + 4] == 'U' && b[i + 5] == 'S') return i + 8; // explicit VR
			if (b[i + 4] == 2 && b[i + 5] == 0 && b[i + 6] == 0 && b[i + 7] == 0) return i + 8; // implicit, length 2
		}
		return -1;
	}

	private List<Case> dicomCases(final int count, final Random rnd) throws IOException {
		final List<DicomBase> bases = dicomBases();
		final List<Case> out = new ArrayList<>();
		if (bases.isEmpty()) return out;
		for (int n = 0; n < count; n++) {
			final DicomBase b = bases.get(rnd.nextInt(bases.size()));
			final boolean big = b.name.contains("bigendian");
			byte[] bytes = b.bytes.clone();
			Expect e;
			String kind;
			switch (rnd.nextInt(5)) {
				case 0 -> { // cut anywhere: before the end of the pixel data it must fail
					final int cut = rnd.nextInt(bytes.length);
					bytes = Arrays.copyOf(bytes, cut);
					e = cut < b.pixelEnd ? Expect.THROW : Expect.SAME;
					kind = "truncated";
				}
				case 1 -> { // Rows or Columns larger than the pixel data
					final int at = valueAt(bytes, 0x28, rnd.nextBoolean() ? 0x10 : 0x11, big);
					final int[] values = { 30000, 65535, 129, 4096 };
					final int val = values[rnd.nextInt(values.length)];
					ByteBuffer.wrap(bytes).order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN).putShort(at, (short) val);
					e = Expect.THROW;
					kind = "rows-columns";
				}
				case 2 -> { // BitsAllocated 32: twice the bytes the file holds
					final int at = valueAt(bytes, 0x28, 0x100, big);
					ByteBuffer.wrap(bytes).order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN).putShort(at, (short) 32);
					e = Expect.THROW;
					kind = "bits";
				}
				case 3 -> { // a flipped bit, mostly in the header, where it can change what the decoder reads
					bytes[rnd.nextInt(4) > 0 ? rnd.nextInt(b.pixelStart) : rnd.nextInt(bytes.length)] ^= (byte) (1 << rnd.nextInt(8));
					e = Expect.ANY;
					kind = "flip";
				}
				default -> { // bytes appended
					final byte[] extra = new byte[1 + rnd.nextInt(200)];
					rnd.nextBytes(extra);
					bytes = concat(bytes, extra);
					e = Expect.ANY;
					kind = "appended";
				}
			}
			final Path f = Files.createDirectories(tmp.resolve("cases").resolve("dicom" + n)).resolve("dicom" + n + "-" + b.name + ".dcm");
			Files.write(f, bytes);
			out.add(new Case("dicom-" + kind, f, List.of(f.getFileName().toString()), e, b.digest));
		}
		return out;
	}

	/**
	 * Every single-bit flip of the header bytes of pydicom's CT and MR test files (implicit VR,
	 * explicit little and big endian), read in the small heap: none may crash or run out of
	 * memory; each is read or refused naming the file. In the test suite the first 300 bytes after
	 * the preamble of each file; {@code -Dfuzz.bitflips=all} ({@code scripts/fuzz.sh}) every byte
	 * before the pixel data.
	 */
	@Test
	void everyBitFlipOfADicomHeader() throws Exception {
		final boolean all = "all".equals(System.getProperty("fuzz.bitflips"));
		final List<Case> cases = new ArrayList<>();
		for (final DicomBase b : dicomBases()) {
			if (b.name.equals("MR_small")) continue; // the same header as MR_small_implicit's, explicit
			final Path dir = Files.createDirectories(tmp.resolve("flips").resolve(b.name));
			final int end = all ? b.pixelStart : Math.min(b.pixelStart, 132 + 300);
			for (int i = 132; i < end; i++)
				for (int bit = 0; bit < 8; bit++) {
					final byte[] bytes = b.bytes.clone();
					bytes[i] ^= (byte) (1 << bit);
					final Path f = dir.resolve(b.name + "-" + i + "-" + bit + ".dcm");
					Files.write(f, bytes);
					cases.add(new Case("dicom-bitflip", f, List.of(f.getFileName().toString()), Expect.ANY, b.digest));
				}
		}
		org.junit.jupiter.api.Assumptions.assumeFalse(cases.isEmpty(), "pydicom's test files are not installed");
		final List<String[]> list = new ArrayList<>();
		for (final Case c : cases)
			list.add(new String[] { "volume", c.file.toString() });
		final List<FuzzRunner.Result> results = FuzzRunner.run(list, Files.createDirectories(tmp.resolve("flip-runner")), 900);
		final List<String> failures = new ArrayList<>();
		int read = 0;
		for (int i = 0; i < cases.size(); i++) {
			final String problem = problem(cases.get(i), results.get(i));
			if (problem != null) failures.add(cases.get(i).file.getFileName() + ": " + problem);
			if (results.get(i).status().equals("OK")) read++;
		}
		System.out.println("dicom header bit flips, " + cases.size() + " cases: " + read + " read, " + (cases.size() - read) +
			" refused");
		assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " flips went wrong:\n" + String.join("\n", failures
			.subList(0, Math.min(40, failures.size()))));
	}

	/** The cases the issue reported, one by one, each with the message it must give. */
	@Test
	void reportedDefectsAreRefused() throws Exception {
		final Path d = Files.createDirectories(tmp.resolve("reported"));
		// a NRRD gzip payload with one corrupted byte in its deflate data: the CRC tells
		final TextVolume gz = bases().stream().filter(b -> b.name.equals("nrrd-gzip-space")).findFirst().orElseThrow();
		final byte[][] p = serialise(gz, "x");
		p[1][p[1].length - 6] ^= 0x10; // inside the CRC-32 trailer
		Files.write(d.resolve("crc.nrrd"), concat(p[0], p[1]));
		assertMessage(d.resolve("crc.nrrd"), "corrupt compressed data");
		// ASCII values that wrap: 300 in uchar
		final String ascii = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 1 1\nencoding: ascii\n\n300 4\n";
		Files.writeString(d.resolve("wrap.nrrd"), ascii);
		assertMessage(d.resolve("wrap.nrrd"), "ASCII value 1 is '300', which type uint8 cannot hold (0 .. 255)");
		// 1.2e9 ASCII values promised by a tiny file: refused before any allocation
		Files.writeString(d.resolve("big.nrrd"), "NRRD0004\ntype: int\ndimension: 3\nsizes: 1200 1000 1000\nencoding: ascii\n\n1 2 3\n");
		assertMessage(d.resolve("big.nrrd"), "truncated: the header promises 1200000000 ASCII values");
		// 291 bytes of NRRD claiming 30000 x 30000 x 3 shorts
		Files.writeString(d.resolve("claims.nrrd"), "NRRD0004\ntype: short\ndimension: 3\nsizes: 30000 30000 3\nendian: little\nencoding: raw\n\n" +
			"x".repeat(200));
		assertMessage(d.resolve("claims.nrrd"), "truncated: the header promises 5400000000 bytes");
		// a detached header reading /etc/passwd
		Files.writeString(d.resolve("passwd.nhdr"), "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 10 1 1\nencoding: raw\ndata file: /etc/passwd\n");
		assertMessage(d.resolve("passwd.nhdr"), "'data file:' '/etc/passwd' points outside the header's folder");
		Files.writeString(d.resolve("environ.mhd"), "NDims = 3\nDimSize = 10 1 1\nElementType = MET_UCHAR\nElementDataFile = ../../../../../../proc/self/environ\n");
		assertMessage(d.resolve("environ.mhd"), "ElementDataFile '../../../../../../proc/self/environ' points outside");
		// ... unless explicitly allowed
		final Path raw = Files.write(tmp.resolve("outside.raw"), new byte[] { 1, 2, 3 });
		Files.writeString(d.resolve("allowed.nhdr"), "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 3 1 1\nencoding: raw\ndata file: " + raw + "\n");
		assertEquals(3, VolumeIO.read(d.resolve("allowed.nhdr"), ReadOptions.defaults().optAllowOutsideData(true)).width());
		// spacings that silently became 1 mm: NaN, negative, zero, a misspelt field name
		Files.writeString(d.resolve("nan.nrrd"), "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1 1 1\nspacings: NaN -1 0\nencoding: raw\n\nx");
		assertMessage(d.resolve("nan.nrrd"), "gives axis 0 the spacing NaN");
		Files.writeString(d.resolve("misspelt.nrrd"), "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1 1 1\nspacigns: 2 2 2\nencoding: raw\n\nx");
		assertMessage(d.resolve("misspelt.nrrd"), "'spacigns' is not a NRRD field");
		// singular directions, and spacing NIfTI cannot store
		Files.writeString(d.resolve("singular.nrrd"), "NRRD0004\ntype: uchar\ndimension: 3\nspace: RAS\nsizes: 1 1 1\n" +
			"space directions: (1,0,0) (1,0,0) (0,0,1)\nencoding: raw\n\nx");
		assertMessage(d.resolve("singular.nrrd"), "are not perpendicular");
		Files.writeString(d.resolve("tiny.mha"), "NDims = 3\nDimSize = 1 1 1\nElementSpacing = 1e-300 1 1\nElementType = MET_UCHAR\nElementDataFile = LOCAL\nx");
		assertMessage(d.resolve("tiny.mha"), "lies outside 1.0E-6 .. 1000000.0 mm");
		// a terminal escape sequence in a header is escaped in the message
		Files.writeString(d.resolve("escape.nrrd"), "NRRD0004\ntype: u\u001b[2Jchar\u001b]0;owned\u0007\ndimension: 3\nsizes: 1 1 1\nencoding: raw\n\nx");
		assertMessage(d.resolve("escape.nrrd"), "type 'u\\x1b[2Jchar\\x1b]0;owned' is not a NRRD scalar type");
		// pydicom's truncated MR file, zero-filled by ImageJ before
		if (Files.isRegularFile(PYDICOM.resolve("MR_truncated.dcm"))) assertMessage(PYDICOM.resolve("MR_truncated.dcm"),
			"truncated or damaged: element (7FE0,0010) claims 8192 bytes but the file holds only 8130 more");
		// Rows larger than the pixel data, which are intact: zero-filled before
		final Path ct = PYDICOM.resolve("CT_small.dcm");
		if (Files.isRegularFile(ct)) {
			final byte[] b = Files.readAllBytes(ct);
			java.nio.ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(valueAt(b, 0x28, 0x10, false), (short) 30000);
			Files.write(d.resolve("rows.dcm"), b);
			assertMessage(d.resolve("rows.dcm"), "truncated: Rows 30000 × Columns 128 × 2 bytes promise 7680000 bytes of pixel data");
		}
	}

	private static void assertMessage(final Path file, final String part) {
		final VolumeFormatException e = org.junit.jupiter.api.Assertions.assertThrows(VolumeFormatException.class, () -> VolumeIO
			.read(file));
		assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
		assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
		assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), e.getMessage());
	}

	/** ImageJ's reading of a DICOM header: tag "GGGG,EEEE" to value, top level only. */
	private static Map<String, String> dicomTags(final Path p) {
		final Map<String, String> m = new LinkedHashMap<>();
		for (final String line : new ij.plugin.DICOM().getInfo(p.toString()).split("\n")) {
			if (line.length() < 11 || line.charAt(4) != ',') continue;
			final int colon = line.indexOf(": ", 9);
			m.putIfAbsent(line.substring(0, 9).toUpperCase(Locale.ROOT), colon < 0 ? "" : line.substring(colon + 2));
		}
		return m;
	}
}
