-- SPDX-License-Identifier: GPL-2.0-only
-- Loaded as a configuration with --check-config: writes what a fresh ballast state binds to
-- the file named by $BALLAST_API_NAMES, one "G name" per global function and
-- "M ballast.Meta name" per method or attribute. lua/api_gen.py --update and
-- test/integration/test_api_list.py read it.
setLocal("127.0.0.1:5300")
local names = {}
for k, v in pairs(_G) do if type(v) == "function" then names[#names + 1] = "G " .. k end end
for k, v in pairs(debug.getregistry()) do
  if type(k) == "string" and k:find("^ballast%.") and type(v) == "table" then
    local methods = type(v.__index) == "table" and v.__index or v.__methods or {}
    for m in pairs(methods) do names[#names + 1] = "M " .. k .. " " .. m end
    for a in pairs(v.__attributes or {}) do names[#names + 1] = "M " .. k .. " " .. a end
  end
end
table.sort(names)
local f = assert(io.open(assert(os.getenv("BALLAST_API_NAMES"), "BALLAST_API_NAMES is not set"), "w"))
f:write(table.concat(names, "\n"), "\n")
f:close()
