#!/usr/bin/env bash
# Cascade segmentation (seed 002, AGCL's second stage in 3D) against a single whole-volume pass, on a
# 512×512×200 int16 phantom CT with 8 organs: the coarse model is the seed's 3D U-Net
# (NetworkConfig.unet(1, 9), seeds-ct plan, 128×128×64 grid), the cascade model a two-channel U-Net of
# the same width and depth (NetworkConfig.unet(2, 2)) on 64×64×32 organ patches on the same grid;
# both untrained, with seeded random weights. The single pass is Predictor.predict with the coarse
# model; the cascade is the coarse model's pass, its label map overwritten in place with the phantom's
# own (untimed: an untrained coarse model labels noise, whose boxes would span the volume, so the
# phantom's labels stand in for a trained coarse model's output and every organ gets the patches it
# would), then CascadePredictor.refine on it: what CascadePredictor.predict does.
# Each side runs in its own JVM (same heap limit, same threads), so that each peak resident set
# (VmHWM) is its own; rounds alternate the two so that both see the same spells of load.
# usage: scripts/bench/cascade.sh [ROUNDS] [REPEATS] [THREADS]
#   ROUNDS   rounds of one single-pass process then one cascade process (default 2)
#   REPEATS  timed runs per process (default 2; the first run of each process is cold)
#   THREADS  libtorch intra-op threads (default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
reps=${2:-2}
threads=${3:-2}
bash scripts/build.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp=$(cat target/classpath.txt):target/classes
quiet() { grep -v AutoNonVariableTypeMode >&2; } # libtorch's deprecation warning
java -Xmx6g -cp "$cp" scripts/bench/CascadeBench.java make "$work/ct.nii.gz" "$work/truth.nii.gz" 512 512 200 2> >(quiet)
java -Xmx4g -cp "$cp" scripts/bench/CascadeBench.java bundles "$work/coarse" "$work/cascade" 2> >(quiet)
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/CascadeBench.java single "$work/ct.nii.gz" "$work/coarse" \
		"$reps" >"$work/single$r.json" 2> >(quiet)
	java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/CascadeBench.java cascade "$work/ct.nii.gz" "$work/truth.nii.gz" \
		"$work/coarse" "$work/cascade" "$reps" >"$work/cascade$r.json" 2> >(quiet)
done
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, sys
w, rounds = sys.argv[1], int(sys.argv[2])
def pooled(name):
    r = [json.load(open("%s/%s%d.json" % (w, name, i))) for i in range(1, rounds + 1)]
    return dict(r[0], runs=[x for y in r for x in y["runs"]], peak_rss=max(y["peak_rss"] for y in r),
                peaks=[y["peak_rss"] for y in r])
s, c = pooled("single"), pooled("cascade")
best = lambda r: min(r["runs"], key=lambda x: x["total_s"])
def median(r):
    t = sorted(x["total_s"] for x in r["runs"])
    return t[len(t) // 2] if len(t) % 2 else (t[len(t) // 2 - 1] + t[len(t) // 2]) / 2
sb, cb = best(s), best(c)
print("512x512x200 int16 CT, 8 organs; coarse: 3D U-Net 1 -> 9 classes at 128x128x64; cascade: 3D U-Net 2 -> 2 on 64x64x32 patches")
print("libtorch %s via DJL, %d threads, Java threads %d; best of %d runs per side in %d rounds (first runs cold)" % (
    s["engine"], s["torch_threads"], s["java_threads"], len(s["runs"]), rounds))
print("%-40s %10s %10s %7s" % ("", "single s", "cascade s", "ratio"))
print("%-40s %10.3f %10.3f" % ("read .nii.gz", sb["read_s"], cb["read_s"]))
print("%-40s %10.3f %10.3f" % ("coarse model pass (Predictor)", sb["predict_s"], cb["coarse_s"]))
print("%-40s %10s %10.3f" % ("cascade stage (%d patches)" % cb["patches"], "-", cb["refine_s"]))
print("%-40s %10.3f %10.3f %6.2fx" % ("total (best)", sb["total_s"], cb["total_s"], cb["total_s"] / sb["total_s"]))
print("%-40s %10.3f %10.3f %6.2fx" % ("total (median)", median(s), median(c), median(c) / median(s)))
print("%-40s %10.3f %10.3f %6.2fx" % ("total (first, cold run)", s["runs"][0]["total_s"], c["runs"][0]["total_s"],
                                     c["runs"][0]["total_s"] / s["runs"][0]["total_s"]))
print("peak RSS: single %.2f GiB, cascade %.2f GiB, ratio %.2fx (per round: %s; %s)" % (
    s["peak_rss"] / 2**30, c["peak_rss"] / 2**30, c["peak_rss"] / s["peak_rss"],
    " ".join("%.2f" % (x / 2**30) for x in s["peaks"]), " ".join("%.2f" % (x / 2**30) for x in c["peaks"])))
print("targets: cascade time <= 3x single, peak RSS <= 1.0x single")
def stages(name):
    r = [json.load(open("%s/%s%d.json" % (w, name, i)))["stage_peaks_mib"] for i in range(1, rounds + 1)]
    return {k: [str(x[k]) if k in x else "-" for x in r] for k in sorted(set(k for x in r for k in x))}
for name, label in (("single", "single pass"), ("cascade", "cascade")):
    print("largest resident set per stage, %s, MiB per round: %s" % (label, "; ".join(
        "%s %s" % (k, " ".join(v)) for k, v in stages(name).items())))
print("cascade labels per class: %s" % c["label_counts"])
print("other processes kept %.2f cores busy on average during the single pass's best run, %.2f during the cascade's "
      "(all runs: %s; %s)" % (sb["other_cores"], cb["other_cores"], " ".join("%.2f" % r["other_cores"] for r in s["runs"]),
                              " ".join("%.2f" % r["other_cores"] for r in c["runs"])))
PY
