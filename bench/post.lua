-- wrk script: POST one generation request (the same body every time, so it is a cache hit).
wrk.method = "POST"
wrk.body = '{"prompt":"cache hit bench","size":"1024x1024"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-local-key-0001"
