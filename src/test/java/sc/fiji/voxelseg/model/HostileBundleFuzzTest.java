package sc.fiji.voxelseg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.io.NiftiIO;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.nn.NetworkConfig;
import sc.fiji.voxelseg.nn.SegmentationNetwork;
import sc.fiji.voxelseg.nn.TorchEngine;
import sc.fiji.voxelseg.preprocess.PreprocessingPlan;
import sc.fiji.voxelseg.testutil.FuzzRunner;
import sc.fiji.voxelseg.util.AtomicFiles;

/**
 * Seeded fuzzing of model bundles (zip and folder) and of {@code dataset.json}: truncated and
 * bit-flipped zips, names twice in one zip, entries that inflate to far more than the description
 * allows (used or not), lying sizes, deeply nested or mistyped descriptions, zero and huge shapes
 * and widths; dataset entries that leave their folder, text where numbers belong, negative class
 * values, deep nesting, bytes that are not UTF-8. Every case is loaded in a forked JVM with a
 * 96 MiB heap ({@link FuzzRunner}); a bundle that loads must also build its network. Each case
 * must load, or fail with an {@link IOException} whose one-line message names the file.
 * {@code -Dfuzz.cases=N} and {@code -Dfuzz.seed=S} explore further ({@code scripts/fuzz.sh}).
 */
class HostileBundleFuzzTest {

	@TempDir
	Path tmp;

	static final NetworkConfig CFG = NetworkConfig.unet(1, 3).withLevels(2).withBaseWidth(2);

	private static byte[] weights;

	@BeforeAll
	static void network() {
		TorchEngine.engine();
		try (NDManager m = NDManager.newBaseManager()) {
			TorchEngine.seed(3);
			final SegmentationNetwork net = CFG.build();
			net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 8, 8, 8));
			weights = ModelBundle.weightsOf(net);
		}
	}

	private static ModelBundle bundle() {
		return new ModelBundle(CFG, ClassTable.of(List.of("liver", "spleen")), PreprocessingPlan.seedsCt(), new int[] { 16, 16, 8 },
			new JsonObject(), weights, new byte[] { 1, 2, 3, 4 });
	}

	/** The entries of a zip, in order. */
	private static Map<String, byte[]> entries(final byte[] zip) throws IOException {
		final Map<String, byte[]> m = new LinkedHashMap<>();
		try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
			ZipEntry e;
			while ((e = in.getNextEntry()) != null)
				m.put(e.getName(), in.readAllBytes());
		}
		return m;
	}

	/**
	 * A zip of the entries in order. Java's writer refuses a name twice, so a repeated name is
	 * written as a placeholder of the same length ("~" for its last character) and then patched in
	 * the local header and the central directory.
	 */
	private static byte[] zip(final List<Map.Entry<String, byte[]>> entries) throws IOException {
		final ByteArrayOutputStream b = new ByteArrayOutputStream();
		final java.util.Set<String> seen = new java.util.HashSet<>();
		final List<String> twice = new ArrayList<>();
		try (ZipOutputStream z = new ZipOutputStream(b)) {
			for (final Map.Entry<String, byte[]> e : entries) {
				String name = e.getKey();
				if (!seen.add(name)) {
					twice.add(name);
					name = name.substring(0, name.length() - 1) + "~";
				}
				z.putNextEntry(new ZipEntry(name));
				z.write(e.getValue());
				z.closeEntry();
			}
		}
		final byte[] out = b.toByteArray();
		for (final String name : twice) {
			final byte[] from = (name.substring(0, name.length() - 1) + "~").getBytes(StandardCharsets.UTF_8);
			for (int i = 0; i + from.length <= out.length; i++)
				if (Arrays.equals(out, i, i + from.length, from, 0, from.length)) out[i + from.length - 1] = (byte) name.charAt(name
					.length() - 1);
		}
		return out;
	}

	/** The zip's bytes with {@code model.json} replaced; a name given twice is written twice. */
	private static byte[] rezip(final Map<String, byte[]> base, final String description, final String... extra) throws IOException {
		final List<Map.Entry<String, byte[]>> l = new ArrayList<>();
		for (final Map.Entry<String, byte[]> e : base.entrySet())
			l.add(Map.entry(e.getKey(), e.getKey().equals(ModelBundle.DESCRIPTION) && description != null ? description.getBytes(
				StandardCharsets.UTF_8) : e.getValue()));
		for (int i = 0; i + 1 < extra.length; i += 2)
			l.add(Map.entry(extra[i], extra[i + 1].getBytes(StandardCharsets.UTF_8)));
		return zip(l);
	}

	private static final String[][] FIELD_LIES = { { "network", "base_width", "1073741824" }, { "network", "base_width", "0" }, {
		"network", "levels", "100" }, { "network", "classes", "-1" }, { "network", "kernel", "999" }, { "network", "in_channels",
			"\"four\"" }, { "network", "architecture", "\"resnet\"" }, { "network", "norm", "7" }, { "input", "shape_xyz", "[0,16,8]" },
		{ "input", "shape_xyz", "[-9,16,8]" }, { "input", "shape_xyz", "[2147483647,16,8]" }, { "input", "shape_xyz", "[16]" }, {
			"weights", "bytes", "-1" }, { "weights", "bytes", "99999999999" }, { "weights", "sha256", "5" }, { "optimiser", "bytes",
				"3" }, { null, "format_version", "\"one\"" }, { null, "format_version", "99" }, { null, "classes", "[{\"index\":-1,\"name\":\"x\"}]" }, {
					null, "preprocessing", "[]" }, { null, "network", "\"unet\"" }, { null, "format", "\"\\u001b[2Jx\"" } };

	@Test
	void hostileBundlesLoadOrAreRefusedCleanly() throws Exception {
		final Random rnd = new Random(Long.getLong("fuzz.seed", 20261207L));
		final int count = Integer.getInteger("fuzz.cases", 320);
		final Path good = tmp.resolve("good.zip");
		bundle().save(good);
		final byte[] base = Files.readAllBytes(good);
		final Map<String, byte[]> parts = entries(base);
		final JsonObject desc = JsonParser.parseString(new String(parts.get(ModelBundle.DESCRIPTION), StandardCharsets.UTF_8))
			.getAsJsonObject();
		final List<String[]> list = new ArrayList<>();
		final List<Boolean> mustFail = new ArrayList<>();
		byte[] padded = null, bigWeights = null;
		for (int n = 0; n < count; n++) {
			boolean folder = rnd.nextInt(4) == 0;
			byte[] zip = base;
			String json = null;
			boolean fail = false;
			switch (rnd.nextInt(9)) {
				case 0 -> { // cut
					zip = Arrays.copyOf(base, rnd.nextInt(base.length));
					fail = true;
				}
				case 1 -> { // a flipped byte: the SHA-256 and the zip's CRCs see data; descriptions may still parse
					zip = base.clone();
					zip[rnd.nextInt(zip.length)] ^= (byte) (1 << rnd.nextInt(8));
				}
				case 2 -> { // a name twice: first or last would win, depending on the tool
					zip = rezip(parts, null, ModelBundle.DESCRIPTION, "{\"format\":\"voxelseg-model\"}");
					fail = true;
				}
				case 3 -> { // an unused entry that inflates to 64 MiB (more than the reading JVM's heap): never read
					if (padded == null) {
						final List<Map.Entry<String, byte[]>> l = new ArrayList<>(parts.entrySet());
						l.add(Map.entry("padding.bin", new byte[64 << 20]));
						padded = zip(l);
					}
					zip = padded;
					folder = false; // a folder bundle's loader reads its named files only
				}
				case 4 -> { // weights that inflate to 64 MiB, with a description that admits it
					if (bigWeights == null) {
						final byte[] big = new byte[64 << 20];
						final JsonObject d = desc.deepCopy();
						d.getAsJsonObject("weights").addProperty("bytes", big.length);
						d.getAsJsonObject("weights").addProperty("sha256", sc.fiji.voxelseg.util.Digests.sha256(big));
						final List<Map.Entry<String, byte[]>> l = new ArrayList<>();
						l.add(Map.entry(ModelBundle.DESCRIPTION, d.toString().getBytes(StandardCharsets.UTF_8)));
						l.add(Map.entry(ModelBundle.WEIGHTS, big));
						bigWeights = zip(l);
					}
					zip = bigWeights;
					fail = true;
				}
				case 5 -> { // nested thousands deep
					json = "[".repeat(5000 + rnd.nextInt(50000)) + "]".repeat(10);
					fail = true;
				}
				case 6 -> { // a field that lies or has the wrong type
					final String[] lie = FIELD_LIES[rnd.nextInt(FIELD_LIES.length)];
					final JsonObject d = desc.deepCopy();
					(lie[0] == null ? d : d.getAsJsonObject(lie[0])).add(lie[1], JsonParser.parseString(lie[2]));
					json = d.toString();
					fail = true;
				}
				case 7 -> { // a field missing
					final JsonObject d = desc.deepCopy();
					final List<String> keys = new ArrayList<>(d.keySet());
					final String k = keys.get(rnd.nextInt(keys.size()));
					d.remove(k);
					json = d.toString();
					fail = !k.equals("created") && !k.equals("training") && !k.equals("optimiser");
				}
				default -> { // random bytes in the description
					final byte[] d = parts.get(ModelBundle.DESCRIPTION).clone();
					for (int k = 0; k < 1 + rnd.nextInt(4); k++)
						d[rnd.nextInt(d.length)] = (byte) rnd.nextInt(256);
					json = new String(d, StandardCharsets.ISO_8859_1);
				}
			}
			if (json != null) zip = rezip(parts, json);
			final Path p;
			if (folder && !fail) { // the same parts as a folder bundle (zip-level damage aside)
				p = Files.createDirectories(tmp.resolve("case" + n));
				try {
					for (final Map.Entry<String, byte[]> e : entries(zip).entrySet())
						Files.write(p.resolve(e.getKey()), e.getValue());
				}
				catch (final IOException | IllegalArgumentException e) { // a damaged zip: Java's reader fails on it either way
					Files.write(p.resolve(ModelBundle.DESCRIPTION), new byte[0]);
				}
			}
			else Files.write(p = tmp.resolve("case" + n + ".zip"), zip);
			list.add(new String[] { "bundle", p.toString() });
			mustFail.add(fail);
		}
		assertOutcomes("hostile bundle fuzzing", "loaded", list, mustFail, FuzzRunner.run(list, Files.createDirectories(tmp.resolve(
			"runner")), 600));
	}

	@Test
	void hostileDatasetsReadOrAreRefusedCleanly() throws Exception {
		final Random rnd = new Random(Long.getLong("fuzz.seed", 20261207L) + 1);
		final int count = Integer.getInteger("fuzz.cases", 320);
		final Volume img = Volume.ofFloats(new float[8], new long[] { 2, 2, 2 }, new double[] { 1, 1, 1 }, new double[3], Volume
			.identity());
		final String good = """
			{"name": "tiny", "labels": {"background": 0, "liver": 1}, "numTraining": 2, "file_ending": ".nii.gz",
			 "channel_names": {"0": "CT"},
			 "training": [{"image": "./imagesTr/a.nii.gz", "label": "./labelsTr/a.nii.gz"},
			              {"image": "./imagesTr/b.nii.gz", "label": "./labelsTr/b.nii.gz"}]}""";
		final String[][] lies = { { "numTraining", "\"four\"" }, { "numTraining", "2.5" }, { "numTraining", "[]" }, { "labels",
			"{\"background\": -1, \"liver\": 1}" }, { "labels", "{\"-1\": \"background\"}" }, { "labels", "{\"background\": 0, \"x\": 1e12}" },
			{ "labels", "[]" }, { "labels", "{\"background\": \"zero\"}" }, { "training", "{}" }, { "training",
				"[{\"image\": \"/etc/passwd\", \"label\": \"/etc/passwd\"}]" }, { "training",
					"[{\"image\": \"../../../../etc/hostname\", \"label\": \"labelsTr/a.nii.gz\"}]" }, { "training",
						"[{\"image\": 5, \"label\": null}]" }, { "training", "[5]" }, { "file_ending", "7" }, { "channel_names", "\"CT\"" },
			{ "name", "\"\\u001b]0;title\\u0007\"" } };
		final List<String[]> list = new ArrayList<>();
		final List<Boolean> mustFail = new ArrayList<>();
		for (int n = 0; n < count; n++) {
			final Path d = Files.createDirectories(tmp.resolve("ds" + n));
			Files.createDirectories(d.resolve("imagesTr"));
			Files.createDirectories(d.resolve("labelsTr"));
			for (final String c : new String[] { "a", "b" }) {
				NiftiIO.write(img, d.resolve("imagesTr/" + c + "_0000.nii.gz"));
				NiftiIO.write(img, d.resolve("labelsTr/" + c + ".nii.gz"));
			}
			byte[] text;
			boolean fail = false;
			switch (rnd.nextInt(5)) {
				case 0 -> {
					final String[] lie = lies[rnd.nextInt(lies.length)];
					final JsonObject o = JsonParser.parseString(good).getAsJsonObject();
					o.add(lie[0], JsonParser.parseString(lie[1]));
					text = o.toString().getBytes(StandardCharsets.UTF_8);
					fail = !lie[0].equals("name") && !lie[1].equals("{}");
				}
				case 1 -> { // random bytes
					text = good.getBytes(StandardCharsets.UTF_8);
					for (int k = 0; k < 1 + rnd.nextInt(4); k++)
						text[rnd.nextInt(text.length)] = (byte) rnd.nextInt(256);
				}
				case 2 -> { // nested deep
					text = ("{\"labels\": " + "[".repeat(2000 + rnd.nextInt(40000)) + "}").getBytes(StandardCharsets.UTF_8);
					fail = true;
				}
				case 3 -> { // cut
					text = Arrays.copyOf(good.getBytes(StandardCharsets.UTF_8), rnd.nextInt(good.length()));
					fail = true;
				}
				default -> { // not UTF-8
					text = good.getBytes(StandardCharsets.UTF_8);
					text[rnd.nextInt(text.length)] = (byte) 0xC3;
					text[rnd.nextInt(text.length)] = (byte) 0xFF;
					fail = true;
				}
			}
			Files.write(d.resolve("dataset.json"), text);
			list.add(new String[] { "dataset", d.toString() });
			mustFail.add(fail);
		}
		assertOutcomes("hostile dataset.json fuzzing", "read", list, mustFail, FuzzRunner.run(list, Files.createDirectories(tmp.resolve(
			"dsrunner")), 600));
	}

	/**
	 * Each case read (and then allowed to be), or refused with a one-line message naming its file,
	 * never crashed; both outcomes occur.
	 */
	private static void assertOutcomes(final String what, final String readWord, final List<String[]> list, final List<Boolean> mustFail,
		final List<FuzzRunner.Result> results)
	{
		final List<String> failures = new ArrayList<>();
		int ok = 0, err = 0;
		for (int i = 0; i < list.size(); i++) {
			final FuzzRunner.Result r = results.get(i);
			final String name = Path.of(list.get(i)[1]).getFileName().toString();
			if (r.status().equals("OK")) {
				ok++;
				if (mustFail.get(i)) failures.add(name + ": " + readWord + ", but must be refused");
			}
			else if (r.status().equals("ERR")) {
				err++;
				if (r.text().contains("<CTRL>")) failures.add(name + ": control characters in " + r.text());
				if (!r.text().contains(name)) failures.add(name + ": the message names no file: " + r.text());
			}
			else failures.add(name + ": crashed: " + r.text());
		}
		System.out.println(what + ", " + list.size() + " cases: " + ok + " " + readWord + ", " + err + " refused");
		assertTrue(failures.isEmpty(), failures.size() + " cases went wrong:\n" + String.join("\n", failures.subList(0, Math.min(40,
			failures.size()))));
		assertTrue(ok > 0 && err > 0, ok + " " + readWord + ", " + err + " refused");
	}

	/** A folder bundle's save stopped between its two renames: the old bundle is still found, then put back. */
	@Test
	void aFolderBundleSurvivesAStopBetweenItsRenames() throws Exception {
		final Path target = tmp.resolve("model");
		bundle().save(target);
		// the state a kill between "move the old away" and "move the new in" leaves
		final Path old = tmp.resolve(".model.old");
		Files.move(target, old);
		final Path leftover = Files.createDirectories(tmp.resolve(".model.123456"));
		Files.write(leftover.resolve("weights.params"), new byte[10]);
		Files.setLastModifiedTime(leftover, FileTime.fromMillis(System.currentTimeMillis() - 10 * AtomicFiles.STALE_MILLIS));
		assertEquals(CFG, ModelBundle.load(target).network(), "load() reads the previous bundle");
		bundle().save(target);
		assertTrue(Files.isRegularFile(target.resolve(ModelBundle.DESCRIPTION)));
		assertFalse(Files.exists(old), "the previous version is gone once the new one is in");
		assertFalse(Files.exists(leftover), "a stopped save's temporary folder is cleaned up");
	}

	/** Hidden .part files of a killed write go with the next write of the same output; a young one stays. */
	@Test
	void staleTemporaryFilesAreCleanedUp() throws Exception {
		final Path out = tmp.resolve("labels.nii.gz");
		final Path stale = Files.write(tmp.resolve(".labels.nii.gz.4711.part"), new byte[0]);
		Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 2 * AtomicFiles.STALE_MILLIS));
		final Path young = Files.write(tmp.resolve(".labels.nii.gz.4712.part"), new byte[0]);
		final Path other = Files.write(tmp.resolve(".other.nii.gz.4713.part"), new byte[0]);
		Files.setLastModifiedTime(other, FileTime.fromMillis(0));
		// a user's own hidden folder beside the output, however old, is not a temporary
		final Path mine = Files.createDirectories(tmp.resolve(".labels.nii.gz.backup"));
		Files.setLastModifiedTime(mine, FileTime.fromMillis(0));
		AtomicFiles.writeString(out, "x");
		assertFalse(Files.exists(stale));
		assertTrue(Files.exists(young), "a concurrent writer's file stays");
		assertTrue(Files.exists(other), "other outputs' files stay");
		assertTrue(Files.exists(mine), "a folder that is not a temporary stays");
	}

	/** The reported bundle defects, each with its message. */
	@Test
	void reportedBundleDefectsAreRefused() throws Exception {
		final Path good = tmp.resolve("good.zip");
		bundle().save(good);
		final Map<String, byte[]> parts = entries(Files.readAllBytes(good));
		final Path twice = Files.write(tmp.resolve("twice.zip"), rezip(parts, null, ModelBundle.DESCRIPTION, "{}"));
		assertTrue(assertThrows(IOException.class, () -> ModelBundle.load(twice)).getMessage().contains("holds 'model.json' twice"));
		final Path deep = Files.write(tmp.resolve("deep.zip"), rezip(parts, "[".repeat(100000)));
		assertTrue(assertThrows(IOException.class, () -> ModelBundle.load(deep)).getMessage().contains("nested more than 64"));
		final JsonObject d = JsonParser.parseString(new String(parts.get(ModelBundle.DESCRIPTION), StandardCharsets.UTF_8))
			.getAsJsonObject();
		d.getAsJsonObject("input").add("shape_xyz", JsonParser.parseString("[0,16,8]"));
		final Path zero = Files.write(tmp.resolve("zero.zip"), rezip(parts, d.toString()));
		final String m = assertThrows(IOException.class, () -> ModelBundle.load(zero)).getMessage();
		assertTrue(m.startsWith(zero.toString()) && m.contains("every size must be between 1 and 4096"), m);
		// an unused 64 MiB entry costs nothing
		final List<Map.Entry<String, byte[]>> l = new ArrayList<>(parts.entrySet());
		l.add(Map.entry("unused.bin", new byte[64 << 20]));
		final Path padded = Files.write(tmp.resolve("padded.zip"), zip(l));
		assertEquals(CFG, ModelBundle.load(padded).network());
		// the bound on what a network's weights may weigh holds the real ones, and not much more
		final long bound = CFG.parameterBytesBound();
		assertTrue(bound >= weights.length && bound < 64L * weights.length + (2 << 20), bound + " for " + weights.length);
		final NetworkConfig big = NetworkConfig.unet(1, 9);
		assertTrue(big.parameterBytesBound() >= 4L * 15_400_000, "the seed U-Net's 15.4 M parameters fit its bound");
	}
}
