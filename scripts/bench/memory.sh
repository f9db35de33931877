#!/usr/bin/env bash
# The pre-flight memory estimate against the measured peak: for the U-Net and the VNet at their
# default widths, each training regime (supervised, voxel-level Siamese representation, mean
# teacher, the full semi-supervised method), two grids and batches of 1 and 2, three training
# steps through the launcher; the estimate is what the trainer prints before it starts, the peak
# is the process's maximum resident set size (GNU time). Semi-supervised batches hold B labeled
# and B unlabeled volumes, so they are compared with the supervised run of batch 2B as well.
# usage: scripts/bench/memory.sh [OUT_TSV]        (default target/memory.tsv)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/memory.tsv}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/voxelseg phantom --cases 6 --unlabeled 4 --grid 64 --seed 1 --out "$work/cohort" >/dev/null 2>&1
printf "arch\tregime\tgrid\tbatch\testimate_mib\tpeak_mib\tratio\n" > "$out"
for arch in unet vnet; do
	for grid in 32,32,32 64,64,32; do
		for regime in supervised siamese meanteacher semi; do
			for batch in 1 2; do
				extra=()
				case $regime in
					siamese) extra=(--representation siamese) ;;
					meanteacher) extra=(--mode semi --unlabeled-batch "$batch" --no-adv --no-feature --optimiser adam) ;;
					semi) extra=(--mode semi --unlabeled-batch "$batch" --optimiser adam) ;;
				esac
				rm -rf "$work/m" "$work/m".*
				/usr/bin/time -f "PEAK_KB %M" scripts/voxelseg train --data "$work/cohort" --out "$work/m" --arch "$arch" \
					--window soft_tissue --shape "$grid" --batch "$batch" --iterations 3 --val 0 --no-augment "${extra[@]}" \
					> "$work/log" 2>&1 || { echo "failed: $arch $regime $grid $batch" >&2; tail -3 "$work/log" >&2; continue; }
				est=$(grep -o "about [0-9]* MiB needed" "$work/log" | grep -o "[0-9]*" | head -1)
				peak=$(( $(grep -o "PEAK_KB [0-9]*" "$work/log" | grep -o "[0-9]*") / 1024 ))
				ratio=$(/usr/bin/python3 -c "print('%.2f' % ($est / $peak))")
				printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$arch" "$regime" "$grid" "$batch" "$est" "$peak" "$ratio" | tee -a "$out"
			done
		done
	done
done
