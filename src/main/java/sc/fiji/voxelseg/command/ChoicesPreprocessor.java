package sc.fiji.voxelseg.command;

import org.scijava.Priority;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Plugin;

/**
 * Holds a VoxelSeg command's choice inputs to their choices however the values came: a dialog
 * offers only the choices, but a macro call (imagej-legacy's MacroPreprocessor) and headless
 * Fiji's {@code --run} set a value without checking it, so a misspelt or bracketed value would
 * otherwise fall through to a default branch. An earlier name listed in the parameter's
 * {@code aliases} attribute becomes its current choice; any other value cancels the command,
 * reported as any failure is (Log window, status bar, exit status 1 in headless Fiji). Runs last,
 * after the input harvester ({@code VERY_LOW}): in a dialog the user picks among the choices
 * (a remembered value that is no longer one of them is not held against the user), and what is
 * checked is what the command will run with.
 */
@Plugin(type = PreprocessorPlugin.class, priority = Priority.VERY_LOW - 1)
public class ChoicesPreprocessor extends AbstractPreprocessorPlugin {

	@Override
	public void process(final Module module) {
		if (!module.getInfo().getDelegateClassName().startsWith("sc.fiji.voxelseg.")) return;
		final String problem = check(module);
		if (problem == null) return;
		cancel(problem);
		Commands.failed(problem);
	}

	/** Puts each aliased choice's current name in place; returns what is wrong, or null. */
	static String check(final Module module) {
		for (final ModuleItem<?> item : module.getInfo().inputs()) {
			if (item.getChoices() == null || item.getChoices().isEmpty() || item.getType() != String.class) continue;
			final Object v = module.getInput(item.getName());
			if (v == null || item.getChoices().contains(v)) continue;
			final String current = CommandRunner.alias(item, v.toString());
			if (current != null) {
				module.setInput(item.getName(), current);
				continue;
			}
			return module.getInfo().getTitle() + ": " + item.getName() + "=" + v + " is not one of: " + String.join(", ", item
				.getChoices().stream().map(Object::toString).toList());
		}
		return null;
	}
}
