package sc.fiji.voxelseg.command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.convert.ConvertService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;

/**
 * Runs VoxelSeg commands Fiji-style, by title and a {@code key=value} string, outside Fiji's
 * macro interpreter: the launcher's {@code --run} and the command tests use it.
 */
public final class CommandRunner {

	private final Context context;
	private final BiFunction<String, Class<?>, Object> objectResolver;

	/**
	 * @param objectResolver turns a string into an input of a type the {@link ConvertService} does
	 *          not know (an {@code ImagePlus} given as a file path, say); returns null if it cannot
	 */
	public CommandRunner(final Context context,
		final BiFunction<String, Class<?>, Object> objectResolver)
	{
		this.context = context;
		this.objectResolver = objectResolver;
	}

	/** The VoxelSeg commands, keyed by title. */
	public Map<String, CommandInfo> commands() {
		final Map<String, CommandInfo> m = new LinkedHashMap<>();
		for (final CommandInfo ci : context.service(CommandService.class).getCommands())
			if (ci.getClassName().startsWith("sc.fiji.voxelseg.")) m.put(ci.getTitle(), ci);
		return m;
	}

	/** The command whose title or menu label is {@code title} (case and a trailing "..." ignored). */
	public CommandInfo find(final String title) {
		final String want = norm(title);
		for (final Map.Entry<String, CommandInfo> e : commands().entrySet()) {
			final CommandInfo ci = e.getValue();
			if (norm(e.getKey()).equals(want) || (ci.getMenuPath() != null && ci.getMenuPath()
				.getLeaf() != null && norm(ci.getMenuPath().getLeaf().getName()).equals(want)))
				return ci;
		}
		throw new IllegalArgumentException("no VoxelSeg command '" + title + "'; known: " + String.join(
			", ", commands().keySet()));
	}

	private static String norm(final String s) {
		return s.toLowerCase(Locale.ROOT).replace("...", "").replace('_', ' ').trim();
	}

	/**
	 * Parses {@code key=value} pairs separated by commas or spaces; a value with spaces or commas
	 * goes in square brackets, as in ImageJ macros ({@code path=[/my data/ct.nii.gz]}), or in
	 * quotes, as headless Fiji's {@code --run} takes it ({@code model="/data/model.zip"}).
	 */
	public static Map<String, String> parse(final String s) {
		final Map<String, String> m = new LinkedHashMap<>();
		int i = 0;
		final int n = s.length();
		while (i < n) {
			while (i < n && (s.charAt(i) == ',' || Character.isWhitespace(s.charAt(i))))
				i++;
			if (i >= n) break;
			final int eq = s.indexOf('=', i);
			if (eq < 0) throw new IllegalArgumentException("expected key=value at '" + s.substring(i) +
				"'");
			final String key = s.substring(i, eq).trim();
			i = eq + 1;
			final String val;
			if (i < n && (s.charAt(i) == '[' || s.charAt(i) == '"' || s.charAt(i) == '\'')) {
				final char open = s.charAt(i), end = open == '[' ? ']' : open;
				final int close = s.indexOf(end, i + 1);
				if (close < 0) throw new IllegalArgumentException("unclosed " + open + " in the value of " + key);
				val = s.substring(i + 1, close);
				i = close + 1;
			}
			else {
				int j = i;
				while (j < n && s.charAt(j) != ',' && !Character.isWhitespace(s.charAt(j)))
					j++;
				val = s.substring(i, j);
				i = j;
			}
			m.put(key, val);
		}
		return m;
	}

	/**
	 * The choice an earlier name stands for, from the parameter's {@code aliases} attribute
	 * ({@code old=current,...}, as {@code PreprocessingPlan.PRESET_ALIASES}), or null. Fiji's
	 * macro preprocessor sets a choice without checking it, so there the command itself resolves
	 * the earlier name; here choices are checked, and an alias is let through as its current name.
	 */
	static String alias(final ModuleItem<?> item, final String value) {
		final String aliases = item.get("aliases");
		if (aliases == null) return null;
		for (final String pair : aliases.split(",")) {
			final String[] kv = pair.split("=");
			if (kv.length == 2 && kv[0].trim().equalsIgnoreCase(value.trim()) && item.getChoices().contains(kv[1].trim()))
				return kv[1].trim();
		}
		return null;
	}

	/** Runs {@code info} with the given inputs; returns the module (outputs via getOutputs). */
	public Module run(final CommandInfo info, final Map<String, String> args) throws Exception {
		final Map<String, Object> inputs = new LinkedHashMap<>();
		final List<String> keys = new ArrayList<>();
		final ConvertService convert = context.service(ConvertService.class);
		for (final ModuleItem<?> item : info.inputs()) {
			keys.add(item.getName());
			final String v = args.get(item.getName());
			if (v == null) continue;
			final Class<?> type = item.getType();
			Object o = objectResolver == null ? null : objectResolver.apply(v, type);
			if (o == null && convert.supports(v, type)) o = convert.convert(v, type);
			if (o == null) throw new IllegalArgumentException("cannot turn '" + v + "' into " + type
				.getSimpleName() + " for " + item.getName());
			if (item.getChoices() != null && !item.getChoices().isEmpty() && !item.getChoices().contains(o)) {
				final String current = alias(item, v);
				if (current == null) throw new IllegalArgumentException(item.getName() + "=" + v + " is not one of " + item.getChoices());
				o = current;
			}
			inputs.put(item.getName(), o);
		}
		for (final String k : args.keySet())
			if (!keys.contains(k)) throw new IllegalArgumentException("command '" + info.getTitle() +
				"' has no parameter '" + k + "'; its parameters: " + keys);
		// All pre- and postprocessors but display: outputs go back to the caller, not to a UI.
		final org.scijava.plugin.PluginService plugins = context.service(
			org.scijava.plugin.PluginService.class);
		// Remembered dialog values are left out too: a call means exactly its keys and the defaults.
		final List<org.scijava.module.process.PreprocessorPlugin> pre = new ArrayList<>();
		for (final org.scijava.module.process.PreprocessorPlugin p : plugins.createInstancesOfType(
			org.scijava.module.process.PreprocessorPlugin.class))
			if (!p.getClass().getSimpleName().contains("LoadInputs") && !p.getClass().getSimpleName()
				.contains("SaveInputs")) pre.add(p);
		final List<org.scijava.module.process.PostprocessorPlugin> post = new ArrayList<>();
		for (final org.scijava.module.process.PostprocessorPlugin p : plugins.createInstancesOfType(
			org.scijava.module.process.PostprocessorPlugin.class))
			if (!p.getClass().getSimpleName().contains("Display")) post.add(p);
		final Module m = context.service(org.scijava.module.ModuleService.class).run(context.service(
			org.scijava.module.ModuleService.class).createModule(info), pre, post, inputs).get();
		if (m instanceof org.scijava.Cancelable c && c.isCanceled()) throw new IllegalStateException(
			info.getTitle() + ": " + (c.getCancelReason() == null ? "cancelled" : c.getCancelReason()));
		return m;
	}
}
