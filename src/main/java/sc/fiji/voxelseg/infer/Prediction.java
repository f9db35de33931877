package sc.fiji.voxelseg.infer;

import java.util.List;

import sc.fiji.voxelseg.image.Volume;

/**
 * A segmentation on the grid of the input image.
 *
 * @param labels the label map (uint8, with the model's class table)
 * @param probabilities one float volume per class (index = class) when asked for, else empty
 * @param seconds wall time of the prediction
 * @param windows network passes run (windows × mirrorings)
 */
public record Prediction(Volume labels, List<Volume> probabilities, double seconds, int windows) {}
