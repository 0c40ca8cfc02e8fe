#!/usr/bin/env bash
# Startup: process start to the first successful generation (sandbox mode, in-process emulators,
# OpenAI first so no PENDING phase is counted). Three configurations:
#   default   java -jar
#   cds       with an application class-data-sharing archive made by one training run
#   cds+c1    the archive plus -XX:TieredStopAtLevel=1 -XX:+UseSerialGC (start-up over peak speed)
# Usage: bench/startup.sh [runs-per-configuration]
source "$(dirname "$0")/common.sh"
require_jar
RUNS=${1:-3}

first_success() { # label, java options...
  local label=$1; shift
  for run in $(seq 1 "$RUNS"); do
    local start end pid
    start=$(date +%s%N)
    (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=true ROUTER_RELOAD_WATCH=false ROUTER_CHAIN=openai-gpt-image-1,leonardo-phoenix \
      ROUTER_STORAGE_DIR="$WORK/startup-$label-$run" exec java "$@" -jar "$JAR" > "$WORK/startup-$label-$run.log" 2>&1) &
    pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
        -H 'Content-Type: application/json' -d '{"prompt":"startup bench"}' 2>/dev/null)" = "200" ]; do sleep 0.02; done
    end=$(date +%s%N)
    echo "$label run $run: $(( (end-start)/1000000 )) ms to the first successful generation"
    kill $pid; wait $pid 2>/dev/null || true
  done
}

first_success default
# Training run for the CDS archive: start, serve one generation, stop (the archive is written at exit).
(cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=true ROUTER_RELOAD_WATCH=false ROUTER_CHAIN=openai-gpt-image-1,leonardo-phoenix \
  ROUTER_STORAGE_DIR="$WORK/cds-training" exec java -XX:ArchiveClassesAtExit="$WORK/app.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
  -jar "$JAR" > "$WORK/cds-training.log" 2>&1) &
pid=$!
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
    -H 'Content-Type: application/json' -d '{"prompt":"cds training"}' 2>/dev/null)" = "200" ]; do sleep 0.05; done
kill $pid; wait $pid 2>/dev/null || true
first_success cds -XX:SharedArchiveFile="$WORK/app.jsa" -Xlog:cds=off
first_success cds+c1 -XX:SharedArchiveFile="$WORK/app.jsa" -Xlog:cds=off -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
