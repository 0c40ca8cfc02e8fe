#!/usr/bin/env python3
"""Print every PromQL expression of the image-router dashboard and alert rules, one JSON object a line.

    python3 grafana/list-exprs.py                # dashboard (panels, annotations, variables) + alerts
    python3 grafana/list-exprs.py --dashboard    # only the dashboard
    python3 grafana/list-exprs.py --alerts       # only alerts.yml
    python3 grafana/list-exprs.py --raw          # do not substitute Grafana variables
    python3 grafana/list-exprs.py --var job=my-router   # the job the dashboard variable would select

Each line:  {"source": "dashboard"|"variable"|"alerts", "name": <panel title / "annotation: <name>" /
             variable name / alert name>, "ref": <refId / "annotation" / the variable's query / group>,
             "expr": <PromQL>, "metrics": [<metric names referenced>]}
A "variable" line also has "label" (the label whose values the variable offers) and, when the value the
dashboard expressions were printed with is a plain value (not a regex), "expect": that value.

For a live check: run each "expr" as an instant query against Prometheus.
  - dashboard exprs should succeed and, after some traffic, return data;
  - variable exprs (a label_values() query rewritten as count by (<label>) (<selector>)) must return
    the values the drop-down would offer, "expect" among them;
  - alert exprs must succeed; they are normally empty (an alert that is not firing).
The dashboard's template variables are replaced by plain values, so every printed expr is plain PromQL:
$job by the scrape job in prometheus/prometheus.yml (image-router; --var job=... for another),
$instance by ".*" (the variable's "All"), $__rate_interval/$__interval/$__range by 1m. Any other
variable is an error. ${datasource} is not part of any expr.

The module also holds the PromQL selector scanner that grafana/check-static.sh uses to check that
every dashboard query is scoped by {job="$job", instance=~"$instance"}.
Needs PyYAML (python3-yaml) to read alerts.yml and prometheus.yml.
"""
import json
import os
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "dashboards", "image-router.json")
ALERTS = os.path.join(HERE, "prometheus", "alerts.yml")
SCRAPE_CONFIG = os.path.join(HERE, "prometheus", "prometheus.yml")

METRIC_RE = re.compile(r"\b(?:image_router_|resilience4j_|jvm_|process_|http_server_)[a-zA-Z0-9_:]*")
GRAFANA_INTERVALS = re.compile(r"\$(?:__rate_interval|__interval|__range)\b|\$\{(?:__rate_interval|__interval|__range)\}")
GRAFANA_VARS = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.*\S)\s*,\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)

# The dashboard's scope: every selector carries JOB_MATCHER, every selector of a service metric
# (METRIC_RE) also INSTANCE_MATCHER. ALERTS{...} carries only the job: alerts aggregated by job have
# no instance label.
JOB_MATCHER = re.compile(r'(?:^|,)\s*job\s*=\s*"\$job"\s*(?=,|$)')
INSTANCE_MATCHER = re.compile(r'(?:^|,)\s*instance\s*=~\s*"\$instance"\s*(?=,|$)')


def metrics_of(expr):
    return sorted(set(METRIC_RE.findall(expr)))


# ---------------------------------------------------------------- PromQL selectors
# Just enough of PromQL's lexer to find every vector selector: skips strings, comments, [ranges],
# numbers and durations, keywords, function and aggregation names (an identifier followed by "(")
# and the label lists of by/without/on/ignoring/group_left/group_right.
_LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS = {"bool", "offset", "and", "or", "unless", "atan2", "inf", "nan"}
_AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                 "bottomk", "topk", "quantile", "limitk", "limit_ratio"}


def _skip_string(s, i):
    quote, i = s[i], i + 1
    while i < len(s) and s[i] != quote:
        i += 2 if s[i] == "\\" and quote != "`" else 1
    return i + 1


def _close(s, i, opening, closing):
    """Index of the bracket that closes s[i] (== opening), skipping strings."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced {opening!r} in {s!r}")


def selectors(expr):
    """Every vector selector of expr: (metric name or None, matcher text or None, start, end)."""
    out, i, n = [], 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            i = _skip_string(expr, i)
        elif c == "#":
            nl = expr.find("\n", i)
            i = n if nl < 0 else nl
        elif c == "[":
            i = _close(expr, i, "[", "]") + 1
        elif c == "{":
            j = _close(expr, i, "{", "}")
            out.append((None, expr[i + 1:j], i, j + 1))
            i = j + 1
        elif c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            while i < n and (expr[i].isalnum() or expr[i] in "._"):
                i += 1
        elif c.isalpha() or c in "_:":
            j = i
            while j < n and (expr[j].isalnum() or expr[j] in "_:"):
                j += 1
            word, k = expr[i:j], j
            while k < n and expr[k].isspace():
                k += 1
            low = word.lower()
            if low in _LABEL_LIST_KEYWORDS:
                i = _close(expr, k, "(", ")") + 1 if k < n and expr[k] == "(" else j
            elif low in _KEYWORDS or low in _AGGREGATIONS or (k < n and expr[k] == "("):
                i = j
            elif k < n and expr[k] == "{":
                e = _close(expr, k, "{", "}")
                out.append((word, expr[k + 1:e], i, e + 1))
                i = e + 1
            else:
                out.append((word, None, i, j))
                i = j
        else:
            i += 1
    return out


def scope_problems(expr):
    """Why expr is not scoped to the dashboard's $job and $instance (empty list: it is)."""
    problems = []
    for name, matchers, _, _ in selectors(expr):
        shown = (name or "") + ("{" + matchers + "}" if matchers is not None else "")
        m = matchers or ""
        if not JOB_MATCHER.search(m):
            problems.append(f'{shown}: no job="$job"')
        if name and METRIC_RE.fullmatch(name) and not INSTANCE_MATCHER.search(m):
            problems.append(f'{shown}: no instance=~"$instance"')
    return problems


# ---------------------------------------------------------------- variables
def default_values():
    """What the dashboard variables stand for in plain PromQL: the shipped scrape job, every instance."""
    try:
        import yaml
    except ImportError:
        sys.exit("list-exprs.py: PyYAML is missing (apt-get install -y python3-yaml, or run /usr/bin/python3)")
    with open(SCRAPE_CONFIG, encoding="utf-8") as f:
        jobs = [j["job_name"] for j in (yaml.safe_load(f).get("scrape_configs") or [])]
    if len(jobs) != 1:
        sys.exit(f"list-exprs.py: {SCRAPE_CONFIG} has {len(jobs)} scrape jobs, want 1 (or pass --var job=...)")
    return {"job": jobs[0], "instance": ".*"}


def substitute(expr, values):
    expr = GRAFANA_INTERVALS.sub("1m", expr)

    def value(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(f"Grafana variable ${name} has no plain value (known: {', '.join(sorted(values))}): {expr}")
        return values[name]
    return GRAFANA_VARS.sub(value, expr)


def variable_query(v):
    """A query variable's label_values() as (label, selector), or None for another kind of query."""
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    m = LABEL_VALUES.match(q or "")
    return (m.group("label"), m.group("selector")) if m else None


# ---------------------------------------------------------------- the two files
def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def load_dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def dashboard_exprs(values=None):
    """Panel targets, then annotations, then variables; values None = raw (variables left in)."""
    dash = load_dashboard()
    sub = (lambda e: e) if values is None else (lambda e: substitute(e, values))
    for p in all_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            expr = sub(t.get("expr", ""))
            yield {"source": "dashboard", "name": p.get("title", ""), "ref": t.get("refId", ""),
                   "expr": expr, "metrics": metrics_of(expr)}
    for a in dash.get("annotations", {}).get("list", []):
        raw = a.get("expr") or (a.get("target") or {}).get("expr")
        if raw:
            expr = sub(raw)
            yield {"source": "dashboard", "name": "annotation: " + a.get("name", ""), "ref": "annotation",
                   "expr": expr, "metrics": metrics_of(expr)}
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        parsed = variable_query(v)
        if not parsed:
            raise ValueError(f"variable {v.get('name')}: not a label_values() query: {v.get('query')!r}")
        label, selector = parsed
        target = sub(selector) if selector else "{" + label + '!=""}'
        expr = f"count by ({label}) ({target})"
        entry = {"source": "variable", "name": v.get("name", ""), "ref": v.get("definition", ""),
                 "expr": expr, "metrics": metrics_of(expr), "label": label}
        if values is not None and v.get("name") in values and not re.search(r"[.*+?|()\[\]{}^$\\]", values[v["name"]]):
            entry["expect"] = values[v["name"]]
        yield entry


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
    args, overrides = [], {}
    it = iter(argv[1:])
    for a in it:
        if a == "--var" or a.startswith("--var="):
            kv = a[len("--var="):] if a.startswith("--var=") else next(it, "")
            name, sep, val = kv.partition("=")
            if not sep or not name:
                print(f"list-exprs.py: --var wants NAME=VALUE, got {kv!r}", file=sys.stderr)
                return 2
            overrides[name] = val
        else:
            args.append(a)
    flags = set(args)
    unknown = flags - {"--dashboard", "--alerts", "--raw", "-h", "--help"}
    if unknown or flags & {"-h", "--help"}:
        print(__doc__.strip(), file=sys.stderr if unknown else sys.stdout)
        return 2 if unknown else 0
    want_dash = "--dashboard" in flags or "--alerts" not in flags
    want_alerts = "--alerts" in flags or "--dashboard" not in flags
    out = []
    if want_dash:
        values = None if "--raw" in flags else {**default_values(), **overrides}
        try:
            out.extend(dashboard_exprs(values))
        except (KeyError, ValueError) as e:
            print(f"list-exprs.py: {e.args[0]}", file=sys.stderr)
            return 1
    if want_alerts:
        out.extend(alert_exprs())
    for o in out:
        print(json.dumps(o, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv))
