-- TiBillet terminal boot for NodeMCU (ESP32). Waits BOOT_DELAY_MS before loading the firmware so
-- a broken build can be interrupted: type `abort = true` (or file.remove("init.lua")) at the
-- console within the delay.
local BOOT_DELAY_MS = 3000
abort = false
print("tibillet: starting in " .. BOOT_DELAY_MS .. " ms, `abort = true` to stay in the console")
tmr.create():alarm(BOOT_DELAY_MS, tmr.ALARM_SINGLE, function()
  if abort then
    print("tibillet: boot aborted")
    return
  end
  local ok, fw = pcall(dofile, "terminal.lua")
  if not ok then
    print("tibillet: load failed: " .. tostring(fw))
    return
  end
  local started, err = pcall(fw.start)
  if not started then print("tibillet: start failed: " .. tostring(err)) end
end)
