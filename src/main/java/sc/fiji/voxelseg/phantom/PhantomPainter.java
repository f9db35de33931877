package sc.fiji.voxelseg.phantom;

import static sc.fiji.voxelseg.phantom.PhantomGenerator.DUODENUM;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.ESOPHAGUS;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.GALLBLADDER;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.LEFT_KIDNEY;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.LIVER;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.PANCREAS;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.SPLEEN;
import static sc.fiji.voxelseg.phantom.PhantomGenerator.STOMACH;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import net.imglib2.img.array.ArrayImgs;

import sc.fiji.voxelseg.image.ClassTable;
import sc.fiji.voxelseg.image.Volume;
import sc.fiji.voxelseg.image.VoxelType;
import sc.fiji.voxelseg.phantom.Shapes.Blob;
import sc.fiji.voxelseg.phantom.Shapes.Ellipsoid;
import sc.fiji.voxelseg.phantom.Shapes.Tube;
import sc.fiji.voxelseg.phantom.Shapes.Wobble;

/**
 * Paints one phantom case. All anatomy is in world RAS+ millimetres with the body centred on the
 * z axis: +x is the patient's right, +y anterior, +z superior. The constructor draws the grid;
 * {@link #paint} draws the anatomy (always in the same order, so a case is reproducible) and
 * paints it.
 */
final class PhantomPainter {

	/** Radiological storage: index x toward patient left, y toward posterior, z toward superior. */
	private static final double[] DIRECTION = { -1, 0, 0, 0, -1, 0, 0, 0, 1 };

	private final SplittableRandom rng;
	private final long seed;
	private final int index;
	private final int nx, ny, nz;
	private final double sx, sy, sz, ox, oy, oz;
	/** World coordinate (mm) of each index along x, y and z. */
	private final double[] wx, wy, wz;
	private final double noiseSd;
	/** The case's variation; null for the classic cohort. */
	private final PhantomVariation variation;
	/** The variation's own generator (the classic draws above never depend on it). */
	private final SplittableRandom vrng;

	private float[] hu;
	private byte[] lab;
	/** 1 where organs may still be painted: inside the muscle wall, outside bone and vessels. */
	private byte[] cav;

	PhantomPainter(final PhantomConfig config, final int index, final long seed) {
		this(config, config.variation(), index, seed);
	}

	PhantomPainter(final PhantomConfig config, final PhantomVariation.Profile profile, final int index, final long seed) {
		this.seed = seed;
		this.index = index;
		rng = new SplittableRandom(seed);
		vrng = new SplittableRandom(PhantomGenerator.mix(seed ^ 0x3C6EF372FE94F82BL));
		variation = profile == PhantomVariation.Profile.CLASSIC ? null : PhantomVariation.draw(profile, vrng);
		final double inPlane = u(0.6, 1.0) / config.scale();
		final double slice = u(1.0, 5.0) / Math.sqrt(config.scale());
		final double fov = u(340, 380);
		final double height = u(150, 250);
		final double zCentre = u(10, 20) + (variation == null ? 0 : variation.zShiftMm());
		nx = ny = Math.max(16, (int) Math.round(fov / inPlane));
		nz = Math.max(8, (int) Math.round(height / slice));
		sx = sy = inPlane;
		sz = slice;
		ox = (nx - 1) / 2.0 * sx + u(-5, 5);
		oy = (ny - 1) / 2.0 * sy + u(-5, 5);
		oz = zCentre - (nz - 1) / 2.0 * sz;
		wx = new double[nx];
		wy = new double[ny];
		wz = new double[nz];
		for (int i = 0; i < nx; i++)
			wx[i] = ox - i * sx;
		for (int j = 0; j < ny; j++)
			wy[j] = oy - j * sy;
		for (int k = 0; k < nz; k++)
			wz[k] = oz + k * sz;
		final double classicNoise = u(10, 20);
		noiseSd = (variation == null ? classicNoise : variation.noiseSd()) * config.noiseScale();
	}

	/** What this case's variation is; the classic one for a classic case. */
	PhantomVariation variation() {
		return variation != null ? variation : PhantomVariation.classic(noiseSd);
	}

	private double v(final double lo, final double hi) {
		return lo + (hi - lo) * vrng.nextDouble();
	}

	/** The classic draw {@code classic}, or in another phase a draw from that phase's range. */
	private double phased(final double classic, final PhantomVariation.Tissue t) {
		final double[] r = variation == null ? null : variation.phase().range(t);
		return r == null ? classic : v(r[0], r[1]);
	}

	PhantomGenerator.Grid grid() {
		return new PhantomGenerator.Grid(new long[] { nx, ny, nz }, new double[] { sx, sy, sz },
			new double[] { ox, oy, oz }, DIRECTION.clone());
	}

	private double u(final double lo, final double hi) {
		return lo + (hi - lo) * rng.nextDouble();
	}

	/** A value within ±{@code d} of {@code v}. */
	private double j(final double v, final double d) {
		return v + u(-d, d);
	}

	// -- painting ---------------------------------------------------------------------------------

	PhantomCase paint(final String id) {
		final int n = nx * ny * nz;
		hu = new float[n];
		lab = new byte[n];
		cav = new byte[n];

		// habitus and tissue contrast (portal venous phase)
		// the visceral cavity sets the organ scale; fat and muscle wrap around it
		final double size = variation == null ? 1 : variation.size();
		final double cavX = u(105, 125) * size, cavY = u(72, 88) * size;
		final double classicFat = u(8, 30), muscleT = u(8, 13);
		final double fatT = variation == null ? classicFat : variation.fatMm();
		final double rx = cavX + muscleT + fatT, ry = cavY + muscleT + fatT;
		final double fx = cavX / 115, fy = cavY / 80;
		final float fatHu = (float) u(-110, -90), visceralHu = (float) (fatHu + u(-5, 10));
		final float muscleHu = (float) u(45, 60);
		final double liverPv = u(95, 115), spleenPv = liverPv + u(0, 15), pancreasPv = u(80, 100);
		final double kidneyPv = u(150, 185), medullaPv = kidneyPv - u(20, 40), gbHu = u(8, 22);
		final double stomachWallPv = u(55, 75), stomachFluidHu = u(5, 25);
		final double duoWallPv = u(60, 85), duoFluidHu = u(10, 25);
		final double esoPv = u(40, 60), aortaPv = u(140, 180);
		final double ivcPv = aortaPv - u(10, 30);
		final float cancellousHu = (float) u(300, 450), cortexHu = (float) u(800, 1000);
		final float discHu = (float) u(70, 100), csfHu = (float) u(5, 20), ribHu = (float) u(500, 750);
		final double bowelWallPv = u(40, 70);
		final float bowelFluidHu = (float) u(5, 25);
		// another contrast phase replaces the enhancing tissues' draws (PhantomVariation.Phase)
		final double liverHu = phased(liverPv, PhantomVariation.Tissue.LIVER) - (variation == null ? 0 : variation.fattyLiverHu());
		final double spleenHu = phased(spleenPv, PhantomVariation.Tissue.SPLEEN);
		final double pancreasHu = phased(pancreasPv, PhantomVariation.Tissue.PANCREAS);
		final double kidneyHu = phased(kidneyPv, PhantomVariation.Tissue.KIDNEY_CORTEX);
		final double medullaHu = phased(medullaPv, PhantomVariation.Tissue.KIDNEY_MEDULLA);
		final float stomachWallHu = (float) phased(stomachWallPv, PhantomVariation.Tissue.BOWEL_WALL);
		final float duoWallHu = (float) phased(duoWallPv, PhantomVariation.Tissue.BOWEL_WALL);
		final float bowelWallHu = (float) phased(bowelWallPv, PhantomVariation.Tissue.BOWEL_WALL);
		final float esoHu = (float) phased(esoPv, PhantomVariation.Tissue.ESOPHAGUS);
		final float aortaHu = (float) phased(aortaPv, PhantomVariation.Tissue.AORTA);
		final float ivcHu = (float) phased(ivcPv, PhantomVariation.Tissue.IVC);
		final double common = u(0.92, 1.08);

		// spine and vessels
		final double rv = u(17, 22);
		final double yFront = -cavY + u(0.35, 0.41) * 2 * cavY;
		final double yV = yFront - rv, yC = yV - rv - 10;
		final double discPeriod = u(33, 38), discPhase = u(0, discPeriod), discT = u(6, 9);
		final double xA = -u(8, 16), yA = yFront + u(9, 14), rA = u(9, 12);
		final double xI = u(18, 26) * fx, yI = yFront + u(8, 12), aI = u(11, 15), bI = u(7, 10);
		final double ribTop = u(130, 150), ribGap = u(22, 28);

		body(rx, ry, fatT, muscleT, fatHu, visceralHu, muscleHu, ribTop, ribGap, ribHu);
		spine(fx, rv, yV, yC, discPeriod, discPhase, discT, muscleHu, cancellousHu, cortexHu, discHu,
			csfHu, ry);
		vessels(xA, yA, rA, xI, yI, aI, bI, aortaHu, ivcHu);

		// bowel (unlabelled; organs paint over it)
		final Tube colon = new Tube(Shapes.jitter(new double[][] { { 100 * fx, yA + 10, -170 }, {
			100 * fx, yA + 5, -60 }, { 95 * fx, yA + 15, -10 }, { 60 * fx, yA + 60, -25 }, { 0, yA + 70,
				-30 }, { -60 * fx, yA + 60, -15 }, { -100 * fx, yA + 15, 20 }, { -105 * fx, yA, -60 }, {
					-105 * fx, yA, -170 } }, rng, 8), new double[] { 20, 20, 20, 18, 18, 18, 18, 18, 18 },
			step(18), rng, 0.15);
		final double colonPhase = u(0, 100);
		final float stoolHu = (float) u(-120, 20);
		paintTube(colon, 0, 3, bowelWallHu, s -> pocket(s, colonPhase, 0.0) ? -1000f : stoolHu);
		final int loops = 4 + rng.nextInt(3);
		for (int l = 0; l < loops; l++) {
			final double[][] pts = new double[5][];
			pts[0] = new double[] { u(-80, 80) * fx, yA + u(25, 70) * fy, u(-150, -45) };
			for (int p = 1; p < pts.length; p++)
				pts[p] = new double[] { clamp(pts[p - 1][0] + u(-35, 35), -85 * fx, 85 * fx), clamp(pts[p -
					1][1] + u(-25, 25), yA + 20, yA + 80 * fy), clamp(pts[p - 1][2] + u(-35, 35), -160,
						-40) };
			final double r = u(10, 14);
			final double ph = u(0, 100);
			paintTube(new Tube(pts, new double[] { r, r, r, r, r }, step(r), rng, 0.1), 0, 2.5,
				bowelWallHu, s -> pocket(s, ph, 0.6) ? -1000f : bowelFluidHu);
		}

		// right kidney: unlabelled, same contrast as the left, so intensity alone cannot tell them apart
		final double zK = j(-18, 8);
		final Blob rightKidney = kidney(62 * fx, yV + 2, zK - u(5, 20), Math.toRadians(45), fx, common,
			-1);
		paintBlob(rightKidney, 0, true, (f, x, y, z) -> (float) (f < -0.4 ? medullaHu : kidneyHu));

		// liver: right lobe plus a left lobe across the midline
		final double sL = u(0.95, 1.1) * common;
		final Blob liver = new Blob().add(new Ellipsoid(j(62, 5) * fx, yFront + j(20, 5), j(22, 6),
			76 * sL * fx, 84 * sL * fy, 74 * sL, u(-0.2, 0.2))).add(new Ellipsoid(j(10, 8) * fx, yFront +
				j(70, 5) * fy, j(50, 8), 52 * sL * fx, 30 * sL * fy, 40 * sL, u(-0.2, 0.2)));
		liver.wobble = wobble(0.12, 4);
		paintBlob(liver, LIVER, false, (f, x, y, z) -> (float) liverHu);

		// spleen: posterolateral, long axis along the body wall, concave hilum
		final double sS = u(0.85, 1.15) * common * (variation == null ? 1 : variation.spleenScale());
		final double thS = Math.toRadians(-135) + u(-0.3, 0.3);
		final double spx = -cavX + u(28, 36), spy = -cavY * u(0.5, 0.6), spz = j(42, 6);
		final Blob spleen = new Blob().add(new Ellipsoid(spx, spy, spz, 25 * sS, 58 * sS, 48 * sS, thS))
			.subtract(new Ellipsoid(spx - 30 * sS * Math.cos(thS), spy - 30 * sS * Math.sin(thS), spz,
				16 * sS, 28 * sS, 28 * sS, thS));
		spleen.wobble = wobble(0.1, 3);
		paintBlob(spleen, SPLEEN, false, (f, x, y, z) -> (float) spleenHu);

		// left kidney: cortex and medulla, fatty hilum facing anteromedially
		final Blob leftKidney = kidney(-62 * fx, yV + 2, zK, Math.toRadians(-45), fx, common, 1);
		paintBlob(leftKidney, LEFT_KIDNEY, false, (f, x, y, z) -> (float) (f < -0.4 ? medullaHu
			: kidneyHu));

		// stomach: wall, fluid, anterior (non-dependent) air pocket
		final double sG = u(0.85, 1.15) * common;
		final double gcy = yFront + j(45, 5) * fy, gb = 38 * sG;
		final Blob stomach = new Blob().add(new Ellipsoid(j(-50, 6) * fx, gcy, j(45, 8), 42 * sG, gb,
			55 * sG, u(-0.7, -0.3)));
		stomach.wobble = wobble(0.1, 3);
		final double wallFrac = 4 / (42 * sG);
		final double airLevel = gcy + gb * u(0.15, 0.6);
		paintBlob(stomach, STOMACH, false, (f, x, y, z) -> f > -wallFrac ? stomachWallHu
			: y > airLevel ? -1000f : (float) stomachFluidHu);

		// pancreas: head in the duodenal C-loop, body in front of the aorta, tail to the splenic hilum
		final double sP = u(0.85, 1.15) * common;
		final Tube pancreas = new Tube(Shapes.jitter(new double[][] { { 30 * fx, yA + 20, -15 }, { 8 *
			fx, yA + 30, -5 }, { -20 * fx, yA + 27, 2 }, { -50 * fx, yA + 12, 10 }, { -72 * fx, yA + 2,
				18 } }, rng, 4), new double[] { 13 * sP, 10 * sP, 10 * sP, 9 * sP, 7 * sP }, step(7 * sP),
			rng, 0.15);
		paintTube(pancreas, PANCREAS, 0, (float) pancreasHu, null);

		// duodenum: C-loop from the pylorus around the pancreatic head to the duodenojejunal flexure
		final double rD = u(9.5, 12) * common;
		final Tube duodenum = new Tube(Shapes.jitter(new double[][] { { 5 * fx, yA + 45, 5 }, { 35 * fx,
			yA + 38, 2 }, { 52 * fx, yA + 18, -15 }, { 52 * fx, yA + 18, -45 }, { 30 * fx, yA + 24,
				-62 }, { 0, yA + 26, -66 }, { -22 * fx, yA + 25, -52 }, { -30 * fx, yA + 28, -30 } }, rng,
			4), new double[] { rD, rD, rD, rD, rD, rD, rD, rD }, step(rD), rng, 0.12);
		final double duoPhase = u(0, 100);
		paintTube(duodenum, DUODENUM, 3, duoWallHu, s -> pocket(s, duoPhase, 0.8) ? -1000f
			: (float) duoFluidHu);

		// gallbladder: fluid, in the fossa under the liver
		final double sB = u(0.8, 1.15);
		final Blob gallbladder = new Blob().add(new Ellipsoid(j(45, 5) * fx, yFront + j(55, 5) * fy, j(
			-15, 6), 15 * sB, 17 * sB, 35 * sB, u(-Math.PI, Math.PI)));
		gallbladder.wobble = wobble(0.06, 2);
		paintBlob(gallbladder, GALLBLADDER, false, (f, x, y, z) -> (float) gbHu);

		// esophagus: in front of the aorta, swinging left through the hiatus into the cardia
		final double rE = u(7, 9);
		final Tube esophagus = new Tube(Shapes.jitter(new double[][] { { 8, yA + 4, 160 }, { 5, yA + 12,
			100 }, { -10, yA + 25, 72 }, { -28 * fx, yA + 35, 58 }, { -42 * fx, yA + 40, 50 } }, rng, 3),
			new double[] { rE, rE, rE, rE, rE * 1.2 }, step(rE), rng, 0.1);
		paintTube(esophagus, ESOPHAGUS, 0, esoHu, null);

		final com.google.gson.JsonArray lesions = new com.google.gson.JsonArray();
		com.google.gson.JsonObject metal = null;
		double rotation = 0;
		if (variation != null) {
			for (final PhantomVariation.Lesion l : variation.lesions()) {
				final double organ = l.organ() == LIVER ? liverHu : kidneyHu;
				final com.google.gson.JsonObject o = lesion(l, l.absolute() ? l.hu() : organ + l.hu());
				if (o != null) lesions.add(o);
			}
			rotation = variation.rotationDeg();
			rotate(Math.toRadians(rotation));
			for (final com.google.gson.JsonElement e : lesions) rotated(e.getAsJsonObject(), Math.toRadians(rotation));
			if (variation.metal()) metal = metal(rv, yV);
		}
		final double blurXy = variation == null ? 0.5 : variation.kernel().blurInPlane;
		final double blurZ = variation == null ? 0.4 : variation.kernel().blurZ;
		final short[] out = blurAndNoise(blurXy, blurZ);
		final long[] dims = { nx, ny, nz };
		final double[] spacing = { sx, sy, sz }, origin = { ox, oy, oz };
		final Volume image = new Volume(ArrayImgs.shorts(out, dims), spacing, origin, DIRECTION, null,
			VoxelType.INT16);
		final Volume labels = new Volume(ArrayImgs.unsignedBytes(lab, dims), spacing, origin,
			DIRECTION, ClassTable.abdomen(), VoxelType.UINT8);
		final Map<String, Double> organHu = new LinkedHashMap<>();
		organHu.put("liver", liverHu);
		organHu.put("spleen", spleenHu);
		organHu.put("left_kidney", kidneyHu);
		organHu.put("pancreas", pancreasHu);
		organHu.put("gallbladder", gbHu);
		final PhantomVariation pv = variation();
		final com.google.gson.JsonObject par = new com.google.gson.JsonObject();
		par.addProperty("id", id);
		par.addProperty("index", index);
		par.addProperty("variation", pv.profile().id());
		par.addProperty("phase", pv.phase().id());
		par.addProperty("kernel", pv.kernel().id());
		par.addProperty("noise_sd_hu", noiseSd);
		par.add("dims", json(new double[] { nx, ny, nz }));
		par.add("spacing_mm", json(spacing));
		par.addProperty("slice_thickness_mm", sz);
		par.addProperty("size_factor", size);
		par.addProperty("subcutaneous_fat_mm", fatT);
		par.addProperty("fov_z_shift_mm", pv.zShiftMm());
		par.addProperty("rotation_deg", rotation);
		par.addProperty("fatty_liver_hu", pv.fattyLiverHu());
		par.addProperty("spleen_scale", pv.spleenScale());
		par.add("lesions", lesions);
		if (metal != null) par.add("metal", metal);
		final com.google.gson.JsonObject hus = new com.google.gson.JsonObject();
		hus.addProperty("liver", liverHu);
		hus.addProperty("spleen", spleenHu);
		hus.addProperty("left_kidney_cortex", kidneyHu);
		hus.addProperty("left_kidney_medulla", medullaHu);
		hus.addProperty("pancreas", pancreasHu);
		hus.addProperty("gallbladder", gbHu);
		hus.addProperty("aorta", aortaHu);
		hus.addProperty("ivc", ivcHu);
		hus.addProperty("bowel_wall", bowelWallHu);
		hus.addProperty("stomach_wall", stomachWallHu);
		hus.addProperty("duodenal_wall", duoWallHu);
		hus.addProperty("esophagus", esoHu);
		par.add("organ_hu", hus);
		return new PhantomCase(index, id, image, labels, organHu, noiseSd, par);
	}

	private static com.google.gson.JsonArray json(final double[] v) {
		final com.google.gson.JsonArray a = new com.google.gson.JsonArray();
		for (final double x : v) a.add(x);
		return a;
	}

	/**
	 * Paints a lesion as a sphere of attenuation {@code value} around a voxel of its organ drawn by
	 * the variation generator, over the organ's voxels only (the label stays the organ's). Returns
	 * what was painted, or null if the organ has no voxel in this field of view.
	 */
	private com.google.gson.JsonObject lesion(final PhantomVariation.Lesion l, final double value) {
		final byte organ = (byte) l.organ();
		// a centre at least half the radius inside the organ along each axis, where there is one
		final int dx = Math.max(1, (int) Math.round(0.5 * l.radiusMm() / sx)), dy = Math.max(1, (int) Math.round(0.5 * l.radiusMm() / sy));
		final int dz = Math.max(1, (int) Math.round(0.5 * l.radiusMm() / sz));
		final java.util.function.IntPredicate deep = p -> {
			final int i = p % nx, j = p / nx % ny, k = p / (nx * ny);
			return i >= dx && i < nx - dx && j >= dy && j < ny - dy && k >= dz && k < nz - dz && lab[p - dx] == organ && lab[p + dx] == organ &&
				lab[p - dy * nx] == organ && lab[p + dy * nx] == organ && lab[p - dz * nx * ny] == organ && lab[p + dz * nx * ny] == organ;
		};
		long count = 0, deepCount = 0;
		for (int p = 0; p < lab.length; p++) {
			if (lab[p] != organ) continue;
			count++;
			if (deep.test(p)) deepCount++;
		}
		if (count == 0) return null;
		final boolean inner = deepCount > 0;
		final long pick = (long) (vrng.nextDouble() * (inner ? deepCount : count));
		int centre = -1;
		for (int p = 0, seen = 0; p < lab.length; p++) {
			if (lab[p] == organ && (!inner || deep.test(p)) && seen++ == pick) {
				centre = p;
				break;
			}
		}
		final int ci = centre % nx, cj = centre / nx % ny, ck = centre / (nx * ny);
		final double[] c = { wx[ci], wy[cj], wz[ck] };
		final double r = l.radiusMm();
		final int[] box = range(c[0] - r, c[0] + r, c[1] - r, c[1] + r, c[2] - r, c[2] + r);
		long voxels = 0;
		for (int k = box[4]; k <= box[5]; k++) for (int j = box[2]; j <= box[3]; j++) for (int i = box[0]; i <= box[1]; i++) {
			final int p = idx(i, j, k);
			if (lab[p] != organ || sq(wx[i] - c[0]) + sq(wy[j] - c[1]) + sq(wz[k] - c[2]) >= r * r) continue;
			hu[p] = (float) value;
			voxels++;
		}
		final com.google.gson.JsonObject o = new com.google.gson.JsonObject();
		o.addProperty("kind", l.kind());
		o.addProperty("organ", l.organ());
		o.add("centre_mm", json(c));
		o.add("centre_index", json(new double[] { ci, cj, ck }));
		o.addProperty("radius_mm", r);
		o.addProperty("hu", value);
		o.addProperty("voxels", voxels);
		return o;
	}

	/**
	 * Rotates the painted anatomy in every slice by {@code theta} about the slice centre (the
	 * patient lying turned on the table): HU bilinearly, labels by nearest neighbour; what comes in
	 * from outside the field of view is air.
	 */
	private void rotate(final double theta) {
		if (theta == 0) return;
		final double c = Math.cos(theta), s = Math.sin(theta), cx = (nx - 1) / 2.0, cy = (ny - 1) / 2.0;
		final int plane = nx * ny;
		final float[] h2 = new float[hu.length];
		final byte[] l2 = new byte[lab.length];
		IntStream.range(0, nz).parallel().forEach(k -> {
			final int base = k * plane;
			for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) {
				// the source of output (i, j) under the inverse rotation
				final double x = c * (i - cx) + s * (j - cy) + cx, y = -s * (i - cx) + c * (j - cy) + cy;
				final int p = base + j * nx + i;
				final int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
				if (x0 < 0 || y0 < 0 || x0 + 1 >= nx || y0 + 1 >= ny) {
					h2[p] = -1000;
					continue;
				}
				final double fx = x - x0, fy = y - y0;
				final int q = base + y0 * nx + x0;
				h2[p] = (float) ((1 - fy) * ((1 - fx) * hu[q] + fx * hu[q + 1]) + fy * ((1 - fx) * hu[q + nx] + fx * hu[q + nx + 1]));
				l2[p] = lab[base + (int) Math.round(y) * nx + (int) Math.round(x)];
			}
		});
		hu = h2;
		lab = l2;
	}

	/** Moves a painted lesion's recorded centre where {@link #rotate} took it. */
	private void rotated(final com.google.gson.JsonObject lesion, final double theta) {
		final com.google.gson.JsonArray c = lesion.getAsJsonArray("centre_index");
		final double cx = (nx - 1) / 2.0, cy = (ny - 1) / 2.0, x = c.get(0).getAsDouble() - cx, y = c.get(1).getAsDouble() - cy;
		final double i = Math.cos(theta) * x - Math.sin(theta) * y + cx, j = Math.sin(theta) * x + Math.cos(theta) * y + cy;
		final int k = c.get(2).getAsInt();
		lesion.add("centre_index", json(new double[] { i, j, k }));
		lesion.add("centre_mm", json(new double[] { ox - i * sx, oy - j * sy, oz + k * sz }));
	}

	/**
	 * A metal implant beside the vertebral body (a cylinder along z, 2.5 to 4 mm across, 2500 to
	 * 3000 HU, over 30 to 60 mm) with streaks in its slices: along a few lines through it,
	 * alternately bright and dark, fading with distance. Labels are unchanged.
	 */
	private com.google.gson.JsonObject metal(final double rv, final double yV) {
		final double side = vrng.nextBoolean() ? 1 : -1;
		final double mx = side * (rv + v(6, 12)), my = yV + v(-5, 5), mz = v(wz[0], wz[nz - 1]), half = v(15, 30), rad = v(2.5, 4);
		final double value = v(2500, 3000);
		final int lines = 4 + vrng.nextInt(4);
		final double[] angle = new double[lines], amp = new double[lines];
		for (int m = 0; m < lines; m++) {
			angle[m] = v(0, Math.PI);
			amp[m] = (m % 2 == 0 ? 1 : -1) * v(150, 400);
		}
		final int[] r = range(-1e9, 1e9, -1e9, 1e9, mz - half, mz + half);
		IntStream.rangeClosed(r[4], r[5]).parallel().forEach(k -> {
			for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) {
				final int p = idx(i, j, k);
				if (hu[p] <= -900) continue;
				final double dx = wx[i] - mx, dy = wy[j] - my, d = Math.sqrt(dx * dx + dy * dy);
				if (d < rad) {
					hu[p] = (float) value;
					continue;
				}
				double add = 0;
				for (int m = 0; m < lines; m++) {
					final double perp = Math.abs(dx * Math.sin(angle[m]) - dy * Math.cos(angle[m]));
					add += amp[m] * Math.exp(-perp * perp / (2 * 1.5 * 1.5)) * Math.exp(-d / 120);
				}
				hu[p] += (float) add;
			}
		});
		final com.google.gson.JsonObject o = new com.google.gson.JsonObject();
		o.add("centre_mm", json(new double[] { mx, my, mz }));
		o.addProperty("radius_mm", rad);
		o.addProperty("length_mm", 2 * half);
		o.addProperty("hu", value);
		o.addProperty("streaks", lines);
		return o;
	}

	private Blob kidney(final double cx, final double cy, final double cz, final double theta,
		final double fx, final double common, final int medialSign)
	{
		final double s = u(0.88, 1.12) * common;
		final double b = 30 * s * fx;
		final Ellipsoid e = new Ellipsoid(cx, cy, cz, 20 * s, b, 55 * s, theta);
		// the wide (v) axis points anteromedially for both kidneys by the choice of theta
		final double vx = -Math.sin(theta), vy = Math.cos(theta);
		final Blob k = new Blob().add(e).subtract(new Ellipsoid(cx + 0.9 * b * vx, cy + 0.9 * b * vy,
			cz, 10 * s, 14 * s, 20 * s, theta));
		k.wobble = wobble(0.06, 2);
		return k;
	}

	private Wobble wobble(final double amplitude, final int terms) {
		return new Wobble(rng, amplitude, terms, wx, wy, wz);
	}

	/** Tube sampling step: fine enough for a smooth surface at this grid, coarse enough to be fast. */
	private double step(final double rmin) {
		final double minSp = Math.min(sx, sz);
		return Math.min(0.3 * rmin, Math.max(0.5 * minSp, 0.12 * rmin));
	}

	/** Whether arc length {@code s} falls in a gas pocket; higher threshold, fewer pockets. */
	private static boolean pocket(final double s, final double phase, final double threshold) {
		return Math.sin(s / 23 + phase) * Math.cos(s / 37 + 1.7 * phase) > threshold * 0.5;
	}

	private static double clamp(final double v, final double lo, final double hi) {
		return Math.max(lo, Math.min(hi, v));
	}

	private int idx(final int i, final int j, final int k) {
		return (k * ny + j) * nx + i;
	}

	/** Index ranges {i0, i1, j0, j1, k0, k1} (inclusive, clamped) covering a world box. */
	private int[] range(final double x0, final double x1, final double y0, final double y1,
		final double z0, final double z1)
	{
		return new int[] { Math.max(0, (int) Math.ceil((ox - x1) / sx)), Math.min(nx - 1, (int) Math
			.floor((ox - x0) / sx)), Math.max(0, (int) Math.ceil((oy - y1) / sy)), Math.min(ny - 1,
				(int) Math.floor((oy - y0) / sy)), Math.max(0, (int) Math.ceil((z0 - oz) / sz)), Math.min(
					nz - 1, (int) Math.floor((z1 - oz) / sz)) };
	}

	/** Air, subcutaneous fat, muscle wall with ribs, and the visceral cavity, slice by slice. */
	private void body(final double rx, final double ry, final double fatT, final double muscleT,
		final float fatHu, final float visceralHu, final float muscleHu, final double ribTop,
		final double ribGap, final float ribHu)
	{
		final double fx2 = rx - fatT, fy2 = ry - fatT, mx2 = fx2 - muscleT, my2 = fy2 - muscleT;
		final double rbx = rx - fatT - 0.6 * muscleT, rby = ry - fatT - 0.6 * muscleT;
		IntStream.range(0, nz).parallel().forEach(k -> {
			final double z = wz[k];
			final boolean ribLevel = z > ribTop - 10 * ribGap - 120;
			for (int j = 0; j < ny; j++) {
				final double y = wy[j];
				int p = idx(0, j, k);
				for (int i = 0; i < nx; i++, p++) {
					final double x = wx[i];
					final double q = (x * x) / (rx * rx) + (y * y) / (ry * ry);
					if (q >= 1) {
						hu[p] = -1000;
						continue;
					}
					if (x * x / (fx2 * fx2) + y * y / (fy2 * fy2) >= 1) hu[p] = fatHu;
					else if (x * x / (mx2 * mx2) + y * y / (my2 * my2) >= 1) hu[p] = muscleHu;
					else {
						hu[p] = visceralHu;
						cav[p] = 1;
					}
					if (ribLevel) {
						final double rho = Math.sqrt(x * x / (rbx * rbx) + y * y / (rby * rby));
						final double r = Math.sqrt(x * x + y * y);
						final double d = r - r / rho;
						if (Math.abs(d) < 4) {
							double t = Math.abs(Math.toDegrees(Math.atan2(y, x)) + 90);
							if (t > 180) t = 360 - t;
							// ribs descend about 110 mm from the spine to their anterior ends, so an
							// axial slice cuts each one obliquely into a short arc
							for (int rib = 0; rib < 10; rib++) {
								final double zc = ribTop - rib * ribGap - 110 * t / 180;
								if (t > 20 && t < 165 - 10 * rib && Math.abs(z - zc) < 5) {
									hu[p] = ribHu;
									cav[p] = 0;
									break;
								}
							}
						}
					}
				}
			}
		});
	}

	/** Paraspinal and psoas muscles, vertebral bodies with discs, canal and posterior elements. */
	private void spine(final double fx, final double rv, final double yV, final double yC,
		final double discPeriod, final double discPhase, final double discT, final float muscleHu,
		final float cancellousHu, final float cortexHu, final float discHu, final float csfHu,
		final double ry)
	{
		final int[] r = range(-90 * fx, 90 * fx, -ry, yV + rv + 5, -1e9, 1e9);
		IntStream.rangeClosed(r[4], r[5]).parallel().forEach(k -> {
			final double z = wz[k];
			final boolean disc = ((z - discPhase) % discPeriod + discPeriod) % discPeriod < discT;
			final double psoas = z < 10 ? Math.min(20, 6 + 0.25 * (10 - z)) : 0;
			for (int j = r[2]; j <= r[3]; j++) {
				final double y = wy[j];
				for (int i = r[0]; i <= r[1]; i++) {
					final double x = wx[i];
					final int p = idx(i, j, k);
					if (hu[p] == -1000) continue;
					float v = Float.NaN;
					final double ax = Math.abs(x);
					if (sq((ax - 28 * fx) / (22 * fx)) + sq((y - yC + 12) / 17) < 1) v = muscleHu;
					if (psoas > 0 && sq((ax - rv - 14) / psoas) + sq((y - yV - 2) / (psoas * 0.9)) < 1)
						v = muscleHu;
					final double dv = Math.sqrt(x * x + sq(y - yV));
					if (dv < rv) v = disc ? discHu : dv > rv - 2.5 ? cortexHu : cancellousHu;
					if (!disc) {
						final double dc = Math.sqrt(x * x + sq(y - yC));
						if (dc < 9) v = csfHu;
						else if (dc < 15 && y < yC + 4) v = cortexHu * 0.8f;
						else if (sq(x / 5) + sq((y - yC + 24) / 13) < 1) v = cortexHu * 0.8f;
						else if (sq((ax - 24) / 14) + sq((y - yC - 2) / 5) < 1) v = cortexHu * 0.8f;
					}
					else if (Math.sqrt(x * x + sq(y - yC)) < 9) v = csfHu;
					if (!Float.isNaN(v)) {
						hu[p] = v;
						cav[p] = 0;
					}
				}
			}
		});
	}

	private void vessels(final double xA, final double yA, final double rA, final double xI,
		final double yI, final double aI, final double bI, final float aortaHu, final float ivcHu)
	{
		final int[] r = range(xA - rA - 1, xI + aI + 1, Math.min(yA - rA, yI - bI) - 1, Math.max(yA +
			rA, yI + bI) + 1, -1e9, 1e9);
		for (int k = r[4]; k <= r[5]; k++)
			for (int j = r[2]; j <= r[3]; j++)
				for (int i = r[0]; i <= r[1]; i++) {
					final double x = wx[i], y = wy[j];
					final int p = idx(i, j, k);
					if (sq(x - xA) + sq(y - yA) < rA * rA) {
						hu[p] = aortaHu;
						cav[p] = 0;
					}
					else if (sq((x - xI) / aI) + sq((y - yI) / bI) < 1) {
						hu[p] = ivcHu;
						cav[p] = 0;
					}
				}
	}

	private static double sq(final double v) {
		return v * v;
	}

	interface Material {

		/** HU at world (x, y, z) where the blob's value {@code f} is negative. */
		float hu(double f, double x, double y, double z);
	}

	interface Lumen {

		/** HU of the lumen at arc length {@code s} mm. */
		float hu(double s);
	}

	/**
	 * Paints a blob into the cavity. {@code label} 0 with {@code claim} marks tissue organs cannot
	 * overwrite (the unlabelled right kidney).
	 */
	private void paintBlob(final Blob b, final int label, final boolean claim, final Material m) {
		final double[] bb = b.bounds();
		final int[] r = range(bb[0], bb[1], bb[2], bb[3], bb[4], bb[5]);
		final byte l = (byte) label;
		IntStream.rangeClosed(r[4], r[5]).parallel().forEach(k -> {
			final double z = wz[k];
			for (int j = r[2]; j <= r[3]; j++) {
				final double y = wy[j];
				for (int i = r[0]; i <= r[1]; i++) {
					final int p = idx(i, j, k);
					if (cav[p] == 0) continue;
					final double x = wx[i];
					final double f = b.value(x, y, z, i, j, k);
					if (f >= 0) continue;
					hu[p] = m.hu(f, x, y, z);
					lab[p] = l;
					if (claim) cav[p] = 0;
				}
			}
		});
	}

	/**
	 * Paints a tube into the cavity: first its full radius as wall (or solid tissue), then, if
	 * {@code lumen} is given, the inside {@code wall} mm narrower with the lumen content.
	 */
	private void paintTube(final Tube t, final int label, final double wall, final float wallHu,
		final Lumen lumen)
	{
		final byte l = (byte) label;
		for (final double[] s : t.samples)
			ball(s, s[3], l, wallHu, null);
		if (lumen == null) return;
		for (final double[] s : t.samples)
			if (s[3] - wall > 0) ball(s, s[3] - wall, l, 0, lumen);
	}

	private void ball(final double[] c, final double rad, final byte l, final float value,
		final Lumen lumen)
	{
		final int[] r = range(c[0] - rad, c[0] + rad, c[1] - rad, c[1] + rad, c[2] - rad, c[2] + rad);
		final double r2 = rad * rad;
		final float v = lumen == null ? value : lumen.hu(c[4]);
		for (int k = r[4]; k <= r[5]; k++) {
			final double dz2 = sq(wz[k] - c[2]);
			if (dz2 >= r2) continue;
			for (int j = r[2]; j <= r[3]; j++) {
				final double dyz2 = dz2 + sq(wy[j] - c[1]);
				if (dyz2 >= r2) continue;
				for (int i = r[0]; i <= r[1]; i++) {
					if (dyz2 + sq(wx[i] - c[0]) >= r2) continue;
					final int p = idx(i, j, k);
					if (cav[p] == 0) continue;
					hu[p] = v;
					lab[p] = l;
				}
			}
		}
	}

	/**
	 * Partial-volume blur (separable Gaussian, SD {@code sigmaXy} voxel in-plane and {@code sigmaZ}
	 * along z: 0.5 and 0.4 for the classic cohort's standard kernel, i.e. proportional to the
	 * spacing), then Gaussian noise of {@code noiseSd} HU drawn per slice from a
	 * generator seeded by (case seed, slice), rounded and clamped to int16 HU [-1024, 3071].
	 */
	private short[] blurAndNoise(final double sigmaXy, final double sigmaZ) {
		final int plane = nx * ny;
		final float[] tmp = new float[hu.length];
		final float[] wz3 = weights(sigmaZ), wxy = weights(sigmaXy);
		IntStream.range(0, nz).parallel().forEach(k -> {
			final int below = Math.max(0, k - 1) * plane, here = k * plane, above = Math.min(nz - 1, k +
				1) * plane;
			for (int p = 0; p < plane; p++)
				tmp[here + p] = wz3[1] * hu[here + p] + wz3[0] * (hu[below + p] + hu[above + p]);
		});
		hu = null;
		final short[] out = new short[tmp.length];
		IntStream.range(0, nz).parallel().forEach(k -> {
			final int base = k * plane;
			final float[] row = new float[Math.max(nx, ny)];
			for (int j = 0; j < ny; j++) {
				final int o = base + j * nx;
				System.arraycopy(tmp, o, row, 0, nx);
				for (int i = 0; i < nx; i++)
					tmp[o + i] = wxy[1] * row[i] + wxy[0] * (row[Math.max(0, i - 1)] + row[Math.min(nx - 1, i +
						1)]);
			}
			for (int i = 0; i < nx; i++) {
				for (int j = 0; j < ny; j++)
					row[j] = tmp[base + j * nx + i];
				for (int j = 0; j < ny; j++)
					tmp[base + j * nx + i] = wxy[1] * row[j] + wxy[0] * (row[Math.max(0, j - 1)] + row[Math
						.min(ny - 1, j + 1)]);
			}
			final SplittableRandom noise = new SplittableRandom(PhantomGenerator.mix(seed ^
				(0x632BE59BD9B4E019L * (k + 1L))));
			for (int p = base; p < base + plane; p++) {
				final double v = tmp[p] + (noiseSd > 0 ? noiseSd * noise.nextGaussian() : 0);
				out[p] = (short) Math.max(-1024, Math.min(3071, Math.round(v)));
			}
		});
		return out;
	}

	/** {side, centre} weights of a 3-tap Gaussian of SD {@code sigma} voxels, summing to 1. */
	private static float[] weights(final double sigma) {
		final double side = Math.exp(-1 / (2 * sigma * sigma));
		final double sum = 1 + 2 * side;
		return new float[] { (float) (side / sum), (float) (1 / sum) };
	}
}
