#!/usr/bin/env bash
# Router overhead: the same OpenAI-shaped request sent straight to the OpenAI emulator, then through
# the router (OpenAI first, so no polling; Cache-Control: no-cache, so every request is a generation),
# at fixed rates. Overhead = router percentile − direct percentile. Emulator and router are separate
# JVMs on loopback; the emulator adds 0 ms. Usage: bench/overhead.sh [seconds-per-step] [rates...]
source "$(dirname "$0")/common.sh"
require_jar
SECONDS_PER_STEP=${1:-10}; shift || true
RATES=${*:-100 500 1000}
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-1,leonardo-phoenix -Xmx512m
echo '{"model":"gpt-image-1","prompt":"overhead bench","n":1,"size":"1024x1024","quality":"low","output_format":"png"}' > "$WORK/direct.json"
echo '{"prompt":"overhead bench","size":"1024x1024","quality":"low"}' > "$WORK/router.json"
DIRECT="http://127.0.0.1:$EMU_PORT/sandbox/openai/v1/images/generations"
ROUTED="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
echo "# warm-up"
loadgen rate "$DIRECT" "$WORK/direct.json" 200 5 "Authorization: Bearer sk-sandbox-openai-0000" >/dev/null
loadgen rate "$ROUTED" "$WORK/router.json" 200 10 "Cache-Control: no-cache" "$AUTH" >/dev/null
for rate in $RATES; do
  echo "# rate $rate/s"
  printf 'direct %s ' "$rate"; loadgen rate "$DIRECT" "$WORK/direct.json" "$rate" "$SECONDS_PER_STEP" "Authorization: Bearer sk-sandbox-openai-0000"
  printf 'router %s ' "$rate"; loadgen rate "$ROUTED" "$WORK/router.json" "$rate" "$SECONDS_PER_STEP" "Cache-Control: no-cache" "$AUTH"
done
