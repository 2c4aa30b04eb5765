-- GET one path again and again (an anchor: /healthz, a minimal endpoint). Usage: wrk -s get_path.lua URL -- <path>

package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local req

function init(args)
   req = wrk.format("GET", args[1] or "/")
end

function request()
   return req
end
