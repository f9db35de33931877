#!/usr/bin/env bash
# Segmentation metrics speed: per-class Dice, Jaccard, HD, HD95 and ASSD (MedPy's definitions) of
# a predicted 512×512×200 label map with 8 organs against its ground truth, VoxelSeg against
# scipy.ndimage the way MedPy computes them (whole volume per class) and against scipy on the
# same class bounding boxes VoxelSeg uses, in one run, with a check that all give the same values
# (Dice to 1e-9, distances to 0.01 mm).
# usage: scripts/bench/metrics.sh [REPEATS [MEDPY_REPEATS]]   (defaults 3 and 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
medpy_reps=${2:-1}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
java -Xmx6g -cp "$cp" scripts/bench/MetricsBench.java make "$work"
java -Xmx6g -cp "$cp" scripts/bench/MetricsBench.java run "$work" "$reps" >"$work/ours.json"
/usr/bin/python3 scripts/bench/metrics_peer.py "$work/spec.json" "$work/ours.json" "$reps" "$medpy_reps" >"$work/peer.json"
/usr/bin/python3 - "$work/spec.json" "$work/ours.json" "$work/peer.json" <<'PY'
import json, sys
spec, o, p = (json.load(open(f)) for f in sys.argv[1:4])
print("label maps %s uint8, spacing %s mm, 8 organs; MedPy convention" % (
    "x".join(map(str, spec["dims"])), "x".join("%.3f" % s for s in spec["spacing"])))
print("%-10s %-11s %9s %9s %9s %9s %9s" % ("class", "status", "Dice", "HD95 mm", "HD mm", "ASSD mm", "pred vox"))
for k, c in o["classes"].items():
    print("%-10s %-11s %9.4f %9.3f %9.3f %9.3f %9d" % (c["name"][:10], c["status"], c["dice"], c["hd95"], c["hd"], c["assd"], c["pred"]))
print()
print("%-52s %10s %10s %8s" % ("all 8 classes", "VoxelSeg s", "peer s", "speed-up"))
print("%-52s %10.3f %10.3f %7.1fx" % ("vs scipy the MedPy way (whole volume per class)", o["best_s"], p["medpy_s"], p["medpy_s"] / o["best_s"]))
print("%-52s %10.3f %10.3f %7.1fx" % ("vs scipy on the grown class bounding boxes", o["best_s"], p["boxed_s"], p["boxed_s"] / o["best_s"]))
print("VoxelSeg best of %d runs (median %.3f s) on %d threads; scipy single-threaded, best of %d (boxed) and %d (MedPy way)" % (
    o["runs"], o["median_s"], o["threads"], p["boxed_runs"], p["medpy_runs"]))
d, b = p["vs_voxelseg"], p["boxed_vs_medpy"]
print("max |VoxelSeg - scipy|: Dice/Jaccard %.1e, distances %.1e mm, status mismatches %d (boxed vs whole: %.1e, %.1e mm)" % (
    d["dice"], d["distance"], d["status_mismatch"], b["dice"], b["distance"]))
ok = d["dice"] <= 1e-9 and d["distance"] <= 0.01 and d["status_mismatch"] == 0 and b["status_mismatch"] == 0
print("values agree" if ok else "VALUES DIFFER")
sys.exit(0 if ok else 1)
PY
