#!/usr/bin/env bash
# The test command: installs the oracle packages, builds the jar, then runs the whole Maven test suite,
# then the optional Spark module's tests (local mode and a standalone cluster on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# the jar first, so that the update-site test runs on the real package (it fails without it here)
mvn -B -q -ntp package -DskipTests
mvn -B -ntp test -Dvoxelseg.requireJar=true "$@"
# voxelseg-spark depends on the installed main artifact (and its test jar, for fixtures)
mvn -B -q -ntp install -DskipTests
mvn -B -ntp -f spark/pom.xml test
