#!/usr/bin/env bash
# Preprocessing speed: soft-tissue HU window + trilinear resample of a 512×512×200 int16 CT to
# 128×128×64, and reading that volume from .nii.gz, VoxelSeg against Debian's nibabel + scipy
# (ndimage.zoom order 1 after clip) in one run, with a check that both give the same voxels.
# usage: scripts/bench/preprocess.sh [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-5}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
java -Xmx6g -cp "$cp" scripts/bench/PreprocessBench.java make "$work/ct.nii.gz"
ours=$(java -Xmx6g -cp "$cp" scripts/bench/PreprocessBench.java run "$work/ct.nii.gz" "$work/ours.raw" "$reps")
peer=$(/usr/bin/python3 scripts/bench/preprocess_peer.py "$work/ct.nii.gz" "$work/ours.raw" 128 128 64 -200 250 "$reps")
/usr/bin/python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("volume %s %s, .nii.gz, best of repeats" % ("x".join(map(str, p["shape"])), p["dtype"]))
print("%-34s %10s %10s %8s" % ("step", "VoxelSeg s", "peer s", "speed-up"))
print("%-34s %10.3f %10.3f %7.2fx" % ("read .nii.gz (nibabel)", o["read_s"], p["read_s"], p["read_s"] / o["read_s"]))
print("%-34s %10.3f %10.3f %7.2fx" % ("window + resample (scipy zoom o1)", o["preprocess_s"], p["preprocess_s"], p["preprocess_s"] / o["preprocess_s"]))
print("max |VoxelSeg - scipy| = %.2e; VoxelSeg threads %d, scipy single-threaded" % (p["max_abs_diff"], o["threads"]))
PY
