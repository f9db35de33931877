#!/usr/bin/env bash
# The hostile-input fuzzers of the test suite, at a larger scale: every reader (NIfTI, NRRD,
# MetaImage, DICOM), model bundles and dataset.json, each case read in a JVM with a 96 MiB heap,
# and every single-bit flip of the headers of pydicom's CT and MR test files.
# usage: scripts/fuzz.sh [CASES_PER_FORMAT] [SEED]     (defaults: 10000, 1)
# Prints, per fuzzer, how many cases were read and how many refused; fails on any case that
# crashed, was read with changed data, named no file, or printed control characters.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-10000}
seed=${2:-1}
bash scripts/install-test-deps.sh
start=$(date +%s)
mvn -B -ntp test -Dtest='NiftiFuzzTest,HostileVolumeFuzzTest,HostileBundleFuzzTest' -Dfuzz.cases="$cases" -Dfuzz.seed="$seed" -Dfuzz.bitflips=all \
	-Dsurefire.failIfNoSpecifiedTests=false 2>&1 | tee target/fuzz.log | grep -E "fuzzing|bit flips|Tests run:|went wrong|FAIL" || true
echo "fuzz: $cases cases per format, seed $seed, $(( $(date +%s) - start )) s"
grep -q "BUILD SUCCESS" target/fuzz.log
