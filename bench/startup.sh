#!/usr/bin/env bash
# Startup: process start to the first successful generation (OpenAI first, so no PENDING phase is
# counted), as the median of several runs. Two setups:
#   sandbox     the run command as a newcomer uses it: sandbox mode, in-process emulators (which
#               also start their own beans and render the image inside the measured process)
#   production  the router outside sandbox mode against the emulators in their own, already
#               running JVM, as against real providers
# and these launch configurations, run round-robin so drift on the shared machine hits all alike:
#   jar         java -jar
#   launcher    bin/image-router on the default JDK (17 here: an AppCDS archive)
#   launcher25  bin/image-router on JDK 25 (an AOT cache with method profiles), when JAVA25 points to one
#   c1          bin/image-router with JAVA_OPTS="-XX:TieredStopAtLevel=1" (start-up over peak speed)
# Each launcher configuration's first run in a setup writes its archive (trained in that setup) and
# is not counted.
# Usage: bench/startup.sh [runs] (default 7); JAVA25 (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)
source "$(dirname "$0")/common.sh"
require_jar
RUNS=${1:-7}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}

# run_once <setup> <java> <java-opts> <launcher|jar>: prints milliseconds to the first generation.
run_once() {
  local setup=$1 java=$2 opts=$3 how=$4 begin end pid
  local cmd=("$ROOT/bin/image-router")
  [ "$how" = jar ] && cmd=("$java" -jar "$JAR")
  begin=$(date +%s%N)
  if [ "$setup" = sandbox ]; then
    (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=true ROUTER_RELOAD_WATCH=false \
      ROUTER_CHAIN=openai-gpt-image-2,leonardo-phoenix ROUTER_STORAGE_DIR="$WORK/store-$RANDOM" \
      JAVA="$java" JAVA_OPTS="$opts" exec "${cmd[@]}" > "$WORK/startup.log" 2>&1) &
  else
    (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=false ROUTER_RELOAD_WATCH=false \
      LEONARDO_API_KEY=5a9d1b0e-7c4f-4e2a-9b3d-000000000001 OPENAI_API_KEY=sk-sandbox-openai-0000 \
      LEONARDO_BASE_URL="http://127.0.0.1:$EMU_PORT/sandbox/leonardo/api/rest/v1" \
      OPENAI_BASE_URL="http://127.0.0.1:$EMU_PORT/sandbox/openai/v1" \
      ROUTER_CHAIN=openai-gpt-image-2,leonardo-phoenix ROUTER_API_KEYS="bench:$BENCH_KEY" \
      ROUTER_STORAGE_DIR="$WORK/store-$RANDOM" JAVA="$java" JAVA_OPTS="$opts" exec "${cmd[@]}" > "$WORK/startup.log" 2>&1) &
  fi
  pid=$!
  local deadline=$(( $(date +%s) + 60 ))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
      -H "$AUTH" -H 'Content-Type: application/json' -d '{"prompt":"startup bench"}' 2>/dev/null)" = "200" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "no generation within 60 s; log:" >&2; cat "$WORK/startup.log" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $(( (end - begin) / 1000000 ))
}

CONFIGS=("jar|java||jar" "launcher|java||launcher" "c1|java|-XX:TieredStopAtLevel=1|launcher")
[ -x "$JAVA25" ] && CONFIGS+=("launcher25|$JAVA25||launcher")

start_emulator 0ms 100ms 200ms
for setup in sandbox production; do
  export IMAGE_ROUTER_CDS_DIR="$WORK/cds-$setup"   # archives trained in the setup they are measured in
  declare -A RESULTS=()
  for config in "${CONFIGS[@]}"; do   # training runs: write each JDK's archive
    IFS='|' read -r label java opts how <<< "$config"
    [ "$how" = launcher ] && run_once "$setup" "$java" "$opts" "$how" > /dev/null
  done
  for run in $(seq 1 "$RUNS"); do
    for config in "${CONFIGS[@]}"; do
      IFS='|' read -r label java opts how <<< "$config"
      RESULTS[$label]="${RESULTS[$label]:-} $(run_once "$setup" "$java" "$opts" "$how")"
    done
  done
  for config in "${CONFIGS[@]}"; do
    label=${config%%|*}
    median=$(printf '%s\n' ${RESULTS[$label]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$setup $label: median ${median} ms to the first successful generation (runs:${RESULTS[$label]})"
  done
  unset RESULTS
done
