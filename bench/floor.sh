#!/usr/bin/env bash
# The floor under the router's overhead: the same paced load (wrk, as overhead-wrk.sh) sent straight
# to the emulator, through HopFloor.java in "proxy" mode (a do-nothing Netty relay: two hand-offs),
# through HopFloor.java in "router" mode (a do-nothing relay crossing the router's four hand-offs),
# and through the router. (Until the eighth round the router also had a /bench/stack-floor route;
# benchmark code left the production classes, so its figures stay in RESULTS.md as measured then.) Each figure minus the direct
# one is the overhead of that layer alone, on this machine, with this JVM and transport. cpu_us is the
# CPU per request of the process that answered (the relay, the router; the emulator for direct).
# Usage: bench/floor.sh [seconds-per-step] [steps] [rate]
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
SECONDS_PER_STEP=${1:-15}; STEPS=${2:-3}; RATE=${3:-500}
PROXY_PORT=18081; FLOOR_PORT=18082
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-}
start_floor() { # mode port
  (exec ${ROUTER_CPUS:+taskset -c $ROUTER_CPUS} java -Xms512m -Xmx512m -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 -cp "$JAR" \
    "$BENCH_DIR/HopFloor.java" "$2" "$1" 127.0.0.1 "$EMU_PORT" "$OPENAI_EMU_PATH" "Bearer sk-sandbox-openai-0000" \
    > "$WORK/floor-$1.log" 2>&1) &
  PIDS+=($!)
  eval "FLOOR_PID_$1=$!"
  local deadline=$(( $(date +%s) + 60 ))
  until grep -q listening "$WORK/floor-$1.log"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "HopFloor $1 did not start" >&2; cat "$WORK/floor-$1.log" >&2; exit 1; }
    sleep 0.2
  done
}
start_floor proxy $PROXY_PORT
start_floor router $FLOOR_PORT
overhead_requests
echo "# warm-up: emulator, both relays, the router" >&2
warm_up_paced "$EMU_PID" "$DIRECT" "$DIRECT_BODY" "Bearer sk-sandbox-openai-0000" "" "$RATE"
warm_up_paced "$FLOOR_PID_proxy" "http://127.0.0.1:$PROXY_PORT/" "$DIRECT_BODY" none "" "$RATE"
warm_up_paced "$FLOOR_PID_router" "http://127.0.0.1:$FLOOR_PORT/" "$DIRECT_BODY" none "" "$RATE"
warm_up_paced "$ROUTER_PID" "$ROUTED" "$ROUTED_BODY" "Bearer $BENCH_KEY" "Cache-Control: no-cache" "$RATE"
connections=$((RATE / 10))
for step in $(seq 1 "$STEPS"); do
  for path in direct proxy floor router; do
    case $path in
      direct) url=$DIRECT body=$DIRECT_BODY auth="Bearer sk-sandbox-openai-0000" extra="" ;;
      proxy) url="http://127.0.0.1:$PROXY_PORT/" body=$DIRECT_BODY auth="none" extra="" ;;
      floor) url="http://127.0.0.1:$FLOOR_PORT/" body=$DIRECT_BODY auth="none" extra="" ;;
      router) url=$ROUTED body=$ROUTED_BODY auth="Bearer $BENCH_KEY" extra="Cache-Control: no-cache" ;;
    esac
    case $path in   # whose CPU per request is printed: the relay's (the emulator's for direct)
      direct) pid=$EMU_PID ;; proxy) pid=$FLOOR_PID_proxy ;; floor) pid=$FLOOR_PID_router ;; *) pid=$ROUTER_PID ;;
    esac
    c0=$(cpu_ticks "$pid")
    out=$(BODY="$body" AUTH="$auth" EXTRA_HEADER="$extra" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} wrk -t1 -c"$connections" -d"${SECONDS_PER_STEP}s" --latency \
      -s "$BENCH_DIR/paced.lua" "$url")
    c1=$(cpu_ticks "$pid")
    p() { echo "$out" | awk -v q="$1%" '$1 == q {print $2}'; }
    echo "step=$step $path rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')/s p50=$(p 50) p90=$(p 90) p99=$(p 99)" \
      "non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}') cpu_us=$(cpu_per_request "$c0" "$c1" "$(echo "$out" | awk '/requests in/ {print $1}')")"
  done
done
