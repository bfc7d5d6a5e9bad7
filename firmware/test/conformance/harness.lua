-- Runs the NodeMCU build (dist/nodemcu/terminal.lua) over fake NodeMCU modules on a virtual clock,
-- driven line by line from stdin by test/conformance/targets.ts (all fields hex-encoded):
--   boot                       fw.start()
--   adv <ms>                   advance the clock, firing due tmr alarms in order
--   rx <hex>                   bytes from the PN532 on the reader's UART
--   up | down                  MQTT connect succeeds | the client goes offline
--   msg <topic> <payload>      an MQTT message
--   prov <json>                the provisioning file tb.prov
--   pulse <gpio>               a rising then a falling edge on a gpio.trig input (flow meter)
--   st                         tbselftest(cb), as the flash tool calls it: emits `st <hex(json)>`
-- After each command: the events it caused, then `= <now> <next timer due or -1>`.
--   tx <hex> | pub <topic> <payload> <qos> <retain> | sub <topic> | conn | show <l1,l2,…> | log <text>
if not bit and _VERSION == "Lua 5.1" then bit = require("bit") end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", string.byte(c)) end))
end
local function unhex(h)
  return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end
local function emit(...) io.write(table.concat({...}, " "), "\n") end

local now, seq, timers, trigs = 0, 0, {}, {}
node = { uptime = function() return now * 1000 end, heap = function() return 12000 end }
tmr = {
  ALARM_SINGLE = 0,
  create = function()
    local t = {}
    function t:alarm(ms, _mode, cb)
      seq = seq + 1
      self.entry = { at = now + ms, seq = seq, cb = cb }
      timers[#timers + 1] = self.entry
    end
    function t:stop() if self.entry then self.entry.dead = true; self.entry = nil end end
    function t:unregister() self:stop() end
    return t
  end,
}
local function nextTimer()
  local best
  for _, e in ipairs(timers) do
    if not e.dead and (best == nil or e.at < best.at or (e.at == best.at and e.seq < best.seq)) then best = e end
  end
  return best
end
local function advance(ms)
  local target = now + ms
  while true do
    local e = nextTimer()
    if e == nil or e.at > target then break end
    e.dead = true
    now = e.at
    e.cb()
  end
  local live = {}
  for _, e in ipairs(timers) do if not e.dead then live[#live + 1] = e end end
  timers = live
  now = target
end

local files = {}
file = {
  open = function(name, mode)
    if mode == "r" and files[name] == nil then return nil end
    local f = { pos = 1, name = name }
    if mode == "w" then files[name] = "" end
    function f:read(n)
      local s = files[self.name]
      if self.pos > #s then return nil end
      local chunk = s:sub(self.pos, self.pos + n - 1)
      self.pos = self.pos + n
      return chunk
    end
    function f:write(s) files[self.name] = files[self.name] .. s end
    function f:close() end
    return f
  end,
  remove = function(name) files[name] = nil end,
  rename = function(a, b) files[b] = files[a]; files[a] = nil end,
}

local uartData
uart = {
  PARITY_NONE = 0, STOPBITS_1 = 1,
  setup = function() end,
  write = function(_id, s) emit("tx", hex(s)) end,
  on = function(_id, ev, _n, cb) if ev == "data" then uartData = cb end end,
}
gpio = {
  OUT = 1, IN = 0, PULL_UP = 1, INTR_UP_DOWN = 3,
  config = function() end,
  write = function(pin, v) emit("pin", tostring(pin), tostring(v)) end,
  trig = function(pin, _type, cb) trigs[pin] = cb end,
}
i2c = { HW0 = 0, FAST = 400000, setup = function() end }
u8g2 = {
  font_6x10_tf = 1,
  ssd1306_i2c_128x64_noname = function()
    local d = { lines = {} }
    function d:setFont() end
    function d:clearBuffer() self.lines = {} end
    function d:drawStr(_x, _y, s) self.lines[#self.lines + 1] = hex(s) end
    function d:sendBuffer() emit("show", table.concat(self.lines, ",")) end
    return d
  end,
}
local gotIp
wifi = {
  STATION = 1,
  mode = function() end,
  start = function() end,
  sta = {
    config = function() end,
    on = function(ev, cb) if ev == "got_ip" then gotIp = cb end end,
    connect = function() if gotIp then gotIp() end end,
  },
}
local client = { handlers = {} }
function client:connect(_host, _port, _secure, ok, fail)
  emit("conn")
  self.ok, self.fail = ok, fail
end
function client:on(ev, cb) self.handlers[ev] = cb end
function client:publish(topic, payload, qos, retain)
  emit("pub", hex(topic), hex(payload), tostring(qos), tostring(retain))
end
function client:subscribe(topic) emit("sub", hex(topic)) end
mqtt = { Client = function() return client end }
print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  emit("log", hex(table.concat(parts, " ")))
end

local fw = dofile(arg[1])
io.stdout:setvbuf("full")
for line in io.lines() do
  local cmd, a, b = line:match("^(%S+) ?(%S*) ?(%S*)$")
  if cmd == "boot" then fw.start()
  elseif cmd == "adv" then advance(tonumber(a))
  elseif cmd == "rx" then uartData(unhex(a))
  elseif cmd == "up" then client.ok(client)
  elseif cmd == "down" then client.handlers.offline(client)
  elseif cmd == "msg" then client.handlers.message(client, unhex(a), unhex(b))
  elseif cmd == "prov" then files["tb.prov"] = unhex(a)
  elseif cmd == "pulse" then
    local cb = trigs[tonumber(a)]
    if cb then cb(tonumber(a), 1) cb(tonumber(a), 0) else emit("err", hex("no trig on " .. a)) end
  elseif cmd == "st" then tbselftest(function(r) emit("st", hex(r)) end)
  else emit("err", hex("bad command: " .. line)) end
  local e = nextTimer()
  emit("=", tostring(now), e and tostring(e.at) or "-1")
  io.stdout:flush()
end
