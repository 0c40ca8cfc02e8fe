#!/usr/bin/env bash
# The OpenAI 200 answer's parse, A/B: A = ImagesResponseReader (one streaming pass, the JDK's base64
# decoder on the body bytes), B = the SDK's model (ObjectMappers.jsonMapper().readValue(body,
# ImagesResponse.class), then data[i].b64Json() through java.util.Base64, plus quality and usage).
# Two bodies, full gpt-image-2 ImagesResponses with one image: a flat 1024x1024 PNG of ~5 KiB (the
# overhead benchmarks' flat-images) and a ~1.8 MiB PNG (~2.3 MiB of base64, a real answer's size).
# src/test/java/dev/imagerouter/provider/openai/ParseAb.java does the work: A and B warmed up and
# interleaved in one JVM, every operation timed (thread CPU time and wall time), allocation from the
# thread's allocated bytes. This script builds, then runs that JVM [runs] times (the run-to-run
# noise) and prints each run's lines and a summary. No network, no files outside target/.
# Usage: bench/parse-ab.sh [runs] (default 3); NO_BUILD=1 skips the build.
# Extra arguments go to ParseAb: small rounds, ops per small block, large rounds, ops per large block.
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
shift || true
if [ "${NO_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && ./mvnw -o -q -DskipTests package) >&2
fi
require_jar
[ -f "$ROOT/target/test-classes/dev/imagerouter/provider/openai/ParseAb.class" ] || { echo "ParseAb not compiled" >&2; exit 1; }
# The shaded jar gives the same SDK and Jackson the router runs with; target/classes first, so the
# reader is the one just compiled.
CP="$ROOT/target/test-classes:$ROOT/target/classes:$JAR"
for run in $(seq 1 "$RUNS"); do
  java -Xms512m -Xmx512m -cp "$CP" dev.imagerouter.provider.openai.ParseAb "$run" "$@" | tee -a "$WORK/results"
done
echo
echo "# summary over $RUNS runs: median of the runs' medians [lowest-highest run median], CPU µs per parse + decode"
awk '
/^RESULT/ {
  for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  key = f["case"] " " f["variant"]
  n[key]++; med[key, n[key]] = f["cpu_median_us"]; p10[key, n[key]] = f["cpu_p10_us"]; p90[key, n[key]] = f["cpu_p90_us"]
  wall[key, n[key]] = f["wall_median_us"]; alloc[key] = f["alloc_mib_per_op"]
  if (!(key in seen)) { seen[key] = 1; keys[++k] = key }
}
function median(arr, key, m,   i, j, t, v) {
  for (i = 1; i <= m; i++) v[i] = arr[key, i] + 0
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
  lo = v[1]; hi = v[m]
  return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
END {
  printf "| case | variant | CPU median µs | runs [min-max] | CPU p10-p90 µs (median of runs) | wall median µs | alloc MiB/op |\n"
  printf "|---|---|---|---|---|---|---|\n"
  for (x = 1; x <= k; x++) {
    key = keys[x]; m = n[key]
    c = median(med, key, m); clo = lo; chi = hi
    a = median(p10, key, m); b = median(p90, key, m); w = median(wall, key, m)
    split(key, cv, " ")
    printf "| %s | %s | %.1f | %.1f-%.1f | %.1f-%.1f | %.1f | %.3f |\n", cv[1], cv[2], c, clo, chi, a, b, w, alloc[key]
  }
}' "$WORK/results"
grep '^# run .*B - A' "$WORK/results"
