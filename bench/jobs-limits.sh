#!/usr/bin/env bash
# Asynchronous jobs under Leonardo's real account limits. The emulators process enforces them
# (100 creates in any sliding minute, 10 jobs processing at once, 200 waiting; every job takes
# JOB_SECONDS, default 5s, in whole seconds); the router runs outside sandbox mode with the shipped Leonardo provider
# file (limit 100/min, 10 concurrent calls), chain leonardo-phoenix,openai-gpt-image-2 and
# router.jobs.max-wait 10m. N jobs (default 300) are submitted with Prefer: respond-async, each with
# a fresh prompt, from 16 client threads, and each is followed on its events stream to its end
# (bench/JobsBench.java). Expected: every job succeeds on Leonardo, none reaches OpenAI, Leonardo
# never has more than 10 jobs at once. It takes minutes by construction (N jobs at most 100 a minute).
#
# Then, as the "before" figure, the same N requests without Prefer (synchronous), at most C in
# flight, for each C given (default 50 and 300), each after a 65 s pause that empties Leonardo's
# create window: how many fell back to OpenAI or got an error.
#
# Prints one JSON line per phase (the client's view, the emulator's /sandbox/stats, the router's
# queue-wait histogram) and exits 1 if the async phase broke the rule: any OpenAI call, a job that
# did not succeed, more than 10 Leonardo jobs at once, or a Leonardo job created twice.
# WEBHOOKS=1: Leonardo's completion callback on (the emulator posts it to the router, and
# router.providers.leonardo-phoenix.webhook.enabled=true), so a job's end frees its slot at once
# instead of at the next poll; the shipped file has it off.
# Usage: bench/jobs-limits.sh [jobs] [sync-concurrency...]   (sync-concurrency 0: no synchronous phase)
source "$(dirname "$0")/common.sh"
require_jar
N=${1:-300}; shift || true
SYNC_CONCURRENCY=${*:-50 300}
JOB_SECONDS=${JOB_SECONDS:-5s}
# The OpenAI emulator answers after OPENAI_LATENCY (default 5 s, as long as a Leonardo job), so that
# in the synchronous phase the two providers differ only in their limits, not in their speed.
OPENAI_LATENCY=${OPENAI_LATENCY:-5s}
WEBHOOK_ENABLED=$([ -n "${WEBHOOKS:-}" ] && echo true || echo false)
ROUTER_SANDBOX_LEONARDO_CREATE_LIMIT=100 ROUTER_SANDBOX_LEONARDO_CREATE_WINDOW=1m \
ROUTER_SANDBOX_LEONARDO_CONCURRENT_JOBS=10 ROUTER_SANDBOX_LEONARDO_PENDING_JOBS=200 \
ROUTER_SANDBOX_WEBHOOK_ENABLED=$WEBHOOK_ENABLED ROUTER_SANDBOX_WEBHOOK_URL="http://127.0.0.1:$ROUTER_PORT/v1/webhooks/leonardo" \
  start_emulator "$OPENAI_LATENCY" "$JOB_SECONDS" "$JOB_SECONDS"
# The shipped providers/leonardo-phoenix.yml as it is (100/min, 10 concurrent calls); start_router
# widens only the daily budgets and OpenAI's rate limiter. LEONARDO_WEBHOOK_KEY: the key the
# emulator signs its callbacks with (used only with WEBHOOKS=1).
LEONARDO_WEBHOOK_KEY=sandbox-leonardo-webhook-0000 start_router leonardo-phoenix,openai-gpt-image-2 -Xms512m -Xmx512m \
  -Drouter.jobs.max-wait=10m -Drouter.providers.leonardo-phoenix.webhook.enabled=$WEBHOOK_ENABLED ${ROUTER_OPTS:-}
BASE="http://127.0.0.1:$ROUTER_PORT"
EMU="http://127.0.0.1:$EMU_PORT"
javac -d "$WORK/jobsbench" "$BENCH_DIR/JobsBench.java"
jobsbench() { BENCH_AUTH="Bearer $BENCH_KEY" ${OTHERS_CPUS:+taskset -c $OTHERS_CPUS} java -cp "$WORK/jobsbench" JobsBench "$@"; }
TAG="$(date +%s)-$$"   # fresh prompts in every run (the router store outlives runs)

# Warm-up: one generation fills the cache (one Leonardo job), then 15 s of asynchronous creates of
# that request (jobs born succeeded: the create path and the job store, no provider call).
curl -s -o /dev/null -w '# warm-up fill: %{http_code}\n' "$BASE/v1/images/generations" -H "$AUTH" \
  -H 'Content-Type: application/json' -d "{\"prompt\":\"jobs limits warm-up $TAG\",\"size\":\"1024x1024\"}" >&2
if command -v wrk >/dev/null; then
  BODY="{\"prompt\":\"jobs limits warm-up $TAG\",\"size\":\"1024x1024\"}" AUTH="Bearer $BENCH_KEY" \
    EXTRA_HEADER="Prefer: respond-async" DELAY_MS=0 wrk -t1 -c8 -d15s -s "$BENCH_DIR/paced.lua" "$BASE/v1/images/generations" \
    | awk '/requests in/ {print "# warm-up: " $1 " async creates (cache hits)"}' >&2
fi
curl -s -X POST "$EMU/sandbox/stats/reset" >/dev/null

# The emulator's counters, and how Leonardo's creates arrived (from its create timestamps): the most
# in any sliding minute (Leonardo's window), the most in any JOB_SECONDS (jobs at once, had every
# slot been free), the gaps between consecutive creates (the router paces queued admissions at
# 630 ms).
stats() { curl -s "$EMU/sandbox/stats" | python3 -c '
import json,sys
s=json.load(sys.stdin); job=float(sys.argv[1])
out={k:v for k,v in s.items() if not k.endswith("_nanos")}
t=sorted(s["leonardo_create_nanos"])
def most(span):
    best,j=0,0
    for i in range(len(t)):
        while t[i]-t[j]>=span*1e9: j+=1
        best=max(best,i-j+1)
    return best
if len(t)>1:
    gaps=sorted((b-a)/1e6 for a,b in zip(t,t[1:]))
    out["leonardo_create_arrivals"]={"max_in_any_60s":most(60),"max_in_any_%gs"%job:most(job),
        "gap_ms_min":round(gaps[0],1),"gap_ms_p50":round(gaps[len(gaps)//2],1),
        "gaps_under_100ms":sum(g<100 for g in gaps),"gaps_under_600ms":sum(g<600 for g in gaps)}
print(json.dumps(out))' "${JOB_SECONDS%s}"; }

# Linear interpolation inside the histogram buckets, as PromQL histogram_quantile does.
queue_wait() { curl -s "$BASE/prometheus" | python3 -c '
import json,re,sys
buckets={}; out={}
for line in sys.stdin:
    m=re.match(r"image_router_job_queue_wait_seconds_(bucket|count|sum|max)\{([^}]*)\} (\S+)",line)
    if not m: continue
    kind,labels,value=m.group(1),dict(re.findall(r"(\w+)=\"([^\"]*)\"",m.group(2))),float(m.group(3))
    key=labels["provider"]+"/"+labels["outcome"]
    if kind=="bucket": buckets.setdefault(key,[]).append((float(labels["le"]),value))
    else: out.setdefault(key,{})[kind]=value
def q(bs,p):
    bs=sorted(bs); total=bs[-1][1]; rank=p*total; lo,below=0.0,0.0
    for le,c in bs:
        if c>=rank:
            if le==float("inf"): return lo
            return lo+(le-lo)*((rank-below)/(c-below) if c>below else 0)
        lo,below=le,c
for key,bs in buckets.items():
    o=out[key]; o["p50"]=round(q(bs,0.5),2); o["p95"]=round(q(bs,0.95),2)
    o["mean"]=round(o["sum"]/o["count"],2) if o["count"] else None
    o["buckets"]={("+Inf" if le==float("inf") else str(le)):int(c) for le,c in sorted(bs)}
print(json.dumps(out))'; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# async: $N jobs, Prefer: respond-async ($(date -u +%H:%M:%S) UTC, load average $(load))" >&2
async=$(jobsbench async "$BASE" "$N" 16 "$TAG" 900)
async_stats=$(stats)
waits=$(queue_wait)
echo "{\"phase\":\"async\",\"webhooks\":$WEBHOOK_ENABLED,\"client\":$async,\"emulator\":$async_stats,\"router_queue_wait_s\":$waits,\"load_average_after\":\"$(load)\"}"
verdict=$(python3 -c '
import json,sys
c=json.loads(sys.argv[1]); s=json.loads(sys.argv[2]); n=int(sys.argv[3]); broken=[]
if s["openai_generates"]!=0: broken.append("%d OpenAI calls" % s["openai_generates"])
if c["statuses"].get("succeeded",0)!=n: broken.append("jobs not succeeded: %s" % c["statuses"])
if c["providers"].get("leonardo-phoenix",0)!=n: broken.append("providers: %s" % c["providers"])
if s["leonardo_max_concurrent_jobs"]>10: broken.append("%d Leonardo jobs at once" % s["leonardo_max_concurrent_jobs"])
if s["leonardo_repeated_creates"]!=0: broken.append("%d Leonardo jobs created twice" % s["leonardo_repeated_creates"])
print("; ".join(broken))' "$async" "$async_stats" "$N")

for c in $SYNC_CONCURRENCY; do
  [ "$c" -gt 0 ] || continue
  sleep 65   # Leonardo's sliding minute (and the router's limiter cycle) empties
  curl -s -X POST "$EMU/sandbox/stats/reset" >/dev/null
  echo "# sync: $N requests, at most $c in flight ($(date -u +%H:%M:%S) UTC, load average $(load))" >&2
  sync=$(jobsbench sync "$BASE" "$N" "$c" "$TAG-c$c")
  echo "{\"phase\":\"sync\",\"client\":$sync,\"emulator\":$(stats),\"load_average_after\":\"$(load)\"}"
done

if [ -n "$verdict" ]; then
  echo "RULE BROKEN: $verdict" >&2
  exit 1
fi
echo "# rule kept: all $N jobs succeeded on Leonardo, no OpenAI call, at most 10 Leonardo jobs at once" >&2
