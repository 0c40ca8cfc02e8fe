#!/usr/bin/env bash
# Live check of grafana/ against the real service and a real Prometheus, all on loopback:
#   1. starts the built router (sandbox mode, fast sandbox timings, a fresh image store) on a free port;
#   2. starts Prometheus on another free port with the shipped scrape job (prometheus/prometheus.yml,
#      scrape and rule evaluation every 1 s) and the shipped rules (prometheus/alerts.yml);
#   3. drives traffic with curl: generations, cache hits, a cache bypass, fallbacks (429, 500, timeout,
#      quota), failed chains, a model_not_found, a batch of asynchronous jobs (some wait past
#      router.jobs.max-wait for Leonardo and fall back), then Leonardo 5xx until its circuit breaker opens,
#      then requests that skip Leonardo, and a config reload;
#   4. once Prometheus has scraped it all, runs every expression from list-exprs.py as an instant query
#      (the dashboard's with $job = the shipped scrape job, $instance = .*): any error fails; a dashboard
#      expression (panel or annotation) with no series fails, except the SKIP list below and, with
#      --allow-pending, metrics that unfinished issues have not added yet (PENDING below); the job and
#      instance variables' queries must offer values, the scrape job among the jobs, and that job's
#      targets must be up (what RouterTargetDown selects);
#   5. checks that every rule in /api/v1/rules has been evaluated with health "ok".
# Exit status: 0 all good; 1 a failure (printed as FAIL); 3 no failure, but dashboard expressions
# without data because the service does not export their metrics yet (PENDING: issue 5);
# 124 out of time. --allow-pending turns 3 into 0.
# It builds nothing: it needs target/image-router-0.1.0-SNAPSHOT.jar (./mvnw -B -DskipTests package).
# Everything it starts is stopped on exit (by PID). Bounded in time (LIVE_CHECK_TIMEOUT, default 170 s).
#   bash grafana/live-check.sh [--allow-pending] [--keep]     (--keep: keep the temp dir with both logs)
# Needs java 17+, prometheus (Debian: apt-get install -y prometheus), curl, python3 with PyYAML.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="${ROUTER_JAR:-$ROOT/target/image-router-0.1.0-SNAPSHOT.jar}"
TIMEOUT="${LIVE_CHECK_TIMEOUT:-170}"
ALLOW_PENDING=0
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --allow-pending) ALLOW_PENDING=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "live-check: unknown argument $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'live-check: FAIL: %s\n' "$*" >&2; exit 1; }

[ -f "$JAR" ] || fail "$JAR not found: build it first (./mvnw -B -DskipTests package); this script builds nothing"
for tool in java prometheus curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (prometheus: apt-get install -y prometheus)"
done
PY=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
    PY="$candidate"; break
  fi
done
[ -n "$PY" ] || fail "no python3 with PyYAML (apt-get install -y python3-yaml)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/image-router-live-check.XXXXXX")"
ROUTER_PID=""; PROM_PID=""; WATCHDOG_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $ROUTER_PID $PROM_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $ROUTER_PID $PROM_PID; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null && wait "$WATCHDOG_PID" 2>/dev/null || true
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    for log in router prometheus; do
      if [ -s "$TMP/$log.log" ]; then
        printf '\n-- last lines of the %s log (%s)\n' "$log" "$TMP/$log.log" >&2
        tail -n 25 "$TMP/$log.log" >&2
      fi
    done
  fi
  if [ "$KEEP" -eq 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; }; then
    echo "live-check: logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "live-check: interrupted" >&2; exit 130' INT
trap 'echo "live-check: FAIL: did not finish within ${TIMEOUT}s (LIVE_CHECK_TIMEOUT)" >&2; exit 124' TERM
# Watchdog: TERM to this script after $TIMEOUT s; the EXIT trap then stops everything. ($$ is this
# script's PID inside the subshell too; the subshell's own trap ends its sleep when cleanup kills it.)
( trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$TIMEOUT" & sleeper=$!
  wait "$sleeper" && kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG_PID=$!

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
# wait_for <what> <seconds> <command...>: polls every 0.25 s until the command succeeds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || fail "$what: not within ${seconds}s"
    sleep 0.25
  done
}

ROUTER_PORT="$(free_port)"
PROM_PORT="$(free_port)"
[ "$ROUTER_PORT" != "$PROM_PORT" ] || PROM_PORT="$(free_port)"
ROUTER="http://127.0.0.1:$ROUTER_PORT"
PROM="http://127.0.0.1:$PROM_PORT"
ADMIN_KEY="live-check-admin-$$"

step "router: sandbox on $ROUTER (jar $(basename "$JAR"))"
# Fast sandbox timings (as in the tests' RouterTestSupport.fastSandbox), and a Leonardo circuit breaker
# that opens after a handful of failures and stays open for the rest of the run.
JAVA_OPTS=(
  -Dmicronaut.server.host=127.0.0.1
  -Drouter.storage.dir="$TMP/images"
  -Drouter.sandbox.pending-min=100ms
  -Drouter.sandbox.pending-max=200ms
  -Drouter.policy.SERVER_ERROR.backoff=200ms
  -Drouter.policy.NETWORK.backoff=200ms
  -Drouter.providers.leonardo-phoenix.timeout=2s
  -Drouter.providers.leonardo-phoenix.poll.initial-delay=50ms
  -Drouter.providers.leonardo-phoenix.poll.max-delay=100ms
  -Drouter.providers.leonardo-phoenix.poll.jitter=0
  -Drouter.providers.leonardo-phoenix.resilience.minimum-calls=4
  -Drouter.providers.leonardo-phoenix.resilience.sliding-window-size=20
  -Drouter.providers.leonardo-phoenix.resilience.wait-in-open=5m
  -Drouter.providers.openai-gpt-image-2.timeout=10s
  # the shipped files set finite daily budgets and sandbox costs count: lifted far above this traffic
  # (the budget gauges stay exported, so their panels have data)
  -Drouter.providers.openai-gpt-image-2.daily-budget-usd=1000
  -Drouter.providers.leonardo-phoenix.daily-budget-credits=1000000
  # the shipped file assumes OpenAI's usage tier 1 (5 images a minute): the traffic below sends more
  -Drouter.providers.openai-gpt-image-2.resilience.limit-for-period=100000
  # asynchronous jobs give up on a provider's queue after 300 ms (default 10m), so that the batch below
  # has expired queue waits (the "Expired queue waits" panel, JobQueueWaitLong); synchronous requests never queue
  -Drouter.jobs.max-wait=300ms
)
(cd "$TMP" && exec env PORT="$ROUTER_PORT" ROUTER_SANDBOX=true ROUTER_CONFIG_DIR="$ROOT/config" \
   ROUTER_ADMIN_KEY="$ADMIN_KEY" LEONARDO_API_KEY= OPENAI_API_KEY= \
   java -XX:TieredStopAtLevel=1 "${JAVA_OPTS[@]}" -jar "$JAR") >"$TMP/router.log" 2>&1 &
ROUTER_PID=$!
router_up() { kill -0 "$ROUTER_PID" 2>/dev/null || fail "router exited during startup"; curl -sf --max-time 2 "$ROUTER/prometheus" >/dev/null; }
wait_for "router startup" 60 router_up
echo "up (pid $ROUTER_PID)"

step "prometheus on $PROM: shipped scrape job at 1 s, shipped rules"
"$PY" - "$HERE/prometheus/prometheus.yml" "$TMP/prometheus.yml" "127.0.0.1:$ROUTER_PORT" <<'PY'
import os, sys, yaml
src, dst, target = sys.argv[1:]
with open(src, encoding="utf-8") as f:
    cfg = yaml.safe_load(f)
cfg["global"] = dict(cfg.get("global") or {}, scrape_interval="1s", evaluation_interval="1s")
base = os.path.dirname(os.path.abspath(src))
cfg["rule_files"] = [os.path.join(base, r) for r in cfg.get("rule_files", [])]
jobs = [j for j in cfg["scrape_configs"] if j["job_name"] == "image-router"]
if len(jobs) != 1:
    sys.exit("prometheus.yml: expected one scrape job named image-router")
jobs[0]["static_configs"] = [{"targets": [target]}]
with open(dst, "w", encoding="utf-8") as f:
    yaml.safe_dump(cfg, f)
PY
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
prom_ready() { kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited during startup"; curl -sf --max-time 2 "$PROM/-/ready"; }
wait_for "prometheus startup" 30 prom_ready
echo "up (pid $PROM_PID)"

step "traffic"
RUN="live-$(date +%s)-$$"
N=0
# gen <label> <expect: 200|error> <prompt> [header ...]: one POST /v1/images/generations.
gen() {
  local label="$1" expect="$2" prompt="$3"; shift 3
  local args=() h
  for h in "$@"; do args+=(-H "$h"); done
  local out
  out="$(curl -sS --max-time 30 -o "$TMP/body.json" -D "$TMP/headers.txt" -w '%{http_code}' \
    -H 'Content-Type: application/json' ${args[@]+"${args[@]}"} \
    --data "{\"prompt\":\"$prompt\",\"size\":\"512x512\"}" "$ROUTER/v1/images/generations")" || fail "$label: curl failed"
  N=$((N + 1))
  local provider cache
  provider="$(tr -d '\r' <"$TMP/headers.txt" | awk -F': ' 'tolower($1)=="x-router-provider"{print $2}')"
  cache="$(tr -d '\r' <"$TMP/headers.txt" | awk -F': ' 'tolower($1)=="x-router-cache"{print $2}')"
  printf '  %-44s %s %s %s\n' "$label" "$out" "${provider:--}" "${cache:-}"
  if [ "$expect" = 200 ] && [ "$out" != 200 ]; then fail "$label: HTTP $out, want 200: $(head -c 300 "$TMP/body.json")"; fi
  if [ "$expect" = error ] && [ "$out" = 200 ]; then fail "$label: HTTP 200, want an error"; fi
  LAST_PROVIDER="$provider"; LAST_CACHE="$cache"
}
breaker_state() {
  curl -sf --max-time 5 "$ROUTER/prometheus" \
    | awk '/^resilience4j_circuitbreaker_state\{/ && /name="leonardo-phoenix"/ && / 1(\.0)?$/ {match($0, /state="[a-z_]+"/); print substr($0, RSTART + 7, RLENGTH - 8)}'
}

# Leonardo's breaker (50 % of the last 20 calls, at least 4) must stay closed until the breaker phase:
# enough successes first, then the failures it ignores, then the ones it counts.
for i in $(seq 1 8); do gen "generation $i" 200 "$RUN lighthouse $i"; done
for i in 1 2 3; do
  gen "repeat $i (cache hit)" 200 "$RUN lighthouse $i"
  [ "$LAST_CACHE" = HIT ] || fail "repeat $i: X-Router-Cache $LAST_CACHE, want HIT"
done
gen "Cache-Control: no-cache" 200 "$RUN lighthouse 1" 'Cache-Control: no-cache'
gen "leonardo=moderation -> rejected" error "$RUN rejected" 'X-Sandbox-Fault: leonardo=moderation'
gen "leonardo=quota -> fallback (alert)" 200 "$RUN fallback quota" 'X-Sandbox-Fault: leonardo=quota'
gen "leonardo=failed,openai=500 -> failed" error "$RUN all fail" 'X-Sandbox-Fault: leonardo=failed,openai=500'
gen "leonardo=429 -> fallback" 200 "$RUN fallback 429" 'X-Sandbox-Fault: leonardo=429'
[ "$LAST_PROVIDER" = openai-gpt-image-2 ] || fail "leonardo=429: served by $LAST_PROVIDER, want the fallback openai-gpt-image-2"
gen "leonardo=500 -> retry, fallback" 200 "$RUN fallback 500" 'X-Sandbox-Fault: leonardo=500'
gen "leonardo=timeout -> fallback" 200 "$RUN fallback timeout" 'X-Sandbox-Fault: leonardo=timeout'
gen "leonardo=429,openai=model_not_found" error "$RUN model gone" 'X-Sandbox-Fault: leonardo=429,openai=model_not_found'
# A batch of asynchronous jobs (job gauges and counters, the queue wait histogram). Leonardo's queued
# creates are paced at its limiter's period over its permits (100 a minute: one every 0.63 s), longer than
# the 300 ms max-wait above: the first job is admitted at once, the ones behind it wait past max-wait, skip
# Leonardo (QUEUE_TIMEOUT) and fall back to OpenAI. Every job succeeds; at least one wait must expire.
batch_body="{\"requests\":[$(for i in 1 2 3 4; do printf '%s{"prompt":"%s async %s","size":"512x512"}' "$([ "$i" = 1 ] || echo ,)" "$RUN" "$i"; done)]}"
out="$(curl -sS --max-time 30 -o "$TMP/body.json" -D "$TMP/headers.txt" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data "$batch_body" "$ROUTER/v1/images/batches")" || fail "batch: curl failed"
[ "$out" = 202 ] || fail "batch: HTTP $out, want 202: $(head -c 300 "$TMP/body.json")"
BATCH="$(tr -d '\r' <"$TMP/headers.txt" | awk -F': ' 'tolower($1)=="location"{print $2}')"
[ -n "$BATCH" ] || fail "batch: no Location header"
batch_counts() {
  curl -sf --max-time 5 "$ROUTER$BATCH" | "$PY" -c 'import json, sys; c = json.load(sys.stdin)["counts"]
print(" ".join(f"{k}={c[k]}" for k in ("total", "succeeded", "failed", "cancelled")))
sys.exit(0 if c["succeeded"] + c["failed"] + c["cancelled"] == c["total"] else 1)'
}
wait_for "batch $BATCH: every job finished" 30 batch_counts
counts="$(batch_counts)"
[ "$counts" = "total=4 succeeded=4 failed=0 cancelled=0" ] || fail "batch $BATCH: $counts, want 4 succeeded"
expired="$(curl -sf --max-time 5 "$ROUTER/prometheus" \
  | awk '/^image_router_job_queue_wait_seconds_count\{/ && /outcome="expired"/ {s += $NF} END {printf "%d", s}')"
printf '  %-44s %s %s, %s expired queue waits\n' "batch of 4 async jobs" "$out" "$counts" "$expired"
[ "$expired" -ge 1 ] || fail "batch $BATCH: no queue wait expired (image_router_job_queue_wait_seconds_count{outcome=\"expired\"})"
[ "$(breaker_state)" = closed ] || fail "the leonardo-phoenix breaker is $(breaker_state) before the breaker phase; the fallbacks above did not all reach Leonardo"
for i in $(seq 1 12); do
  [ "$(breaker_state)" = open ] && break
  gen "leonardo=500 (breaker) $i" 200 "$RUN breaker $i" 'X-Sandbox-Fault: leonardo=500'
done
[ "$(breaker_state)" = open ] || fail "the leonardo-phoenix circuit breaker did not open (state $(breaker_state))"
echo "  leonardo-phoenix circuit breaker: open"
for i in 1 2; do
  gen "breaker open -> skip leonardo $i" 200 "$RUN skip $i"
  [ "$LAST_PROVIDER" = openai-gpt-image-2 ] || fail "breaker open: served by $LAST_PROVIDER, want openai-gpt-image-2"
done
reload="$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_KEY" "$ROUTER/admin/reload" || true)"
printf '  %-44s %s\n' "POST /admin/reload" "$reload"
[ "$reload" = 200 ] || fail "POST /admin/reload: HTTP $reload, want 200 (the dashboard's config reload annotation needs one)"
echo "$N generation requests, 1 batch of 4 asynchronous jobs"

step "waiting for Prometheus to scrape it all"
# Done when Prometheus holds the service's own request count and has seen the open breaker, then one
# more evaluation round so that every rule has run on the final data.
TOTAL="$(curl -sf --max-time 5 "$ROUTER/prometheus" | awk '/^image_router_requests_total\{/ {s += $NF} END {printf "%d", s}')"
prom_has() {
  curl -sf --max-time 5 --get "$PROM/api/v1/query" --data-urlencode "query=$1" \
    | "$PY" -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'
}
wait_for "Prometheus: scrape of all $TOTAL requests" 30 prom_has "sum(image_router_requests_total) >= $TOTAL"
wait_for "Prometheus: open leonardo-phoenix breaker" 30 prom_has 'resilience4j_circuitbreaker_state{name="leonardo-phoenix",state="open"} == 1'
wait_for "Prometheus: the config reload" 30 prom_has 'image_router_config_reloads_total{result="success"} >= 1'
sleep 2
echo "scraped: $TOTAL requests, breaker open"

step "queries"
"$PY" "$HERE/list-exprs.py" >"$TMP/exprs.jsonl"
rc=0
"$PY" - "$PROM" "$TMP/exprs.jsonl" "$ALLOW_PENDING" <<'PY' || rc=$?
import json, sys, time, urllib.parse, urllib.request

prom, exprs_file, allow_pending = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

# Dashboard expressions that may legitimately return no series after a short burst of traffic.
# Keep this list short: prefer driving traffic that fills a panel. Key: (panel title, refId).
SKIP = {
    # Exported only with REDIS_URI (several replicas); this check runs one router without Redis.
    # ReplicasAcceptanceTest reads both against real replicas and a real Redis.
    ("Redis connection by replica", "A"): "single node: no REDIS_URI",
    ("Redis fallbacks by operation", "A"): "single node: no REDIS_URI",
}
# Metrics the dashboard and rules query that the service does not export yet, and the issue that adds
# them. Delete an entry when the issue lands: from then on the check requires their data.
PENDING = {}

def get(path, **params):
    url = prom + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}"}

def present(metric):
    return bool(get("/api/v1/series", **{"match[]": metric})["data"])

exported = {}
def absent_metrics(metrics):
    for m in metrics:
        if m not in exported:
            exported[m] = present(m)
    return [m for m in metrics if not exported[m]]

counts = {"OK": 0, "SKIPPED": 0, "PENDING": 0, "FAIL": 0}
pending_lines = []
entries = [json.loads(line) for line in open(exprs_file, encoding="utf-8")]

# The dashboard's drop-downs: each variable's label_values() query (as count by (<label>) (<selector>))
# must offer values, and the job the dashboard expressions below were run with must be one of them.
variables = [e for e in entries if e["source"] == "variable"]
print(f"-- dashboard variables ({len(variables)})")
scrape_job = None
for e in variables:
    res = get("/api/v1/query", query=e["expr"])
    if res.get("status") != "success":
        status, note = "FAIL", f'query error: {res.get("errorType", "")} {res.get("error", "")}'.strip()
    else:
        values = sorted(r["metric"].get(e["label"], "") for r in res["data"]["result"])
        if not values:
            status, note = "FAIL", "offers no value"
        elif "expect" in e and e["expect"] not in values:
            status, note = "FAIL", f'offers {values}, not {e["expect"]!r}, the job the dashboard is checked with'
        else:
            status, note = "OK", f"offers {values}"
        if e["label"] == "job" and "expect" in e:
            scrape_job = e["expect"]
    counts[status] += 1
    print(f'  {status:<8} ${e["name"]} = {e["ref"]}: {note}')
    if status == "FAIL":
        print(f"           expr: {e['expr']}")
# RouterTargetDown selects up{job="<scrape job>"}: the router's targets must be there and up, or it would fire
if scrape_job is not None:
    res = get("/api/v1/query", query=f'up{{job="{scrape_job}"}} == 1')
    ok = res.get("status") == "success" and res["data"]["result"]
    counts["OK" if ok else "FAIL"] += 1
    print(f'  {"OK" if ok else "FAIL":<8} up{{job="{scrape_job}"}} == 1: '
          + (f'{len(res["data"]["result"])} target(s) up' if ok else "no target of the scrape job is up"))

for source in ("dashboard", "alerts"):
    group = [e for e in entries if e["source"] == source]
    print(f"-- {source} ({len(group)} expressions)")
    for e in group:
        where = f'{e["name"]} [{e["ref"]}]' if source == "dashboard" else e["name"]
        res = get("/api/v1/query", query=e["expr"])
        if res.get("status") != "success":
            status, note = "FAIL", f'query error: {res.get("errorType", "")} {res.get("error", "")}'.strip()
        else:
            n = len(res["data"]["result"])
            if n > 0:
                status, note = "OK", f"{n} series"
            elif source == "alerts":
                status, note = "OK", "0 series (not firing)"
            elif (e["name"], e["ref"]) in SKIP:
                status, note = "SKIPPED", SKIP[(e["name"], e["ref"])]
            else:
                absent = absent_metrics(e["metrics"])
                owners = sorted({PENDING[m] for m in absent if m in PENDING})
                if absent and all(m in PENDING for m in absent):
                    status = "PENDING"
                    note = "no series: not exported yet: " + ", ".join(absent) + " -> " + "; ".join(owners)
                    pending_lines.append(f"{where}: {e['expr']}")
                elif absent:
                    status, note = "FAIL", "no series: the service does not export " + ", ".join(absent)
                else:
                    status, note = "FAIL", "no series although every metric it uses is exported"
        counts[status] += 1
        print(f"  {status:<8} {where}: {note}")
        if status == "FAIL":
            print(f"           expr: {e['expr']}")

print("-- rules (/api/v1/rules)")
deadline = time.time() + 15
while True:
    groups = get("/api/v1/rules")["data"]["groups"]
    rules = [(g["name"], r) for g in groups for r in g["rules"]]
    unevaluated = [r["name"] for _, r in rules if r.get("health") == "unknown"]
    if not unevaluated or time.time() > deadline:
        break
    time.sleep(0.5)
if not rules:
    counts["FAIL"] += 1
    print("  FAIL     no rules loaded from alerts.yml")
for group, r in rules:
    ok = r.get("health") == "ok" and not r.get("lastError")
    counts["OK" if ok else "FAIL"] += 1
    state = r.get("state", r.get("type", ""))
    detail = f'health {r.get("health")}' + (f', error: {r["lastError"]}' if r.get("lastError") else "")
    print(f'  {"OK" if ok else "FAIL":<8} {group}/{r["name"]}: {detail}, {state}')

print(f'\nsummary: {counts["OK"]} ok, {counts["SKIPPED"]} skipped, {counts["PENDING"]} pending, {counts["FAIL"]} failed')
if pending_lines:
    print("pending (dashboard expressions without data until the issues above land):")
    for line in pending_lines:
        print("  " + line)
if counts["FAIL"]:
    sys.exit(1)
if counts["PENDING"] and not allow_pending:
    sys.exit(3)
PY
case "$rc" in
  0) printf '\nlive-check: OK%s\n' "$([ "$ALLOW_PENDING" -eq 1 ] && echo ' (PENDING expressions accepted: --allow-pending)')" ;;
  3) echo "live-check: NOT COMPLETE: every query works, but the dashboard expressions listed as PENDING have no data" \
       "until issue 5 adds their metrics (exit 3; --allow-pending accepts them)" >&2
     exit 3 ;;
  *) fail "see FAIL lines above" ;;
esac
