#!/usr/bin/env bash
# The test command: installs the oracle packages, then runs the whole Maven test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
mvn -B -ntp test "$@"
