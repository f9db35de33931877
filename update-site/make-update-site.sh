#!/usr/bin/env bash
# Builds (or updates) a local ImageJ update site folder for VoxelSeg.
#
#   update-site/make-update-site.sh [-o SITE] [-t YYYYMMDDhhmmss] [-d DESCRIPTION]
#                                   [JAR [DEPENDENCY.jar ...]]
#
# JAR defaults to target/voxelseg-<version>.jar (run `mvn -o -q package -DskipTests`
# first). DEPENDENCY jars are runtime dependencies that Fiji does not ship itself; by
# default the DJL jars (api, pytorch-engine, pytorch-jni and the 112 MB CPU libtorch
# pytorch-native-cpu) from the project's Maven class path. Every other runtime
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

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

while getopts "o:t:d:h" opt; do
	case "$opt" in
		o) site="$OPTARG" ;;
		t) timestamp="$OPTARG" ;;
		d) description="$OPTARG" ;;
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
		for j in "${cp[@]}"; do
			case "$j" in */ai/djl/*.jar) djl+=("$j") ;; esac
		done
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
exec /usr/bin/python3 "$here/updatesite.py" "${args[@]}" "$@"
