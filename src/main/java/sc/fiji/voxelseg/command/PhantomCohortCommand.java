package sc.fiji.voxelseg.command;

import java.io.File;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import sc.fiji.voxelseg.io.TrainingDataset;
import sc.fiji.voxelseg.phantom.PhantomCohort;
import sc.fiji.voxelseg.phantom.PhantomConfig;

/** Writes a synthetic abdominal CT phantom cohort (imagesTr/labelsTr, dataset.json). */
@Plugin(type = Command.class, menuPath = "Plugins>VoxelSeg>Generate Phantom Cohort...",
	label = "Generate Phantom Cohort")
public class PhantomCohortCommand extends ContextCommand {

	@Parameter
	private StatusService status;

	@Parameter(label = "Output folder", style = "directory")
	private File output_dir;

	@Parameter(label = "Cases", min = "1")
	private int cases = 10;

	@Parameter(label = "Seed")
	private long seed = 42;

	@Parameter(label = "In-plane grid (512 = full CT resolution)", min = "16", max = "1024")
	private int grid = 512;

	@Parameter(label = "Noise scale", min = "0")
	private double noise = 1;

	@Parameter(type = ItemIO.OUTPUT)
	private String summary;

	@Override
	public void run() {
		final PhantomConfig cfg = PhantomConfig.defaults().withCases(cases).withSeed(seed).withScale(
			grid / (double) PhantomConfig.FULL_GRID).withNoiseScale(noise);
		final TrainingDataset ds = Commands.call(() -> PhantomCohort.write(cfg, output_dir.toPath(),
			new StatusProgress(status, this::isCanceled)));
		summary = ds.size() + " phantom cases in " + output_dir;
	}
}
