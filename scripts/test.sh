#!/usr/bin/env bash
# The test command: installs the oracle packages, builds the jar, then runs the whole Maven test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# the jar first, so that the update-site test runs on the real package (it fails without it here)
mvn -B -q -ntp package -DskipTests
mvn -B -ntp test -Dvoxelseg.requireJar=true "$@"
