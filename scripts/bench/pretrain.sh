#!/usr/bin/env bash
# Speed and peak memory of a self-supervised pretraining step (seed 004): VoxelSeg's trainer with
# the pretraining regime against the same computation in Debian's python3-torch (pretrain_peer.py:
# the same FPN, projection MLP, InfoNCE, restorative head, clipping and Adam), same thread count,
# one process per measurement, the two sides taking turns ROUNDS times; the table gives medians and
# the highest peak resident memory of each side.
# usage: [ROUNDS=R] scripts/bench/pretrain.sh [STEPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-5}
threads=${2:-2}
rounds=${ROUNDS:-3}
bash scripts/build.sh >/dev/null
cp=$(cat target/classpath.txt):target/classes
# name levels width cx cy cz pairs voxels
configs=("study 4 8 32 32 16 4 256" "larger 4 16 64 64 32 4 1024")
results=()
for c in "${configs[@]}"; do
	set -- $c
	name=$1
	shift
	ours="[" peer="["
	for ((r = 1; r <= rounds; r++)); do
		sep=$([ "$r" -gt 1 ] && echo "," || true)
		ours+=$sep$(java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/PretrainBench.java "$steps" "$@")
		peer+=$sep$(/usr/bin/python3 scripts/bench/pretrain_peer.py "$steps" "$threads" "$@")
	done
	results+=("$name|$*|$ours]|$peer]")
done
/usr/bin/python3 - "$threads" "$steps" "${results[@]}" <<'PY'
import json, statistics, sys
threads, steps = sys.argv[1:3]
print("self-supervised pretraining step, %s threads, median over rounds of each run's median of %s steps" % (threads, steps))
print("%-8s %-36s %10s %10s %7s %13s %13s %7s %13s" % ("", "FPN levels,width crop pairs voxels", "VoxelSeg s", "PyTorch s", "time",
      "VoxelSeg RSS", "PyTorch RSS", "RSS", "pre-flight"))
for r in sys.argv[3:]:
    name, cfg, ours, peer = r.split("|")
    o, p = json.loads(ours), json.loads(peer)
    to, tp = statistics.median(x["median_s"] for x in o), statistics.median(x["median_s"] for x in p)
    mo, mp = max(x["peak_rss"] for x in o), max(x["peak_rss"] for x in p)
    est = max(x["estimate"] for x in o)
    print("%-8s %-36s %10.3f %10.3f %6.2fx %10.2f GiB %10.2f GiB %6.2fx %10.2f GiB" % (name, cfg, to, tp, to / tp, mo / 2**30,
          mp / 2**30, mo / mp, est / 2**30))
    print("         per round, VoxelSeg / PyTorch s: %s" % "   ".join("%.3f / %.3f" % (a["median_s"], b["median_s"]) for a, b in zip(o, p)))
print("(VoxelSeg / PyTorch: below 1 means VoxelSeg is faster or smaller; pre-flight: the trainer's memory estimate for the run,")
print(" which refuses a run that does not fit; libtorch %s via DJL against torch %s)" % (
    json.loads(sys.argv[3].split("|")[2])[0]["engine"], json.loads(sys.argv[3].split("|")[3])[0]["torch"]))
PY
