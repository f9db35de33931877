#!/usr/bin/env bash
# Training-step and inference speed and peak memory of the seed's 3D U-Net (4 levels, base 64,
# 1 -> 9 classes, 15.4 M parameters) at 128×128×64, batch 1 and 2: VoxelSeg on DJL's PyTorch engine
# against the same network in Debian's python3-torch 1.13, same thread count, one process per
# measurement (so each peak resident memory is its own). Two PyTorch peers (train_peer.py):
#   tuned  the strongest this torch runs: model and input in channels_last_3d; in training
#          zero_grad(set_to_none=True) and foreach Adam; in inference a traced, frozen module
#          through torch.jit.optimize_for_inference (conv-BN folded, oneDNN-prepacked
#          convolutions) under torch.inference_mode(); ATEN_CPU_CAPABILITY set to the best the
#          host supports (avx512, avx2 or default), since torch 1.13 otherwise picks AVX2 kernels
#          on an AVX-512 host. The goals (VoxelSeg / peer) are measured against this one.
#   plain  today's eager code (NCDHW, zero_grad(), Adam's per-tensor loop, torch.no_grad()), run
#          in the environment as it was (ATEN_CPU_CAPABILITY left alone: default dispatch).
# NCDHW=1 adds a column that times VoxelSeg with its channels-last layout turned off
# (-Dvoxelseg.channelsLast=false); it adds a third more time.
# ROUNDS=R (default 5) repeats everything R times: round r runs every measurement once, the sides
# of each measurement in an order shuffled by a generator seeded with (r, measurement), printed as
# it runs. The table gives per measurement each side's median seconds over the rounds (each round's
# figure is its process's median step), the VoxelSeg / tuned and VoxelSeg / plain ratios of those
# medians, and the median and range (min-max) of the per-round VoxelSeg / tuned ratios; peak RSS
# is the highest over the rounds.
# ALLOCATOR=system (default) runs every side with glibc's malloc, default settings.
# ALLOCATOR=jemalloc runs every side, the peers included, with jemalloc preloaded and its DEFAULT
# settings (MALLOC_CONF unset, whatever the caller's environment holds).
# ALLOCATOR=jemalloc-voxelseg preloads jemalloc with the MALLOC_CONF that VoxelSeg's launcher sets
# (scripts/allocator.sh: decay -1, chosen for VoxelSeg) on every side; not a default-settings run.
# MODES="train infer" (the default) names what is measured; MODES=infer times only inference.
# BATCHES="1 2" (the default) names the batch sizes; BATCHES=1 halves a round's time and more.
# usage: [ROUNDS=R] [ALLOCATOR=system|jemalloc|jemalloc-voxelseg] [MODES=...] [BATCHES=...] [NCDHW=1]
#        scripts/bench/train.sh [STEPS] [THREADS] [X Y Z]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-3}
threads=${2:-2}
shape=("${@:3}")
[ ${#shape[@]} -eq 3 ] || shape=(128 128 64)
bash scripts/build.sh >/dev/null
cp=$(cat target/classpath.txt):target/classes
rounds=${ROUNDS:-5}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, not '$rounds'" >&2; exit 2; }
modes=${MODES:-train infer}
for mode in $modes; do
	[[ "$mode" =~ ^(train|infer)$ ]] || { echo "MODES takes train and infer, not '$mode'" >&2; exit 2; }
done
batches=${BATCHES:-1 2}
for batch in $batches; do
	[[ "$batch" =~ ^[12]$ ]] || { echo "BATCHES takes 1 and 2, not '$batch'" >&2; exit 2; }
done
sides=(ours tuned plain)
[ "${NCDHW:-0}" = 1 ] && sides+=(ncdhw)

# The allocator: every side gets the same environment for it (alloc_env, for env(1)).
. scripts/allocator.sh
allocator=${ALLOCATOR:-system}
case "$allocator" in
	system)
		alloc_env=()
		alloc_desc="glibc malloc, default settings" ;;
	jemalloc | jemalloc-voxelseg)
		lib=$(voxelseg_find_jemalloc)
		[ -n "$lib" ] || { echo "ALLOCATOR=$allocator: libjemalloc.so.2 is not installed (Debian: apt-get install libjemalloc2)" >&2; exit 2; }
		if [ "$allocator" = jemalloc ]; then
			alloc_env=(-u MALLOC_CONF "LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD}")
			alloc_desc="jemalloc ($lib), default settings (MALLOC_CONF unset)"
		else
			conf=$(unset MALLOC_CONF; VOXELSEG_ALLOCATOR=jemalloc voxelseg_use_allocator; echo "$MALLOC_CONF")
			alloc_env=("MALLOC_CONF=$conf" "LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD}")
			alloc_desc="jemalloc ($lib) with VoxelSeg's launcher settings MALLOC_CONF=$conf (not defaults)"
		fi ;;
	*) echo "ALLOCATOR must be system, jemalloc or jemalloc-voxelseg, not '$allocator'" >&2; exit 2 ;;
esac
[ "$allocator" = system ] && [ -n "${LD_PRELOAD:-}${MALLOC_CONF:-}${GLIBC_TUNABLES:-}" ] &&
	alloc_desc+="; NB the environment holds LD_PRELOAD='${LD_PRELOAD:-}' MALLOC_CONF='${MALLOC_CONF:-}' GLIBC_TUNABLES='${GLIBC_TUNABLES:-}'"

# The tuned peer's ATen CPU capability: the best this host supports (torch 1.13: avx512 needs
# AVX-512 F, VL, BW and DQ; avx2 needs AVX2 and FMA).
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { for f; do [[ "$flags" == *" $f "* ]] || return 1; done; }
if has avx512f avx512vl avx512bw avx512dq; then best_cap=avx512
elif has avx2 fma; then best_cap=avx2
else best_cap=default
fi

run_side() { # side mode batch: prints the side's JSON line
	local side=$1 mode=$2 batch=$3
	case "$side" in
		ours) env "${alloc_env[@]}" java -Xmx2g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/TrainBench.java "$mode" "$batch" "$steps" "${shape[@]}" ;;
		ncdhw) env "${alloc_env[@]}" java -Xmx2g -Dvoxelseg.threads="$threads" -Dvoxelseg.channelsLast=false -cp "$cp" scripts/bench/TrainBench.java "$mode" "$batch" "$steps" "${shape[@]}" ;;
		tuned) env "${alloc_env[@]}" ATEN_CPU_CAPABILITY="$best_cap" /usr/bin/python3 scripts/bench/train_peer.py "$mode" "$batch" "$steps" "$threads" "${shape[@]}" tuned ;;
		plain) env "${alloc_env[@]}" /usr/bin/python3 scripts/bench/train_peer.py "$mode" "$batch" "$steps" "$threads" "${shape[@]}" plain ;;
	esac
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((r = 1; r <= rounds; r++)); do
	for mode in $modes; do
		for batch in $batches; do
			order=$(/usr/bin/python3 -c 'import random, sys; s = sys.argv[2:]; random.Random(sys.argv[1]).shuffle(s); print(*s)' \
				"$r $mode $batch" "${sides[@]}")
			echo "round $r, $mode batch $batch: $order" >&2
			for side in $order; do
				out=$(run_side "$side" "$mode" "$batch")
				printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$mode" "$batch" "$side" "$order" "${out##*$'\n'}" >>"$results"
			done
		done
	done
done
/usr/bin/python3 - "$results" "${shape[*]}" "$threads" "$steps" "$rounds" "$alloc_desc" "$best_cap" "${ATEN_CPU_CAPABILITY-(unset)}" "${sides[*]}" <<'PY'
import json, statistics, sys
path, shape, threads, steps, rounds, alloc, best_cap, env_cap, sides = sys.argv[1:]
rounds, sides = int(rounds), sides.split()
res, orders = {}, {}
for line in open(path):
    r, mode, batch, side, order, js = line.rstrip("\n").split("\t")
    res[(mode, int(batch), side, int(r))] = json.loads(js)
    orders[(mode, int(batch), int(r))] = order
meas = [(m, b) for m in ("train", "infer") for b in (1, 2) if (m, b, "ours", 1) in res]
get = lambda m, b, s: [res[(m, b, s, r)] for r in range(1, rounds + 1)]
med = lambda m, b, s: statistics.median(x["median_s"] for x in get(m, b, s))
rss = lambda m, b, s: max(x["peak_rss"] for x in get(m, b, s))
m0, b0 = meas[0]
o, t, p = (get(m0, b0, s)[0] for s in ("ours", "tuned", "plain"))
print("3D U-Net %s params (VoxelSeg) / %s (PyTorch), input %s (x y z), %s threads, median of %s steps per process, %d rounds"
      % (o["params"], t["params"], shape, threads, steps, rounds))
print("VoxelSeg: libtorch %s via DJL, ATEN_CPU_CAPABILITY as in the environment: %s" % (o["engine"], env_cap))
caps = lambda s: sorted({(x["aten_cpu_capability"], x["cpu_capability"]) for m, b in meas for x in get(m, b, s)})
for s, what in (("tuned", "channels_last_3d, set_to_none, foreach Adam; infer: trace+freeze+optimize_for_inference, inference_mode"),
                ("plain", "eager, NCDHW, environment left as it was (default dispatch)")):
    print("peer %-5s: torch %s, %s; ATEN_CPU_CAPABILITY=%s -> torch.__config__.show(): CPU capability usage: %s" % (
        s, t["torch"], what, " / ".join(c[0] for c in caps(s)), " / ".join(c[1] for c in caps(s))))
print("host's best ATen capability: %s; allocator on every side: %s" % (best_cap, alloc))
print("allocator the peers found loaded: %s" % ", ".join(sorted({"%s (MALLOC_CONF %s)" % (x["allocator"], x["malloc_conf"])
                                                                for m, b in meas for s in ("tuned", "plain") for x in get(m, b, s)})))
infer_checks = [x for m, b in meas if m == "infer" for x in get(m, b, "tuned")]
if infer_checks:
    print("tuned inference vs the eager module: max |difference| %.3g (max |output| %.3g); batch norms left in the graph: %d"
          % (max(x["max_abs_diff"] for x in infer_checks), max(x["max_abs_out"] for x in infer_checks),
             max(x["batch_norm_left"] for x in infer_checks)))
names = {(m, b): "%s batch %d" % (m, b) for m, b in meas}
nc = "ncdhw" in sides
print()
print("time, s (median over rounds)")
print("%-14s %9s %9s %9s%s %8s %8s  %s" % ("", "VoxelSeg", "tuned", "plain", " %9s" % "NCDHW" if nc else "", "V/tuned", "V/plain",
                                          "per-round V/tuned: median [min-max]"))
for m, b in meas:
    v, tu, pl = med(m, b, "ours"), med(m, b, "tuned"), med(m, b, "plain")
    pr = [a["median_s"] / c["median_s"] for a, c in zip(get(m, b, "ours"), get(m, b, "tuned"))]
    print("%-14s %9.3f %9.3f %9.3f%s %7.2fx %7.2fx  %.2fx [%.2f-%.2f]" % (names[(m, b)], v, tu, pl,
          " %9.3f" % med(m, b, "ncdhw") if nc else "", v / tu, v / pl, statistics.median(pr), min(pr), max(pr)))
print()
print("peak RSS, GiB (highest over rounds)")
print("%-14s %9s %9s %9s%s %8s %8s" % ("", "VoxelSeg", "tuned", "plain", " %9s" % "NCDHW" if nc else "", "V/tuned", "V/plain"))
for m, b in meas:
    v, tu, pl = rss(m, b, "ours"), rss(m, b, "tuned"), rss(m, b, "plain")
    print("%-14s %9.2f %9.2f %9.2f%s %7.2fx %7.2fx" % (names[(m, b)], v / 2**30, tu / 2**30, pl / 2**30,
          " %9.2f" % (rss(m, b, "ncdhw") / 2**30) if nc else "", v / tu, v / pl))
print("(ratios are VoxelSeg / peer: below 1 means VoxelSeg is faster or smaller; goals against the tuned peer:")
print(" time <= 0.85x, RSS <= 1.0x%s)" % ("; NCDHW: VoxelSeg with -Dvoxelseg.channelsLast=false" if nc else ""))
print()
print("per round (order run, then seconds):")
for m, b in meas:
    for r in range(1, rounds + 1):
        x = {s: res[(m, b, s, r)]["median_s"] for s in sides}
        print("%-14s r%-2d %-24s %s   V/tuned %.2fx" % (names[(m, b)], r, orders[(m, b, r)],
              "  ".join("%s %.3f" % (s, x[s]) for s in sides), x["ours"] / x["tuned"]))
PY
