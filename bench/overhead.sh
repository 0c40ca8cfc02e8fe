#!/usr/bin/env bash
# Router overhead: the same OpenAI-shaped request sent straight to the OpenAI emulator, then through
# the router (OpenAI first, so no polling; Cache-Control: no-cache, so every request is a generation),
# at fixed rates. Each request has its own prompt ({seq}), so each is a new request hash as in
# production; the emulator's flat image is the same bytes for every prompt, so the store keeps it once
# and the figures are the router's work, not the disk's fsync (measured apart, in RESULTS.md).
# Overhead = router percentile − direct percentile. Emulator and router are separate JVMs on loopback; the emulator adds 0 ms. Both are warmed up until their JIT is quiet (warm_up).
# Besides latency it prints the CPU each process used per request (router_cpu_us, emulator_cpu_us),
# which does not depend on what else shares the cores.
# Usage: bench/overhead.sh [seconds-per-step] [rates...]
source "$(dirname "$0")/common.sh"
require_jar
SECONDS_PER_STEP=${1:-10}; shift || true
RATES=${*:-100 500 1000}
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-}   # -Xms512m: the floor bin/image-router sets
echo '{"model":"gpt-image-2","prompt":"overhead bench {seq}","n":1,"size":"1024x1024","quality":"low","output_format":"png"}' > "$WORK/direct.json"
echo '{"prompt":"overhead bench {seq}","size":"1024x1024","quality":"low"}' > "$WORK/router.json"
DIRECT="http://127.0.0.1:$EMU_PORT/sandbox/openai/v1/images/generations"
ROUTED="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
DIRECT_HEADERS=("Authorization: Bearer sk-sandbox-openai-0000")
ROUTED_HEADERS=("Cache-Control: no-cache" "$AUTH")
echo "# warm-up: emulator, then router" >&2
warm_up "$EMU_PID" "$DIRECT" "$WORK/direct.json" 300 "${DIRECT_HEADERS[@]}"
warm_up "$ROUTER_PID" "$ROUTED" "$WORK/router.json" 200 "${ROUTED_HEADERS[@]}"
for rate in $RATES; do
  n=$((rate * SECONDS_PER_STEP))
  for path in direct router; do
    if [ "$path" = direct ]; then url=$DIRECT body=$WORK/direct.json headers=("${DIRECT_HEADERS[@]}")
    else url=$ROUTED body=$WORK/router.json headers=("${ROUTED_HEADERS[@]}"); fi
    e0=$(cpu_ticks "$EMU_PID"); r0=$(cpu_ticks "$ROUTER_PID")
    # -Dwarmup=3: the first 3 s are sent but not counted (and not in the CPU figures' request count).
    line=$(loadgen rate "$url" "$body" "$rate" "$SECONDS_PER_STEP" "${headers[@]}")
    e1=$(cpu_ticks "$EMU_PID"); r1=$(cpu_ticks "$ROUTER_PID")
    total=$((n + rate * 3))
    echo "$path $rate ${line%\}},\"router_cpu_us\":$(cpu_per_request "$r0" "$r1" "$total"),\"emulator_cpu_us\":$(cpu_per_request "$e0" "$e1" "$total")}"
  done
done
