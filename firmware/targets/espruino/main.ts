/**
 * Entry point of firmware/dist/espruino/terminal.js. Loading the bundle only defines functions
 * and constant tables; hardware, Wi-Fi and MQTT start in `onInit()`, Espruino's boot hook (run
 * at power-up after `save()`, and by hand right after an upload). The code that only some
 * terminals run is in Storage modules beside it (modules.ts, dist/espruino/modules.json), which
 * `tibillet-flash flash` uploads with it; by hand with the Espruino CLI:
 *   npx espruino --board ESP32 -p /dev/ttyUSB0 --storage tb-pn532:firmware/dist/espruino/tb-pn532.js \
 *     --storage tb-fr:firmware/dist/espruino/tb-fr.js … firmware/dist/espruino/terminal.js
 *
 * Provisioning, once per device, from the Espruino console:
 *   tbProvision({venue:"bar", device:"dev-1", key:"<64 hex>", ssid:"...", pass:"...",
 *                mqtt:"192.168.1.10:1883", board:"esp32-devkitc", bus:"hsu", lang:"fr"});
 *   save();
 * The record is kept in Storage (`tb.prov`); `board` defaults from process.env.BOARD and
 * `bus` (PN532 interface: hsu, i2c or spi) to hsu, `reader` (pn532 or rc522: an MFRC522 on the
 * reader header's SPI pins) to pn532. Each reader's code is a Storage module (see modules.ts).
 */
import type { Hal } from '../../src/hal/types.js';
import { mqttPassword } from '../../src/protocol/credentials.js';
import { type ReaderEvent, Terminal } from '../../src/terminal/machine.js';
import type { SelftestReport } from '../../src/terminal/selftest.js';
import type { Lang } from '../../src/terminal/texts.js';
import { findBoard } from './boards.js';
import {
  espruinoBuzzer,
  espruinoClock,
  espruinoDisplay,
  espruinoGpio,
  espruinoLeds,
  espruinoNetwork,
  espruinoStorage,
} from './hal.js';
import { encodeCanonical, type Json, parseJson } from './json.js';
import { tbModule } from './modules.js';

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
  reader?: string;
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
  // No setCrypto(): the codec's own HMAC already runs on the native SHA-256 (sha256.ts). The HAL
  // has no `crypto`: nothing on this target uses it (SUN data is verified by the gateway).
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

  // The reader's code is a Storage module (modules.ts): the PN532 by default, or the MFRC522.
  // A module missing from Storage (not flashed) is a reader fault the venue sees and the gateway logs.
  const emit = (ev: ReaderEvent) => term.onReader(ev);
  const reader = p.reader === 'rc522' ? 'rc522' : 'pn532';
  try {
    if (reader === 'rc522') tbModule('rc522').start(board, clock, emit);
    else {
      const r = tbModule('pn532').start(board, p.bus, clock, emit);
      selftest = (cb) =>
        tbModule('selftest').run(
          hal,
          r.driver,
          r.reader,
          { cardWaitMs: 8000, mqttWaitMs: 3000, wifiConnected: net.wifi },
          cb,
        );
    }
  } catch (e) {
    print('tibillet: cannot start the ' + reader + ' reader: ' + e);
    emit({ type: 'reader-error', code: 'no-module-tb-' + reader });
  }

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
  if (selftest === undefined) throw new Error('tbSelftest: not started (or not a PN532 reader)');
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
