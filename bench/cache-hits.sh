#!/usr/bin/env bash
# Cache-hit throughput: one generation fills the cache, then wrk (Debian's package) sends the same
# request for the given time from each number of connections (closed loop: fewer connections, lower
# latency; more, more throughput). The router is warmed up until its JIT is quiet first.
# Prints wrk's summary and the CPU the router used per request.
# Usage: bench/cache-hits.sh [seconds] [connections...]
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
DURATION=${1:-15}; shift || true
CONNECTIONS=${*:-16 32 64}
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-}   # -Xms512m: the floor bin/image-router sets
URL="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
curl -s -o /dev/null -w 'fill: %{http_code}\n' "$URL" -H "$AUTH" -H 'Content-Type: application/json' -d '{"prompt":"cache hit bench","size":"1024x1024"}'
waited=0
while :; do   # warm-up: 10 s steps until fewer than WARM_QUIET JIT compilations in a step
  before=$(jit_compiles "$ROUTER_PID")
  wrk -t1 -c32 -d10s -s "$BENCH_DIR/post.lua" "$URL" >/dev/null
  after=$(jit_compiles "$ROUTER_PID"); waited=$((waited + 10))
  echo "# warm-up ${waited}s: $((after - before)) JIT compilations in the last step" >&2
  if [ $((after - before)) -lt "${WARM_QUIET:-40}" ] || [ "$waited" -ge "${WARM_MAX:-300}" ]; then break; fi
done
for c in $CONNECTIONS; do
  echo "# $c connections"
  r0=$(cpu_ticks "$ROUTER_PID")
  out=$(wrk -t1 -c"$c" -d"${DURATION}s" --latency -s "$BENCH_DIR/post.lua" "$URL")
  r1=$(cpu_ticks "$ROUTER_PID")
  echo "$out" | grep -E "Requests/sec|^ +(50|90|99)%|requests in|Socket errors|Non-2xx"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "router_cpu_us_per_request: $(cpu_per_request "$r0" "$r1" "$requests")"
done
