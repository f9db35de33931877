package sc.fiji.voxelseg.report;

/**
 * A 5×8 pixel font for printable ASCII (32..126): glyphs are 5 columns wide, capitals and digits
 * 7 rows tall, and row 7 holds the descenders of g, j, p, q, y, comma, semicolon and underscore.
 * Characters advance by 6 pixels. Any other character is drawn as {@code ?}.
 */
final class BitmapFont {

	/** Glyph width in font pixels. */
	static final int WIDTH = 5;

	/** Glyph height in font pixels, descender row included. */
	static final int HEIGHT = 8;

	/** Horizontal advance per character in font pixels: the glyph and one blank column. */
	static final int ADVANCE = 6;

	static final char FIRST = 32, LAST = 126;

	/**
	 * Ten hex digits per glyph, from {@code ' '} to {@code '~'}: five columns left to right, one
	 * byte each, bit 0 the top row.
	 */
	private static final String GLYPHS = "" +
		// space ! " # $ % & '
		"0000000000" + "00005f0000" + "0007000700" + "147f147f14" + "242a7f2a12" + "2313086462" +
		"3649552250" + "0005030000" +
		// ( ) * + , - . /
		"001c224100" + "0041221c00" + "14083e0814" + "08083e0808" + "00a0600000" + "0808080808" +
		"0060600000" + "2010080402" +
		// 0 1 2 3 4 5 6 7
		"3e5149453e" + "00427f4000" + "4261514946" + "2141454b31" + "1814127f10" + "2745454539" +
		"3c4a494930" + "0171090503" +
		// 8 9 : ; < = > ?
		"3649494936" + "064949291e" + "0066660000" + "00a6660000" + "0814224100" + "1414141414" +
		"0041221408" + "0201510906" +
		// @ A B C D E F G
		"324979413e" + "7e1111117e" + "7f49494936" + "3e41414122" + "7f4141221c" + "7f49494941" +
		"7f09090901" + "3e4149497a" +
		// H I J K L M N O
		"7f0808087f" + "00417f4100" + "2040413f01" + "7f08142241" + "7f40404040" + "7f020c027f" +
		"7f0408107f" + "3e4141413e" +
		// P Q R S T U V W
		"7f09090906" + "3e4151215e" + "7f09192946" + "4649494931" + "01017f0101" + "3f4040403f" +
		"1f2040201f" + "3f4038403f" +
		// X Y Z [ \ ] ^ _
		"6314081463" + "0708700807" + "6151494543" + "007f414100" + "0204081020" + "0041417f00" +
		"0402010204" + "8080808080" +
		// ` a b c d e f g
		"0001020400" + "2054545478" + "7f48444438" + "3844444420" + "384444487f" + "3854545418" +
		"087e090102" + "18a4a4a47c" +
		// h i j k l m n o
		"7f08040478" + "00447d4000" + "4080847d00" + "7f10284400" + "00417f4000" + "7c04180478" +
		"7c08040478" + "3844444438" +
		// p q r s t u v w
		"fc24242418" + "18242424fc" + "7c08040408" + "4854545420" + "043f444020" + "3c4040207c" +
		"1c2040201c" + "3c4030403c" +
		// x y z { | } ~
		"4428102844" + "1ca0a0a07c" + "4464544c44" + "0008364100" + "00007f0000" + "0041360800" +
		"0804081008";

	private static final byte[] COLUMNS = decode();

	private BitmapFont() {}

	private static byte[] decode() {
		final int n = LAST - FIRST + 1;
		if (GLYPHS.length() != n * WIDTH * 2) throw new IllegalStateException("font table has " +
			GLYPHS.length() + " hex digits, expected " + n * WIDTH * 2);
		final byte[] b = new byte[n * WIDTH];
		for (int i = 0; i < b.length; i++)
			b[i] = (byte) Integer.parseInt(GLYPHS.substring(2 * i, 2 * i + 2), 16);
		return b;
	}

	/** Whether font pixel ({@code col}, {@code row}) of character {@code c} is set. */
	static boolean pixel(final char c, final int col, final int row) {
		if (col < 0 || col >= WIDTH || row < 0 || row >= HEIGHT) return false;
		final char g = c < FIRST || c > LAST ? '?' : c;
		return (COLUMNS[(g - FIRST) * WIDTH + col] >> row & 1) != 0;
	}
}
