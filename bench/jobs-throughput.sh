#!/usr/bin/env bash
# Jobs per second on this machine, two ways.
#
# 1. The job store alone (bench/JobStoreBench.java, no HTTP, no provider): JOBS jobs (default 5,000)
#    after 1,000 of warm-up, each saved through a Leonardo job's five versions (created, calling,
#    accepted, attempt, succeeded), from each number of producer threads in PRODUCERS (default
#    1 16 64), in each mode in MODES (default leonardo coalesced awaited: four files per job as a
#    real Leonardo job writes, three as an OpenAI job writes, five with nothing coalesced; see
#    JobStoreBench.java). Files, fsyncs and their time are counted with the production FileSync
#    behind a counting wrapper.
# 2. End to end: asynchronous creates the HTTP API accepts when the cache answers (a job born
#    succeeded, so no provider is involved): wrk, closed loop, the same cached request with
#    Prefer: respond-async, for SECONDS_PER_STEP (default 15) at each connection count; then the same request
#    synchronously (a plain cache hit) at the same count, for comparison. The router is warmed up
#    with asynchronous creates until its JIT is quiet (at most WARM_MAX, default 300 s).
# PROFILE=1: one more asynchronous step at the first connection count, not measured, with a JFR
# recording of the router (settings=profile); prints where its threads were sampled: running Java
# code (jdk.ExecutionSample) and in native calls such as fsync (jdk.NativeMethodSample).
# Usage: bench/jobs-throughput.sh [connections...]   (default 16 64; environment: JOBS, PRODUCERS, MODES, SECONDS_PER_STEP, STORE_ONLY=1, HTTP_ONLY=1, PROFILE=1)
source "$(dirname "$0")/common.sh"
require_jar
CONNECTIONS=${*:-16 64}
JOBS=${JOBS:-5000}
PRODUCERS=${PRODUCERS:-1 16 64}
DURATION=${SECONDS_PER_STEP:-15}

if [ -z "${HTTP_ONLY:-}" ]; then
  # The store's files stay (like the router's, common.sh): deleting ~10^4 files slows this disk's
  # later file creation, which the next step would measure.
  STORE_DIR="$BENCH_STORES/jobstore-$(date +%Y%m%d-%H%M%S)-$$"
  for mode in ${MODES:-leonardo coalesced awaited}; do
    for k in $PRODUCERS; do
      echo "# job store: $mode, $k producers ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java -Xms256m -Xmx256m -cp "$JAR" "$BENCH_DIR/JobStoreBench.java" \
        "$STORE_DIR/$mode-$k" "$JOBS" "$k" "$mode" 1000 2>"$WORK/jobstore.log" | grep '^{' \
        || { cat "$WORK/jobstore.log" >&2; exit 1; }
    done
  done
  echo "# job store files kept: $STORE_DIR ($(du -sh "$STORE_DIR" | cut -f1))" >&2
fi
[ -z "${STORE_ONLY:-}" ] || exit 0

command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
start_emulator 0ms 100ms 200ms
start_router leonardo-phoenix,openai-gpt-image-2 -Xms512m -Xmx512m ${ROUTER_OPTS:-}
URL="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
BODY="{\"prompt\":\"jobs throughput $(date +%s)-$$\",\"size\":\"1024x1024\"}"
curl -s -o /dev/null -w '# fill: %{http_code}\n' "$URL" -H "$AUTH" -H 'Content-Type: application/json' -d "$BODY" >&2
# wrk_step <connections> <seconds> <extra-header>: closed loop, the same (cached) body (paced.lua with no delay)
wrk_step() { BODY="$BODY" AUTH="Bearer $BENCH_KEY" EXTRA_HEADER="$3" DELAY_MS=0 ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} \
  wrk -t1 -c"$1" -d"$2s" --latency -s "$BENCH_DIR/paced.lua" "$URL"; }
succeeded() { curl -s "http://127.0.0.1:$ROUTER_PORT/prometheus" | awk '/^image_router_jobs_finished_total\{status="succeeded"\}/ {printf "%d", $2}'; }
provider_calls() { curl -s "http://127.0.0.1:$EMU_PORT/sandbox/stats" | python3 -c '
import json,sys; s=json.load(sys.stdin); print(s["leonardo_creates"]+s["openai_generates"])'; }
# Kernel (system) CPU time of a process so far, in clock ticks (stime from /proc): the share of the
# router's CPU spent in system calls (file writes, fsync, rename, unlink; sockets).
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
waited=0
while :; do
  before=$(jit_compiles "$ROUTER_PID")
  wrk_step 16 10 "Prefer: respond-async" >/dev/null
  after=$(jit_compiles "$ROUTER_PID"); waited=$((waited + 10))
  echo "# warm-up ${waited}s: $((after - before)) JIT compilations in the last step" >&2
  if [ $((after - before)) -lt "${WARM_QUIET:-40}" ] || [ "$waited" -ge "${WARM_MAX:-300}" ]; then break; fi
done
for c in $CONNECTIONS; do
  for kind in async sync; do
    if [ "$kind" = async ]; then extra="Prefer: respond-async"; else extra=""; fi
    s0=$(succeeded); p0=$(provider_calls); r0=$(cpu_ticks "$ROUTER_PID"); k0=$(sys_ticks "$ROUTER_PID")
    out=$(wrk_step "$c" "$DURATION" "$extra")
    r1=$(cpu_ticks "$ROUTER_PID"); k1=$(sys_ticks "$ROUTER_PID"); s1=$(succeeded); p1=$(provider_calls)
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    p() { echo "$out" | awk -v q="$1%" '$1 == q {print $2}'; }
    echo "$kind connections=$c rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')/s p50=$(p 50) p90=$(p 90) p99=$(p 99)" \
      "requests=$requests non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}') jobs_succeeded=$((s1 - s0))" \
      "provider_calls=$((p1 - p0)) router_cpu_us=$(cpu_per_request "$r0" "$r1" "$requests")" \
      "router_kernel_share=$(( (k1 - k0) * 100 / (r1 - r0 > 0 ? r1 - r0 : 1) ))% load_average=$(cut -d' ' -f1 /proc/loadavg)"
  done
done

if [ -n "${PROFILE:-}" ]; then
  c=${CONNECTIONS%% *}
  echo "# profile: async, $c connections, ${DURATION}s with JFR" >&2
  jcmd "$ROUTER_PID" JFR.start name=jobs settings=profile filename="$WORK/async.jfr" >/dev/null
  wrk_step "$c" "$DURATION" "Prefer: respond-async" | awk '/Requests\/sec/ {print "# profiled step: " $2 " req/s"}' >&2
  jcmd "$ROUTER_PID" JFR.stop name=jobs >/dev/null
  jfr print --json --events jdk.ExecutionSample,jdk.NativeMethodSample "$WORK/async.jfr" | python3 -c '
import json,re,sys,collections
events=json.load(sys.stdin)["recording"]["events"]
for kind in ("jdk.ExecutionSample","jdk.NativeMethodSample"):
    ev=[e for e in events if e["type"]==kind]
    threads=collections.Counter(); tops=collections.Counter(); ours=collections.Counter()
    for e in ev:
        name=re.sub(r"-?\d+$","-N",e["values"]["sampledThread"]["javaName"] or "?")
        frames=(e["values"]["stackTrace"] or {}).get("frames") or []
        top=frames[0]["method"] if frames else None
        threads[name]+=1
        if top: tops["%s.%s" % (top["type"]["name"], top["name"])]+=1
        mine=[f["method"] for f in frames if f["method"]["type"]["name"].replace("/",".").startswith("dev.imagerouter")]
        ours["%s.%s" % (mine[0]["type"]["name"].rsplit("/",1)[-1], mine[0]["name"]) if mine else "(no router frame)"]+=1
    print("%s: %d samples" % (kind, len(ev)))
    print("  by thread: " + ", ".join("%s %d" % kv for kv in threads.most_common(8)))
    print("  top frames: " + "; ".join("%s %d" % kv for kv in tops.most_common(12)))
    print("  innermost router frame: " + "; ".join("%s %d" % kv for kv in ours.most_common(12)))'
fi
