#!/usr/bin/env bash
# Static checks for grafana/: alert rules, their promtool unit tests, the scrape config and the
# dashboard JSON. Runs from any cwd; exits non-zero on the first failing step.
#   bash grafana/check-static.sh
# Needs promtool (Debian: apt-get install -y prometheus) and python3 with PyYAML (python3-yaml).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'check-static: FAIL: %s\n' "$*" >&2; exit 1; }

command -v promtool >/dev/null 2>&1 \
  || fail "promtool not found (apt-get update && apt-get install -y prometheus)"

# A python3 that has PyYAML: the default one first, then Debian's.
PY=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
    PY="$candidate"; break
  fi
done
[ -n "$PY" ] || fail "no python3 with PyYAML (apt-get install -y python3-yaml)"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

step "promtool $(promtool --version 2>&1 | head -n1 | awk '{print $3}')"

step "promtool check rules prometheus/alerts.yml"
promtool check rules prometheus/alerts.yml

step "promtool check config prometheus/prometheus.yml"
promtool check config prometheus/prometheus.yml

step "promtool test rules prometheus/alerts.test.yml"
(cd prometheus && promtool test rules alerts.test.yml)

step "dashboard JSON, alert metadata and test coverage"
"$PY" - "$TMP/dashboard-rules.yml" <<'PY'
import json, re, subprocess, sys
import yaml

errors = []
def err(msg): errors.append(msg)

# Metric names the service exports (the contract in the brief / DESIGN.md "Metrics").
KNOWN = {
    "image_router_requests_total",
    "image_router_request_duration_seconds_bucket", "image_router_request_duration_seconds_count",
    "image_router_request_duration_seconds_sum", "image_router_request_duration_seconds_max",
    "image_router_provider_attempts_total",
    "image_router_provider_duration_seconds_bucket", "image_router_provider_duration_seconds_count",
    "image_router_provider_duration_seconds_sum",
    "image_router_fallbacks_total",
    "image_router_cache_gets_total", "image_router_cache_size", "image_router_cache_evictions_total",
    "image_router_cache_load_duration_seconds_count", "image_router_cache_load_duration_seconds_sum",
    "image_router_provider_credits", "image_router_provider_credits_threshold",
    "image_router_credit_checks_total", "image_router_cost_usd_total",
    "image_router_provider_daily_budget_usd", "image_router_provider_daily_budget_credits",
    "image_router_paid_generations_total", "image_router_model_available",
    "image_router_model_shutdown_timestamp_seconds",
    "image_router_config_reloads_total", "image_router_alerts_total",
    "image_router_jobs", "image_router_jobs_finished_total", "image_router_job_queue_depth",
    "image_router_job_queue_wait_seconds_bucket", "image_router_job_queue_wait_seconds_count",
    "image_router_job_queue_wait_seconds_sum", "image_router_jobs_max_queued",
    "image_router_callback_deliveries_total",
    "resilience4j_circuitbreaker_state", "resilience4j_circuitbreaker_calls_seconds_count",
    "resilience4j_circuitbreaker_not_permitted_calls_total", "resilience4j_circuitbreaker_failure_rate",
    "resilience4j_ratelimiter_available_permissions", "resilience4j_ratelimiter_waiting_threads",
    "resilience4j_bulkhead_available_concurrent_calls", "resilience4j_bulkhead_max_allowed_concurrent_calls",
    "resilience4j_retry_calls_total",
    "http_server_requests_seconds_count", "jvm_memory_used_bytes", "process_cpu_usage",
    "jvm_threads_live_threads",
}
METRIC_RE = re.compile(r"\b(?:image_router_|resilience4j_|jvm_|process_|http_server_)[a-zA-Z0-9_:]*")

def check_metrics(where, expr):
    for m in set(METRIC_RE.findall(expr)):
        if m not in KNOWN:
            err(f"{where}: unknown metric {m}")

# ---- dashboard
with open("dashboards/image-router.json", encoding="utf-8") as f:
    dash = json.load(f)
if dash.get("uid") != "image-router":
    err(f"dashboard uid is {dash.get('uid')!r}, want 'image-router'")
if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
    err(f"schemaVersion {dash.get('schemaVersion')!r} is not a Grafana 10+ schema (>= 36)")
tvars = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
dv = tvars.get("datasource")
if not dv or dv.get("type") != "datasource" or dv.get("query") != "prometheus":
    err("templating needs a variable 'datasource' of type datasource with query 'prometheus'")

def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))

DS_UID = "${datasource}"
ids, exprs = set(), []
for p in all_panels(dash.get("panels", [])):
    title = p.get("title", "?")
    if p.get("id") in ids:
        err(f"panel {title!r}: duplicate id {p.get('id')}")
    ids.add(p.get("id"))
    if "gridPos" not in p:
        err(f"panel {title!r}: no gridPos")
    if p.get("type") == "row":
        continue
    if p.get("type") not in ("timeseries", "stat", "gauge"):
        err(f"panel {title!r}: type {p.get('type')!r} not in timeseries/stat/gauge")
    ds = p.get("datasource") or {}
    if ds.get("uid") != DS_UID or ds.get("type") != "prometheus":
        err(f"panel {title!r}: datasource {ds!r} is not the ${{datasource}} variable")
    targets = p.get("targets") or []
    if not targets:
        err(f"panel {title!r}: no targets")
    for t in targets:
        where = f"panel {title!r} target {t.get('refId')}"
        expr = t.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            err(f"{where}: empty expr")
            continue
        tds = t.get("datasource") or {}
        if tds.get("uid") != DS_UID or tds.get("type") != "prometheus":
            err(f"{where}: datasource {tds!r} is not the ${{datasource}} variable")
        if "$" in expr:
            err(f"{where}: Grafana variable or macro in expr (the live check runs exprs as plain PromQL): {expr}")
        check_metrics(where, expr)
        exprs.append(expr)
print(f"dashboard: {len(ids)} panels, {len(exprs)} target exprs")

# every dashboard expr must parse: wrap them as recording rules for promtool check rules
with open(sys.argv[1], "w") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}, f)
res = subprocess.run(["promtool", "check", "rules", sys.argv[1]], capture_output=True, text=True)
if res.returncode != 0:
    err("dashboard PromQL does not parse:\n" + res.stdout + res.stderr)
else:
    print(f"dashboard: all {len(exprs)} exprs parse (promtool check rules)")

# ---- alert rules: labels, annotations, runbook anchors, metric names
with open("prometheus/alerts.yml", encoding="utf-8") as f:
    rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]
with open("README.md", encoding="utf-8") as f:
    readme_anchors = {h.strip().lower() for h in re.findall(r"^#+\s+(.+)$", f.read(), re.M)}
names = [r["alert"] for r in rules]
for r in rules:
    a = r["alert"]
    if r.get("labels", {}).get("severity") not in ("warning", "critical"):
        err(f"alert {a}: severity label must be warning or critical")
    ann = r.get("annotations", {})
    for k in ("summary", "description", "runbook"):
        if not str(ann.get(k, "")).strip():
            err(f"alert {a}: missing annotation {k}")
    anchor = str(ann.get("runbook", "")).partition("#")[2]
    if anchor and anchor not in readme_anchors:
        err(f"alert {a}: runbook anchor #{anchor} has no heading in README.md")
    check_metrics(f"alert {a}", r["expr"])
required = {"LeonardoCreditsLow", "LeonardoCreditsCritical", "HighFallbackRatio", "CircuitBreakerOpen",
            "AllProvidersFailing", "HighLatencyP95", "ModelUnavailable", "DailyCostOverBudget"}
for missing in sorted(required - set(names)):
    err(f"alerts.yml: required alert {missing} is missing")

# ---- unit-test coverage: each alert fires in one case and stays quiet in another
with open("prometheus/alerts.test.yml", encoding="utf-8") as f:
    tests = yaml.safe_load(f)["tests"]
fires, quiet = set(), set()
for t in tests:
    for c in t.get("alert_rule_test") or []:
        (fires if c.get("exp_alerts") else quiet).add(c["alertname"])
for a in names:
    if a not in fires:
        err(f"alerts.test.yml: no case where {a} fires")
    if a not in quiet:
        err(f"alerts.test.yml: no case where {a} stays quiet")
print(f"alerts: {len(names)} alerts, each with a firing and a non-firing unit test case")

if errors:
    print("\n".join("  - " + e for e in errors), file=sys.stderr)
    sys.exit(1)
PY

step "list-exprs.py"
"$PY" list-exprs.py > "$TMP/exprs.jsonl"
echo "$(wc -l < "$TMP/exprs.jsonl") expressions listed ($(grep -c '"source": "dashboard"' "$TMP/exprs.jsonl") dashboard, $(grep -c '"source": "alerts"' "$TMP/exprs.jsonl") alerts)"

printf '\ncheck-static: OK\n'
