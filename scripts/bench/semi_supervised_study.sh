#!/usr/bin/env bash
# Issue 6's study: seed 003's ablation (supervised only, mean teacher, + L_adv, + L_feature, the
# full method) on the phantom cohort with a share of the training labels, several seeds, the same
# budget; per-organ Dice, Jaccard, HD95 and ASSD on held-out phantom cases, and the cost per step.
# usage: scripts/bench/semi_supervised_study.sh [OUT_DIR] [CASES TEST SEEDS STEPS GRID FRACTIONS VARIANTS ARCH WIDTH LEVELS FIRST_SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/semi-supervised-study}
shift || true
bash scripts/build.sh >/dev/null
java -Xmx8g -cp "$(cat target/classpath.txt):target/classes" scripts/bench/SemiSupervisedStudy.java "$out" "$@"
/usr/bin/python3 scripts/bench/representation_summary.py "$out/results.csv"
