# Shared helpers for the benchmark scripts: start/stop the emulator and the router as separate
# processes on loopback, wait for readiness. Source it; do not run it.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
JAR="${IMAGE_ROUTER_JAR:-$ROOT/target/image-router-0.1.0-SNAPSHOT.jar}"   # IMAGE_ROUTER_JAR: another build, e.g. for a before/after run
EMU_PORT="${EMU_PORT:-19090}"
ROUTER_PORT="${ROUTER_PORT:-18080}"
WORK="$(mktemp -d /tmp/image-router-bench.XXXXXX)"
# The router's image store outlives the run (unless ROUTER_STORAGE names another): deleting the
# ~10^5 record files of a run makes ext4 without a journal (this machine's disk) slower to create
# files for minutes afterwards, which the next run would measure (bench/RESULTS.md, seventh round).
# Remove old stores by hand when no run is due: rm -rf /tmp/image-router-bench-stores
BENCH_STORES="${BENCH_STORES:-/tmp/image-router-bench-stores}"
ROUTER_STORE_DEFAULT="$BENCH_STORES/$(date +%Y%m%d-%H%M%S)-$$"
PIDS=()
# The router outside sandbox mode requires a client key; this one exists only for the benchmark run.
BENCH_KEY="bench-local-key-0001"
AUTH="Authorization: Bearer $BENCH_KEY"

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  if [ -d "$ROUTER_STORE_DEFAULT" ]; then
    echo "# router store kept: $ROUTER_STORE_DEFAULT ($(du -sh "$ROUTER_STORE_DEFAULT" 2>/dev/null | cut -f1))" >&2
  fi
}
trap cleanup EXIT

require_jar() {
  [ -f "$JAR" ] || { echo "build first: ./mvnw -B -q -DskipTests package" >&2; exit 1; }
}

wait_http() { # url, seconds
  local url=$1 deadline=$(( $(date +%s) + ${2:-30} ))
  until curl -s -o /dev/null "$url"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for $url" >&2; exit 1; }
    sleep 0.05
  done
}

# start_emulator <openai-latency> <pending-min> <pending-max> [standing faults]
# FLAT_IMAGES=false renders the emulators' full images (hundreds of KiB) instead of one-colour ones.
start_emulator() {
  (cd "$WORK" && mkdir -p emu && cd emu && mkdir -p config && cp "$ROOT/config/application.yml" config/ && cp -r "$ROOT/providers" . &&
    PORT=$EMU_PORT ROUTER_RELOAD_WATCH=false \
    ROUTER_SANDBOX_OPENAI_LATENCY="$1" ROUTER_SANDBOX_PENDING_MIN="$2" ROUTER_SANDBOX_PENDING_MAX="$3" \
    ROUTER_SANDBOX_FAULTS="${4:-}" ROUTER_STORAGE_DIR="$WORK/emu/images" ROUTER_SANDBOX_FLAT_IMAGES="${FLAT_IMAGES:-true}" \
    exec ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java -Xmx1g -jar "$JAR" emulators > "$WORK/emulator.log" 2>&1) &
  PIDS+=($!)
  EMU_PID=$!
  wait_http "http://127.0.0.1:$EMU_PORT/health" 60
}

# start_router <chain> [extra java opts...]
# OpenAI's rate limiter (1000 images/min in providers/) and both daily budgets (finite in providers/;
# the emulator's costs count) are widened: the benchmarks send more than that.
start_router() {
  local chain=$1; shift
  (cd "$ROOT" && PORT=$ROUTER_PORT ROUTER_SANDBOX=false ROUTER_RELOAD_WATCH=false \
    LEONARDO_API_KEY=5a9d1b0e-7c4f-4e2a-9b3d-000000000001 OPENAI_API_KEY=sk-sandbox-openai-0000 \
    LEONARDO_BASE_URL="http://127.0.0.1:$EMU_PORT/sandbox/leonardo/api/rest/v1" \
    OPENAI_BASE_URL="http://127.0.0.1:$EMU_PORT/sandbox/openai/v1" \
    ROUTER_CHAIN="$chain" ROUTER_STORAGE_DOWNLOAD_ALLOWED_HOSTS=127.0.0.1 ROUTER_API_KEYS="bench:$BENCH_KEY" \
    ROUTER_STORAGE_DIR="${ROUTER_STORAGE:-$ROUTER_STORE_DEFAULT}" \
    exec ${ROUTER_CPUS:+taskset -c $ROUTER_CPUS} java -Drouter.providers.openai-gpt-image-2.resilience.limit-for-period=1000000 \
      -Drouter.providers.openai-gpt-image-2.daily-budget-usd=1000000000 \
      -Drouter.providers.leonardo-phoenix.daily-budget-credits=1000000000 "$@" -jar "$JAR" > "$WORK/router.log" 2>&1) &
  PIDS+=($!)
  ROUTER_PID=$!
  wait_http "http://127.0.0.1:$ROUTER_PORT/health" 60
}

# The emulator's OpenAI images endpoint (the direct path of the overhead benchmarks).
OPENAI_EMU_PATH=/sandbox/openai/v1/images/generations

# overhead_requests: the overhead benchmarks' two requests, the same generation sent straight to
# the emulator (DIRECT, DIRECT_BODY, $WORK/direct.json) and through the router with the cache
# bypassed (ROUTED, ROUTED_BODY, $WORK/router.json); {seq} gives every request its own hash.
overhead_requests() {
  DIRECT_BODY='{"model":"gpt-image-2","prompt":"overhead bench {seq}","n":1,"size":"1024x1024","quality":"low","output_format":"png"}'
  ROUTED_BODY='{"prompt":"overhead bench {seq}","size":"1024x1024","quality":"low"}'
  DIRECT="http://127.0.0.1:$EMU_PORT$OPENAI_EMU_PATH"
  ROUTED="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
  echo "$DIRECT_BODY" > "$WORK/direct.json"; echo "$ROUTED_BODY" > "$WORK/router.json"
}

# The load generator, compiled once per run (not by the source launcher on every call).
loadgen() {
  [ -f "$WORK/loadgen/LoadGen.class" ] || javac -d "$WORK/loadgen" "$BENCH_DIR/LoadGen.java"
  ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java ${LOADGEN_OPTS:-} -cp "$WORK/loadgen" LoadGen "$@"
}

# Compilations the JIT has finished in a process so far (jstat, from the JDK).
jit_compiles() { jstat -compiler "$1" | awk 'NR==2 {print $1}'; }

# CPU time a process has used so far, in clock ticks (utime + stime from /proc).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# warm_up <pid> <url> <body-file> <rate> [headers...]
# Sends load in 10 s steps until the process's JIT is quiet (fewer than WARM_QUIET=40 compilations
# in a step) or WARM_MAX=300 s have passed (60 and 240 before the fifth round: at 60 the router was
# still compiling enough to show in the p99 of the first measured steps; bench/RESULTS.md). On 2 cores C2 is still compiling the request path
# minutes after the start, taking a large share of a core; measuring before it settles measures the
# compiler. Prints one line per step to stderr.
warm_up() {
  local pid=$1 url=$2 body=$3 rate=$4; shift 4
  local quiet=${WARM_QUIET:-40} max=${WARM_MAX:-300} waited=0 before after
  while :; do
    before=$(jit_compiles "$pid")
    loadgen rate "$url" "$body" "$rate" 10 "$@" >/dev/null
    after=$(jit_compiles "$pid"); waited=$((waited + 10))
    echo "# warm-up ${waited}s: $((after - before)) JIT compilations in the last step" >&2
    if [ $((after - before)) -lt "$quiet" ] || [ "$waited" -ge "$max" ]; then break; fi
  done
}

# warm_up_paced <pid> <url> <body> <auth> <extra-header> <rate>: warm_up's loop, with the load paced
# by wrk at the rate that is measured next. warm_up's JVM load generator costs ~1.5 ms of CPU per
# request, so it warms at 200 req/s; after a warm-up that quiet at 200 req/s (2 compilations in
# the last 10 s) the router still compiled 30-80 methods in each 15 s step at 500 req/s (seventh
# round): the faster rate takes code paths the slower one did not make hot.
warm_up_paced() {
  local pid=$1 url=$2 body=$3 auth=$4 extra=$5 rate=$6
  local quiet=${WARM_QUIET:-40} max=${WARM_MAX:-300} waited=0 before after
  while :; do
    before=$(jit_compiles "$pid")
    BODY="$body" AUTH="$auth" EXTRA_HEADER="$extra" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} \
      wrk -t1 -c"$((rate / 10))" -d10s -s "$BENCH_DIR/paced.lua" "$url" >/dev/null
    after=$(jit_compiles "$pid"); waited=$((waited + 10))
    echo "# warm-up ${waited}s at ${rate}/s: $((after - before)) JIT compilations in the last step" >&2
    if [ $((after - before)) -lt "$quiet" ] || [ "$waited" -ge "$max" ]; then break; fi
  done
}

# cpu_per_request <ticks-before> <ticks-after> <requests>: CPU microseconds per request.
cpu_per_request() { echo $(( ($2 - $1) * 1000000 / $(getconf CLK_TCK) / $3 )); }
