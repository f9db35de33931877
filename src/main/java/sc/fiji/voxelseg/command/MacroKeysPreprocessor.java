package sc.fiji.voxelseg.command;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Plugin;

/**
 * Refuses a macro call of a VoxelSeg command with a key the command does not have. ImageJ's macro
 * options are read key by key ({@code Macro.getValue}), so a misspelt key is silently ignored and
 * the command would run with the default, or stop on a missing file far from the cause. This runs
 * before imagej-legacy's MacroPreprocessor (priority {@code 2 × VERY_HIGH}) while a macro call's
 * options are set, cancels the command, and reports the unknown keys with the command's keys as
 * any failure is reported (Log window, status bar, exit status 1 in headless Fiji).
 */
@Plugin(type = PreprocessorPlugin.class, priority = 2 * Priority.VERY_HIGH + 1)
public class MacroKeysPreprocessor extends AbstractPreprocessorPlugin {

	@Override
	public void process(final Module module) {
		if (!module.getInfo().getDelegateClassName().startsWith("sc.fiji.voxelseg.")) return;
		final String options = ij.Macro.getOptions();
		if (options == null || options.isBlank()) return;
		final String problem = problem(module, options);
		if (problem == null) return;
		cancel(problem);
		Commands.failed(problem);
	}

	/** What is wrong with {@code options} for the module's command, or null when every key is one of its inputs. */
	static String problem(final Module module, final String options) {
		final List<String> names = new ArrayList<>();
		for (final ModuleItem<?> i : module.getInfo().inputs()) names.add(i.getName().toLowerCase(Locale.ROOT));
		final List<String> unknown = new ArrayList<>();
		for (final String k : keys(options)) if (!names.contains(k.toLowerCase(Locale.ROOT))) unknown.add(k);
		if (unknown.isEmpty()) return null;
		return module.getInfo().getTitle() + ": unknown macro key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown
			.stream().map(k -> "'" + k + "'").toList()) + "; its keys: " + String.join(", ", Commands.keys(module.getInfo()));
	}

	/**
	 * The keys of ImageJ macro options: {@code key=value} words, a value in square brackets when it
	 * holds spaces ({@code path=[/my data/ct.nii.gz]}), and bare words for ticked checkboxes.
	 */
	static List<String> keys(final String options) {
		final List<String> keys = new ArrayList<>();
		final int n = options.length();
		int i = 0;
		while (i < n) {
			while (i < n && Character.isWhitespace(options.charAt(i))) i++;
			if (i >= n) break;
			int j = i;
			while (j < n && !Character.isWhitespace(options.charAt(j)) && options.charAt(j) != '=') j++;
			keys.add(options.substring(i, j));
			if (j < n && options.charAt(j) == '=') {
				j++;
				if (j < n && options.charAt(j) == '[') {
					final int close = options.indexOf(']', j);
					j = close < 0 ? n : close + 1;
				}
				else while (j < n && !Character.isWhitespace(options.charAt(j))) j++;
			}
			i = j;
		}
		return keys;
	}
}
