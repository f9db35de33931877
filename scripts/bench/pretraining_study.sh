#!/usr/bin/env bash
# The self-supervised pretraining study (seed 004) on the varied phantom cohort: 200 unlabeled
# phantoms (their own seeds, apart from the 20 labeled and 10 test cases) pretrain a feature
# pyramid network twice, with the full method and with vox2vec's flags (--no-balance --no-restore
# --aug none); a third backbone stays at its random initialisation (one Adam step at lr 1e-30: the
# weights do not move, the batch-norm running statistics take one momentum step towards one batch)
# as the floor of linear evaluation. Then, with 1, 2 and 4 labeled cases
# (fractions 0.05, 0.1 and 0.2 of 20) and paired seeds, the same FPN is trained from scratch, by
# linear evaluation on each backbone, and fine-tuned from each pretrained backbone (frozen for the
# first third of the steps, then the paper's ramp scaled to the budget). Every arm shares the
# optimiser, loss, batch and step budget, fixed before the study ran.
# Resumable: run the same command again to continue; finished pretraining is kept, an interrupted
# one resumes from its checkpoint.
# usage: scripts/bench/pretraining_study.sh [OUT_DIR] [SEEDS] [STEPS] [PRETRAIN_STEPS] [PARALLEL]
#   REPORT_ONLY=1 writes results.csv and the report from the finished cells and trains nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-studies/pretraining}
seeds=${2:-0,1,2}
steps=${3:-400}
pretrain_steps=${4:-3000}
parallel=${5:-2}
data="$out/cohort"
if [ ! -f "$data/dataset.json" ]; then
	scripts/voxelseg phantom --cases 20 --unlabeled 200 --test 10 --variation varied --grid 96 --seed 4004 --out "$data"
fi
plan="--window soft_tissue --shape 64,64,32"
net="--arch fpn --levels 4 --width 8"
# every unlabeled image is a source of views (--val 0: no held-out images; the bundle is the last step's)
backbone="$net --crop 32,32,16 --pairs 4 --voxels 256 --val 0 --device cpu $plan"

# pretrain NAME STEPS OPTIONS...: a backbone, resumed if an earlier run stopped
pretrain() {
	local name=$1 n=$2
	shift 2
	local bundle="$out/$name.zip"
	[ -f "$out/$name.done" ] && return 0
	local resume=""
	[ -f "$out/$name.checkpoint.zip" ] && resume="--resume"
	scripts/voxelseg pretrain --images "$data/imagesUnlabeled" --out "$bundle" --iterations "$n" --checkpoint-every 100 \
		$backbone "$@" $resume
	touch "$out/$name.done"
}
if [ -z "${REPORT_ONLY:-}" ]; then
	mkdir -p "$out"
	pretrain random 1 --lr 1e-30
	# one after the other: two runs side by side on two cores are several times slower each
	pretrain full "$pretrain_steps"
	pretrain vox2vec "$pretrain_steps" --no-balance --no-restore --aug none
fi

common="$net $plan --batch 1 --loss dice+ce --optimiser adam --lr 3e-3 --schedule poly --weight-decay 1e-5 --no-flips"
abs=$(cd "$out" && pwd)
scripts/voxelseg study --data "$data" --out "$out/study" --withheld drop --fractions 0.05,0.1,0.2 --seeds "$seeds" \
	--steps "$steps" --parallel "$parallel" --train "$common" --reference scratch ${REPORT_ONLY:+--report-only} \
	--arm scratch= \
	--arm linear-random="--init $abs/random.zip --mode linear" \
	--arm linear="--init $abs/full.zip --mode linear" \
	--arm linear-vox2vec="--init $abs/vox2vec.zip --mode linear" \
	--arm finetune="--init $abs/full.zip" \
	--arm finetune-vox2vec="--init $abs/vox2vec.zip"
