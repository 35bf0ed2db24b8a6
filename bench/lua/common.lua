-- Shared by the wrk scenarios of bench/run.sh. Environment:
--   BENCH_DATA    the Lua table written by `Plinto.Bench setup` for the server under test
--   BENCH_RESULT  where done() writes the JSON result
--   BENCH_THREADS wrk's -t, to split per-thread state (refresh tokens)
-- Each scenario counts a response as bad when it is not what a successful step returns (status and body),
-- so a server answering fast with errors cannot look good.
data = dofile(os.getenv("BENCH_DATA"))
form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  thread:set("nthreads", tonumber(os.getenv("BENCH_THREADS")))
  table.insert(threads, thread)
end

bad = 0

function headers_with(extra)
  local h = {}
  for k, v in pairs(form) do h[k] = v end
  for k, v in pairs(extra) do h[k] = v end
  return h
end

function location(headers)
  return headers["Location"] or headers["location"] or ""
end

function done(summary, latency, requests)
  local failures = 0
  for _, thread in ipairs(threads) do failures = failures + (thread:get("bad") or 0) end
  local e = summary.errors
  local errors = failures + e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local file = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
  file:write(string.format('{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
  file:close()
end
