package sc.fiji.voxelseg.image;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * The class table of a label map: voxel value -> name and colour. Index 0 is background. Indices
 * need not be contiguous, but each appears once.
 */
public final class ClassTable {

	/** The eight abdominal organs of the seeds' multi-organ CT task, with background. */
	public static final List<String> ABDOMEN_ORGANS = List.of("spleen", "left_kidney",
		"gallbladder", "esophagus", "liver", "stomach", "pancreas", "duodenum");

	private final TreeMap<Integer, LabelClass> classes = new TreeMap<>();

	public ClassTable(final List<LabelClass> list) {
		for (final LabelClass c : list) {
			if (classes.put(c.index(), c) != null) throw new IllegalArgumentException(
				"class index " + c.index() + " appears twice in the class table");
		}
		if (classes.isEmpty()) throw new IllegalArgumentException("a class table needs at least one class");
	}

	/** Background (0) followed by the given names as 1..n, coloured with {@link #distinctColour}. */
	public static ClassTable of(final List<String> foregroundNames) {
		final List<LabelClass> list = new ArrayList<>();
		list.add(new LabelClass(0, "background", 0x000000));
		for (int i = 0; i < foregroundNames.size(); i++)
			list.add(new LabelClass(i + 1, foregroundNames.get(i), distinctColour(i + 1)));
		return new ClassTable(list);
	}

	/** The table for the phantom cohort and the seeds' eight-organ task. */
	public static ClassTable abdomen() {
		return of(ABDOMEN_ORGANS);
	}

	/** Classes 0..maxIndex named {@code class_i}, for label maps without a table. */
	public static ClassTable generic(final int maxIndex) {
		final List<String> names = new ArrayList<>();
		for (int i = 1; i <= maxIndex; i++)
			names.add("class_" + i);
		return of(names);
	}

	public List<LabelClass> classes() {
		return Collections.unmodifiableList(new ArrayList<>(classes.values()));
	}

	public int size() {
		return classes.size();
	}

	public int maxIndex() {
		return classes.lastKey();
	}

	public boolean contains(final int index) {
		return classes.containsKey(index);
	}

	public LabelClass get(final int index) {
		final LabelClass c = classes.get(index);
		if (c == null) throw new IllegalArgumentException("label value " + index +
			" is not in the class table " + names());
		return c;
	}

	public Map<Integer, String> names() {
		final Map<Integer, String> m = new TreeMap<>();
		classes.forEach((k, v) -> m.put(k, v.name()));
		return m;
	}

	/**
	 * A colour for class {@code i} that stays distinct from its neighbours: a fixed palette for the
	 * first classes, then golden-angle hues.
	 */
	public static int distinctColour(final int i) {
		final int[] palette = { 0x000000, 0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231,
			0x911eb4, 0x46f0f0, 0xf032e6, 0xbcf60c, 0xfabebe, 0x008080, 0xe6beff, 0x9a6324,
			0xfffac8, 0x800000, 0xaaffc3, 0x808000, 0xffd8b1, 0x000075 };
		if (i < palette.length) return palette[i];
		return hsv((i * 0.618033988749895) % 1.0, 0.75, 0.95);
	}

	private static int hsv(final double h, final double s, final double v) {
		final double hh = h * 6;
		final int sector = (int) Math.floor(hh) % 6;
		final double f = hh - Math.floor(hh);
		final double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
		final double[][] rgb = { { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v },
			{ v, p, q } };
		final double[] c = rgb[sector];
		return ((int) Math.round(c[0] * 255) << 16) | ((int) Math.round(c[1] * 255) << 8) |
			(int) Math.round(c[2] * 255);
	}

	/** The table as JSON: {@code [{"index": 0, "name": "background", "colour": "#000000"}, ...]}. */
	public JsonArray toJson() {
		final JsonArray arr = new JsonArray();
		for (final LabelClass c : classes.values()) {
			final JsonObject o = new JsonObject();
			o.addProperty("index", c.index());
			o.addProperty("name", c.name());
			o.addProperty("colour", c.hexColour());
			arr.add(o);
		}
		return arr;
	}

	/**
	 * A table from the JSON that {@link #toJson} writes; a missing colour gets a distinct one.
	 *
	 * @throws IllegalArgumentException if an entry lacks its index or name
	 */
	public static ClassTable fromJson(final JsonArray arr) {
		final List<LabelClass> list = new ArrayList<>();
		for (final JsonElement e : arr) {
			final JsonObject c = e.getAsJsonObject();
			if (!c.has("index") || !c.has("name")) throw new IllegalArgumentException("class table entry " + c + " needs an index and a name");
			final int index = c.get("index").getAsInt();
			final int rgb = c.has("colour") ? Integer.parseInt(c.get("colour").getAsString().substring(1), 16) : distinctColour(index);
			list.add(new LabelClass(index, c.get("name").getAsString(), rgb));
		}
		return new ClassTable(list);
	}

	/** How this table differs from {@code other}, e.g. "3: gallbladder vs liver; 9 only here"; empty if equal. */
	public String difference(final ClassTable other) {
		final List<String> d = new ArrayList<>();
		final java.util.TreeSet<Integer> all = new java.util.TreeSet<>(classes.keySet());
		all.addAll(other.classes.keySet());
		for (final int i : all) {
			final LabelClass a = classes.get(i), b = other.classes.get(i);
			if (a == null) d.add(i + " (" + b.name() + ") only in the other");
			else if (b == null) d.add(i + " (" + a.name() + ") only here");
			else if (!a.name().equals(b.name())) d.add(i + ": " + a.name() + " vs " + b.name());
		}
		return String.join("; ", d);
	}

	@Override
	public boolean equals(final Object o) {
		return o instanceof ClassTable t && t.classes.equals(classes);
	}

	@Override
	public int hashCode() {
		return classes.hashCode();
	}

	@Override
	public String toString() {
		return names().toString();
	}
}
