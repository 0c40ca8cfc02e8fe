#!/usr/bin/env bash
# Cache-hit throughput: one generation fills the cache, then wrk (Debian's package) sends the same
# request from 64 connections for the given time. Usage: bench/cache-hits.sh [seconds] [connections]
source "$(dirname "$0")/common.sh"
require_jar
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
DURATION=${1:-15}; CONNECTIONS=${2:-64}
start_emulator 0ms 100ms 200ms
start_router openai-gpt-image-1,leonardo-phoenix -Xmx512m
URL="http://127.0.0.1:$ROUTER_PORT/v1/images/generations"
curl -s -o /dev/null -w 'fill: %{http_code}\n' "$URL" -H "$AUTH" -H 'Content-Type: application/json' -d '{"prompt":"cache hit bench","size":"1024x1024"}'
wrk -t1 -c"$CONNECTIONS" -d5s -s "$BENCH_DIR/post.lua" "$URL" >/dev/null   # warm-up
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/post.lua" "$URL"
