#!/usr/bin/env bash
# Speed and peak memory of a contrastive pretraining step of seed 002 (AGCL): VoxelSeg's trainer
# with the patch regime against the same computation in Debian's python3-torch (agcl_peer.py: the
# same U-Net encoder on two-channel views, global average pooling, projection MLP to 256, SupCon,
# Adam), same thread count, one process per measurement, the two sides taking turns ROUNDS times;
# the table gives medians and the highest peak resident memory of each side.
# usage: [ROUNDS=R] scripts/bench/agcl.sh [STEPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-5}
threads=${2:-2}
rounds=${ROUNDS:-3}
bash scripts/build.sh >/dev/null
cp=$(cat target/classpath.txt):target/classes
# name levels width px py pz patches
configs=("study 4 8 32 32 16 8" "larger 4 16 64 64 32 8")
results=()
for c in "${configs[@]}"; do
	set -- $c
	name=$1
	shift
	ours="[" peer="["
	for ((r = 1; r <= rounds; r++)); do
		sep=$([ "$r" -gt 1 ] && echo "," || true)
		ours+=$sep$(java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/AgclBench.java "$steps" "$@")
		peer+=$sep$(/usr/bin/python3 scripts/bench/agcl_peer.py "$steps" "$threads" "$@")
	done
	results+=("$name|$*|$ours]|$peer]")
done
/usr/bin/python3 - "$threads" "$steps" "${results[@]}" <<'PY'
import json, statistics, sys
threads, steps = sys.argv[1:3]
print("AGCL pretraining step, %s threads, median over rounds of each run's median of %s steps" % (threads, steps))
print("%-8s %-34s %10s %10s %7s %13s %13s %7s" % ("", "U-Net levels,width patch patches", "VoxelSeg s", "PyTorch s", "time",
      "VoxelSeg RSS", "PyTorch RSS", "RSS"))
for r in sys.argv[3:]:
    name, cfg, ours, peer = r.split("|")
    o, p = json.loads(ours), json.loads(peer)
    to, tp = statistics.median(x["median_s"] for x in o), statistics.median(x["median_s"] for x in p)
    mo, mp = max(x["peak_rss"] for x in o), max(x["peak_rss"] for x in p)
    print("%-8s %-34s %10.3f %10.3f %6.2fx %10.2f GiB %10.2f GiB %6.2fx" % (name, cfg, to, tp, to / tp, mo / 2**30, mp / 2**30,
          mo / mp))
    print("         per round, VoxelSeg / PyTorch s: %s" % "   ".join("%.3f / %.3f" % (a["median_s"], b["median_s"]) for a, b in zip(o, p)))
print("(VoxelSeg / PyTorch: below 1 means VoxelSeg is faster or smaller; views of 2B x 2 channels; libtorch %s via DJL against torch %s)"
      % (json.loads(sys.argv[3].split("|")[2])[0]["engine"], json.loads(sys.argv[3].split("|")[3])[0]["torch"]))
PY
