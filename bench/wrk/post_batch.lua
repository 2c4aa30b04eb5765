-- POST /v1/orders:batch: every request new orders (their own order_ids, one of 1,000 customers each),
-- three lines each like bench.common.bench_order. Usage: wrk -s post_batch.lua URL -- <run tag> <orders per request>

package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local tag = "run"
local size = 500
local counter = 0
local ORDER = '{"order_id":"w-%s-%d","customer_id":"bench-c-%d","currency":"EUR","items":[' ..
   '{"sku":"bench-sku-1","quantity":1,"unit_price_cents":500},' ..
   '{"sku":"bench-sku-2","quantity":3,"unit_price_cents":1500},' ..
   '{"sku":"bench-sku-3","quantity":1,"unit_price_cents":99}]}'

function init(args)
   tag = (args[1] or "run") .. "-" .. thread_id
   size = tonumber(args[2] or "500")
end

function request()
   local orders = {}
   for j = 1, size do
      counter = counter + 1
      orders[j] = string.format(ORDER, tag, counter, (counter * 7919 + thread_id) % 1000)
   end
   local body = '{"orders":[' .. table.concat(orders, ",") .. ']}'
   return wrk.format("POST", "/v1/orders:batch", {["Content-Type"] = "application/json"}, body)
end
