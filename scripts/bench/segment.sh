#!/usr/bin/env bash
# End-to-end segmentation speed of a CT-sized case: read a 512×512×200 int16 .nii.gz, soft-tissue
# window + trilinear resample to 128×128×64, the seed's 3D U-Net (NetworkConfig.unet(1, 9), seeded
# random weights) on the whole volume, the 9 class probabilities trilinearly back onto 512×512×200
# and their arg-max, write the uint8 label map .nii.gz. VoxelSeg's Predictor against the same
# pipeline in Debian's python3 (nibabel, scipy.ndimage.zoom, torch 1.13 with the same weights and
# thread count) in one run, with the share of label voxels on which both agree.
# usage: scripts/bench/segment.sh [ROUNDS] [REPEATS] [THREADS] [SCIPY_REPEATS]
#   ROUNDS         rounds of one VoxelSeg process then one peer process, so that both sides see the
#                  same spells of load (default 2)
#   REPEATS        timed runs per process (default 2; the first run of the first round is cold)
#   THREADS        libtorch intra-op threads on both sides (default 2)
#   SCIPY_REPEATS  runs of the peer variant that resamples the probabilities with scipy.ndimage.zoom
#                  instead of torch, after the rounds (default 1; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
reps=${2:-2}
threads=${3:-2}
scipy_reps=${4:-1}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
quiet() { grep -v AutoNonVariableTypeMode >&2; } # libtorch's deprecation warning
java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java make "$work/ct.nii.gz" 512 512 200 2> >(quiet)
java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java bundle "$work/ct.nii.gz" "$work/model" "$work/weights" 2> >(quiet)
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) (quiet below ~1.5 on these 2 cores)"
for r in $(seq 1 "$rounds"); do
	java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/SegmentBench.java run "$work/ct.nii.gz" "$work/model" \
		"$work/ours.nii.gz" "$reps" $([ "$r" = 1 ] && echo "$work/probs.raw") >"$work/ours$r.json" 2> >(quiet)
	/usr/bin/python3 scripts/bench/segment_peer.py "$work/ct.nii.gz" "$work/weights" "$work/peer.nii.gz" \
		"$threads" "$reps" torch "$work/ours.nii.gz" "$work/probs.raw" >"$work/peer$r.json"
done
echo null >"$work/scipy.json"
if [ "$scipy_reps" -gt 0 ]; then
	/usr/bin/python3 scripts/bench/segment_peer.py "$work/ct.nii.gz" "$work/weights" \
		"$work/peer_scipy.nii.gz" "$threads" "$scipy_reps" scipy "$work/ours.nii.gz" >"$work/scipy.json"
fi
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, sys
w, rounds = sys.argv[1], int(sys.argv[2])
def pooled(name):
    r = [json.load(open("%s/%s%d.json" % (w, name, i))) for i in range(1, rounds + 1)]
    return dict(r[0], runs=[x for y in r for x in y["runs"]], peak_rss=max(y["peak_rss"] for y in r))
o, p = pooled("ours"), pooled("peer")
s = json.load(open("%s/scipy.json" % w))
stages = [("read", "read .nii.gz"), ("preprocess", "window + resample to 128x128x64"), ("network", "U-Net + softmax"),
          ("labels", "probabilities back, arg-max"), ("write", "write .nii.gz"), ("total", "total")]
best = lambda r: min(r["runs"], key=lambda x: x["total_s"])
ob, pb = best(o), best(p)
ob = dict(ob, preprocess_s=ob["check_s"] + ob["preprocess_s"])  # Predictor's intensity check counted with preprocessing
print("512x512x200 int16 CT -> 3D U-Net (15.4 M parameters) at 128x128x64 -> 512x512x200 uint8 labels, %d threads" % o["torch_threads"])
print("VoxelSeg: libtorch %s via DJL, Java threads %d; peer: torch %s, %d threads; best of %d runs in %d rounds (and the first, cold run)" % (
    o["engine"], o["java_threads"], p["torch"], p["threads"], len(o["runs"]), rounds))
cols = "%-34s %10s %10s %7s"
print(cols % ("stage", "VoxelSeg s", "peer s", "ratio") + ("   %12s" % "peer scipy s" if s else ""))
for k, name in stages:
    line = "%-34s %10.3f %10.3f %6.2fx" % (name, ob[k + "_s"], pb[k + "_s"], ob[k + "_s"] / pb[k + "_s"])
    if s:
        line += "   %12.3f" % best(s)[k + "_s"]
    print(line)
print("%-34s %10.3f %10.3f %6.2fx" % ("(first run total)", o["runs"][0]["total_s"], p["runs"][0]["total_s"],
                                       o["runs"][0]["total_s"] / p["runs"][0]["total_s"]))
med = lambda r: sorted(x["total_s"] for x in r["runs"])[len(r["runs"]) // 2] if len(r["runs"]) % 2 else \
    sum(sorted(x["total_s"] for x in r["runs"])[len(r["runs"]) // 2 - 1:len(r["runs"]) // 2 + 1]) / 2
print("%-34s %10.3f %10.3f %6.2fx" % ("(median total)", med(o), med(p), med(o) / med(p)))
print("ratio = VoxelSeg / peer (target: total <= 0.80x); Predictor's NaN/HU check (%.3f s) counted in preprocessing" % best(o)["check_s"])
print("labels: VoxelSeg and peer (torch) agree on %d of %d voxels (%.6f%%; %d differ)" % (
    p["voxels"] - p["differ"], p["voxels"], 100.0 * (p["voxels"] - p["differ"]) / p["voxels"], p["differ"]))
if s:
    print("        VoxelSeg and peer (scipy) agree on %d of %d voxels (%.6f%%; %d differ)" % (
        s["voxels"] - s["differ"], s["voxels"], 100.0 * (s["voxels"] - s["differ"]) / s["voxels"], s["differ"]))
print("        max |softmax VoxelSeg - torch| on the model grid %.1e; model-grid voxels whose top two classes are within 1e-5: %d" % (
    p["max_abs_prob_diff"], p["model_grid_voxels_margin_below_1e-5"]))
print("        voxels per class (VoxelSeg): %s" % o["label_counts"])
print("peak RSS: VoxelSeg %.2f GiB, peer (torch) %.2f GiB%s" % (o["peak_rss"] / 2**30, p["peak_rss"] / 2**30,
      ", peer (scipy) %.2f GiB" % (s["peak_rss"] / 2**30) if s else ""))
print("other processes kept %.2f cores busy on average during VoxelSeg's best run, %.2f during the peer's%s "
      "(all runs: %s; %s%s)" % (ob["other_cores"], pb["other_cores"], ", %.2f during the scipy peer's" % best(s)["other_cores"] if s else "",
      " ".join("%.2f" % r["other_cores"] for r in o["runs"]), " ".join("%.2f" % r["other_cores"] for r in p["runs"]),
      "; " + " ".join("%.2f" % r["other_cores"] for r in s["runs"]) if s else ""))
PY
