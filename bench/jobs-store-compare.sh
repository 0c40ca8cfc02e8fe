#!/usr/bin/env bash
# The job store before and after a change, and the Redis job store beside them, in one run:
# bench/JobStoreBench.java (a Leonardo job's five versions, first awaited ones per MODE, K producers)
# alternately against
#   file-before   the file store of BEFORE_REV (its jar and its own JobStoreBench.java, built here from
#                 `git archive`, or BEFORE_JAR if given),
#   file-after    the file store of this tree's jar (target/, build it first),
#   redis-everysec / redis-always   this tree's Redis store against a local redis-server with AOF on,
#                 appendfsync everysec (Redis's default AOF policy) and always (every write fsynced
#                 before Redis answers), each in its own directory on this disk,
# ROUNDS times (default 2), JOBS jobs each (default 3000) after 500 of warm-up. One JSON line per run.
# Usage: BEFORE_REV=<commit> bench/jobs-store-compare.sh   (environment: BEFORE_JAR, JOBS, PRODUCERS (default 16),
#        MODE (default leonardo), ROUNDS)
source "$(dirname "$0")/common.sh"
require_jar
command -v redis-server >/dev/null || { echo "install redis-server: apt-get install -y redis-server" >&2; exit 1; }
JOBS=${JOBS:-3000}
K=${PRODUCERS:-16}
MODE=${MODE:-leonardo}
ROUNDS=${ROUNDS:-2}

BEFORE_SRC="$WORK/before"
mkdir -p "$BEFORE_SRC"
if [ -z "${BEFORE_JAR:-}" ]; then
  [ -n "${BEFORE_REV:-}" ] || { echo "set BEFORE_REV (a commit) or BEFORE_JAR" >&2; exit 1; }
  echo "# building $BEFORE_REV ($(date -u +%H:%M:%S) UTC)" >&2
  git -C "$ROOT" archive "$BEFORE_REV" | tar -x -C "$BEFORE_SRC"
  (cd "$BEFORE_SRC" && ./mvnw -B -q -o -DskipTests package >"$WORK/before-build.log" 2>&1) \
    || { cat "$WORK/before-build.log" >&2; exit 1; }
  BEFORE_JAR=$(ls "$BEFORE_SRC"/target/image-router-*.jar | grep -v original | head -1)
  cp "$BEFORE_SRC/bench/JobStoreBench.java" "$WORK/JobStoreBench-before.java"
else
  git -C "$ROOT" show "${BEFORE_REV:?BEFORE_REV names the commit whose JobStoreBench.java matches BEFORE_JAR}:bench/JobStoreBench.java" \
    > "$WORK/JobStoreBench-before.java"
fi
mkdir -p "$WORK/bench-before" && mv "$WORK/JobStoreBench-before.java" "$WORK/bench-before/JobStoreBench.java"

# start_redis <port> <appendfsync>: AOF on, no RDB snapshots, its files under this run's directory
start_redis() {
  mkdir -p "$WORK/redis-$1"
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync "$2" --dir "$WORK/redis-$1" \
    --daemonize no > "$WORK/redis-$1.log" 2>&1 &
  PIDS+=($!)
  until redis-cli -p "$1" ping >/dev/null 2>&1; do sleep 0.05; done
}
start_redis 16390 everysec
start_redis 16391 always

STORE_DIR="$BENCH_STORES/jobstore-compare-$(date +%Y%m%d-%H%M%S)-$$"
bench() { # <label> <jar> <bench source> <dir or redis URI>
  echo "# $1: $MODE, $K producers ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java -Xms256m -Xmx256m -cp "$2" "$3" "$4" "$JOBS" "$K" "$MODE" 500 \
    2>"$WORK/bench.log" | grep '^{' | sed "s/^{/{\"run\":\"$1\",/" || { cat "$WORK/bench.log" >&2; exit 1; }
}
for round in $(seq 1 "$ROUNDS"); do
  bench file-before "$BEFORE_JAR" "$WORK/bench-before/JobStoreBench.java" "$STORE_DIR/before-$round"
  bench file-after "$JAR" "$BENCH_DIR/JobStoreBench.java" "$STORE_DIR/after-$round"
  bench redis-everysec "$JAR" "$BENCH_DIR/JobStoreBench.java" redis://127.0.0.1:16390
  bench redis-always "$JAR" "$BENCH_DIR/JobStoreBench.java" redis://127.0.0.1:16391
done
for port in 16390 16391; do
  echo "# redis :$port used_memory $(redis-cli -p $port info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r') bytes for $(redis-cli -p $port dbsize | tr -d '\r') keys" >&2
done
echo "# job store files kept: $STORE_DIR ($(du -sh "$STORE_DIR" | cut -f1))" >&2
