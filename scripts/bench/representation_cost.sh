#!/usr/bin/env bash
# Cost of seed 000's voxel-level representation losses: one training step of the seed's 3D U-Net at
# 128×128×64 (batch 1, 2 threads) plain, with the Siamese loss on the three deepest encoder maps
# (|F| = 3), and with the supervised-contrastive baseline on the same layers, side by side.
# usage: scripts/bench/representation_cost.sh [STEPS] [THREADS] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-3}
threads=${2:-2}
batch=${3:-1}
bash scripts/build.sh >/dev/null
cp=$(cat target/classpath.txt):target/classes
declare -A res
for r in none siamese contrastive; do
	res[$r]=$(java -Xmx3g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/TrainBench.java train "$batch" "$steps" 128 128 64 "$r")
done
/usr/bin/python3 - "$steps" "$threads" "$batch" "${res[none]}" "${res[siamese]}" "${res[contrastive]}" <<'PY'
import json, sys
steps, threads, batch = sys.argv[1:4]
r = [json.loads(a) for a in sys.argv[4:]]
print("3D U-Net training step at 128x128x64, batch %s, %s threads, median of %s steps" % (batch, threads, steps))
print("%-34s %10s %8s %12s" % ("", "s / step", "vs plain", "peak RSS"))
for name, x in zip(["plain (Dice)", "+ Siamese, |F| = 3, lambda 10", "+ contrastive (SCL), |F| = 3"], r):
    print("%-34s %10.3f %7.2fx %9.2f GiB" % (name, x["median_s"], x["median_s"] / r[0]["median_s"], x["peak_rss"] / 2**30))
PY
