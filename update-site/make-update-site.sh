#!/usr/bin/env bash
# Builds (or updates) a local ImageJ update site folder for VoxelSeg.
#
#   update-site/make-update-site.sh [-o SITE] [-t YYYYMMDDhhmmss] [-d DESCRIPTION]
#                                   [-p PLATFORMS] [-n PLATFORM=NATIVE.jar ...]
#                                   [JAR [DEPENDENCY.jar ...]]
#
# JAR defaults to target/voxelseg-<version>.jar (run `mvn -o -q package -DskipTests`
# first). DEPENDENCY jars are runtime dependencies that Fiji does not ship itself; by
# default the DJL jars (api, pytorch-engine, pytorch-jni) from the project's Maven class
# path and, for each of the PLATFORMS (default linux64,win64,macos-arm64), its CPU
# libtorch (pytorch-native-cpu: 112 MB for linux-x86_64, 76 MB win-x86_64, 42 MB
# osx-aarch64; fetched from Maven Central when not in ~/.m2), written to jars/PLATFORM/
# with a <platform> entry, which the updater installs and Fiji's launcher loads on that
# platform only. -n names a platform's native jar by hand. Every other runtime
# dependency (gson, jna, slf4j, commons-compress/io/codec, scijava-common, imglib2, ij)
# resolves to the version pom-scijava manages, which Fiji ships. SITE defaults to
# target/update-site.
#
# Writes SITE/jars/<name>-<version>.jar-<timestamp> for every new or changed jar
# and SITE/db.xml.gz in the ImageJ updater's format: one <plugin> record per jar,
# the main jar's <version> listing the others as <dependency>. A jar whose
# updater checksum is unchanged keeps its old record; a changed one moves its
# old version to <previous-version>. Checksums are the updater's (see
# update-site/updatesite.py). Serve SITE over HTTP (or use a file: URL) and add
# it in Help > Update... > Manage update sites.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
site="$root/target/update-site"
timestamp="$(date +%Y%m%d%H%M%S)"
description=""

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }

platforms="linux64,win64,macos-arm64"
natives=()
while getopts "o:t:d:p:n:h" opt; do
	case "$opt" in
		o) site="$OPTARG" ;;
		t) timestamp="$OPTARG" ;;
		d) description="$OPTARG" ;;
		p) platforms="$OPTARG" ;;
		n) natives+=(--platform-dep "$OPTARG") ;;
		h) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ $# -eq 0 ]; then
	shopt -s nullglob
	jars=()
	for j in "$root"/target/voxelseg-*.jar; do
		case "$j" in *-sources.jar|*-javadoc.jar|*-tests.jar) continue ;; esac
		jars+=("$j")
	done
	if [ ${#jars[@]} -ne 1 ]; then
		echo "error: expected one target/voxelseg-*.jar, found ${#jars[@]}; run 'mvn -o -q package -DskipTests' or name the jar" >&2
		exit 1
	fi
	djl=()
	if [ -f "$root/target/classpath.txt" ] || (cd "$root" && mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null 2>&1); then
		# the file has no trailing newline, so read reports end of file after filling the array
		IFS=':' read -r -a cp < "$root/target/classpath.txt" || true
		native=""
		for j in "${cp[@]}"; do
			case "$j" in
				*/ai/djl/pytorch/pytorch-native-cpu/*.jar) native="$j" ;;
				*/ai/djl/*.jar) djl+=("$j") ;;
			esac
		done
		if [ -n "$native" ]; then
			# .../pytorch-native-cpu/<version>/pytorch-native-cpu-<version>-<classifier>.jar
			version="$(basename "$(dirname "$native")")"
			IFS=',' read -r -a wanted <<< "$platforms"
			for platform in "${wanted[@]}"; do
				case "$platform" in
					linux64) classifier=linux-x86_64 ;;
					linux-arm64) classifier=linux-aarch64 ;;
					win64) classifier=win-x86_64 ;;
					macos-arm64) classifier=osx-aarch64 ;;
					*) echo "error: no CPU libtorch for platform '$platform' (linux64, linux-arm64, win64, macos-arm64)" >&2; exit 1 ;;
				esac
				jar="$(dirname "$native")/pytorch-native-cpu-$version-$classifier.jar"
				if [ ! -f "$jar" ]; then
					echo "fetching pytorch-native-cpu $version for $platform ($classifier) from Maven Central" >&2
					(cd "$root" && mvn -B -q dependency:get -Dartifact="ai.djl.pytorch:pytorch-native-cpu:$version:jar:$classifier" \
						-Dtransitive=false >/dev/null 2>&1) || true
				fi
				if [ ! -f "$jar" ]; then
					echo "error: cannot get $jar for $platform; leave the platform out with -p (e.g. -p linux64)" >&2
					exit 1
				fi
				natives+=(--platform-dep "$platform=$jar")
			done
		fi
	fi
	set -- "${jars[0]}" "${djl[@]}"
fi

if [ -z "$description" ]; then
	description="$(/usr/bin/python3 - "$root/pom.xml" <<'PY' || true
import sys, xml.etree.ElementTree as ET
try:
    ns = {'m': 'http://maven.apache.org/POM/4.0.0'}
    d = ET.parse(sys.argv[1]).getroot().find('m:description', ns)
    print(d.text.strip() if d is not None and d.text else '')
except Exception:
    pass
PY
)"
fi

for f in "$@"; do
	[ -f "$f" ] || { echo "error: no such file: $f" >&2; exit 1; }
done

args=(--site "$site" --timestamp "$timestamp")
[ -n "$description" ] && args+=(--description "$description")
exec /usr/bin/python3 "$here/updatesite.py" "${args[@]}" "${natives[@]}" "$@"
