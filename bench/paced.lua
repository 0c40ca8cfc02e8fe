-- wrk script for a paced load: each connection sends a request, then waits a random 0..2*DELAY_MS
-- (mean DELAY_MS) before its next one, so N connections send about N * 1000 / DELAY_MS requests a
-- second while latency is well below the delay. Every request gets its own {seq} in BODY.
-- Environment: BODY (request body, may contain {seq}), AUTH (Authorization header value),
-- EXTRA_HEADER ("Name: value", optional), DELAY_MS (default 100).
local body = os.getenv("BODY")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "100")
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH") }
local extra = os.getenv("EXTRA_HEADER")
if extra and extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  headers[name] = value
end
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1000000000))
local counter = 0

function request()
  counter = counter + 1
  return wrk.format("POST", nil, headers, (body:gsub("{seq}", prefix .. "-" .. counter)))
end

function delay()
  return math.random(0, 2 * delay_ms)
end
