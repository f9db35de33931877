package sc.fiji.voxelseg.preprocess;

/** How resampling reads between voxels: trilinear for images, nearest neighbour for label maps. */
public enum Interpolation {
	LINEAR, NEAREST
}
