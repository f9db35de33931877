package sc.fiji.voxelseg.image;

/**
 * One class of a label map: its voxel value, a name and a display colour ({@code 0xRRGGBB}).
 */
public record LabelClass(int index, String name, int rgb) {

	public LabelClass {
		if (index < 0) throw new IllegalArgumentException("class index must be >= 0, got " + index);
		if (name == null || name.isBlank()) throw new IllegalArgumentException(
			"class " + index + " has no name");
	}

	public int red() {
		return (rgb >> 16) & 0xff;
	}

	public int green() {
		return (rgb >> 8) & 0xff;
	}

	public int blue() {
		return rgb & 0xff;
	}

	public String hexColour() {
		return String.format("#%06x", rgb & 0xffffff);
	}
}
