-- Runs the MFRC522 driver and its simulator, compiled by typescript-to-lua (test/rc522), on a
-- real Lua interpreter: usage `lua run.lua <outDir>`; prints one line per card read.
if not bit and _VERSION == "Lua 5.1" then bit = require("bit") end
package.path = arg[1] .. "/?.lua;" .. package.path
local rc522 = require("src.rc522.index")
-- tstl classes: what its __TS__New does (the minimal lualib has only the helpers the code uses)
local function new(cls, ...)
  local o = setmetatable({}, cls.prototype)
  o:____constructor(...)
  return o
end

local now, timers, seq = 0, {}, 0
local clock = {}
function clock:now() return now end
function clock:setTimeout(cb, ms)
  seq = seq + 1
  timers[seq] = { at = now + ms, cb = cb }
  return seq
end
function clock:clearTimeout(id) timers[id] = nil end
local function advance(ms)
  local stop = now + ms
  while true do
    local id, t = nil, nil
    for k, v in pairs(timers) do
      if v.at <= stop and (t == nil or v.at < t.at or (v.at == t.at and k < id)) then id, t = k, v end
    end
    if not t then break end
    timers[id] = nil
    now = t.at
    t.cb()
  end
  now = stop
end

local sim = new(rc522.Rc522Simulator, clock)
local driver = new(rc522.Rc522Driver, { spi = sim:spi(), clock = clock })
driver:init(function(r) print("init " .. tostring(r.ok) .. " " .. tostring(r.value)) end)
advance(60)
local cards = {
  { 0xA1, 0xB2, 0xC3, 0xD4 },
  { 0x04, 0xDE, 0x5F, 0x1E, 0xAC, 0xC0, 0x40 },
  { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 },
}
for _, uid in ipairs(cards) do
  sim:placeCard({ uid = uid, sak = 0 })
  local out
  driver:readCard(function(r)
    if r.ok and r.value then
      local hex = {}
      for i = 1, #r.value.uid do hex[#hex + 1] = string.format("%02X", r.value.uid[i]) end
      out = "card " .. table.concat(hex) .. " sak " .. r.value.sak
    else
      out = "fail " .. tostring(r.reason)
    end
  end)
  advance(200)
  print(out)
end
sim:removeCard()
driver:readCard(function(r) print("empty " .. tostring(r.ok) .. " " .. tostring(r.value)) end)
advance(200)
