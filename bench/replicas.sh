#!/usr/bin/env bash
# Replicas and Redis: the same router in one run, as a single node (no REDIS_URI) and with REDIS_URI
# (a redis-server of its own on a free loopback port, no persistence, as the tests start one),
# alternating single, redis, single, redis, ... against one emulators process. Each mode is started
# twice:
#   no client limit (the default configuration)
#     hits    wrk -t1 -c<HIT_CONNECTIONS> for <seconds> against one cached request (cache-hits.sh's): a
#             hit in memory, which never asks Redis; req/s, p50/p99 and the router's CPU per request
#     misses  bench/LoadGen.java at <MISS_RATE>/s for <seconds>, a new prompt per request ({seq}, and one
#             prefix per router start, so no run hits another's records): each is a miss in memory and in
#             the store, so with Redis it runs single flight (the lease, the result index), takes the
#             provider's shared slot and create permit, reserves and settles the spend in Redis; p50/p99
#             and the router's CPU per request. OpenAI first in the chain (no polling).
#   client limit (router.auth.limits.requests-per-minute=1000000, eight client keys in turn,
#   bench/post-clients.lua)
#     hits    the same cached request; with Redis every request is counted in Redis before it is
#             answered (one round trip per hit: the limit holds across replicas)
# Each router start is warmed up until its JIT is quiet (hits, then misses; at most WARM_MAX, 120 s):
# a shorter warm-up measures the compiler, not the router (bench/RESULTS.md, 2026-12-06).
# With Redis it also prints what Redis did per request: commands (INFO stats) and redis-server's CPU.
# Usage: bench/replicas.sh [seconds] [rounds]      (env: HIT_CONNECTIONS=32 MISS_RATE=100)
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "install redis-server: apt-get install -y redis-server" >&2; exit 1; }
DURATION=${1:-15}
ROUNDS=${2:-2}
HIT_CONNECTIONS=${HIT_CONNECTIONS:-32}
MISS_RATE=${MISS_RATE:-100}
export WARM_MAX=${WARM_MAX:-120}

redis_commands() { redis-cli -p "$REDIS_PORT" info stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }
# redis_per_request <commands-before> <ticks-before> <requests>: Redis commands and redis-server CPU per request
redis_per_request() {
  local c1 t1; c1=$(redis_commands); t1=$(cpu_ticks "$REDIS_PID")
  echo "redis_commands_per_request $(awk -v a="$1" -v b="$c1" -v n="$3" 'BEGIN {printf "%.2f", (b - a - 1) / n}')," \
    "redis_cpu_us_per_request $(cpu_per_request "$2" "$t1" "$3")"
}
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=($REDIS_PID)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.05; done

start_emulator 0ms 100ms 200ms
URL="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"

stop_router() {
  kill "$ROUTER_PID" 2>/dev/null || true
  while kill -0 "$ROUTER_PID" 2>/dev/null; do sleep 0.1; done
}

CLIENT_KEYS=$(for i in 0 1 2 3 4 5 6 7; do printf 'c%s:bench-client-key-%s,' "$i" "$i"; done)
CLIENT_KEYS="${CLIENT_KEYS}bench:$BENCH_KEY"

for round in $(seq 1 "$ROUNDS"); do
  for limit in none clients; do
    for mode in single redis; do
      opts=(-Xms512m -Xmx512m)   # -Xms512m: the floor bin/image-router sets
      [ "$mode" = redis ] && opts+=("-Dredis.uri=redis://127.0.0.1:$REDIS_PORT" "-Drouter.replica-id=bench-$round")
      script="$BENCH_DIR/post.lua"; label="$mode"
      if [ "$limit" = clients ]; then
        opts+=(-Drouter.auth.limits.requests-per-minute=1000000 "-Drouter.auth.api-keys=$CLIENT_KEYS")
        script="$BENCH_DIR/post-clients.lua"; label="$mode, client limit"
      fi
      start_router openai-gpt-image-2,leonardo-phoenix "${opts[@]}" ${ROUTER_OPTS:-}
      if [ "$mode" = redis ]; then   # connected before anything is measured
        until curl -s "http://127.0.0.1:$ROUTER_PORT/health/readiness" | grep -q '"state":"up"'; do sleep 0.1; done
      fi
      echo "## round $round, $label" | tee -a "$WORK/summary"
      curl -s -o /dev/null -w '# fill: %{http_code}\n' "$URL" -H "$AUTH" -H 'Content-Type: application/json' \
        -d '{"prompt":"cache hit bench","size":"1024x1024"}'
      waited=0
      while :; do   # hits warm-up: 10 s steps until the JIT is quiet
        before=$(jit_compiles "$ROUTER_PID")
        wrk -t1 -c"$HIT_CONNECTIONS" -d10s -s "$script" "$URL" >/dev/null
        after=$(jit_compiles "$ROUTER_PID"); waited=$((waited + 10))
        echo "# hits warm-up ${waited}s: $((after - before)) JIT compilations in the last step" >&2
        if [ $((after - before)) -lt "${WARM_QUIET:-40}" ] || [ "$waited" -ge "$WARM_MAX" ]; then break; fi
      done
      c0=$(redis_commands); t0=$(cpu_ticks "$REDIS_PID")
      r0=$(cpu_ticks "$ROUTER_PID")
      out=$(wrk -t1 -c"$HIT_CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$URL")
      r1=$(cpu_ticks "$ROUTER_PID")
      requests=$(echo "$out" | awk '/requests in/ {print $1}')
      echo "hits $label: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s," \
        "p50 $(echo "$out" | awk '$1=="50%" {print $2}'), p99 $(echo "$out" | awk '$1=="99%" {print $2}')," \
        "router_cpu_us_per_request $(cpu_per_request "$r0" "$r1" "$requests"), $(redis_per_request "$c0" "$t0" "$requests")" \
        "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')" | tee -a "$WORK/summary"
      if [ "$limit" = none ]; then
        body="$WORK/miss-$mode-$round.json"
        echo "{\"prompt\":\"replicas bench $mode $round $$ {seq}\",\"size\":\"1024x1024\",\"quality\":\"low\"}" > "$body"
        warm_up "$ROUTER_PID" "$URL" "$body" "$MISS_RATE" "$AUTH"
        echo "{\"prompt\":\"replicas bench measured $mode $round $$ {seq}\",\"size\":\"1024x1024\",\"quality\":\"low\"}" > "$body"
        c0=$(redis_commands); t0=$(cpu_ticks "$REDIS_PID")
        r0=$(cpu_ticks "$ROUTER_PID")
        line=$(loadgen rate "$URL" "$body" "$MISS_RATE" "$DURATION" "$AUTH")
        r1=$(cpu_ticks "$ROUTER_PID")
        total=$((MISS_RATE * (DURATION + 3)))
        echo "misses $mode: ${line%\}},\"router_cpu_us\":$(cpu_per_request "$r0" "$r1" "$total")}, $(redis_per_request "$c0" "$t0" "$total")" \
          | tee -a "$WORK/summary"
      fi
      stop_router
    done
  done
done
echo "# redis keys at the end: $(redis-cli -p "$REDIS_PORT" dbsize)"
echo "# summary"
cat "$WORK/summary"
