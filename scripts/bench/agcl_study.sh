#!/usr/bin/env bash
# The AGCL study (seed 002) on the varied phantom cohort (mixed contrast phases, so the phases are
# the conditions of the multi-conditional loss): with 2 and 4 labeled cases (10 % and 20 % of 20)
# and paired seeds,
# - plain: the supervised U-Net on whole volumes, which is also every cascade's coarse model;
# - cascades on 32x32x16 organ patches with an attention channel, segmenting the test cases on
#   plain's coarse segmentation: from random weights with the encoder frozen (rand-frozen) or
#   trained end to end (rand-e2e); the decoder on the frozen encoder of SSCL, CE (organ x phase),
#   AGCL organ-only and AGCL organ x phase pretraining;
# - every cascade twice: trained on oracle attention (the ground truth: .oracle) and on the coarse
#   model's masks, cross-fitted on its own training cases (.model).
# Pretraining runs per fraction and seed on that cell's labeled cases only (study stages), with the
# ground truth as attention. Every arm shares the optimiser, loss, and step budget, fixed before the
# study ran; pretraining has its own budget.
# Resumable: run the same command again to continue.
# usage: scripts/bench/agcl_study.sh [OUT_DIR] [SEEDS] [STEPS] [PRETRAIN_STEPS] [PARALLEL] [FRACTIONS]
#   REPORT_ONLY=1 writes results.csv and the report from the finished cells and trains nothing;
#   COHORT="phantom options" replaces the cohort's size (default --cases 20 --test 10 --grid 96).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-studies/agcl}
seeds=${2:-0,1,2}
steps=${3:-400}
pretrain_steps=${4:-400}
parallel=${5:-2}
fractions=${6:-0.1,0.2}
data="$out/cohort"
if [ ! -f "$data/dataset.json" ]; then
	scripts/voxelseg phantom ${COHORT:---cases 20 --test 10 --grid 96} --variation varied --seed 2002 --out "$data"
fi
data=$(cd "$data" && pwd)
plan="--window soft_tissue --shape 64,64,32"
net="--arch unet --levels 4 --width 8"
patch="--patch 32,32,16"
stage="$net $plan $patch --batch 8 --lr 1e-3 --attention labels --iterations $pretrain_steps --device cpu"
common="$net $plan --loss dice+ce --optimiser adam --lr 3e-3 --schedule poly --weight-decay 1e-5 --no-flips --device cpu"
cascade="$patch --batch 8 --coarse @plain"
arms=(--arm plain="--batch 1")
for attention in oracle model; do
	src=$([ $attention = oracle ] && echo labels || echo @plain)
	arms+=(--arm "rand-frozen.$attention=--mode decoder --attention $src $cascade")
	arms+=(--arm "rand-e2e.$attention=--attention $src $cascade")
	for method in sscl ce agcl-organ agcl-phase; do
		arms+=(--arm "$method.$attention=--mode decoder --init @$method --attention $src $cascade")
	done
done
scripts/voxelseg study --data "$data" --out "$out/study" --fractions "$fractions" --seeds "$seeds" --steps "$steps" \
	--parallel "$parallel" --train "$common" --reference plain ${REPORT_ONLY:+--report-only} \
	--stage sscl="--method sscl $stage" \
	--stage ce="--method ce --conditions $data/cases.json $stage" \
	--stage agcl-organ="--method agcl $stage" \
	--stage agcl-phase="--method agcl --conditions $data/cases.json $stage" \
	"${arms[@]}"
