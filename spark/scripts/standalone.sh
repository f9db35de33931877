#!/usr/bin/env bash
# A Spark standalone cluster on loopback for the tests: one master and N workers, each its own JVM
# started from the Spark jars (the classpath in $SPARK_CP), each worker with one core; the workers
# start executors as further JVMs. A throwaway SPARK_HOME holds the jars folder that workers build
# executor classpaths from.
#   standalone.sh start DIR PORT [WORKERS]   prints the master URL once every worker has registered
#   standalone.sh stop DIR                    stops what start started
set -euo pipefail
cmd=$1
dir=$2
case "$cmd" in
	start)
		port=$3
		workers=${4:-2}
		: "${SPARK_CP:?set SPARK_CP to the Spark classpath}"
		mkdir -p "$dir/home/jars" "$dir/logs"
		IFS=':' read -r -a jars <<< "$SPARK_CP"
		for j in "${jars[@]}"; do
			case "$j" in *.jar) ln -sf "$j" "$dir/home/jars/" ;; esac
		done
		opens=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' "$(dirname "$0")/../pom.xml")
		# the master and workers log at INFO (Spark's defaults), which says when a worker registers
		logs="-Dlog4j2.configurationFile=org/apache/spark/log4j2-defaults.properties"
		export SPARK_HOME="$dir/home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
		java -Xmx512m $opens $logs -cp "$SPARK_CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 \
			>"$dir/logs/master.log" 2>&1 &
		echo $! >"$dir/master.pid"
		for i in $(seq 1 "$workers"); do
			mkdir -p "$dir/work$i"
			java -Xmx512m $opens $logs -cp "$SPARK_CP" org.apache.spark.deploy.worker.Worker "spark://127.0.0.1:$port" --host 127.0.0.1 \
				--cores 1 --memory 2g --webui-port 0 --work-dir "$dir/work$i" >"$dir/logs/worker$i.log" 2>&1 &
			echo $! >"$dir/worker$i.pid"
		done
		for _ in $(seq 1 120); do
			n=$(grep -c "Registering worker" "$dir/logs/master.log" 2>/dev/null || true)
			if [ "${n:-0}" -ge "$workers" ]; then
				echo "spark://127.0.0.1:$port"
				exit 0
			fi
			sleep 0.5
		done
		echo "standalone.sh: the workers did not register within 60 s; see $dir/logs" >&2
		"$0" stop "$dir"
		exit 1
		;;
	stop)
		# workers first (each stops its executors), then the master; wait up to 20 s each, then kill
		for f in "$dir"/worker*.pid "$dir"/master.pid; do
			[ -f "$f" ] || continue
			pid=$(cat "$f")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
			kill -9 "$pid" 2>/dev/null || true
			rm -f "$f"
		done
		;;
	*)
		echo "usage: standalone.sh start DIR PORT [WORKERS] | stop DIR" >&2
		exit 2
		;;
esac
