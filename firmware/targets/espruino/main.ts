/**
 * Entry point of firmware/dist/espruino/terminal.js. Loading the bundle only defines functions
 * and constant tables; hardware, Wi-Fi and MQTT start in `onInit()`, Espruino's boot hook (run
 * at power-up after `save()`, and by hand right after an upload).
 *
 * Provisioning, once per device, from the Espruino console:
 *   tbProvision({venue:"bar", device:"dev-1", key:"<64 hex>", ssid:"...", pass:"...",
 *                mqtt:"192.168.1.10:1883", board:"esp32-devkitc", bus:"hsu", lang:"fr"});
 *   save();
 * The record is kept in Storage (`tb.prov`); `board` defaults from process.env.BOARD and
 * `bus` (PN532 interface: hsu, i2c or spi) to hsu.
 */
import type { Hal, Serial } from '../../src/hal/types.js';
import { Pn532Driver } from '../../src/pn532/driver.js';
import type { Pn532Transport } from '../../src/pn532/transport.js';
import { HsuTransport } from '../../src/pn532/transport-hsu.js';
import { i2cTransport } from '../../src/pn532/transport-i2c.js';
import { spiTransport } from '../../src/pn532/transport-spi.js';
import { setCrypto } from '../../src/protocol/codec.js';
import { mqttPassword } from '../../src/protocol/credentials.js';
import { Terminal } from '../../src/terminal/machine.js';
import { startReader } from '../../src/terminal/reader-adapter.js';
import { runSelftestPaused, type SelftestReport } from '../../src/terminal/selftest.js';
import type { Lang } from '../../src/terminal/texts.js';
import { encodeCanonical, type Json, parseJson } from '../../src/util/json.js';
import { espruinoPin, findBoard } from './boards.js';
import {
  espruinoBuzzer,
  espruinoClock,
  espruinoCrypto,
  espruinoDisplay,
  espruinoGpio,
  espruinoI2C,
  espruinoLeds,
  espruinoNetwork,
  espruinoSerial,
  espruinoSpi,
  espruinoStorage,
} from './hal.js';

/** Replaced at build time with firmware/package.json's version. */
declare const __FIRMWARE_VERSION__: string;

const STORAGE_PREFIX = 'tb.';
const PROV_FIELDS = ['venue', 'device', 'key', 'ssid', 'pass', 'mqtt'];
/** A press of OK longer than this adds the shown item; a short one shows the next item. */
const LONG_PRESS_MS = 600;

type SelftestCallback = (this: void, report: SelftestReport) => void;
/** Set by start(): runs the maintenance self-test on the running terminal's hardware. */
let selftest: ((this: void, cb: SelftestCallback) => void) | undefined;

interface Provisioning {
  venue: string;
  device: string;
  key: string;
  ssid: string;
  pass: string;
  mqtt: string;
  board?: string;
  bus?: string;
  lang?: string;
}

/** The provisioning record, or a reason why it cannot be used. */
function readProvisioning(
  raw: string | undefined,
): { ok: true; p: Provisioning } | { ok: false; reason: string } {
  if (raw === undefined) return { ok: false, reason: 'not provisioned' };
  const parsed = parseJson(raw, 2);
  if (!parsed.ok || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
    return { ok: false, reason: 'bad provisioning' };
  const v = parsed.value as { [k: string]: Json };
  for (let i = 0; i < PROV_FIELDS.length; i++) {
    if (typeof v[PROV_FIELDS[i]] !== 'string') return { ok: false, reason: 'missing ' + PROV_FIELDS[i] };
  }
  return { ok: true, p: v as unknown as Provisioning };
}

/** 'host:1883' → host and port (1883 when absent). */
function splitHostPort(s: string): { host: string; port: number } {
  const colon = s.lastIndexOf(':');
  if (colon < 0) return { host: s, port: 1883 };
  const port = parseInt(s.substring(colon + 1), 10);
  return { host: s.substring(0, colon), port: port > 0 ? port : 1883 };
}

function start(): void {
  const storage = espruinoStorage(STORAGE_PREFIX);
  const prov = readProvisioning(storage.read('prov'));
  const board = findBoard(prov.ok ? prov.p.board : undefined, process.env.BOARD);
  const clock = espruinoClock();
  const display = espruinoDisplay(board);
  if (!prov.ok) {
    display.show(['TiBillet', prov.reason]);
    print('tibillet: ' + prov.reason + ': tbProvision({...}) then save()');
    return;
  }
  const p = prov.p;
  const crypto = espruinoCrypto();
  setCrypto({ hmacSha256: (key, bytes) => crypto.hmacSha256(key, bytes) });
  const hp = splitHostPort(p.mqtt);
  const net = espruinoNetwork(clock, {
    ssid: p.ssid,
    password: p.pass,
    host: hp.host,
    port: hp.port,
    clientId: p.device,
    username: p.device,
    mqttPassword: mqttPassword(p.key),
  });
  const gpio = espruinoGpio();
  const hal: Hal = {
    clock,
    storage,
    mqtt: net,
    display,
    buzzer: espruinoBuzzer(clock, board.buzzer),
    led: espruinoLeds(clock, board),
    crypto,
    gpio,
  };
  const term = new Terminal(hal, {
    venue: p.venue,
    deviceId: p.device,
    keyHex: p.key,
    board: board.id,
    firmware: __FIRMWARE_VERSION__,
    lang: p.lang === 'en' ? 'en' : ('fr' as Lang),
    freeMemory: () => process.memory().free,
    valvePin: board.valve,
    flowPin: board.flowMeter,
  });

  let transport: Pn532Transport;
  if (p.bus === 'i2c') {
    const b = board.pn532.i2c;
    transport = i2cTransport(espruinoI2C(I2C2, b.scl, b.sda, 100000), clock, { address: b.address });
  } else if (p.bus === 'spi') transport = spiTransport(espruinoSpi(board), clock);
  else {
    const serial: Serial = espruinoSerial(board);
    transport = new HsuTransport(serial);
  }
  const rst = espruinoPin(board.pn532.rstpdn);
  digitalWrite(rst, 1);
  const driver = new Pn532Driver({
    clock,
    transport,
    reset: (done) => {
      digitalWrite(rst, 0);
      clock.setTimeout(() => {
        digitalWrite(rst, 1);
        clock.setTimeout(done, 10);
      }, 10);
    },
  });
  const poller = startReader(driver, clock, (ev) => term.onReader(ev), { intervalMs: 40 });
  selftest = (cb) =>
    runSelftestPaused(
      hal,
      driver,
      poller,
      { cardWaitMs: 8000, mqttWaitMs: 3000, wifiConnected: net.wifi },
      cb,
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
}

global.onInit = start;

/**
 * Maintenance self-test for the flash tool (`tibillet-flash selftest` sends
 * `tbSelftest(function(r){print("@@OK "+JSON.stringify(r))})`): `cb` gets the report object
 * {pn532, card, display, buzzer, led, wifi, mqtt} (shape in src/terminal/selftest.ts).
 * Throws when the terminal is not running (not provisioned, or onInit() not run yet).
 */
global.tbSelftest = (cb: SelftestCallback): void => {
  if (selftest === undefined) throw new Error('tbSelftest: not started');
  selftest(cb);
};

/** Writes the provisioning record (then `save()` so onInit runs at power-up). */
global.tbProvision = (p: { [k: string]: string }): void => {
  const rec: { [k: string]: Json } = {};
  for (const k in p) if (typeof p[k] === 'string') rec[k] = p[k];
  espruinoStorage(STORAGE_PREFIX).write('prov', encodeCanonical(rec));
  const check = readProvisioning(encodeCanonical(rec));
  print(check.ok ? 'tibillet: provisioned, now save()' : 'tibillet: ' + check.reason);
};
