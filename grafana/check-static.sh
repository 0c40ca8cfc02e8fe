#!/usr/bin/env bash
# Static checks for grafana/: alert rules, their promtool unit tests, the scrape config and the
# dashboard JSON (every query scoped by the job and instance variables, every rule with a runbook_url
# whose anchor is a heading of README.md). Runs from any cwd; exits non-zero on the first failing step.
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

step "dashboard JSON, job/instance scope, alert metadata, runbook links and test coverage"
"$PY" - "$TMP/dashboard-rules.yml" <<'PY'
import importlib.util, json, re, subprocess, sys
import yaml

# list-exprs.py: the dashboard/alerts expression lister, its Grafana variable substitution and the PromQL
# selector scanner (one implementation for this check and the live check).
spec = importlib.util.spec_from_file_location("list_exprs", "list-exprs.py")
lx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lx)

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
    "image_router_storage_writable", "image_router_sandbox_mode",
    "image_router_redis_up", "image_router_redis_fallbacks_total",
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

# job and instance: query variables over a metric every router exports from startup. job is one value
# (one deployment at a time); instance depends on $job, multi-value with All = ".*" (so instances that
# appear after the dashboard was loaded are included).
def check_query_var(name, want_selector, multi):
    v = tvars.get(name)
    if not v or v.get("type") != "query":
        err(f"templating needs a query variable {name!r}")
        return
    ds = v.get("datasource") or {}
    if ds.get("uid") != "${datasource}" or ds.get("type") != "prometheus":
        err(f"variable {name}: datasource {ds!r} is not the ${{datasource}} variable")
    parsed = lx.variable_query(v)
    if not parsed or parsed[0] != name or not parsed[1]:
        err(f"variable {name}: query is not label_values(<metric>, {name}): {v.get('query')!r}")
        return
    selector = parsed[1]
    check_metrics(f"variable {name}", selector)
    query = v.get("query")
    if v.get("definition") != (query.get("query") if isinstance(query, dict) else query):
        err(f"variable {name}: definition differs from its query")
    if not want_selector(selector):
        err(f"variable {name}: selector {selector!r} is not scoped as required")
    if bool(v.get("multi")) != multi or bool(v.get("includeAll")) != multi:
        err(f"variable {name}: multi/includeAll must be {multi}")
    if multi and v.get("allValue") != ".*":
        err(f'variable {name}: allValue must be ".*" (used as {name}=~"${name}")')
def one_metric(sel, job_scoped):
    """sel is one selector of a service metric: bare for job, with job="$job" (and no other variable) for instance."""
    found = lx.selectors(sel)
    if len(found) != 1 or not found[0][0] or not METRIC_RE.fullmatch(found[0][0]):
        return False
    rest = sel.replace('job="$job"', "") if job_scoped else sel
    return "$" not in rest and (not job_scoped or bool(lx.JOB_MATCHER.search(found[0][1] or "")))
check_query_var("job", lambda sel: one_metric(sel, False), False)
check_query_var("instance", lambda sel: one_metric(sel, True), True)

# Every query of the dashboard is scoped: each selector carries job="$job", each selector of a service
# metric also instance=~"$instance" (list-exprs.scope_problems). No other Grafana variable or macro: the
# live check runs the exprs as plain PromQL with these two substituted.
def check_expr(where, expr):
    for problem in lx.scope_problems(expr):
        err(f"{where}: not scoped to the dashboard variables: {problem}: {expr}")
    rest = expr.replace('job="$job"', "").replace('instance=~"$instance"', "")
    others = sorted({m.group(0) for m in lx.GRAFANA_VARS.finditer(rest)})
    if others:
        err(f"{where}: Grafana variable or macro {', '.join(others)} in expr (only job=\"$job\" and "
            f"instance=~\"$instance\" are substituted for the live check): {expr}")
    check_metrics(where, expr)

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
        check_expr(where, expr)
        exprs.append(expr)
print(f"dashboard: {len(ids)} panels, {len(exprs)} target exprs, each scoped by job and instance")

# annotations: Grafana's built-in one, and Prometheus queries over ${datasource}, scoped like the panels;
# config reloads and firing alerts at least
annotations = [a for a in dash.get("annotations", {}).get("list", []) if not a.get("builtIn")]
for a in annotations:
    where = f"annotation {a.get('name')!r}"
    ds = a.get("datasource") or {}
    if ds.get("uid") != DS_UID or ds.get("type") != "prometheus":
        err(f"{where}: datasource {ds!r} is not the ${{datasource}} variable")
    expr = a.get("expr") or (a.get("target") or {}).get("expr")
    if not isinstance(expr, str) or not expr.strip():
        err(f"{where}: empty expr")
        continue
    check_expr(where, expr)
annotation_exprs = [a.get("expr") or (a.get("target") or {}).get("expr") or "" for a in annotations]
if not any("image_router_config_reloads_total" in e for e in annotation_exprs):
    err("annotations: none marks config reloads (image_router_config_reloads_total)")
if not any(re.search(r"\bALERTS\{", e) for e in annotation_exprs):
    err("annotations: none marks firing alerts (ALERTS{...})")
print(f"dashboard: {len(annotations)} annotation queries, scoped; variables job and instance")

# every dashboard expr must parse once the variables are substituted (as list-exprs.py prints them for
# the live check, variable queries included): wrap them as recording rules for promtool check rules
try:
    listed = list(lx.dashboard_exprs(lx.default_values()))
except (KeyError, ValueError) as e:
    err(f"list-exprs.py: {e.args[0]}")
    listed = []
with open(sys.argv[1], "w") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e["expr"]} for i, e in enumerate(listed)]}]}, f)
res = subprocess.run(["promtool", "check", "rules", sys.argv[1]], capture_output=True, text=True)
if res.returncode != 0:
    err("dashboard PromQL does not parse:\n" + res.stdout + res.stderr)
else:
    print(f"dashboard: all {len(listed)} exprs parse with job and instance substituted (promtool check rules)")

# ---- alert rules: labels, annotations, runbook links, metric names, the scrape job
with open("prometheus/alerts.yml", encoding="utf-8") as f:
    rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]
def slug(heading):
    """The anchor Git hosts (GitHub, GitLab, Gitea) give a Markdown heading."""
    h = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return h.replace(" ", "-")
with open("README.md", encoding="utf-8") as f:
    readme_anchors = {slug(h) for h in re.findall(r"^#+\s+(.+)$", f.read(), re.M)}
with open("prometheus/prometheus.yml", encoding="utf-8") as f:
    scrape_jobs = [j["job_name"] for j in yaml.safe_load(f).get("scrape_configs") or []]
# runbook_url = <base>#<anchor>: one base for every rule (operators replace it in one go), absolute (an
# Alertmanager notification cannot resolve a relative link), pointing at grafana/README.md
RUNBOOK_URL = re.compile(r"^(https?://[^\s#]+/grafana/README\.md)#([a-z0-9_-]+)$")
bases = set()
names = [r["alert"] for r in rules]
for r in rules:
    a = r["alert"]
    if r.get("labels", {}).get("severity") not in ("warning", "critical"):
        err(f"alert {a}: severity label must be warning or critical")
    ann = r.get("annotations", {})
    for k in ("summary", "description", "runbook_url"):
        if not str(ann.get(k, "")).strip():
            err(f"alert {a}: missing annotation {k}")
    url = str(ann.get("runbook_url", ""))
    m = RUNBOOK_URL.match(url)
    if url and not m:
        err(f"alert {a}: runbook_url {url!r} is not an absolute http(s) link to .../grafana/README.md#<anchor>")
    elif m:
        bases.add(m.group(1))
        if m.group(2) not in readme_anchors:
            err(f"alert {a}: runbook_url anchor #{m.group(2)} is not a heading in grafana/README.md")
        if m.group(2) != slug(a):
            err(f"alert {a}: runbook_url anchor #{m.group(2)} is not the alert's own section #{slug(a)}")
    # Prometheus' own `up` is shared by every service: select the router's scrape job by its name
    for name, matchers, _, _ in lx.selectors(r["expr"]):
        if name == "up" and not any(re.search(r'(?:^|,)\s*job\s*=\s*"' + re.escape(j) + r'"\s*(?:,|$)', matchers or "")
                                    for j in scrape_jobs):
            err(f"alert {a}: up{{{matchers or ''}}} does not select the scrape job of prometheus.yml ({', '.join(scrape_jobs)})")
    check_metrics(f"alert {a}", r["expr"])
if len(bases) > 1:
    err(f"alerts.yml: runbook_url has {len(bases)} different bases, want one: {sorted(bases)}")
print(f"alerts: runbook_url base {', '.join(sorted(bases)) or '(none)'}")
required = {"LeonardoCreditsLow", "LeonardoCreditsCritical", "HighFallbackRatio", "CircuitBreakerOpen",
            "AllProvidersFailing", "HighLatencyP95", "ModelUnavailable", "DailyCostOverBudget",
            "RouterTargetDown", "HighServerErrorRatio", "StorageUnavailable"}
for missing in sorted(required - set(names)):
    err(f"alerts.yml: required alert {missing} is missing")

# ---- unit-test coverage: each alert fires in one case and stays quiet in another
with open("prometheus/alerts.test.yml", encoding="utf-8") as f:
    tests = yaml.safe_load(f)["tests"]
fires, quiet = set(), set()
for t in tests:
    for c in t.get("alert_rule_test") or []:
        (fires if c.get("exp_alerts") else quiet).add(c["alertname"])
        # every alert keeps the job label (one Prometheus, several deployments; the dashboard's
        # "Firing alerts" annotation selects ALERTS by job)
        for e in c.get("exp_alerts") or []:
            if "job" not in (e.get("exp_labels") or {}):
                err(f"alerts.test.yml: {t['name']!r}: {c['alertname']} fires without a job label")
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
echo "$(wc -l < "$TMP/exprs.jsonl") expressions listed ($(grep -c '"source": "dashboard"' "$TMP/exprs.jsonl") dashboard, $(grep -c '"source": "variable"' "$TMP/exprs.jsonl") variables, $(grep -c '"source": "alerts"' "$TMP/exprs.jsonl") alerts)"

printf '\ncheck-static: OK\n'
