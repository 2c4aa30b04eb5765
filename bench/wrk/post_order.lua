-- POST /v1/orders: every request a new order (its own order_id, one of 1,000 customers), three lines
-- like bench.common.bench_order. Usage: wrk -s post_order.lua URL -- <run tag>

package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local tag = "run"
local counter = 0

function init(args)
   tag = (args[1] or "run") .. "-" .. thread_id
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"order_id":"w-%s-%d","customer_id":"bench-c-%d","currency":"EUR","items":[' ..
      '{"sku":"bench-sku-1","quantity":1,"unit_price_cents":500},' ..
      '{"sku":"bench-sku-2","quantity":3,"unit_price_cents":1500},' ..
      '{"sku":"bench-sku-3","quantity":1,"unit_price_cents":99}]}',
      tag, counter, (counter * 7919 + thread_id) % 1000)
   return wrk.format("POST", "/v1/orders", {["Content-Type"] = "application/json"}, body)
end
