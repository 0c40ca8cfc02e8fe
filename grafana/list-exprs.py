#!/usr/bin/env python3
"""Print every PromQL expression of the image-router dashboard and alert rules, one JSON object a line.

    python3 grafana/list-exprs.py                # dashboard + alerts
    python3 grafana/list-exprs.py --dashboard    # only the dashboard
    python3 grafana/list-exprs.py --alerts       # only alerts.yml
    python3 grafana/list-exprs.py --raw          # do not substitute Grafana variables

Each line:  {"source": "dashboard"|"alerts", "name": <panel title / alert name>, "ref": <refId / group>,
             "expr": <PromQL>, "metrics": [<metric names referenced>]}

For a live check: run each "expr" as an instant query against Prometheus.
  - dashboard exprs should succeed and, after some traffic, mostly return data (event-only
    metrics such as fallbacks, config reloads or daily budgets may legitimately be empty);
  - alert exprs must succeed; they are normally empty (an alert that is not firing).
Grafana-only variables are replaced by plain values ($__rate_interval/$__interval -> 1m,
$provider and other template variables -> .*), so every printed expr is plain PromQL; the dashboard
currently uses none of them apart from ${datasource}, which is not part of any expr.
Needs PyYAML (python3-yaml) to read alerts.yml.
"""
import json
import os
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "dashboards", "image-router.json")
ALERTS = os.path.join(HERE, "prometheus", "alerts.yml")

METRIC_RE = re.compile(r"\b(?:image_router_|resilience4j_|jvm_|process_|http_server_)[a-zA-Z0-9_:]*")
GRAFANA_INTERVALS = re.compile(r"\$(?:__rate_interval|__interval|__range)\b|\$\{(?:__rate_interval|__interval|__range)\}")
GRAFANA_VARS = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?")


def substitute(expr):
    expr = GRAFANA_INTERVALS.sub("1m", expr)
    return GRAFANA_VARS.sub(".*", expr)


def metrics_of(expr):
    return sorted(set(METRIC_RE.findall(expr)))


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def dashboard_exprs(raw=False):
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    for p in all_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            expr = t.get("expr", "")
            if not raw:
                expr = substitute(expr)
            yield {"source": "dashboard", "name": p.get("title", ""), "ref": t.get("refId", ""),
                   "expr": expr, "metrics": metrics_of(expr)}


def alert_exprs():
    try:
        import yaml
    except ImportError:
        sys.exit("list-exprs.py: PyYAML is missing (apt-get install -y python3-yaml, or run /usr/bin/python3)")
    with open(ALERTS, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            expr = r["expr"].strip()
            yield {"source": "alerts", "name": r.get("alert") or r.get("record"), "ref": g["name"],
                   "expr": expr, "metrics": metrics_of(expr)}


def main(argv):
    args = set(argv[1:])
    unknown = args - {"--dashboard", "--alerts", "--raw", "-h", "--help"}
    if unknown or args & {"-h", "--help"}:
        print(__doc__.strip(), file=sys.stderr if unknown else sys.stdout)
        return 2 if unknown else 0
    want_dash = "--dashboard" in args or "--alerts" not in args
    want_alerts = "--alerts" in args or "--dashboard" not in args
    out = []
    if want_dash:
        out.extend(dashboard_exprs(raw="--raw" in args))
    if want_alerts:
        out.extend(alert_exprs())
    for o in out:
        print(json.dumps(o, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv))
