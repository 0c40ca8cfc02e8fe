#!/usr/bin/env bash
# Router overhead as in overhead.sh, with wrk (C, ~tens of µs of CPU per request) pacing the load
# instead of the JVM load generator (which spends ~1.5 ms of CPU per request on the same two cores).
# Paced, not open loop: each of N connections waits a random 0–200 ms between requests (paced.lua),
# so a slow server lowers the rate instead of building a queue; compare the printed rate with the
# target. Both paths are first warmed up at WARM_RATE (default 500 req/s, the target's rate) until the
# JIT is quiet (warm_up_paced in common.sh). Usage: bench/overhead-wrk.sh [seconds-per-step] [rates...]
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
SECONDS_PER_STEP=${1:-10}; shift || true
RATES=${*:-100 300 500 1000}
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-}   # -Xms512m: the floor bin/image-router sets
overhead_requests
echo "# warm-up: emulator, then router" >&2
WARM_RATE=${WARM_RATE:-500}   # the target's rate; warm_up_paced in common.sh
warm_up_paced "$EMU_PID" "$DIRECT" "$DIRECT_BODY" "Bearer sk-sandbox-openai-0000" "" "$WARM_RATE"
warm_up_paced "$ROUTER_PID" "$ROUTED" "$ROUTED_BODY" "Bearer $BENCH_KEY" "Cache-Control: no-cache" "$WARM_RATE"
for rate in $RATES; do
  connections=$((rate / 10))   # mean delay 100 ms: 10 requests a second per connection
  for path in direct router; do
    if [ "$path" = direct ]; then url=$DIRECT body=$DIRECT_BODY auth="Bearer sk-sandbox-openai-0000" extra=""
    else url=$ROUTED body=$ROUTED_BODY auth="Bearer $BENCH_KEY" extra="Cache-Control: no-cache"; fi
    BODY="$body" AUTH="$auth" EXTRA_HEADER="$extra" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} wrk -t1 -c"$connections" -d2s -s "$BENCH_DIR/paced.lua" "$url" >/dev/null
    r0=$(cpu_ticks "$ROUTER_PID"); e0=$(cpu_ticks "$EMU_PID")
    out=$(BODY="$body" AUTH="$auth" EXTRA_HEADER="$extra" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} wrk -t1 -c"$connections" -d"${SECONDS_PER_STEP}s" --latency \
      -s "$BENCH_DIR/paced.lua" "$url")
    r1=$(cpu_ticks "$ROUTER_PID"); e1=$(cpu_ticks "$EMU_PID")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    p() { echo "$out" | awk -v q="$1%" '$1 == q {print $2}'; }
    echo "$path target=$rate/s rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')/s p50=$(p 50) p90=$(p 90) p99=$(p 99)" \
      "non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')" \
      "router_cpu_us=$(cpu_per_request "$r0" "$r1" "$requests") emulator_cpu_us=$(cpu_per_request "$e0" "$e1" "$requests")"
  done
done
