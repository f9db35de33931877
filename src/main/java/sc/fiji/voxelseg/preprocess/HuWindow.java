package sc.fiji.voxelseg.preprocess;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A CT intensity window in Hounsfield units: values are clipped to [lower, upper] and scaled to
 * [0, 1], {@code out = (clamp(v, lower, upper) - lower) / (upper - lower)}.
 */
public record HuWindow(String name, double lower, double upper) {

	/** Soft tissue [-200, 250] HU, the window of seeds 000 and 003. */
	public static final HuWindow SOFT_TISSUE = new HuWindow("soft_tissue", -200, 250);
	/** The wide [-1350, 1000] HU window seed 004 pretrains with. */
	public static final HuWindow WIDE = new HuWindow("wide", -1350, 1000);
	/** Lung: level -600, width 1500. */
	public static final HuWindow LUNG = new HuWindow("lung", -1350, 150);
	/** Bone: level 400, width 1800. */
	public static final HuWindow BONE = new HuWindow("bone", -500, 1300);
	/** Brain: level 40, width 80. */
	public static final HuWindow BRAIN = new HuWindow("brain", 0, 80);
	/** Abdomen (liver) window: level 60, width 400 (a common radiology default). */
	public static final HuWindow ABDOMEN = new HuWindow("abdomen", -140, 260);

	private static final Map<String, HuWindow> PRESETS = new LinkedHashMap<>();

	static {
		for (final HuWindow w : new HuWindow[] { SOFT_TISSUE, WIDE, LUNG, BONE, BRAIN, ABDOMEN })
			PRESETS.put(w.name, w);
	}

	public HuWindow {
		if (!Double.isFinite(lower) || !Double.isFinite(upper) || !(upper > lower))
			throw new IllegalArgumentException("an HU window needs finite lower < upper, got [" + lower +
				", " + upper + "]");
	}

	public static HuWindow custom(final double lower, final double upper) {
		return new HuWindow("custom", lower, upper);
	}

	/** The preset called {@code name} (soft_tissue, wide, lung, bone, brain, abdomen). */
	public static HuWindow preset(final String name) {
		final HuWindow w = PRESETS.get(name.toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_'));
		if (w == null) throw new IllegalArgumentException("unknown HU window preset '" + name +
			"'; known: " + String.join(", ", PRESETS.keySet()) + ", or custom with lower/upper");
		return w;
	}

	public static Map<String, HuWindow> presets() {
		return java.util.Collections.unmodifiableMap(PRESETS);
	}

	public float apply(final double hu) {
		final double c = hu < lower ? lower : hu > upper ? upper : hu;
		return (float) ((c - lower) / (upper - lower));
	}
}
