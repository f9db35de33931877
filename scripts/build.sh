#!/usr/bin/env bash
# Builds VoxelSeg (skipping tests) when sources changed since the last build, and records the
# runtime classpath in target/classpath.txt for the launcher and the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=target/.voxelseg-built
if [ -f "$stamp" ] && [ -f target/classpath.txt ] && [ -z "$(find pom.xml src/main -newer "$stamp" -print -quit)" ]; then
	exit 0
fi
mvn -B -q -ntp package -DskipTests
mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
touch "$stamp"
