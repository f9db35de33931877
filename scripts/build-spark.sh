#!/usr/bin/env bash
# Builds the optional voxelseg-spark artifact (spark/) when its sources or the main project changed:
# installs the main artifact into the local Maven repository (the Spark module depends on it), then
# packages spark/ and records its runtime classpath in spark/target/classpath.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=spark/target/.voxelseg-spark-built
mkdir -p spark/target
# one build at a time (two launcher runs with --spark share the local repository's install)
if command -v flock >/dev/null 2>&1; then
	exec 9>spark/target/.build.lock
	flock 9
fi
if [ -f "$stamp" ] && [ -f spark/target/classpath.txt ] && [ -z "$(find pom.xml src/main spark/pom.xml spark/src/main -newer "$stamp" -print -quit)" ]; then
	exit 0
fi
mvn -B -q -ntp install -DskipTests
mvn -B -q -ntp -f spark/pom.xml package -DskipTests
mvn -B -q -ntp -f spark/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
touch "$stamp"
