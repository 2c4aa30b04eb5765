-- GET /v1/orders/{id} round robin over the ids in a file (one per line), each thread from its own
-- offset. Usage: wrk -s get_orders.lua URL -- <ids file>

package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local paths = {}
local i = 0

function init(args)
   for line in io.lines(args[1]) do
      table.insert(paths, "/v1/orders/" .. line)
   end
   if #paths == 0 then
      error("no order ids in " .. args[1])
   end
   i = (thread_id * 7919) % #paths
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end
