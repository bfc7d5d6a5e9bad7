/** @noSelfInFile */
/**
 * Entry of dist/nodemcu/terminal.lua. `dofile("terminal.lua")` only defines things and returns
 * this module's exports: `start()` boots the terminal (init.lua calls it after a safe delay),
 * `provision(t)` writes the provisioning record, and the protocol functions are exported for the
 * cross-target tests (test/lua/vectors.lua).
 *
 * Provisioning, once per device, from the Lua console:
 *   fw = dofile("terminal.lua"); fw.provision({venue="bar", device="dev-1", key="<64 hex>",
 *     ssid="...", pass="...", mqtt="192.168.1.10:1883"})
 */
import type { Hal } from '../../src/hal/types.js';
import { Pn532Driver } from '../../src/pn532/driver.js';
import { HsuTransport } from '../../src/pn532/transport-hsu.js';
import { setCrypto, sign, verify } from '../../src/protocol/codec.js';
import { mqttPassword } from '../../src/protocol/credentials.js';
import { Terminal } from '../../src/terminal/machine.js';
import { startReader } from '../../src/terminal/reader-adapter.js';
import { runSelftestPaused } from '../../src/terminal/selftest.js';
import type { Lang } from '../../src/terminal/texts.js';
import { encodeCanonical, type Json, parseJson } from '../../src/util/json.js';
import { findBoard } from '../espruino/boards.js';
import {
  gpioNumber,
  nodemcuBuzzer,
  nodemcuClock,
  nodemcuCrypto,
  nodemcuDisplay,
  nodemcuGpio,
  nodemcuLeds,
  nodemcuNetwork,
  nodemcuSerial,
  nodemcuStorage,
  output,
} from './hal.js';

export { encodeCanonical, parseJson, sign, verify };

export const FIRMWARE_VERSION = '0.1.0';

/**
 * Lua global defined by start(): the maintenance self-test for the flash tool, which sends
 * `__tba(tbselftest)`; `cb` gets the report as a JSON string (shape in src/terminal/selftest.ts).
 */
declare let tbselftest: (this: void, cb: (this: void, json: string) => void) => void;
const PROV_FIELDS = ['venue', 'device', 'key', 'ssid', 'pass', 'mqtt'];
const LONG_PRESS_MS = 600;

interface Provisioning {
  venue: string;
  device: string;
  key: string;
  ssid: string;
  pass: string;
  mqtt: string;
  board?: string;
  lang?: string;
}

function readProvisioning(raw: string | undefined): Provisioning | string {
  if (raw === undefined) return 'not provisioned';
  const parsed = parseJson(raw, 2);
  if (!parsed.ok || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
    return 'bad provisioning';
  const v = parsed.value as { [k: string]: Json };
  for (let i = 0; i < PROV_FIELDS.length; i++) {
    if (typeof v[PROV_FIELDS[i]] !== 'string') return 'missing ' + PROV_FIELDS[i];
  }
  return v as unknown as Provisioning;
}

/** Writes the provisioning record (canonical JSON in file tb.prov). */
export function provision(p: { [k: string]: string }): string {
  const rec: { [k: string]: Json } = {};
  for (const k in p) rec[k] = p[k];
  const text = encodeCanonical(rec);
  nodemcuStorage().write('prov', text);
  const check = readProvisioning(text);
  return typeof check === 'string' ? check : 'ok';
}

/** Boots the terminal: display, reader on the UART, Wi-Fi and MQTT. Returns the terminal, or why not. */
export function start(): Terminal | string {
  const storage = nodemcuStorage();
  const prov = readProvisioning(storage.read('prov'));
  const board = findBoard(typeof prov === 'string' ? undefined : prov.board, 'ESP32');
  const clock = nodemcuClock();
  const display = nodemcuDisplay(board);
  if (typeof prov === 'string') {
    display.show(['TiBillet', prov]);
    print('tibillet: ' + prov);
    return prov;
  }
  const crypto = nodemcuCrypto();
  setCrypto({ hmacSha256: (key, bytes) => crypto.hmacSha256(key, bytes) });
  const colon = prov.mqtt.indexOf(':');
  const port = colon >= 0 ? tonumber(prov.mqtt.substring(colon + 1)) : 1883;
  const net = nodemcuNetwork(clock, {
    ssid: prov.ssid,
    password: prov.pass,
    host: colon >= 0 ? prov.mqtt.substring(0, colon) : prov.mqtt,
    port: port !== undefined && port > 0 ? port : 1883,
    clientId: prov.device,
    username: prov.device,
    mqttPassword: mqttPassword(prov.key),
  });
  const gpio = nodemcuGpio();
  const hal: Hal = {
    clock,
    storage,
    mqtt: net,
    display,
    buzzer: nodemcuBuzzer(clock, board),
    led: nodemcuLeds(clock, board),
    crypto,
    gpio,
  };
  output([gpioNumber(board.valve)]); // the selfpour valve, closed (the Terminal drives it)
  const term = new Terminal(hal, {
    venue: prov.venue,
    deviceId: prov.device,
    keyHex: prov.key,
    board: board.id,
    firmware: FIRMWARE_VERSION,
    lang: prov.lang === 'en' ? 'en' : ('fr' as Lang),
    freeMemory: () => node.heap(),
    valvePin: board.valve,
    flowPin: board.flowMeter,
  });
  const rst = gpioNumber(board.pn532.rstpdn);
  gpio.write(board.pn532.rstpdn, true);
  const driver = new Pn532Driver({
    clock,
    transport: new HsuTransport(nodemcuSerial(board)),
    reset: (done) => {
      gpio.write(board.pn532.rstpdn, false);
      clock.setTimeout(() => {
        gpio.write(board.pn532.rstpdn, true);
        clock.setTimeout(done, 10);
      }, 10);
    },
  });
  const poller = startReader(driver, clock, (ev) => term.onReader(ev), { intervalMs: 40 });
  tbselftest = (cb) =>
    runSelftestPaused(
      hal,
      driver,
      poller,
      { cardWaitMs: 8000, mqttWaitMs: 3000, wifiConnected: net.wifi },
      (r) => cb(encodeCanonical(r as unknown as Json)),
    );
  let pressedAt = -1;
  gpio.watch(board.buttonOk, (high) => {
    if (!high) pressedAt = clock.now();
    else if (pressedAt >= 0) {
      term.onButton(clock.now() - pressedAt >= LONG_PRESS_MS ? 'ok' : 'next');
      pressedAt = -1;
    }
  });
  gpio.watch(board.buttonBack, (high) => {
    if (!high) term.onButton('back');
  });
  net.start();
  print('tibillet: started on ' + board.id + ' (pin ' + rst + ' resets the PN532)');
  return term;
}
