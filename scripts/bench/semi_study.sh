#!/usr/bin/env bash
# The semi-supervised ablation (seed 003) on the varied phantom cohort's domain-shift split: labeled
# cases from one distribution (portal-venous, low noise, no pathology), unlabeled and test cases
# from another (all contrast phases, noisier, pathologies). Arms, each a train option set:
#   plain        supervised only (the labeled cases alone)
#   meanteacher  the mean teacher: Dice on the labeled volumes + consistency (no L_adv, no L_feature)
#   adv          mean teacher + L_adv (the voxel feature discriminator)
#   feature      mean teacher + L_feature (the BYOL feature term)
#   semi         the full method (mean teacher + L_adv + L_feature), exporting the student
#   semiteacher  the full method, exporting the teacher (which network the bundle should hold)
# with the regime's defaults (teacher input noise, EMA warm-up, element-mean feature loss), 10 %
# and 20 % of the labels, 5 paired seeds, 2000 steps on whole volumes at 64x64x32 (a narrow U-Net,
# batch 1 labeled + 1 unlabeled volume), the same grid and settings as the label-efficiency study.
# Resumable: run the same command again to continue; finished cells are kept under version control
# (see the folder's .gitignore), so a later run on another machine continues where this one stopped.
# usage: scripts/bench/semi_study.sh [OUT_DIR] [SEEDS] [STEPS] [PARALLEL]
#   REPORT_ONLY=1 writes results.csv and the report from the finished cells and trains nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-studies/semi-supervised}
seeds=${2:-0,1,2,3,4}
steps=${3:-2000}
parallel=${4:-2}
data="$out/cohort"
if [ ! -f "$data/dataset.json" ]; then
	scripts/voxelseg phantom --domain-shift --cases 20 --unlabeled 20 --test 10 --grid 128 --seed 2026 --out "$data"
fi
common="--window soft_tissue --shape 64,64,32 --width 8 --batch 1 --loss dice+ce --optimiser adam --lr 3e-3 --schedule poly"
common="$common --weight-decay 1e-5 --no-flips --arch unet"
semi="--mode semi --unlabeled-batch 1"
scripts/voxelseg study --data "$data" --out "$out/study" --withheld drop --fractions 0.1,0.2 --seeds "$seeds" \
	--steps "$steps" --parallel "$parallel" --train "$common" --reference plain ${REPORT_ONLY:+--report-only} \
	--arm plain= \
	--arm meanteacher="$semi --no-adv --no-feature" \
	--arm adv="$semi --no-feature" \
	--arm feature="$semi --no-adv" \
	--arm semi="$semi" \
	--arm semiteacher="$semi --export teacher"
