-- wrk script: POST one generation request (the same body every time, so it is a cache hit) as eight
-- clients in turn (Bearer bench-client-key-0 .. -7; bench/replicas.sh configures them), so that a
-- per-client requests-per-minute limit of 1,000,000 (the highest the configuration allows) is not
-- reached at the hit rates measured here.
local body = '{"prompt":"cache hit bench","size":"1024x1024"}'
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer bench-client-key-" .. (i % 8),
  }, body)
end
