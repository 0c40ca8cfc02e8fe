#!/usr/bin/env bash
# Time to fallback: Leonardo answers every create with 429 (a standing emulator fault); the router
# falls back to OpenAI. Measured in the emulator's JVM: arrival of the OpenAI request minus arrival
# of the Leonardo create that failed, request by request (sequential). Usage: bench/fallback.sh [requests]
source "$(dirname "$0")/common.sh"
require_jar
N=${1:-300}
start_emulator 0ms 100ms 200ms "leonardo=429"
# Leonardo must be tried on every request: its breaker would open after a run of 429s (RATE_LIMITED
# counts as unhealthy) and its rate limiter allows 100 creates a minute, so both are widened here.
# Leonardo's 429 carries no Retry-After, so there is no cooldown either.
start_router leonardo-phoenix,openai-gpt-image-2 -Xms512m -Xmx512m \
  -Drouter.providers.leonardo-phoenix.resilience.minimum-calls=10000 \
  -Drouter.providers.leonardo-phoenix.resilience.sliding-window-size=10000 \
  -Drouter.providers.leonardo-phoenix.resilience.limit-for-period=1000000
# Warm-up through the same fallback path until the router's JIT is quiet (warm_up in common.sh), at
# 50/s for at most 150 s: fewer calls than the widened breaker window (10,000, the config's maximum).
echo '{"prompt":"fallback bench {seq}"}' > "$WORK/warm.json"
WARM_MAX=150 warm_up "$ROUTER_PID" "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" "$WORK/warm.json" 50 \
  "Cache-Control: no-cache" "$AUTH"
curl -s -X POST "http://127.0.0.1:$EMU_PORT/sandbox/stats/reset" >/dev/null
for i in $(seq 1 "$N"); do curl -s -o /dev/null "http://127.0.0.1:$ROUTER_PORT/v1/images/generations" \
  -H 'Content-Type: application/json' -H 'Cache-Control: no-cache' -H "$AUTH" -d '{"prompt":"fallback bench"}'; done
curl -s "http://127.0.0.1:$EMU_PORT/sandbox/stats" | python3 -c '
import json,sys,statistics
s=json.load(sys.stdin); l=s["leonardo_create_nanos"]; o=s["openai_generate_nanos"]
d=sorted((b-a)/1e6 for a,b in zip(l,o))
p99=d[max(0,int(len(d)*0.99)-1)]
print(json.dumps({"pairs":len(d),"median_ms":round(statistics.median(d),3),"p99_ms":round(p99,3),"max_ms":round(d[-1],3)}))'
