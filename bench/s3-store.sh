#!/usr/bin/env bash
# Images in an S3-compatible store against the local disk, in one run (README "Storage backends").
# The same jar and emulators process serve both; per backend a fresh router (chain openai first, so no
# polling), warmed up until its JIT is quiet, then:
#   1. miss path: wrk paced at each rate, every request a new prompt ({seq}: a new request hash), no
#      Cache-Control: the whole miss (record lookup, the chain, the image write, the record write).
#      The emulator alone at the same rates is measured first: overhead = router − direct.
#   2. hits: one request fills the cache, then wrk closed loop with HIT_CONNECTIONS connections on it.
# The S3 backend is S3Proxy (bin/s3proxy) on loopback, in its own JVM, its data under BENCH_STORES.
# Every step prints the CPU each process used per request, and S3Proxy's own CPU during the step
# (s3proxy_cpu_ms): during hits it stays at the probe's one PUT every 5 s, since a hit never touches S3.
#   3. bench/S3PutBench.java against the same S3Proxy: a new image as one conditional PUT against
#      HEAD then PUT, and what each costs for an image that is there already.
#   4. bench/HasImagesBench.java: the cache-hit path's only store call, ImageStore.hasImages, on each
#      backend in one JVM (ns per call), with S3Proxy's CPU meanwhile: none but the probe's.
# Usage: bench/s3-store.sh [seconds-per-step] [hit-seconds] [rates...]   (defaults 10 15 50 200)
# WARM_MAX (default here 120 s) bounds each warm-up; PUT_IMAGES (200) and PUT_SIZES ("7000 1000000")
# size step 3; BACKENDS ("local s3") may repeat them, e.g. "local s3 local s3".
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
SECONDS_PER_STEP=${1:-10}; shift || true
HIT_SECONDS=${1:-15}; shift || true
RATES=${*:-50 200}
HIT_CONNECTIONS=${HIT_CONNECTIONS:-32}
export WARM_MAX=${WARM_MAX:-120}
S3_PORT=${S3_PORT:-19000}
S3_DIR="$BENCH_STORES/$(date +%Y%m%d-%H%M%S)-$$-s3proxy"
S3_IDENTITY=bench-identity
S3_CREDENTIAL=bench-credential-local

start_emulator 0ms 100ms 200ms
overhead_requests
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "# direct (the emulator alone)" >&2
warm_up_paced "$EMU_PID" "$DIRECT" "$DIRECT_BODY" "Bearer sk-sandbox-openai-0000" "" 200
MISS_BODY='{"prompt":"s3 store bench {seq}","size":"1024x1024","quality":"low"}'

paced_step() { # <label> <url> <body> <auth> <rate>
  local label=$1 url=$2 body=$3 auth=$4 rate=$5 connections=$(( $5 / 10 ))
  BODY="$body" AUTH="$auth" EXTRA_HEADER="" wrk -t1 -c"$connections" -d2s -s "$BENCH_DIR/paced.lua" "$url" >/dev/null
  local r0=0 e0 s0 r1=0 e1 s1 out requests router_cpu=-
  [ -n "${ROUTER_PID:-}" ] && r0=$(cpu_ticks "$ROUTER_PID"); e0=$(cpu_ticks "$EMU_PID"); s0=$(s3_ticks)
  out=$(BODY="$body" AUTH="$auth" EXTRA_HEADER="" wrk -t1 -c"$connections" -d"${SECONDS_PER_STEP}s" --latency \
    -s "$BENCH_DIR/paced.lua" "$url")
  [ -n "${ROUTER_PID:-}" ] && r1=$(cpu_ticks "$ROUTER_PID"); e1=$(cpu_ticks "$EMU_PID"); s1=$(s3_ticks)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  [ -n "${ROUTER_PID:-}" ] && router_cpu=$(cpu_per_request "$r0" "$r1" "$requests")
  p() { echo "$out" | awk -v q="$1%" '$1 == q {print $2}'; }
  echo "$label target=$rate/s rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')/s p50=$(p 50) p90=$(p 90) p99=$(p 99)" \
    "non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')" \
    "router_cpu_us=$router_cpu emulator_cpu_us=$(cpu_per_request "$e0" "$e1" "$requests")" \
    "s3proxy_cpu_ms=$(( (s1 - s0) * 1000 / $(getconf CLK_TCK) ))"
}

S3_PID=""
start_s3proxy() {
  (S3PROXY_PORT=$S3_PORT S3PROXY_DIR="$S3_DIR" S3PROXY_BUCKET=image-router S3PROXY_IDENTITY=$S3_IDENTITY \
    S3PROXY_CREDENTIAL=$S3_CREDENTIAL JAVA_OPTS="-Xmx512m" exec "$ROOT/bin/s3proxy" > "$WORK/s3proxy.log" 2>&1) &
  S3_PID=$!; PIDS+=("$S3_PID")
  wait_http "http://127.0.0.1:$S3_PORT/" 120
}
s3_ticks() { if [ -n "$S3_PID" ] && [ -d "/proc/$S3_PID" ]; then cpu_ticks "$S3_PID"; else echo 0; fi; }

for rate in $RATES; do paced_step "direct" "$DIRECT" "$DIRECT_BODY" "Bearer sk-sandbox-openai-0000" "$rate"; done

for backend in ${BACKENDS:-local s3}; do
  if [ "$backend" = s3 ] && [ -z "$S3_PID" ]; then
    start_s3proxy
  fi
  if [ "$backend" = s3 ]; then
    export ROUTER_STORAGE_S3_BUCKET=image-router ROUTER_STORAGE_S3_ENDPOINT="http://127.0.0.1:$S3_PORT" \
      ROUTER_STORAGE_S3_REGION=us-east-1 ROUTER_STORAGE_S3_PATH_STYLE=true \
      AWS_ACCESS_KEY_ID=$S3_IDENTITY AWS_SECRET_ACCESS_KEY=$S3_CREDENTIAL
  else
    unset ROUTER_STORAGE_S3_BUCKET ROUTER_STORAGE_S3_ENDPOINT ROUTER_STORAGE_S3_REGION ROUTER_STORAGE_S3_PATH_STYLE \
      AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  fi
  start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-}
  grep -m1 "image store:" "$WORK/router.log" | sed 's/^.* - /# /' >&2
  echo "# $backend: warm-up (misses)" >&2
  warm_up_paced "$ROUTER_PID" "$ROUTED" "$MISS_BODY" "Bearer $BENCH_KEY" "" 200
  for rate in $RATES; do paced_step "miss-$backend" "$ROUTED" "$MISS_BODY" "Bearer $BENCH_KEY" "$rate"; done
  URL="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
  curl -s -o /dev/null -w "# fill: %{http_code}\n" "$URL" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"prompt":"cache hit bench","size":"1024x1024"}' >&2
  wrk -t1 -c"$HIT_CONNECTIONS" -d10s -s "$BENCH_DIR/post.lua" "$URL" >/dev/null   # the hit path's JIT
  r0=$(cpu_ticks "$ROUTER_PID"); s0=$(s3_ticks)
  out=$(wrk -t1 -c"$HIT_CONNECTIONS" -d"${HIT_SECONDS}s" --latency -s "$BENCH_DIR/post.lua" "$URL")
  r1=$(cpu_ticks "$ROUTER_PID"); s1=$(s3_ticks)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  p() { echo "$out" | awk -v q="$1%" '$1 == q {print $2}'; }
  echo "hit-$backend connections=$HIT_CONNECTIONS rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')/s" \
    "p50=$(p 50) p99=$(p 99) non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')" \
    "router_cpu_us=$(cpu_per_request "$r0" "$r1" "$requests") s3proxy_cpu_ms=$(( (s1 - s0) * 1000 / $(getconf CLK_TCK) ))"
  kill "$ROUTER_PID"; wait "$ROUTER_PID" 2>/dev/null || true
  unset ROUTER_PID
done
[ -n "$S3_PID" ] || start_s3proxy

echo "# S3PutBench: ${PUT_IMAGES:-200} images per size, sizes ${PUT_SIZES:-7000 1000000}" >&2
java -Xmx512m -cp "$JAR" "$BENCH_DIR/S3PutBench.java" "http://127.0.0.1:$S3_PORT" image-router "$S3_IDENTITY" \
  "$S3_CREDENTIAL" "${PUT_IMAGES:-200}" ${PUT_SIZES:-7000 1000000}
echo "# HasImagesBench" >&2
s0=$(s3_ticks)
java -Xms256m -Xmx256m -Daws.accessKeyId=$S3_IDENTITY -Daws.secretAccessKey=$S3_CREDENTIAL -cp "$JAR" \
  "$BENCH_DIR/HasImagesBench.java" "http://127.0.0.1:$S3_PORT" image-router "$WORK/hasimages" "${HAS_IMAGES_CALLS:-20000000}"
echo "s3proxy_cpu_ms_during_hasimages=$(( ($(s3_ticks) - s0) * 1000 / $(getconf CLK_TCK) ))"
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg); S3Proxy data kept in $S3_DIR (remove with the router stores)" >&2
