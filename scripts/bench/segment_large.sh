#!/usr/bin/env bash
# Bounded memory on a large CT: segments a 512×512×600 int16 .nii.gz (157 M voxels) with the bundle
# of scripts/bench/segment.sh (the seed's 3D U-Net, 128×128×64 model grid, same seeded weights)
# through the launcher (scripts/voxelseg segment), and reports wall time and peak resident memory
# (GNU time's maximum RSS, i.e. the process's VmHWM): with the launcher's default heap and with
# -Xmx2g. Optionally the PyTorch peer of segment.sh on the same volume, for comparison.
# usage: scripts/bench/segment_large.sh [THREADS] [PEER]   (PEER: 1 runs the peer too, the default; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
peer=${2:-1}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
quiet() { grep -v AutoNonVariableTypeMode >&2; }
java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java make "$work/ct200.nii.gz" 512 512 200 2> >(quiet)
java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java bundle "$work/ct200.nii.gz" "$work/model" "$work/weights" 2> >(quiet)
java -Xmx8g -cp "$cp" scripts/bench/SegmentBench.java make "$work/ct.nii.gz" 512 512 600 2> >(quiet)
echo "input: $(du -h "$work/ct.nii.gz" | cut -f1) .nii.gz, 512x512x600 int16 ($((512 * 512 * 600 * 2 / 1048576)) MiB of voxels)"
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
for opts in "" "-Xmx2g"; do
	if ! VOXELSEG_JAVA_OPTS="${opts:+$opts }-Dvoxelseg.threads=$threads" /usr/bin/time -f "%e %M" -o "$work/time" \
		scripts/voxelseg segment --model "$work/model" --in "$work/ct.nii.gz" --out "$work/labels.nii.gz" --device cpu \
		--overwrite >"$work/out" 2>"$work/err"; then
		cat "$work/err" >&2
		exit 1
	fi
	sed 's/^/  voxelseg segment: /' "$work/out"
	read -r wall kb <"$work/time"
	awk -v o="${opts:-default}" -v w="$wall" -v k="$kb" 'BEGIN { printf "VoxelSeg launcher, java options %-8s wall %6.1f s (JVM start, model load, read, predict, write), peak RSS %5.2f GiB\n", o, w, k / 1048576 }'
done
if [ "$peer" = 1 ]; then
	res=$(/usr/bin/python3 scripts/bench/segment_peer.py "$work/ct.nii.gz" "$work/weights" "$work/peer.nii.gz" "$threads" 1 torch \
		"$work/labels.nii.gz")
	/usr/bin/python3 - "$res" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
t = r["runs"][0]
print("peer (torch %s, F.interpolate + argmax): total %.1f s (read %.1f, preprocess %.1f, network %.1f, labels %.1f, write %.1f), "
      "peak RSS %.2f GiB" % (r["torch"], t["total_s"], t["read_s"], t["preprocess_s"], t["network_s"], t["labels_s"], t["write_s"],
                             r["peak_rss"] / 2**30))
print("labels: VoxelSeg and peer agree on %d of %d voxels (%d differ)" % (r["voxels"] - r["differ"], r["voxels"], r["differ"]))
PY
fi
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg); machine memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
