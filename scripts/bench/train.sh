#!/usr/bin/env bash
# Training-step and inference speed and peak memory of the seed's 3D U-Net (4 levels, base 64,
# 1 -> 9 classes, 15.4 M parameters) at 128×128×64, batch 1 and 2: VoxelSeg on DJL's PyTorch engine
# against the same network in Debian's python3-torch, same thread count, one process per
# measurement (so each peak resident memory is its own), side by side in one run. A third column
# times VoxelSeg with its channels-last layout turned off (-Dvoxelseg.channelsLast=false: PyTorch's
# NCDHW tensors, which oneDNN reorders around every convolution).
# ROUNDS=R (default 1) repeats every measurement R times, the three sides taking turns, so that
# each side meets the same phases of a machine whose speed drifts; the table then gives the median
# over the rounds and a line per round.
# ALLOCATOR=system (default) runs every side with glibc's malloc; ALLOCATOR=jemalloc runs every side,
# the PyTorch peer included, with jemalloc preloaded as scripts/voxelseg does (scripts/allocator.sh).
# MODES="train infer" (the default) names what is measured; MODES=infer times only inference.
# usage: [ROUNDS=R] [ALLOCATOR=system|jemalloc] [MODES=...] scripts/bench/train.sh [STEPS] [THREADS] [X Y Z]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-3}
threads=${2:-2}
shape=("${@:3}")
[ ${#shape[@]} -eq 3 ] || shape=(128 128 64)
bash scripts/build.sh >/dev/null
cp=$(cat target/classpath.txt):target/classes
rounds=${ROUNDS:-1}
. scripts/allocator.sh
allocator=${ALLOCATOR:-system}
case "$allocator" in
	system) ;;
	jemalloc)
		VOXELSEG_ALLOCATOR=jemalloc voxelseg_use_allocator
		[ "$voxelseg_allocator" = jemalloc ] || { echo "ALLOCATOR=jemalloc: libjemalloc.so.2 is not installed (Debian: apt-get install libjemalloc2)" >&2; exit 2; } ;;
	*) echo "ALLOCATOR must be system or jemalloc, not '$allocator'" >&2; exit 2 ;;
esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, not '$rounds'" >&2; exit 2; }
modes=${MODES:-train infer}
for mode in $modes; do
	[[ "$mode" =~ ^(train|infer)$ ]] || { echo "MODES takes train and infer, not '$mode'" >&2; exit 2; }
done
declare -A res
for mode in train infer; do for batch in 1 2; do for side in ours ncdhw peer; do res[${side}_${mode}_$batch]="[]"; done; done; done
for mode in $modes; do
	for batch in 1 2; do
		for side in ours ncdhw peer; do res[${side}_${mode}_$batch]="["; done
		for ((r = 1; r <= rounds; r++)); do
			sep=$([ "$r" -gt 1 ] && echo "," || true)
			res[ours_${mode}_$batch]+=$sep$(java -Xmx2g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/TrainBench.java "$mode" "$batch" "$steps" "${shape[@]}")
			res[ncdhw_${mode}_$batch]+=$sep$(java -Xmx2g -Dvoxelseg.threads="$threads" -Dvoxelseg.channelsLast=false -cp "$cp" scripts/bench/TrainBench.java "$mode" "$batch" "$steps" "${shape[@]}")
			res[peer_${mode}_$batch]+=$sep$(/usr/bin/python3 scripts/bench/train_peer.py "$mode" "$batch" "$steps" "$threads" "${shape[@]}")
		done
		for side in ours ncdhw peer; do res[${side}_${mode}_$batch]+="]"; done
	done
done
/usr/bin/python3 - "${shape[*]}" "$threads" "$steps" "$allocator" \
	"${res[ours_train_1]}" "${res[peer_train_1]}" "${res[ncdhw_train_1]}" "${res[ours_train_2]}" "${res[peer_train_2]}" "${res[ncdhw_train_2]}" \
	"${res[ours_infer_1]}" "${res[peer_infer_1]}" "${res[ncdhw_infer_1]}" "${res[ours_infer_2]}" "${res[peer_infer_2]}" "${res[ncdhw_infer_2]}" <<'PY'
import json, statistics, sys
shape, threads, steps, allocator = sys.argv[1:5]
rounds = [json.loads(a) for a in sys.argv[5:]]
# per measurement: the median over the rounds of each round's median step, and the highest peak
r = [dict(runs[0], median_s=statistics.median(x["median_s"] for x in runs), peak_rss=max(x["peak_rss"] for x in runs))
     if runs else None for runs in rounds]
first = next(i for i in range(0, len(r), 3) if r[i])
print("3D U-Net %s params (VoxelSeg) / %s (PyTorch), input %s (x y z), %s threads, median of %s steps" % (
    r[first]["params"], r[first + 1]["params"], shape, threads, steps))
print("VoxelSeg: libtorch %s via DJL; peer: torch %s; allocator on both sides: %s" % (r[first]["engine"], r[first + 1]["torch"],
    allocator))
print("%-16s %12s %12s %8s %14s %14s %8s %12s %8s" % ("", "VoxelSeg s", "PyTorch s", "time", "VoxelSeg RSS", "PyTorch RSS", "RSS",
    "NCDHW s", "time"))
names = ["train batch 1", "train batch 2", "infer batch 1", "infer batch 2"]
for i, n in enumerate(names):
    o, p, c = r[3 * i], r[3 * i + 1], r[3 * i + 2]
    if o is None:
        continue
    print("%-16s %12.3f %12.3f %7.2fx %11.2f GiB %11.2f GiB %7.2fx %12.3f %7.2fx" % (n, o["median_s"], p["median_s"],
        o["median_s"] / p["median_s"], o["peak_rss"] / 2**30, p["peak_rss"] / 2**30, o["peak_rss"] / p["peak_rss"],
        c["median_s"], c["median_s"] / p["median_s"]))
print("(time and RSS columns: VoxelSeg / PyTorch; below 1 means VoxelSeg is faster or smaller; NCDHW: VoxelSeg with")
print(" -Dvoxelseg.channelsLast=false, and its time over PyTorch's)")
if len(rounds[first]) > 1:
    print("median of %d rounds, peak RSS the highest; per round, VoxelSeg s / PyTorch s:" % len(rounds[first]))
    for i, n in enumerate(names):
        o, p = rounds[3 * i], rounds[3 * i + 1]
        if not o:
            continue
        print("%-16s %s" % (n, "   ".join("%.3f / %.3f = %.2fx" % (a["median_s"], b["median_s"], a["median_s"] / b["median_s"])
                                         for a, b in zip(o, p))))
PY
