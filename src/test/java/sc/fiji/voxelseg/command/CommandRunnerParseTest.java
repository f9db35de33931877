package sc.fiji.voxelseg.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The key=value strings of the launcher's {@code --run}: ImageJ macro style and headless Fiji's quoted style. */
class CommandRunnerParseTest {

	@Test
	void macroAndQuotedValues() {
		final Map<String, String> want = new LinkedHashMap<>();
		want.put("model", "/data/my model.zip");
		want.put("input", "/data/imagesTs");
		want.put("output", "/data/out, final");
		want.put("device", "cpu");
		assertEquals(want, CommandRunner.parse("model=[/data/my model.zip] input=/data/imagesTs,output='/data/out, final' device=cpu"));
		assertEquals(want, CommandRunner.parse("model=\"/data/my model.zip\",input=\"/data/imagesTs\",output=\"/data/out, final\"," +
			"device=\"cpu\""));
		assertEquals("unclosed \" in the value of model", assertThrows(IllegalArgumentException.class, () -> CommandRunner.parse(
			"model=\"/data")).getMessage());
		assertEquals("expected key=value at 'mirror'", assertThrows(IllegalArgumentException.class, () -> CommandRunner.parse(
			"a=1 mirror")).getMessage());
	}
}
