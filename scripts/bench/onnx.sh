#!/usr/bin/env bash
# Inference through ONNX Runtime against VoxelSeg's own predictor on the same network and threads:
# the seed's 3D U-Net (NetworkConfig.unet(1, 9), seeds-ct plan, 128x128x64 grid, seeded random
# weights) segmenting a 512x512x200 int16 phantom CT with Predictor.predict and PredictOptions.defaults(),
# once from its bundle (libtorch through DJL) and once from its `voxelseg export` ONNX file (ONNX
# Runtime, batch norm folded, softmax in the graph). Everything but the network pass is the same code.
# Each side runs in its own JVM (same heap limit, same threads), rounds alternate the two so that
# both see the same spells of load; the peak resident set is each process's VmHWM.
# usage: scripts/bench/onnx.sh [ROUNDS] [REPEATS] [THREADS]
#   ROUNDS   rounds of one bundle process then one ONNX process (default 2)
#   REPEATS  timed runs per process (default 2; the first run of each process is cold)
#   THREADS  intra-op threads of either engine (default 2)
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
java -Xmx4g -cp "$cp" scripts/bench/CascadeBench.java bundles "$work/unet.zip" "$work/cascade.zip" 2> >(quiet)
scripts/voxelseg export --model "$work/unet.zip" --out "$work/unet.onnx" 2> >(quiet)
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/CascadeBench.java single "$work/ct.nii.gz" "$work/unet.zip" \
		"$reps" >"$work/own$r.json" 2> >(quiet)
	java -Xmx4g -Dvoxelseg.threads="$threads" -cp "$cp" scripts/bench/CascadeBench.java single "$work/ct.nii.gz" "$work/unet.onnx" \
		"$reps" >"$work/onnx$r.json" 2> >(quiet)
done
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$rounds" "$threads" <<'PY'
import json, sys
w, rounds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def pooled(name):
    r = [json.load(open("%s/%s%d.json" % (w, name, i))) for i in range(1, rounds + 1)]
    return dict(r[0], runs=[x for y in r for x in y["runs"]], peak_rss=max(y["peak_rss"] for y in r),
                load_s=min(y["load_s"] for y in r))
def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
o, x = pooled("own"), pooled("onnx")
print("512x512x200 int16 CT; the seed's 3D U-Net 1 -> 9 classes at 128x128x64 (15.4 M parameters), Predictor.predict defaults")
print("VoxelSeg: libtorch %s via DJL; ONNX: ONNX Runtime 1.23.2 on the exported file; %d intra-op threads each; %d runs per side in %d rounds"
      % (o["engine"], threads, len(o["runs"]), rounds))
print("%-34s %12s %12s %8s" % ("", "VoxelSeg", "ONNX RT", "ONNX/VS"))
for label, f in (("network pass + rest, best (s)", lambda r: min(t["predict_s"] for t in r["runs"])),
                 ("network pass + rest, median (s)", lambda r: median([t["predict_s"] for t in r["runs"]])),
                 ("first (cold) run (s)", lambda r: r["runs"][0]["predict_s"]),
                 ("model load (s)", lambda r: r["load_s"])):
    a, b = f(o), f(x)
    print("%-34s %12.3f %12.3f %7.2fx" % (label, a, b, b / a))
print("%-34s %12d %12d %7.2fx" % ("peak resident set (MiB)", o["peak_rss"] // 2**20, x["peak_rss"] // 2**20, x["peak_rss"] / o["peak_rss"]))
PY
