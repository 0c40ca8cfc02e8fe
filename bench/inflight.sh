#!/usr/bin/env bash
# In-flight capacity: N concurrent generations held by an upstream that answers after 20 s.
# Reports success count, the router's peak heap, live threads (sampled every second) and its CPU
# while waiting. Usage: bench/inflight.sh [concurrent] [upstream-latency]
source "$(dirname "$0")/common.sh"
require_jar
N=${1:-5000}; LATENCY=${2:-20s}
start_emulator "$LATENCY" 100ms 200ms
start_router openai-gpt-image-2,leonardo-phoenix -Xmx512m -Xms512m
echo '{"prompt":"in flight bench","size":"1024x1024","quality":"low"}' > "$WORK/body.json"
threads_before=$(awk '/^Threads/{print $2}' /proc/$ROUTER_PID/status)
loadgen burst "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" "$WORK/body.json" "$N" "Cache-Control: no-cache" "$AUTH" > "$WORK/burst.json" &
LOADGEN=$!
peak_heap=0; peak_threads=0; samples=0
ticks0=$(awk '{print $14+$15}' /proc/$ROUTER_PID/stat); t0=$(date +%s.%N)
cpu_wait=""
while kill -0 $LOADGEN 2>/dev/null; do
  heap=$(jstat -gc $ROUTER_PID | awk 'NR==2{printf "%d", ($3+$4+$6+$8)/1024}')
  threads=$(awk '/^Threads/{print $2}' /proc/$ROUTER_PID/status)
  [ "$heap" -gt "$peak_heap" ] && peak_heap=$heap
  [ "$threads" -gt "$peak_threads" ] && peak_threads=$threads
  samples=$((samples+1))
  if [ $samples -eq 15 ]; then   # CPU over seconds 5..15 of the wait: everything is in flight, nothing answered
    ticks1=$(awk '{print $14+$15}' /proc/$ROUTER_PID/stat); t1=$(date +%s.%N)
  fi
  if [ $samples -eq 5 ]; then ticks0=$(awk '{print $14+$15}' /proc/$ROUTER_PID/stat); t0=$(date +%s.%N); fi
  sleep 1
done
wait $LOADGEN || true
hz=$(getconf CLK_TCK)
if [ -n "${ticks1:-}" ]; then
  cpu_wait=$(echo "$ticks0 $ticks1 $t0 $t1 $hz" | awk '{printf "%.1f", 100*($2-$1)/$5/($4-$3)}')
fi
echo "result: $(cat "$WORK/burst.json")"
echo "router: threads before=$threads_before peak=$peak_threads; peak heap used=${peak_heap} MiB (-Xmx512m); CPU while waiting=${cpu_wait:-n/a}% of one core"
