#!/usr/bin/env bash
# A batch of one on the CPU: a narrow U-Net's training step and inference pass with the half-volume
# split against the plain batch-one convolution and a batch of two, in one process.
# usage: scripts/bench/batch_one.sh [WIDTH X Y Z ROUNDS STEPS] (default 8 64 64 32 3 5), threads from VOXELSEG_THREADS (default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build.sh >/dev/null
java -Xmx4g -Dvoxelseg.threads="${VOXELSEG_THREADS:-2}" -cp "$(cat target/classpath.txt):target/classes" scripts/bench/BatchOneBench.java "$@" 2> >(grep -v AutoNonVariableTypeMode >&2)
