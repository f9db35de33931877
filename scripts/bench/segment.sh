#!/usr/bin/env bash
# End-to-end segmentation speed of a CT-sized case: read a 512×512×200 int16 .nii.gz, soft-tissue
# window + trilinear resample to 128×128×64, the seed's 3D U-Net (NetworkConfig.unet(1, 9), seeded
# random weights) on the whole volume, the 9 class probabilities trilinearly back onto 512×512×200
# and their arg-max, write the uint8 label map .nii.gz. VoxelSeg's Predictor against the same
# pipeline in Debian's python3 (nibabel, scipy.ndimage.zoom, torch 1.13 with the same weights and
# thread count), with the share of label voxels on which they agree. Two peers
# (scripts/bench/segment_peer.py):
#   tuned  the strongest a competent user writes in torch 1.13: the window clipped in int16 and
#          scaled after the zoom; the network traced and frozen (batch norm folded) once before
#          the rounds and saved, as a deployment ships it, then in each process loaded,
#          optimize_for_inference'd (oneDNN-prepacked convolutions) and given one untimed
#          profiling pass; channels_last_3d input, inference_mode; the way back and its arg-max in
#          slabs with a one-row halo (bit for bit the whole-volume F.interpolate, never nine
#          full-size maps); ATEN_CPU_CAPABILITY set to the best the host supports (avx512, avx2
#          or default), since torch 1.13 otherwise dispatches AVX2 kernels on an AVX-512 host.
#          The goals (VoxelSeg / peer: time <= 0.80x, peak RSS <= 1.00x) are measured against it.
#   plain  today's eager code (float64 clip, no_grad, all nine maps F.interpolate'd at once),
#          with ATEN_CPU_CAPABILITY unset (torch's default dispatch).
# Each round runs one process per side (VoxelSeg, tuned, plain) in an order shuffled by a
# generator seeded with the round number, printed as it runs, so that the sides share the spells
# of load. A side's figure for a round is the run with the shortest total among its process's
# REPEATS timed runs (each process's first run is cold: JVM / first oneDNN calls; with REPEATS >= 2
# the best is a warm run). The table gives per stage each side's best over the rounds and its
# median over the rounds (stages of those best runs); for the total the ratios of the medians and
# the median and range (min-max) of the per-round ratios VoxelSeg / tuned and VoxelSeg / plain,
# the one to quote being the median per-round ratio to tuned. Peak RSS (VmHWM) is the highest over
# the rounds. After the rounds, SCIPY_REPEATS runs of the tuned-scipy variant (the tuned peer with
# the way back through scipy.ndimage.zoom in the same slabs, single-threaded) give a further column.
# usage: [SIZE="X Y Z"] [ORT=0|1] scripts/bench/segment.sh [ROUNDS] [REPEATS] [THREADS] [SCIPY_REPEATS]
#   ORT=1 (default) adds VoxelSeg with its network run by ONNX Runtime (segment --engine onnxruntime) to each round
#   ROUNDS         rounds (default 5)
#   REPEATS        timed runs per process (default 2)
#   THREADS        libtorch intra-op threads on all sides (default 2)
#   SCIPY_REPEATS  runs of the tuned-scipy peer after the rounds (default 1; 0 skips it)
#   SIZE           the CT's size x y z (default 512 512 200; smaller for a smoke run; the model grid
#                  stays 128×128×64)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
reps=${2:-2}
threads=${3:-2}
scipy_reps=${4:-1}
with_ort=${ORT:-1} # ORT=0 leaves out VoxelSeg with --engine onnxruntime
read -r -a size <<<"${SIZE:-512 512 200}"
for v in "$rounds" "$reps" "$threads"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS, REPEATS and THREADS must be positive integers, not '$v'" >&2; exit 2; }
done
[[ "$scipy_reps" =~ ^[0-9]+$ ]] || { echo "SCIPY_REPEATS must be a whole number, not '$scipy_reps'" >&2; exit 2; }
[ ${#size[@]} -eq 3 ] && [[ "${size[*]}" =~ ^[1-9][0-9]*\ [1-9][0-9]*\ [1-9][0-9]*$ ]] ||
	{ echo "SIZE must be three positive integers (x y z), not '${SIZE:-}'" >&2; exit 2; }
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
quiet() { grep -v AutoNonVariableTypeMode >&2; } # libtorch's deprecation warning

# The tuned peer's ATen CPU capability: the best this host supports (torch 1.13: avx512 needs
# AVX-512 F, VL, BW and DQ; avx2 needs AVX2 and FMA).
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { for f; do [[ "$flags" == *" $f "* ]] || return 1; done; }
if has avx512f avx512vl avx512bw avx512dq; then best_cap=avx512
elif has avx2 fma; then best_cap=avx2
else best_cap=default
fi

java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java make "$work/ct.nii.gz" "${size[@]}" 2> >(quiet)
java -Xmx6g -cp "$cp" scripts/bench/SegmentBench.java bundle "$work/ct.nii.gz" "$work/model" "$work/weights" 2> >(quiet)
# The tuned peer's TorchScript (traced, frozen: batch norm folded), exported once in a process of its
# own, as a deployment ships it; each tuned process loads it, optimises it for inference and makes
# one untimed pass before its timed runs.
env ATEN_CPU_CAPABILITY="$best_cap" /usr/bin/python3 scripts/bench/segment_peer.py export "$work/weights" "$threads" >"$work/export.json"

# side round: writes the side's JSON to $work/<side><round>.json. The peers compare their labels
# with VoxelSeg's (and their model-grid probabilities with VoxelSeg's, written in VoxelSeg's first
# process) once these exist; the tuned peers check their slabs against the whole-volume way back in
# their first process (untimed, after the peak RSS is read).
run_side() {
	local side=$1 r=$2 theirs=- probs=- extra=()
	[ -f "$work/ours.nii.gz" ] && theirs="$work/ours.nii.gz"
	[ -f "$work/probs.raw" ] && probs="$work/probs.raw"
	case "$side" in
		ours)
			java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/SegmentBench.java run "$work/ct.nii.gz" "$work/model" \
				"$work/ours.nii.gz" "$reps" $([ -f "$work/probs.raw" ] || echo "$work/probs.raw") >"$work/ours$r.json" 2> >(quiet) ;;
		ort)
			java -Xmx4g -Dvoxelseg.threads="$threads" -Dbench.engine=onnxruntime -cp "$cp" scripts/bench/SegmentBench.java run \
				"$work/ct.nii.gz" "$work/model" "$work/ours_ort.nii.gz" "$reps" >"$work/ort$r.json" 2> >(quiet) ;;
		tuned | tuned-scipy)
			if [ "$r" = 1 ]; then extra=(verify); fi
			env ATEN_CPU_CAPABILITY="$best_cap" /usr/bin/python3 scripts/bench/segment_peer.py "$work/ct.nii.gz" "$work/weights" \
				"$work/peer_$side.nii.gz" "$threads" "$([ "$side" = tuned ] && echo "$reps" || echo "$scipy_reps")" "$side" "$theirs" \
				"$probs" "${extra[@]}" >"$work/$side$r.json" ;;
		plain)
			env -u ATEN_CPU_CAPABILITY /usr/bin/python3 scripts/bench/segment_peer.py "$work/ct.nii.gz" "$work/weights" \
				"$work/peer_plain.nii.gz" "$threads" "$reps" torch "$theirs" "$probs" >"$work/plain$r.json" ;;
	esac
}

echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) (quiet below ~1.5 on these 2 cores)"
for ((r = 1; r <= rounds; r++)); do
	order=$(/usr/bin/python3 -c 'import random, sys; s = sys.argv[2:]; random.Random("segment round " + sys.argv[1]).shuffle(s); print(*s)' \
		"$r" ours tuned plain $([ "$with_ort" = 1 ] && echo ort))
	echo "round $r of $rounds: $order ($(date +%T))"
	echo "$order" >>"$work/orders"
	for side in $order; do run_side "$side" "$r"; done
done
if [ "$scipy_reps" -gt 0 ]; then
	echo "tuned-scipy peer, $scipy_reps runs ($(date +%T))"
	run_side tuned-scipy 1
fi
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$rounds" "$scipy_reps" "${size[*]}" "$best_cap" "${ATEN_CPU_CAPABILITY-(unset)}" "$reps" <<'PY'
import json, os, statistics, sys
w, rounds, scipy_reps, size, best_cap, env_cap, reps = sys.argv[1:]
rounds, scipy_reps, reps = int(rounds), int(scipy_reps), int(reps)
load = lambda side, r: json.load(open("%s/%s%d.json" % (w, side, r)))
sides = ("ours", "tuned", "plain")
R = {s: [load(s, r) for r in range(1, rounds + 1)] for s in sides}
ORT = [load("ort", r) for r in range(1, rounds + 1)] if os.path.exists("%s/ort1.json" % w) else None
S = load("tuned-scipy", 1) if scipy_reps else None
best_run = lambda res: min(res["runs"], key=lambda x: x["total_s"])
def figure(res, ours):  # the round's figure: its process's best run, VoxelSeg's intensity check counted with preprocessing
    b = dict(best_run(res))
    if ours:
        b["preprocess_s"] = b["check_s"] + b["preprocess_s"]
    return b
F = {s: [figure(x, s == "ours") for x in R[s]] for s in sides}
stages = [("read", "read .nii.gz"), ("preprocess", "window + resample to 128x128x64"), ("network", "U-Net + softmax"),
          ("labels", "probabilities back, arg-max"), ("write", "write .nii.gz"), ("total", "total")]
med = statistics.median
o0, t0, p0 = R["ours"][0], R["tuned"][0], R["plain"][0]
print("%s int16 CT -> 3D U-Net (15.4 M parameters) at 128x128x64 -> %s uint8 labels, %d threads, %d rounds of %d timed runs per process"
      % ("x".join(size.split()), "x".join(size.split()), o0["torch_threads"], rounds, reps))
print("VoxelSeg: libtorch %s via DJL, Java threads %d, ATEN_CPU_CAPABILITY %s; peers: torch %s, %d threads" % (
    o0["engine"], o0["java_threads"], env_cap, t0["torch"], t0["threads"]))
print("  tuned: ATEN_CPU_CAPABILITY=%s (best this host supports) -> CPU capability usage %s; slabs %s; model %s, optimize_for_inference "
      "and the profiling pass untimed (median %.1f s)" % (t0["aten_cpu_capability"], t0["cpu_capability"], t0.get("slabs"), t0["model"],
                                                        med(x["load_s"] for x in R["tuned"])))
print("  plain: ATEN_CPU_CAPABILITY %s -> CPU capability usage %s; eager, no_grad, all nine maps at once" % (p0["aten_cpu_capability"], p0["cpu_capability"]))
print("round orders (seeded shuffles): %s" % "; ".join("%d: %s" % (i + 1, o) for i, o in enumerate(open(w + "/orders").read().split("\n")) if o))
print("per round, a side's figure is its process's best (shortest total) of %d runs; best = min over rounds, median = over rounds" % reps)
print("%-32s %15s %15s %15s %16s%s" % ("stage (seconds)", "VoxelSeg", "tuned peer", "plain peer", "ratio tuned plain",
                                    "   %11s" % "tuned-scipy" if S else ""))
print("%-32s %15s %15s %15s %16s%s" % ("", "best  median", "best  median", "best  median", "(of medians)", "   %11s" % "best" if S else ""))
for k, name in stages:
    col = lambda s: [x[k + "_s"] for x in F[s]]
    line = "%-32s" % name + "".join(" %7.3f %7.3f" % (min(col(s)), med(col(s))) for s in sides)
    line += "   %5.2fx %5.2fx" % (med(col("ours")) / med(col("tuned")), med(col("ours")) / med(col("plain")))
    if S:
        line += "   %11.3f" % best_run(S)[k + "_s"]
    print(line)
ratios = {s: [o["total_s"] / x["total_s"] for o, x in zip(F["ours"], F[s])] for s in ("tuned", "plain")}
for s in ("tuned", "plain"):
    q = ratios[s]
    print("total, per-round VoxelSeg / %-5s: median %.2fx (range %.2f-%.2fx over %d rounds: %s)" % (
        s, med(q), min(q), max(q), rounds, " ".join("%.2f" % v for v in q)))
cold = {s: med(x["runs"][0]["total_s"] for x in R[s]) for s in sides}
print("first timed run of each process (VoxelSeg's and plain's cold; tuned's after its untimed profiling pass), median total: "
      "VoxelSeg %.3f, tuned %.3f, plain %.3f s (%.2fx, %.2fx)" % (
    cold["ours"], cold["tuned"], cold["plain"], cold["ours"] / cold["tuned"], cold["ours"] / cold["plain"]))
rss = {s: max(x["peak_rss"] for x in R[s]) for s in sides}
print("peak RSS (max over rounds): VoxelSeg %.2f GiB, tuned %.2f GiB, plain %.2f GiB%s; VoxelSeg / tuned %.2fx, / plain %.2fx" % (
    rss["ours"] / 2**30, rss["tuned"] / 2**30, rss["plain"] / 2**30, ", tuned-scipy %.2f GiB" % (S["peak_rss"] / 2**30) if S else "",
    rss["ours"] / rss["tuned"], rss["ours"] / rss["plain"]))
print("goals (VoxelSeg / tuned peer): total <= 0.80x -> %.2fx (median per-round ratio); peak RSS <= 1.00x -> %.2fx" % (
    med(ratios["tuned"]), rss["ours"] / rss["tuned"]))
if ORT:
    fo = [figure(x, True) for x in ORT]
    q = [a["total_s"] / b["total_s"] for a, b in zip(fo, F["tuned"])]
    print("VoxelSeg with --engine onnxruntime (%s, %d threads), per round its best of %d runs:" % (ORT[0]["network_engine"],
          ORT[0]["torch_threads"], reps))
    for k, name in stages:
        print("  %-30s best %7.3f median %7.3f   / tuned %5.2fx (of medians)" % (name, min(x[k + "_s"] for x in fo),
              med(x[k + "_s"] for x in fo), med(x[k + "_s"] for x in fo) / med(x[k + "_s"] for x in F["tuned"])))
    print("  total, per-round VoxelSeg (ONNX Runtime) / tuned: median %.2fx (range %.2f-%.2fx: %s); peak RSS %.2f GiB, %.2fx the tuned peer's"
          % (med(q), min(q), max(q), " ".join("%.2f" % v for v in q), max(x["peak_rss"] for x in ORT) / 2**30,
             max(x["peak_rss"] for x in ORT) / rss["tuned"]))
    import nibabel as nib, numpy as np
    a, b = (np.asanyarray(nib.load(f).dataobj) for f in (w + "/ours.nii.gz", w + "/ours_ort.nii.gz"))
    print("  labels: libtorch and ONNX Runtime agree on %d of %d voxels (%d differ)" % (int((a == b).sum()), a.size, int((a != b).sum())))
print("Predictor's NaN/HU check (median %.3f s) counted in VoxelSeg's preprocessing" % med(x["check_s"] for x in F["ours"]))
def checked(side):  # the last round whose peer process found VoxelSeg's outputs (labels are deterministic)
    c = [x for x in (R[side] if side in R else [S]) if "voxels" in x]
    return c[-1] if c else None
for side, name in (("tuned", "tuned"), ("plain", "plain"), ("tuned-scipy", "tuned-scipy")):
    x = checked(side) if side != "tuned-scipy" or S else None
    if side == "tuned-scipy" and not S:
        continue
    if x is None:  # every process of this side ran before VoxelSeg's first: compare the label files left behind
        import nibabel as nib, numpy as np
        a, b = (np.asanyarray(nib.load(f).dataobj) for f in (w + "/ours.nii.gz", w + "/peer_%s.nii.gz" % side))
        x = {"voxels": int(a.size), "differ": int((a != b).sum())}
    print("labels: VoxelSeg and peer (%s) agree on %d of %d voxels (%.6f%%; %d differ)%s" % (
        name, x["voxels"] - x["differ"], x["voxels"], 100.0 * (x["voxels"] - x["differ"]) / x["voxels"], x["differ"],
        "; max |softmax VoxelSeg - %s| on the model grid %.1e" % (name, x["max_abs_prob_diff"]) if "max_abs_prob_diff" in x else ""))
p_any = next((x for x in R["plain"] + R["tuned"] if "model_grid_voxels_margin_below_1e-5" in x), None)
if p_any:
    print("        model-grid voxels whose top two classes are within 1e-5: %d" % p_any["model_grid_voxels_margin_below_1e-5"])
print("        voxels per class (VoxelSeg): %s" % o0["label_counts"])
for x, name in ((t0, "tuned"), (S, "tuned-scipy")):
    if x and "slab_labels_differ_from_whole" in x:
        vals = x.get("slab_values_differ_from_whole", x.get("slab_values_differ_from_whole_class0"))
        print("        %s slabs against the whole-volume way back: %d labels differ%s; preprocessed grid against today's code's: "
              "max |diff| %.1e" % (name, x["slab_labels_differ_from_whole"], "" if vals is None else ", %d values differ%s" % (
                  vals, "" if "slab_values_differ_from_whole" in x else " (class 0)"), x["max_abs_preprocess_diff_vs_plain"]))
oc = lambda s: " ".join("%.2f" % f["other_cores"] for f in F[s])
print("other processes kept cores busy during the rounds' best runs (VoxelSeg: %s; tuned: %s; plain: %s)" % (oc("ours"), oc("tuned"), oc("plain")))
PY
