#!/usr/bin/env bash
# Writes the container image's class archive at build time (deploy/Dockerfile runs it in the runtime
# stage, on the JRE the image ships, as root, before USER). bin/image-router writes the archive when
# the JVM it started exits (see its header: an AppCDS archive on JDK 17, an AOT cache on JDK 25+), so
# this script:
#   1. starts the router through bin/image-router in sandbox mode on a throwaway store;
#   2. sends the kinds of requests production serves (a generation, a fallback, other sizes and
#      formats, b64_json, a stream, an asynchronous job, a cache hit, an image file, a refused request,
#      the probes and the metrics), so their classes are in the archive; any of them failing fails the
#      build, which makes this a smoke test of the jar on the image's JRE too;
#   3. stops it with SIGTERM (as the orchestrator will) and checks that the archive was written;
#   4. starts it once more with -Xshare:on, which refuses to start unless the archive maps, and stops it.
#
# Environment: as for bin/image-router (IMAGE_ROUTER_JAR, IMAGE_ROUTER_CDS_DIR, which must be set and
# not empty, JAVA, JAVA_OPTS); TRAIN_LAUNCHER (default: bin/image-router beside this script's
# directory); TRAIN_PORT (default 18080); TRAIN_START_TIMEOUT in seconds (default 300: builds under
# emulation of another CPU are slow). Needs wget (the runtime image has it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER="${TRAIN_LAUNCHER:-$ROOT/bin/image-router}"
PORT_="${TRAIN_PORT:-18080}"
START_TIMEOUT="${TRAIN_START_TIMEOUT:-300}"
BASE="http://127.0.0.1:$PORT_"
: "${IMAGE_ROUTER_CDS_DIR:?set IMAGE_ROUTER_CDS_DIR to the directory the archive goes to}"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() {
  echo "train-class-archive: [${SECONDS}s] $*"
}

fail() {
  echo "train-class-archive: [${SECONDS}s] $*" >&2
  echo "---- router output ----" >&2
  cat "$work/router.log" >&2 || true
  exit 1
}

# start <extra JAVA_OPTS>: starts the router in the background and waits until it is ready.
start() {
  rm -rf "$work/store"
  mkdir -p "$work/store"
  PORT="$PORT_" ROUTER_SANDBOX=true ROUTER_STORAGE_DIR="$work/store" ROUTER_API_KEYS="" ROUTER_ADMIN_KEY="" \
    JAVA_OPTS="${JAVA_OPTS:-} $1" "$LAUNCHER" > "$work/router.log" 2>&1 &
  pid=$!
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until wget -q -T 2 -O /dev/null "$BASE/health/readiness"; do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || true; pid=""; fail "the router exited before it was ready"; }
    [ "$(date +%s)" -lt "$deadline" ] || fail "not ready after ${START_TIMEOUT}s"
    sleep 0.5
  done
  say "ready${1:+ ($1)}"
}

# stop: SIGTERM, then waits for the JVM to exit (it writes the archive on the way out).
stop() {
  kill -TERM "$pid"
  wait "$pid" || true   # 143 after SIGTERM
  pid=""
  say "stopped"
}

# request <name> <path> [wget options...]: the answer's body goes to $work/<name>; fails unless 2xx.
request() {
  local name=$1 path=$2
  shift 2
  wget -q -T 120 -O "$work/$name" "$@" "$BASE$path" || fail "$path ($name) failed: $(head -c 500 "$work/$name" 2>/dev/null)"
}

# generate <name> <json> [headers...]
generate() {
  local name=$1 body=$2
  shift 2
  local headers=(--header "Content-Type: application/json")
  for h in "$@"; do headers+=(--header "$h"); done
  request "$name" /v1/images/generations "${headers[@]}" --post-data "$body"
}

start ""
generate plain '{"prompt":"a lighthouse at dusk, training run","size":"1536x864"}'
generate fallback '{"prompt":"a harbour at dawn, training run","output_format":"webp","response_format":"b64_json"}' \
  "X-Sandbox-Fault: leonardo=429"
generate jpeg '{"prompt":"a red fox in snow, training run","size":"1024x1536","output_format":"jpeg","quality":"high"}'
generate stream '{"prompt":"a paper boat, training run","stream":true,"partial_images":1}' "X-Sandbox-Fault: leonardo=500"
generate hit '{"prompt":"a lighthouse at dusk, training run","size":"1536x864"}'
grep -q '"cached":true' "$work/hit" || fail "the repeated request was not a cache hit: $(head -c 500 "$work/hit")"
url="$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$work/plain")"
[ -n "$url" ] || fail "no image URL in $(head -c 500 "$work/plain")"
request file "/${url#http*://*/}"

generate job '{"prompt":"a windmill at noon, training run"}' "Prefer: respond-async"
job="$(sed -n 's/.*"id":"\(job_[^"]*\)".*/\1/p' "$work/job")"
[ -n "$job" ] || fail "no job id in $(head -c 500 "$work/job")"
for _ in $(seq 1 120); do
  request job "/v1/images/jobs/$job"
  grep -q '"status":"succeeded"' "$work/job" && break
  grep -q '"status":"\(failed\|cancelled\)"' "$work/job" && fail "the job ended without an image: $(head -c 500 "$work/job")"
  sleep 0.5
done
grep -q '"status":"succeeded"' "$work/job" || fail "the job did not finish: $(head -c 500 "$work/job")"
request events "/v1/images/jobs/$job/events"

# a refused request (400) takes the error path; wget exits 8 on it
wget -q -T 30 -O /dev/null --header "Content-Type: application/json" --post-data '{"prompt":"x","size":"7x7"}' \
  "$BASE/v1/images/generations" && fail "an invalid size was accepted"
request health /health
request liveness /health/liveness
request metrics /prometheus
say "training requests done"
stop

shopt -s nullglob
archives=("$IMAGE_ROUTER_CDS_DIR"/image-router-*)
[ "${#archives[@]}" -eq 1 ] || fail "expected one class archive in $IMAGE_ROUTER_CDS_DIR, found ${#archives[@]}"
say "wrote ${archives[0]} ($(du -h "${archives[0]}" | cut -f1))"

# -Xshare:on: the JVM exits at once if the archive cannot be used by this JVM and this jar.
start "-Xshare:on"
stop
say "the archive maps"
