-- Runs protocol sign/verify requests through the compiled core (dist/nodemcu/…/terminal.lua).
-- usage: lua vectors.lua <terminal.lua>   (requests on stdin, one a line, fields hex-encoded)
--   S <keyHex> <hex(message JSON)>            -> S <hex(payload)> | E <hex(error)>
--   V <keyHex> <lastCounter> <hex(payload)>   -> V ok | V <reason>
if not bit and _VERSION == "Lua 5.1" then bit = require("bit") end -- NodeMCU has `bit` built in
local fw = dofile(arg[1])

local function unhex(h)
  return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end
local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", string.byte(c)) end))
end

for line in io.lines() do
  local op, a, b, c = line:match("^(%a) (%S+) (%S*) ?(%S*)$")
  if op == "S" then
    local parsed = fw.parseJson(unhex(b), 8)
    if not parsed.ok then
      print("E " .. hex("parse: " .. tostring(parsed.reason)))
    else
      local ok, res = pcall(fw.sign, parsed.value, a)
      if ok then print("S " .. hex(res)) else print("E " .. hex(tostring(res))) end
    end
  elseif op == "V" then
    local r = fw.verify(unhex(c), a, tonumber(b))
    if r.ok then print("V ok") else print("V " .. r.reason) end
  else
    print("E " .. hex("bad request: " .. line))
  end
end
