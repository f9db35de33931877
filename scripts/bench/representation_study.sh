#!/usr/bin/env bash
# Issue 4's study: plain 3D U-Net vs + voxel-level Siamese loss (seed 000) vs + supervised
# contrastive baseline, on 10 %, 20 % and 100 % of the phantom training labels, several seeds,
# the same budget; per-organ Dice, HD95 and ASSD on held-out phantom cases.
# usage: scripts/bench/representation_study.sh [OUT_DIR] [CASES TEST SEEDS STEPS GRID FRACTIONS METHODS FIRST_SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/representation-study}
shift || true
bash scripts/build.sh >/dev/null
java -Xmx8g -cp "$(cat target/classpath.txt):target/classes" scripts/bench/RepresentationStudy.java "$out" "$@"
/usr/bin/python3 scripts/bench/representation_summary.py "$out/results.csv"
