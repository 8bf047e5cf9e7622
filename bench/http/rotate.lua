-- wrk script for the HTTP benchmark: rotates through the request paths listed one per line in
-- $WADESK_BENCH_URLS, with "Authorization: Bearer $WADESK_BENCH_TOKEN" on every request.
-- $WADESK_BENCH_DELAY_MS (optional) paces each connection: after a response the connection
-- waits that long before its next request, so C connections send about C*1000/(delay + latency)
-- req/s. wrk waits whole milliseconds, so a fractional delay (2.4) is kept on average: each
-- thread carries the remainder over (waits of 2 and 3 ms, 2.4 ms in the mean).
-- wrk starts its latency clock when a request is written, so pacing adds nothing to latency.
local token = os.getenv("WADESK_BENCH_TOKEN") or ""
local urls_file = os.getenv("WADESK_BENCH_URLS")
local delay_ms = tonumber(os.getenv("WADESK_BENCH_DELAY_MS") or "0")

local paths = {}
for line in io.lines(urls_file) do
  if #line > 0 then paths[#paths + 1] = line end
end
assert(#paths > 0, "no paths in " .. tostring(urls_file))

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  -- Threads start at different offsets so they do not ask for the same row at once.
  counter = (thread_id * 7919) % #paths
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

if delay_ms > 0 then
  local owed = 0.0
  function delay()
    owed = owed + delay_ms
    local wait = math.floor(owed)
    owed = owed - wait
    return wait
  end
end
-- No response() hook: wrk then skips parsing bodies, and counts non-2xx answers itself.
