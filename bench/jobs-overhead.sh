#!/usr/bin/env bash
# What the job machinery adds to one generation: the same request sent synchronously, and
# asynchronously (Prefer: respond-async) followed two ways, from the send of the POST to the moment
# the client knows it succeeded: GET /v1/images/jobs/{id} every POLL_MS (default 20 ms) from the
# 202 on, and the events stream (GET /v1/images/jobs/{id}/events) up to its succeeded event, the
# precise moment. One request at a time, in rounds of the three, each with a fresh prompt
# (bench/JobsBench.java overhead), after WARM rounds of the same (not counted).
#
# Two chains, one after the other, against one emulators process:
#   openai:   openai-gpt-image-2 first; the emulator answers after OPENAI_LATENCY (default 50 ms, so
#             that the job is still running when its 202 arrives). No polling, no pacing: the
#             difference is the job's own work (two durable writes before the call, the events).
#   leonardo: leonardo-phoenix first, jobs PENDING 0-100 ms, completion by webhook (the emulator
#             posts it to the router, router.providers.leonardo-phoenix.webhook.enabled), since
#             Leonardo's poll schedule (first poll after 1 s, +-20 % jitter) would bury a few ms
#             under hundreds. Leonardo's rate limiter is widened (as in fallback.sh): a round sends
#             three Leonardo creates, faster than the shipped 100 a minute, and queued creates are
#             paced at 60 s / limit + 5 % (630 ms with the shipped limit); this measures the
#             machinery, not the limits (bench/jobs-limits.sh does).
# Usage: bench/jobs-overhead.sh [rounds] [warm-up-rounds] [chains...]   (defaults: 50 100 openai leonardo)
source "$(dirname "$0")/common.sh"
require_jar
ROUNDS=${1:-50}
WARM=${2:-100}
shift 2 || shift $# || true
CHAINS=${*:-openai leonardo}
POLL_MS=${POLL_MS:-20}
ROUTER_SANDBOX_WEBHOOK_ENABLED=true ROUTER_SANDBOX_WEBHOOK_URL="http://127.0.0.1:$ROUTER_PORT/v1/webhooks/leonardo" \
  start_emulator "${OPENAI_LATENCY:-50ms}" 0ms 100ms
BASE="http://127.0.0.1:$ROUTER_PORT"
javac -d "$WORK/jobsbench" "$BENCH_DIR/JobsBench.java"
jobsbench() { BENCH_AUTH="Bearer $BENCH_KEY" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java -cp "$WORK/jobsbench" JobsBench "$@"; }
TAG="$(date +%s)-$$"
for chain in $CHAINS; do
  case $chain in
    openai) start_router openai-gpt-image-2,leonardo-phoenix -Xms512m -Xmx512m ${ROUTER_OPTS:-} ;;
    # the emulator signs its callbacks with the sandbox's webhook key; the router outside sandbox
    # mode reads the key it accepts from LEONARDO_WEBHOOK_KEY (inherited by the router's process)
    leonardo) LEONARDO_WEBHOOK_KEY=sandbox-leonardo-webhook-0000 start_router leonardo-phoenix,openai-gpt-image-2 \
        -Xms512m -Xmx512m -Drouter.providers.leonardo-phoenix.webhook.enabled=true \
        -Drouter.providers.leonardo-phoenix.resilience.limit-for-period=1000000 ${ROUTER_OPTS:-} ;;
    *) echo "unknown chain $chain (openai or leonardo)" >&2; exit 1 ;;
  esac
  curl -s -X POST "http://127.0.0.1:$EMU_PORT/sandbox/stats/reset" >/dev/null
  echo "# $chain: $WARM warm-up rounds, then $ROUNDS ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  line=$(jobsbench overhead "$BASE" "$ROUNDS" "$WARM" "$TAG-$chain" "$POLL_MS" 0)
  stats=$(curl -s "http://127.0.0.1:$EMU_PORT/sandbox/stats" | python3 -c '
import json,sys
s=json.load(sys.stdin); print(json.dumps({k:s[k] for k in ("leonardo_creates","leonardo_polls","openai_generates")}))')
  echo "{\"chain\":\"$chain\",\"client\":$line,\"emulator\":$stats,\"load_average_after\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  kill "$ROUTER_PID"; wait "$ROUTER_PID" 2>/dev/null || true
done
