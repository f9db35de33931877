#!/usr/bin/env bash
# Builds the optional voxelseg-spark artifact (spark/) when its sources or the main project changed:
# installs the main artifact into the local Maven repository (the Spark module depends on it), then
# packages spark/ and records its runtime classpath in spark/target/classpath.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=spark/target/.voxelseg-spark-built
if [ -f "$stamp" ] && [ -f spark/target/classpath.txt ] && [ -z "$(find pom.xml src/main spark/pom.xml spark/src/main -newer "$stamp" -print -quit)" ]; then
	exit 0
fi
mvn -B -q -ntp install -DskipTests
mvn -B -q -ntp -f spark/pom.xml package -DskipTests
mvn -B -q -ntp -f spark/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
touch "$stamp"
