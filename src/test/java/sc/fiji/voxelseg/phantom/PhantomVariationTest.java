package sc.fiji.voxelseg.phantom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sc.fiji.voxelseg.image.Voxels;
import sc.fiji.voxelseg.util.Json;
import sc.fiji.voxelseg.util.Progress;

/**
 * The varied phantom cohort: organ attenuation per contrast phase as stated in
 * {@link PhantomVariation.Phase} (measured in the images, inside each organ away from its border),
 * lesions inside their organ, determinism, and the domain-shift split's two distributions.
 */
class PhantomVariationTest {

	/** Quarter scale: grids of about 85 to 160 voxels in-plane. */
	private static final PhantomConfig VARIED = new PhantomConfig(1, 17, 0.25, 1, PhantomVariation.Profile.VARIED);

	@TempDir
	Path tmp;

	/**
	 * The stated ranges (PhantomVariation.Phase's table; portal-venous: the classic draws, liver
	 * 95..115, spleen the liver's plus 0..15, pancreas 80..100) against the mean image HU over each
	 * organ's voxels whose 6 neighbours share the label (blur and noise average out), for a case of
	 * every phase without fatty liver, lesions or metal. Margin: 6 HU for what the blur brings in
	 * from a neighbouring tissue.
	 */
	@Test
	void organsEnhanceAsTheirPhaseStates() {
		final PhantomGenerator g = new PhantomGenerator(VARIED);
		final Map<PhantomVariation.Phase, PhantomCase> byPhase = new EnumMap<>(PhantomVariation.Phase.class);
		for (int i = 0; byPhase.size() < 4 && i < 200; i++) {
			final PhantomCase c = g.generate(i);
			final JsonObject p = c.parameters();
			if (p.get("fatty_liver_hu").getAsDouble() != 0 || p.getAsJsonArray("lesions").size() > 0 || p.has("metal")) continue;
			byPhase.putIfAbsent(phase(p.get("phase").getAsString()), c);
		}
		assertEquals(4, byPhase.size(), "a case of each phase among the first 200");
		final double[][] portal = { { 95, 115 }, { 95, 130 }, { 80, 100 } };
		final PhantomVariation.Tissue[] tissues = { PhantomVariation.Tissue.LIVER, PhantomVariation.Tissue.SPLEEN,
			PhantomVariation.Tissue.PANCREAS };
		final int[] labels = { PhantomGenerator.LIVER, PhantomGenerator.SPLEEN, PhantomGenerator.PANCREAS };
		for (final Map.Entry<PhantomVariation.Phase, PhantomCase> e : byPhase.entrySet()) {
			for (int t = 0; t < tissues.length; t++) {
				final double[] range = e.getKey() == PhantomVariation.Phase.PORTAL_VENOUS ? portal[t] : e.getKey().range(tissues[t]);
				final double mean = interiorMean(e.getValue(), labels[t]);
				assertTrue(mean > range[0] - 6 && mean < range[1] + 6, e.getKey() + " " + tissues[t] + ": mean " + mean + " HU outside " + range[0] +
					".." + range[1]);
			}
			final double gb = interiorMean(e.getValue(), PhantomGenerator.GALLBLADDER);
			assertTrue(gb > 8 - 6 && gb < 22 + 6, e.getKey() + " gallbladder " + gb);
		}
		// the arterial phase is where the kidney cortex and pancreas are brightest, the native where everything is dimmest
		assertTrue(interiorMean(byPhase.get(PhantomVariation.Phase.ARTERIAL), PhantomGenerator.PANCREAS) > interiorMean(byPhase.get(
			PhantomVariation.Phase.NATIVE), PhantomGenerator.PANCREAS) + 40);
	}

	private static PhantomVariation.Phase phase(final String id) {
		for (final PhantomVariation.Phase p : PhantomVariation.Phase.values()) if (p.id().equals(id)) return p;
		throw new IllegalArgumentException(id);
	}

	/** Mean HU over the voxels of {@code label} whose six neighbours carry it too. */
	private static double interiorMean(final PhantomCase c, final int label) {
		final float[] hu = Voxels.floats(c.image().image()), lab = Voxels.floats(c.labels().image());
		final int nx = c.image().width(), ny = c.image().height(), nz = c.image().depth();
		double s = 0;
		long n = 0;
		for (int k = 1; k < nz - 1; k++) for (int j = 1; j < ny - 1; j++) for (int i = 1; i < nx - 1; i++) {
			final int p = (k * ny + j) * nx + i;
			if (lab[p] != label || lab[p - 1] != label || lab[p + 1] != label || lab[p - nx] != label || lab[p + nx] != label ||
				lab[p - nx * ny] != label || lab[p + nx * ny] != label) continue;
			s += hu[p];
			n++;
		}
		assertTrue(n > 20, "label " + label + " of " + c.id() + " has " + n + " interior voxels");
		return s / n;
	}

	/**
	 * Every painted lesion lies in its organ: the voxel at its recorded centre carries the organ's
	 * label, and the voxels of that organ (away from its border) within half its radius average to
	 * the lesion's attenuation (hypodense below the organ, hyperdense above, cysts near water).
	 */
	@Test
	void lesionsLieInsideTheirOrgan() {
		final PhantomGenerator g = new PhantomGenerator(VARIED.withVariation(PhantomVariation.Profile.TARGET));
		int checked = 0;
		final Set<String> kinds = new HashSet<>();
		for (int i = 0; i < 12; i++) {
			final PhantomCase c = g.generate(i);
			final float[] hu = Voxels.floats(c.image().image()), lab = Voxels.floats(c.labels().image());
			final int nx = c.image().width(), ny = c.image().height();
			final double[] sp = c.image().spacing();
			for (final JsonElement e : c.parameters().getAsJsonArray("lesions")) {
				final JsonObject l = e.getAsJsonObject();
				final JsonArray ci = l.getAsJsonArray("centre_index");
				final int organ = l.get("organ").getAsInt();
				final double r = l.get("radius_mm").getAsDouble() / 2;
				final double x = ci.get(0).getAsDouble(), y = ci.get(1).getAsDouble();
				final int z = ci.get(2).getAsInt();
				assertEquals(organ, lab[(z * ny + (int) Math.round(y)) * nx + (int) Math.round(x)], c.id() + " " + l);
				double s = 0;
				int n = 0;
				for (int j = 0; j < ny; j++) for (int ii = 0; ii < nx; ii++) {
					if (Math.hypot((ii - x) * sp[0], (j - y) * sp[1]) > r) continue;
					final int p = (z * ny + j) * nx + ii;
					// away from the organ's border, where blur mixes in its neighbours
					if (lab[p] != organ || lab[p - 1] != organ || lab[p + 1] != organ || lab[p - nx] != organ || lab[p + nx] != organ) continue;
					s += hu[p];
					n++;
				}
				if (n < 4) continue; // a lesion smaller than a few voxels at this scale: its mean is all blur
				final double expected = l.get("hu").getAsDouble(), noise = c.noiseSd();
				assertTrue(Math.abs(s / n - expected) < 25 + 3 * noise / Math.sqrt(n), c.id() + " " + l.get("kind") + ": mean " + s / n +
					" HU, painted " + expected);
				kinds.add(l.get("kind").getAsString());
				checked++;
			}
		}
		assertTrue(checked >= 5 && kinds.size() >= 2, checked + " lesions of kinds " + kinds);
	}

	/** The same seed, index and profile give the same voxels and parameters; the classic profile stays the classic cohort. */
	@Test
	void deterministic() {
		final PhantomCase a = new PhantomGenerator(VARIED).generate(3), b = new PhantomGenerator(VARIED).generate(3);
		assertArrayEquals(Voxels.floats(a.image().image()), Voxels.floats(b.image().image()));
		assertArrayEquals(Voxels.floats(a.labels().image()), Voxels.floats(b.labels().image()));
		assertEquals(a.parameters(), b.parameters());
		final PhantomConfig classic = new PhantomConfig(1, 17, 0.25, 1);
		final PhantomCase c = new PhantomGenerator(classic).generate(3);
		final PhantomCase d = new PhantomGenerator(VARIED).generate(3, PhantomVariation.Profile.CLASSIC);
		assertArrayEquals(Voxels.floats(c.image().image()), Voxels.floats(d.image().image()));
		assertEquals("classic", c.parameters().get("variation").getAsString());
	}

	/**
	 * The domain-shift split as specified: labeled cases portal-venous, noise at most 14 HU, no
	 * pathology, no metal; unlabeled and test cases from several phases, noisier on average than any
	 * labeled case, with pathologies; images only for the unlabeled ones; cases.json lists all.
	 */
	@Test
	void domainShiftSplitDiffersAsSpecified() throws Exception {
		final Path dir = tmp.resolve("shift");
		PhantomCohort.write(PhantomCohort.Layout.domainShift(new PhantomConfig(6, 5, 0.125, 1), 8, 6), dir, Progress.NONE);
		final JsonArray cases = Json.read(dir.resolve("cases.json"), JsonArray.class);
		assertEquals(20, cases.size());
		double sourceMax = 0, targetSum = 0;
		int target = 0, pathologies = 0;
		final Set<String> phases = new HashSet<>();
		for (final JsonElement e : cases) {
			final JsonObject c = e.getAsJsonObject();
			final String part = c.get("part").getAsString();
			final double noise = c.get("noise_sd_hu").getAsDouble();
			final boolean sick = c.getAsJsonArray("lesions").size() > 0 || c.get("fatty_liver_hu").getAsDouble() > 0 || c.get("spleen_scale")
				.getAsDouble() > 1;
			if (part.equals("train")) {
				assertEquals("source", c.get("variation").getAsString());
				assertEquals("portal-venous", c.get("phase").getAsString());
				assertTrue(noise <= 14, c.toString());
				assertTrue(!sick && !c.has("metal"), c.toString());
				sourceMax = Math.max(sourceMax, noise);
			}
			else {
				assertEquals("target", c.get("variation").getAsString());
				phases.add(c.get("phase").getAsString());
				targetSum += noise;
				target++;
				if (sick) pathologies++;
			}
		}
		assertEquals(14, target);
		assertTrue(phases.size() >= 3, "phases " + phases);
		assertTrue(targetSum / target > sourceMax, "target noise " + targetSum / target + " against labeled at most " + sourceMax);
		assertTrue(pathologies >= 5, pathologies + " target cases with a pathology");
		assertEquals(6, Files.list(dir.resolve("imagesTr")).count());
		assertEquals(8, Files.list(dir.resolve("imagesUnlabeled")).count());
		assertEquals(6, Files.list(dir.resolve("labelsTs")).count());
		assertTrue(Files.notExists(dir.resolve("labelsUnlabeled")));
	}
}
