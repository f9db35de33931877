#!/usr/bin/env bash
# The label-efficiency study on the varied phantom cohort's domain-shift split: labeled cases from
# one distribution (portal-venous, low noise, no pathology), unlabeled and test cases from another
# (all contrast phases, noisier, pathologies). Arms: the plain U-Net, voxel-level Siamese
# representation learning at lambda 0.1 and at the paper's 10, the supervised contrastive baseline,
# the mean teacher (consistency only) and the full semi-supervised method; 10 % and 20 % of the
# labels; paired seeds. Every arm trains the same narrow U-Net on whole volumes at 64x64x32 with
# Adam, batch 1 (semi-supervised: 1 labeled + 1 unlabeled volume) and the same step budget.
# Resumable: run the same command again to continue. The default folder keeps, under version
# control, every finished cell's record and the report (see its .gitignore), so a later run on
# another machine continues where this one stopped.
# usage: scripts/bench/label_efficiency_study.sh [OUT_DIR] [SEEDS] [STEPS] [PARALLEL]
#   REPORT_ONLY=1 writes results.csv and the report from the finished cells and trains nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-studies/label-efficiency}
seeds=${2:-0,1,2,3,4}
steps=${3:-600}
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
	--arm siamese0.1="--representation siamese --lambda 0.1" \
	--arm siamese10="--representation siamese --lambda 10" \
	--arm contrastive="--representation contrastive" \
	--arm meanteacher="$semi --no-adv --no-feature" \
	--arm semi="$semi"
