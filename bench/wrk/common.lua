-- Shared by the bench's wrk scripts: per-thread status counts, and one JSON line at the end.
--
-- wrk runs one Lua state per thread plus one for setup/done; `setup` keeps each thread so `done`
-- can read the counts back. The JSON line (prefixed "WRK_JSON ") carries what bench/wrk.py reads:
-- requests, seconds, statuses, socket errors and latency percentiles in microseconds.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local function json_statuses(all)
   local parts = {}
   for status, count in pairs(all) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local all = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         all[status] = (all[status] or 0) + count
      end
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "microseconds": %d, "bytes": %d, "statuses": %s, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.requests, summary.duration, summary.bytes, json_statuses(all),
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
