#!/usr/bin/env bash
# Cohort segmentation on Apache Spark against the plain folder `segment`, on one machine:
# a cohort of phantom CTs (default 16, 256x256 in-plane), a 3D U-Net (4 levels, 16 base channels,
# 128x128x64 grid, 1 training step: timing only), one thread per task: libtorch's intra-op threads at 1,
# and Java's common pool, which reads, resamples and takes the arg-max, at parallelism 0, so that
# those stages run on the task's own thread (parallelism P gives the caller P helpers: P + 1 threads).
#   folder 1t : voxelseg segment --in DIR (one process, voxelseg.threads=1)
#   local[1]  : voxelseg segment --spark local[1] (one task at a time, one thread)
#   local[2]  : voxelseg segment --spark local[2] (two tasks at a time, one thread each)
#   folder 2t : voxelseg segment --in DIR with 2 threads (the folder command's own parallelism)
# Every run starts from an empty output folder; wall time is the whole process (JVM and Spark start
# included); job time is what the job reports for itself, from the cases' listing to the last case
# written (model broadcast and each executor's model load included, the Spark session's start not):
# the rate a long cohort runs at; per-case time is the mean of the job's own seconds column; peak
# memory is the process's (in local mode the executor is the driver JVM).
# usage: scripts/bench/spark.sh [CASES] [GRID]
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-16}
grid=${2:-256}
bash scripts/build.sh >/dev/null
bash scripts/build-spark.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/voxelseg phantom --cases 1 --test "$cases" --seed 7 --grid "$grid" --out "$work/cohort" >/dev/null 2>&1
scripts/voxelseg train --data "$work/cohort" --out "$work/model.zip" --arch unet --levels 4 --width 16 --iterations 1 --batch 1 \
	--val 0 --device cpu >/dev/null 2>&1
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # name threads args...
	local name=$1 threads=$2
	shift 2
	rm -rf "$work/out_$name"
	# N threads: libtorch's intra-op threads at N, Java's common pool (reading, resampling, arg-max) at N - 1
	# helpers beside the calling thread
	/usr/bin/time -f "%e %M" -o "$work/time_$name" env VOXELSEG_JAVA_OPTS="-Xmx6g -Dvoxelseg.threads=$threads \
		-Djava.util.concurrent.ForkJoinPool.common.parallelism=$((threads - 1))" \
		scripts/voxelseg segment --model "$work/model.zip" --in "$work/cohort/imagesTs" --out "$work/out_$name" --device cpu "$@" \
		>"$work/log_$name" 2>&1 || { cat "$work/log_$name" >&2; exit 1; }
}
run folder1 1
run local1 1 --spark "local[1]"
run local2 1 --spark "local[2]"
run folder2 2
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$cases" "$grid" <<'PY'
import csv, glob, sys
w, n, grid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def wall(name):
    t, kb = open("%s/time_%s" % (w, name)).read().split()
    return float(t), int(kb) / 1024
def job(name):
    import re
    m = re.search(r"failed \d+ on \S+ in ([0-9.]+) s", open("%s/log_%s" % (w, name)).read())
    return float(m.group(1))
def per_case(name):
    rows = list(csv.DictReader(open(glob.glob("%s/out_%s/_voxelseg/cases.csv/*.csv" % (w, name))[0])))
    assert all(r["status"] == "done" for r in rows) and len(rows) == n, rows
    return sum(float(r["seconds"]) for r in rows) / n
f1, l1, l2, f2 = (wall(x) for x in ("folder1", "local1", "local2", "folder2"))
print("%d phantom CTs (%s in-plane), 3D U-Net 4 levels x 16 channels at 128x128x64, one thread per task" % (n, grid))
j1, j2 = job("local1"), job("local2")
print("%-34s %9s %11s %9s %11s %12s" % ("", "wall s", "cases/min", "job s", "cases/min", "peak MiB"))
for label, (t, m), j in (("folder segment, 1 thread", f1, None), ("Spark local[1], 1 thread per task", l1, j1),
                         ("Spark local[2], 1 thread per task", l2, j2), ("folder segment, 2 threads", f2, None)):
    print("%-34s %9.1f %11.2f %9s %11s %12.0f" % (label, t, 60 * n / t, "%.1f" % j if j else "-", "%.2f" % (60 * n / j) if j else "-", m))
print("throughput local[2] / local[1], job time:  %.2fx" % (j1 / j2))
print("throughput local[2] / local[1], wall time: %.2fx (a fixed %.1f s of JVM and Spark start in each)" % (l1[0] / l2[0],
      ((l1[0] - j1) + (l2[0] - j2)) / 2))
print("overhead local[1] against folder, 1 thread: %+.1f %%" % (100 * (l1[0] / f1[0] - 1)))
print("local[2] against folder, 2 threads:        %.2fx sooner" % (f2[0] / l2[0]))
c1, c2 = per_case("local1"), per_case("local2")
print("per case inside the job: %.2f s (local[1]), %.2f s (local[2])" % (c1, c2))
for cts in (1e4, 1e6):
    for ex in (10, 100, 1000):
        h = cts * c1 / ex / 3600
        print("  %.0e CTs on %4d one-core executors: %9.2f h" % (cts, ex, h))
PY
