#!/usr/bin/env bash
# Segmentation metrics speed: per-class Dice, Jaccard, HD, HD95 and ASSD (MedPy's definitions) of
# a predicted 512×512×200 label map with 8 organs against its ground truth, VoxelSeg on one thread
# and on all processors against single-threaded scipy.ndimage (its erosion and distance transform
# hold the GIL) two ways (scripts/bench/metrics_peer.py):
#   boxed   the strongest peer: the same class bounding boxes VoxelSeg uses, found with
#           ndimage.find_objects, on the C-ordered views
#   MedPy   whole volume per class, as medpy.metric.binary does (minutes a run, so only in the
#           first MEDPY_ROUNDS rounds)
# with a check that all give the same values (Dice to 1e-9, distances to 0.01 mm). VoxelSeg runs in
# two JVMs: one thread (MetricOptions threads 1, one GC thread) and its default (all processors).
# All sides are long-lived workers, warmed up before timing; each round runs every side once, in a
# random order (seeded, printed).
# usage: scripts/bench/metrics.sh [ROUNDS [MEDPY_ROUNDS [SEED]]]   (defaults 5, 1, random)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
medpy_rounds=${2:-1}
seed=${3:-$((RANDOM * 32768 + RANDOM))}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
java -Xmx6g -cp "$cp" scripts/bench/MetricsBench.java make "$work"
/usr/bin/python3 - "$work" "$cp" "$rounds" "$medpy_rounds" "$seed" <<'PY'
import json, random, statistics, subprocess, sys
work, cp, rounds, medpy_rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


class Worker:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.cmd = cmd
        self.info = self.recv()

    def recv(self):
        line = self.p.stdout.readline()
        if not line:
            sys.exit("worker ended without an answer: %s (exit %s)" % (" ".join(self.cmd), self.p.wait()))
        return json.loads(line)

    def run(self, task, n=1):
        self.p.stdin.write(("%s %d\n" % (task, n)) if n else task + "\n")
        self.p.stdin.flush()
        return self.recv()

    def close(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()
        self.p.wait()


java = ["java", "-Xmx6g", "-cp", cp, "scripts/bench/MetricsBench.java", "serve", work]
one = ["-XX:ParallelGCThreads=1", "-XX:ConcGCThreads=1"]
j1 = Worker(java[:1] + one + java[1:] + ["1", work + "/ours1.json"])
jn = Worker(java + ["0", work + "/ours.json"])
peer = Worker(["/usr/bin/python3", "scripts/bench/metrics_peer.py", work + "/spec.json", work + "/ours.json"])
same = open(work + "/ours1.json").read() == open(work + "/ours.json").read()
nt = jn.info["threads"]
all_name = "VoxelSeg %d threads" % nt
sides = {"VoxelSeg 1 thread": (j1, "evaluate"), all_name: (jn, "evaluate"), "scipy boxed": (peer, "boxed"),
         "scipy MedPy way": (peer, "medpy")}
rng = random.Random(seed)
times = {k: [None] * rounds for k in sides}
wall = {k: 0.0 for k in sides}
cpu = {k: 0.0 for k in sides}
load0 = open("/proc/loadavg").read().split()[:3]
print("seed %d; %d rounds (the MedPy way in the first %d), one run per side per round" % (seed, rounds, min(medpy_rounds, rounds)))
for r in range(rounds):
    order = [k for k in sides if k != "scipy MedPy way" or r < medpy_rounds]
    rng.shuffle(order)
    print("round %d: %s" % (r + 1, ", ".join(order)), flush=True)
    for k in order:
        w, task = sides[k]
        res = w.run(task)
        times[k][r] = res["s"][0]
        wall[k] += sum(res["s"])
        cpu[k] += res["cpu_s"]
load1 = open("/proc/loadavg").read().split()[:3]
check = peer.run("check", 0)
for w in (j1, jn, peer):
    w.close()

spec = json.load(open(work + "/spec.json"))
o = json.load(open(work + "/ours.json"))
print()
print("label maps %s uint8, spacing %s mm, 8 organs; MedPy convention; load average %s before, %s after" % (
    "x".join(map(str, spec["dims"])), "x".join("%.3f" % s for s in spec["spacing"]), " ".join(load0), " ".join(load1)))
print("%-10s %-11s %9s %9s %9s %9s %9s" % ("class", "status", "Dice", "HD95 mm", "HD mm", "ASSD mm", "pred vox"))
for k, c in o["classes"].items():
    print("%-10s %-11s %9.4f %9.3f %9.3f %9.3f %9d" % (c["name"][:10], c["status"], c["dice"], c["hd95"], c["hd"], c["assd"], c["pred"]))
print()
rows = [("1 thread: scipy on the class boxes", "VoxelSeg 1 thread", "scipy boxed"),
        ("%d threads: scipy on the class boxes (1 thread)" % nt, all_name, "scipy boxed"),
        ("1 thread: scipy the MedPy way (whole volume)", "VoxelSeg 1 thread", "scipy MedPy way"),
        ("%d threads: scipy the MedPy way (1 thread)" % nt, all_name, "scipy MedPy way")]
med = statistics.median
print("%-48s %6s %10s %10s %9s %25s" % ("all 8 classes (ratio = peer s / VoxelSeg s)", "rounds", "VoxelSeg s", "peer s", "ratio of", "per-round ratio"))
print("%-48s %6s %10s %10s %9s %25s" % ("", "", "median", "median", "medians", "median [min-max]"))
summary = {}
for label, a, b in rows:
    pairs = [(x, y) for x, y in zip(times[a], times[b]) if x is not None and y is not None]
    if not pairs:
        continue
    ratios = [y / x for x, y in pairs]
    ma, mb = med([x for x, _ in pairs]), med([y for _, y in pairs])
    summary[label] = med(ratios)
    print("%-48s %6d %10.3f %10.3f %8.1fx %9.1fx [%.1fx-%.1fx]" % (label, len(pairs), ma, mb, mb / ma, med(ratios), min(ratios), max(ratios)))
print("cores busy while timed (process CPU / wall): " + ", ".join("%s %.2f" % (k, cpu[k] / wall[k]) for k in sides if wall[k]))
print("against the strongest scipy peer (the class boxes, single-threaded): %.1fx with VoxelSeg on 1 thread, %.1fx on %d threads (median per-round ratios; goal >= 5x)" % (
    summary[rows[0][0]], summary[rows[1][0]], nt))
d = check["boxed_vs_voxelseg"]
line = "max |VoxelSeg - scipy boxed|: Dice/Jaccard %.1e, distances %.1e mm, status mismatches %d" % (d["dice"], d["distance"], d["status_mismatch"])
ds = [d]
if "medpy_vs_voxelseg" in check:
    m, b = check["medpy_vs_voxelseg"], check["boxed_vs_medpy"]
    ds += [m, b]
    line += "; MedPy way: %.1e, %.1e mm, %d (boxed vs MedPy way: %.1e, %.1e mm, %d)" % (
        m["dice"], m["distance"], m["status_mismatch"], b["dice"], b["distance"], b["status_mismatch"])
print(line)
print("VoxelSeg on 1 thread and on %d threads: %s values" % (nt, "the same" if same else "DIFFERENT"))
ok = all(x["dice"] <= 1e-9 and x["distance"] <= 0.01 and x["status_mismatch"] == 0 for x in ds) and same
print("values agree" if ok else "VALUES DIFFER")
sys.exit(0 if ok else 1)
PY
