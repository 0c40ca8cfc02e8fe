#!/usr/bin/env bash
# Startup: process start to the first successful generation (sandbox mode, in-process emulators,
# OpenAI first so no PENDING phase is counted). Usage: bench/startup.sh [runs]
source "$(dirname "$0")/common.sh"
require_jar
RUNS=${1:-5}
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=true ROUTER_RELOAD_WATCH=false ROUTER_CHAIN=openai-gpt-image-1,leonardo-phoenix \
    ROUTER_STORAGE_DIR="$WORK/startup-$run" exec java -jar "$JAR" > "$WORK/startup-$run.log" 2>&1) &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
      -H 'Content-Type: application/json' -d '{"prompt":"startup bench"}' 2>/dev/null)" = "200" ]; do sleep 0.02; done
  end=$(date +%s%N)
  echo "run $run: $(( (end-start)/1000000 )) ms to the first successful generation"
  kill $pid; wait $pid 2>/dev/null || true
done
