#!/usr/bin/env bash
# Preprocessing speed: soft-tissue HU window + trilinear resample of a 512×512×200 int16 CT to
# 128×128×64, and reading that volume from .nii.gz, VoxelSeg against Debian's nibabel + scipy, with
# a check that all give the same voxels. The scipy peers (scripts/bench/preprocess_peer.py):
#   tuned     one thread, as a competent user writes it: clip in int16 in place, ndimage.zoom
#             (order 1, grid_mode, mode 'nearest') of the int16 to float32 on the C-ordered view,
#             the window's scale and offset after the zoom
#   threaded  the same split into slabs of z slices on as many threads as processors
#   untuned   the former peer (clip with float bounds into float64, window, zoom), for continuity
# VoxelSeg runs in two JVMs: one thread (Java's common pool without workers, one GC thread) against
# the one-thread peers, and its default (all processors) against the threaded peer. All sides are
# long-lived workers, warmed up before timing; each round runs every side once, in a random order
# (seeded, printed), and keeps the best of REPEATS back-to-back runs per side.
# usage: scripts/bench/preprocess.sh [ROUNDS [REPEATS [SEED]]]   (defaults 7, 3, random)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
reps=${2:-3}
seed=${3:-$((RANDOM * 32768 + RANDOM))}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
java -Xmx6g -cp "$cp" scripts/bench/PreprocessBench.java make "$work/ct.nii.gz"
/usr/bin/python3 - "$work" "$cp" "$rounds" "$reps" "$seed" "$(nproc)" <<'PY'
import json, random, statistics, subprocess, sys
work, cp, rounds, reps, seed, procs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ct = work + "/ct.nii.gz"


class Worker:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.cmd, self.info = cmd, None

    def recv(self):
        line = self.p.stdout.readline()
        if not line:
            sys.exit("worker ended without an answer: %s (exit %s)" % (" ".join(self.cmd), self.p.wait()))
        return json.loads(line)

    def run(self, task, n):
        self.p.stdin.write("%s %d\n" % (task, n))
        self.p.stdin.flush()
        return self.recv()

    def close(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()
        self.p.wait()


java = ["java", "-Xmx6g", "-cp", cp, "scripts/bench/PreprocessBench.java", "serve", ct]
one = ["-Dvoxelseg.threads=1", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=0",
       "-XX:ParallelGCThreads=1", "-XX:ConcGCThreads=1"]
j1 = Worker(java[:1] + one + java[1:] + [work + "/ours1.raw"])
jn = Worker(java + [work + "/oursN.raw"])
j1.info, jn.info = j1.recv(), jn.recv()
peer = Worker(["/usr/bin/python3", "scripts/bench/preprocess_peer.py", ct, work + "/ours1.raw",
               "128", "128", "64", "-200", "250", str(procs)])
peer.info = peer.recv()
same = open(work + "/ours1.raw", "rb").read() == open(work + "/oursN.raw", "rb").read()

# (side label, worker, task)
sides = {"VoxelSeg read (1 thread)": (j1, "read"), "nibabel read": (peer, "read"),
         "VoxelSeg 1 thread": (j1, "preprocess"), "VoxelSeg %d threads" % jn.info["threads"]: (jn, "preprocess"),
         "scipy tuned": (peer, "tuned"), "scipy threaded": (peer, "threaded"), "scipy untuned": (peer, "plain")}
names = list(sides)
rng = random.Random(seed)
best = {k: [] for k in names}
wall = {k: 0.0 for k in names}
cpu = {k: 0.0 for k in names}
load0 = open("/proc/loadavg").read().split()[:3]
print("seed %d; %d rounds, best of %d back-to-back runs per side per round" % (seed, rounds, reps))
for r in range(rounds):
    order = names[:]
    rng.shuffle(order)
    print("round %d: %s" % (r + 1, ", ".join(order)), flush=True)
    for k in order:
        w, task = sides[k]
        res = w.run(task, reps)
        best[k].append(min(res["s"]))
        wall[k] += sum(res["s"])
        cpu[k] += res["cpu_s"]
load1 = open("/proc/loadavg").read().split()[:3]
for w in (j1, jn, peer):
    w.close()

nt = "VoxelSeg %d threads" % jn.info["threads"]
rows = [("read .nii.gz, 1 thread each", "VoxelSeg read (1 thread)", "nibabel read"),
        ("window + resample, 1 thread: tuned scipy", "VoxelSeg 1 thread", "scipy tuned"),
        ("window + resample, %d threads: tuned scipy" % jn.info["threads"], nt, "scipy threaded"),
        ("(untuned scipy, 1 thread, vs VoxelSeg %d threads)" % jn.info["threads"], nt, "scipy untuned")]
p = peer.info
print()
print("volume %s %s, .nii.gz -> 128x128x64 float32, window [-200, 250] -> [0, 1]; load average %s before, %s after" % (
    "x".join(map(str, p["shape"])), p["dtype"], " ".join(load0), " ".join(load1)))
print("%-50s %10s %10s %9s %25s" % ("comparison (ratio = peer s / VoxelSeg s)", "VoxelSeg s", "peer s", "ratio of", "per-round ratio"))
print("%-50s %10s %10s %9s %25s" % ("", "median", "median", "medians", "median [min-max]"))
med = statistics.median
summary = {}
for label, o, q in rows:
    ratios = [b / a for a, b in zip(best[o], best[q])]
    summary[label] = med(ratios)
    print("%-50s %10.4f %10.4f %8.2fx %9.2fx [%.2fx-%.2fx]" % (label, med(best[o]), med(best[q]), med(best[q]) / med(best[o]),
                                                            med(ratios), min(ratios), max(ratios)))
print("cores busy while timed (process CPU / wall): " + ", ".join("%s %.2f" % (k, cpu[k] / wall[k]) for k in names))
d = p["max_abs_diff"]
print("max |VoxelSeg - scipy|: tuned %.1e, threaded %.1e, untuned %.1e (threaded vs tuned %.1e); VoxelSeg 1 thread %s VoxelSeg %d threads" % (
    d["tuned"], d["threaded"], d["plain"], p["threaded_vs_tuned"], "==" if same else "DIFFERS FROM", jn.info["threads"]))
print("against the strongest scipy peer at each thread count: %.2fx at 1 thread, %.2fx at %d threads (median per-round ratios; goal >= 5x)" % (
    summary[rows[1][0]], summary[rows[2][0]], jn.info["threads"]))
ok = max(d.values()) <= 1e-5 and same
print("outputs agree" if ok else "OUTPUTS DIFFER")
sys.exit(0 if ok else 1)
PY
