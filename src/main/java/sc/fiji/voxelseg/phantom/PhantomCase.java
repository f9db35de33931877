package sc.fiji.voxelseg.phantom;

import java.util.Map;

import sc.fiji.voxelseg.image.Volume;

/**
 * One generated phantom case.
 *
 * @param index case index in the cohort
 * @param id case identifier, e.g. {@code case_003}
 * @param image CT image, int16 HU, axes x, y, z, radiological storage (direction diag(-1, -1, 1))
 * @param labels uint8 label map on the same grid, class table {@code ClassTable.abdomen()}
 * @param organHu the intended mean HU of the homogeneous organs of this case (liver, spleen,
 *          left_kidney cortex, pancreas, gallbladder) before blur and noise
 * @param noiseSd standard deviation of the added Gaussian noise in HU
 * @param parameters everything drawn for the case: variation profile, contrast phase, kernel,
 *          noise, spacing, habitus, field of view, rotation, pathologies with their positions,
 *          metal (absent when there is none), and each tissue's HU (the entries of
 *          {@code cases.json})
 */
public record PhantomCase(int index, String id, Volume image, Volume labels,
	Map<String, Double> organHu, double noiseSd, com.google.gson.JsonObject parameters)
{

	public PhantomCase {
		organHu = Map.copyOf(organHu);
	}
}
