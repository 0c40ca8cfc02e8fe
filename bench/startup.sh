#!/usr/bin/env bash
# Startup: process start to the first successful generation (sandbox mode, in-process emulators,
# OpenAI first so no PENDING phase is counted). Three configurations:
#   default    java -jar
#   launcher   bin/image-router, which maps an AppCDS archive written by its first run
#   launcher+c1  the same plus -XX:TieredStopAtLevel=1 -XX:+UseSerialGC (start-up over peak speed)
# Usage: bench/startup.sh [runs-per-configuration]
source "$(dirname "$0")/common.sh"
require_jar
RUNS=${1:-3}
export IMAGE_ROUTER_CDS_DIR="$WORK/cds"

# start <label> <run> <command...>: starts the router in sandbox mode in the background (START_PID).
start() {
  local label=$1 run=$2; shift 2
  (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=true ROUTER_RELOAD_WATCH=false ROUTER_CHAIN=openai-gpt-image-1,leonardo-phoenix \
    ROUTER_STORAGE_DIR="$WORK/startup-$label-$run" exec "$@" > "$WORK/startup-$label-$run.log" 2>&1) &
  START_PID=$!
}
first_generation() {
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
      -H 'Content-Type: application/json' -d '{"prompt":"startup bench"}' 2>/dev/null)" = "200" ]; do sleep 0.02; done
}
measure() { # label, command...
  local label=$1; shift
  for run in $(seq 1 "$RUNS"); do
    local begin end
    begin=$(date +%s%N)
    start "$label" "$run" "$@"
    first_generation
    end=$(date +%s%N)
    echo "$label run $run: $(( (end - begin) / 1000000 )) ms to the first successful generation"
    kill "$START_PID"; wait "$START_PID" 2>/dev/null || true
  done
}

measure default java -jar "$JAR"
# The launcher's first run writes the archive when it exits: one untimed start and generation.
start training 1 "$ROOT/bin/image-router"; first_generation; kill "$START_PID"; wait "$START_PID" 2>/dev/null || true
ls "$IMAGE_ROUTER_CDS_DIR"/*.jsa >/dev/null || { echo "the launcher wrote no archive" >&2; exit 1; }
measure launcher "$ROOT/bin/image-router"
JAVA_OPTS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" measure launcher+c1 "$ROOT/bin/image-router"
