/**
 * The Espruino bundle (firmware/dist/espruino/terminal.js) in the Espruino shim: no Node globals,
 * none of the built-ins Espruino 2v29 lacks, fake Espruino peripherals, the PN532 simulator on
 * Serial2. It must only define things at load, start in onInit(), sign a valid hello, and answer
 * a tap with the same bytes as the host core given the same inputs.
 */
import vm from 'node:vm';
import { pn532, protocol, rc522, terminal } from '@tibillet/firmware';
import { parse } from 'acorn';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeHal } from '../terminal/fake-hal.js';
import { buildBundle, bundleModules, createRig, type Rig } from './rig.js';
import { MISSING_GLOBALS } from './shim.js';

const KEY = '4f'.repeat(32);
const VENUE = 'bar';
const DEVICE = 'dev-1';
const UID = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];
const UID_HEX = '04DE5F1EACC040';
const PROV = protocol.encodeCanonical({
  venue: VENUE,
  device: DEVICE,
  key: KEY,
  ssid: 'venue-wifi',
  pass: 'secret',
  mqtt: '10.0.0.2:1883',
  board: 'esp32-devkitc',
});
const ESPRUINO_VARIABLES = 16383;

let down = 100;
const downMsg = (k: 'result' | 'config' | 'charge' | 'display', b: unknown, n = ++down) =>
  protocol.sign({ v: 1, k, d: DEVICE, n, b } as never, KEY);
const downTopic = (k: string) => `tb/v1/${VENUE}/dev/${DEVICE}/down/${k}`;

let bundle: string;
beforeAll(() => {
  bundle = buildBundle();
}, 180_000); // the build type-checks and analyses the program: slow on a loaded machine

function provisionedRig(): Rig {
  return createRig(bundle, { storage: { 'tb.prov': PROV } });
}

/** Boots, lets the PN532 initialise, then connects the broker. */
function bootAndConnect(rig: Rig): void {
  rig.shim.boot();
  rig.shim.advance(500);
  expect(rig.mqttConnects).toBe(1);
  rig.shim.mqttConnected();
}

function verified(rig: Rig, kind: string) {
  return rig.published
    .filter((p) => p.topic === `tb/v1/${VENUE}/dev/${DEVICE}/up/${kind}`)
    .map((p) => {
      const r = protocol.verify(p.payload, KEY, -1);
      if (!r.ok) throw new Error(`bundle published an invalid ${kind}: ${r.reason}`);
      return r.message;
    });
}

describe('Espruino bundle', () => {
  it('every file (main + Storage modules) is ES5 (acorn), minified, and requires only Espruino modules', () => {
    const files = { 'terminal.js': bundle, ...bundleModules() };
    expect(Object.keys(files).sort()).toEqual(
      ['terminal.js', 'tb-en', 'tb-fr', 'tb-pn532', 'tb-rc522', 'tb-selftest', 'tb-sha256'].sort(),
    );
    for (const [name, code] of Object.entries(files)) {
      expect(() => parse(code, { ecmaVersion: 5, sourceType: 'script' }), name).not.toThrow();
      expect(code.split('\n').length, name).toBeLessThanOrEqual(2);
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(
        required.every((r) => ['Storage', 'MQTT', 'Wifi', 'crypto', 'SSD1306'].includes(r)),
        name,
      ).toBe(true);
      // A module only defines its exports: nothing runs, no global is set.
      if (name !== 'terminal.js') expect(code, name).toMatch(/module\.exports=/);
    }
    const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['Storage', 'MQTT', 'Wifi', 'crypto', 'SSD1306']));
    // The Storage modules are required by a computed name the Espruino IDE/CLI does not try to fetch.
    expect(bundle).toContain('require("tb-"+');
  });

  it('loads only the Storage modules its configuration needs: the PN532 reader and the French texts', () => {
    const rig = provisionedRig();
    expect(rig.shim.loadedModules()).toEqual([]); // loading the main file loads nothing
    bootAndConnect(rig);
    expect(rig.shim.loadedModules().sort()).toEqual(['tb-fr', 'tb-pn532']); // native crypto.SHA256
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Présentez la carte']);
  });

  it('without a native crypto.SHA256 it hashes with the tb-sha256 module: same MACs (hello verifies)', () => {
    const rig = createRig(bundle, { storage: { 'tb.prov': PROV }, nativeSha256: false });
    bootAndConnect(rig);
    expect(rig.shim.loadedModules()).toContain('tb-sha256');
    expect(verified(rig, 'hello')).toHaveLength(1);
  });

  it('lang "en": the English texts come from tb-en', () => {
    const prov = JSON.stringify({ ...JSON.parse(PROV), lang: 'en' });
    const rig = createRig(bundle, { storage: { 'tb.prov': prov } });
    bootAndConnect(rig);
    expect(rig.shim.loadedModules()).toContain('tb-en');
    expect(rig.shim.loadedModules()).not.toContain('tb-fr');
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Tap your card']);
  });

  it('a reader module missing from Storage: a reader fault on screen and a log line; hello says no reader', () => {
    const rig = createRig(bundle, { storage: { 'tb.prov': PROV }, without: ['tb-pn532'] });
    bootAndConnect(rig);
    expect(rig.logs.some((l) => /cannot start the pn532 reader: .*tb-pn532/.test(l))).toBe(true);
    expect(rig.screens.some((s) => s[0] === 'Lecteur en panne' && s[1] === 'no-module-tb-pn532')).toBe(true);
    expect(verified(rig, 'hello')[0].b).toMatchObject({ reader: 'none' });
    expect(rig.uartWrites).toEqual([]);
  });

  it('reader "rc522": the MFRC522 on SPI1 (tb-rc522) taps with the same signed tap message', () => {
    const prov = JSON.stringify({ ...JSON.parse(PROV), reader: 'rc522' });
    const rig = createRig(bundle, { storage: { 'tb.prov': prov } });
    const chip = new rc522.Rc522Simulator(rig.clock);
    rig.spiDevice = chip.spi();
    bootAndConnect(rig);
    expect(rig.shim.loadedModules().sort()).toEqual(['tb-fr', 'tb-rc522']);
    expect(rig.uartWrites).toEqual([]); // the PN532 UART is left alone
    expect(chip.antennaOn()).toBe(true);
    rig.shim.mqttMessage(downTopic('charge'), downMsg('charge', { ref: 'pos-rc', amt: 150 }));
    chip.placeCard({ uid: UID });
    rig.shim.advance(300);
    const taps = verified(rig, 'tap');
    expect(taps.map((t) => t.b)).toEqual([
      { tx: `${DEVICE}-${taps[0]?.n}`, uid: UID_HEX, mode: 'cashier', amt: 150, ref: 'pos-rc' },
    ]);
  });

  it('loading only defines things: no timers, no I/O, onInit and tbProvision defined, half the variables free', () => {
    const rig = provisionedRig();
    expect(rig.shim.timerCount()).toBe(0);
    expect(rig.pins).toEqual([]);
    expect(rig.screens).toEqual([]);
    expect(rig.uartWrites).toEqual([]);
    expect(rig.mqttConnects).toBe(0);
    const ctx = rig.shim.context;
    expect(vm.runInContext('typeof onInit + typeof tbProvision', ctx)).toBe('functionfunction');
    for (const name of MISSING_GLOBALS)
      expect(vm.runInContext(`typeof ${name}`, ctx), name).toBe('undefined');
    expect(vm.runInContext('typeof process.version + typeof Buffer', ctx)).toBe('undefinedundefined');
    expect(vm.runInContext('Array.isArray(new Uint8Array(4).slice(1))', ctx)).toBe(true);
    const used = rig.shim.estimateVariables();
    expect(used).toBeLessThan(ESPRUINO_VARIABLES / 2);
  });

  it('unprovisioned: says so on the screen and starts nothing else', () => {
    const rig = createRig(bundle);
    rig.shim.boot();
    rig.shim.advance(1000);
    expect(rig.screens.at(-1)).toEqual(['TiBillet', 'not provisioned']);
    expect(rig.mqttConnects).toBe(0);
    expect(rig.uartWrites).toEqual([]);
  });

  it('tbProvision() writes the record that onInit() boots from', () => {
    const rig = createRig(bundle);
    const ctx = rig.shim.context;
    vm.runInContext(
      `tbProvision({venue:"bar", device:"dev-1", key:"${KEY}", ssid:"w", pass:"p", mqtt:"h"})`,
      ctx,
    );
    expect(rig.shim.storage['tb.prov']).toContain('"device":"dev-1"');
    expect(rig.logs.at(-1)).toBe('tibillet: provisioned, now save()');
    rig.shim.boot();
    rig.shim.advance(500);
    expect(rig.mqttConnects).toBe(1);
  });

  it('onInit wakes the PN532 over Serial2 (HSU preamble + SAMConfiguration) and says hello with a valid MAC', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    expect(rig.uartWrites[0].slice(0, 2)).toEqual([0x55, 0x55]);
    expect(rig.sim.commands.slice(0, 2)).toEqual([0x14, 0x02]); // SAMConfiguration, GetFirmwareVersion
    expect(rig.subscriptions).toEqual([`tb/v1/${VENUE}/dev/${DEVICE}/down/+`, `tb/v1/${VENUE}/bcast/+`]);
    const hello = verified(rig, 'hello');
    expect(hello).toHaveLength(1);
    expect(hello[0].b).toEqual({
      fw: '0.1.0',
      board: 'esp32-devkitc',
      reader: 'PN532 1.6',
      mem: 12000,
      reset: 'power-on',
      corrupt: false,
    });
    expect(rig.published[0].qos).toBe(1);
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Présentez la carte']);
  });

  it('a tap answers with a signed tap byte-identical to the host core, then shows the result', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    const charge = downMsg('charge', { ref: 'pos-1', amt: 450 });
    rig.shim.mqttMessage(downTopic('charge'), charge);
    expect(rig.screens.at(-1)).toEqual(['4,50 €', 'Présentez la carte']);
    rig.sim.placeCard(pn532.uidCard(UID));
    rig.shim.advance(200);
    const taps = rig.published.filter((p) => p.topic.endsWith('/up/tap'));
    expect(taps).toHaveLength(1);

    // The host core, same inputs: a fresh counter, hello, the same charge, the same card.
    const host = fakeHal();
    const term = new terminal.Terminal(host.hal, {
      venue: VENUE,
      deviceId: DEVICE,
      keyHex: KEY,
      board: 'host',
      firmware: '0.1.0',
    });
    host.connect();
    host.deliver(downTopic('charge'), charge);
    term.onReader({ type: 'card', uid: UID_HEX });
    const hostTaps = host.published.filter((p) => p.topic.endsWith('/up/tap'));
    expect(hostTaps).toHaveLength(1);
    expect(taps[0].topic).toBe(hostTaps[0].topic);
    expect(taps[0].payload).toBe(hostTaps[0].payload);
    const tap = verified(rig, 'tap')[0];
    expect(tap.b).toEqual({
      tx: `${DEVICE}-${tap.n}`,
      uid: UID_HEX,
      mode: 'cashier',
      amt: 450,
      ref: 'pos-1',
    });
    expect(rig.screens.at(-1)).toEqual(host.lastScreen());

    // The gateway approves: same screen as the host, a short beep on the buzzer, the green LED.
    const result = downMsg('result', {
      tx: `${DEVICE}-${tap.n}`,
      ok: true,
      amt: 450,
      bal: [{ a: 'EUR', v: 1550 }],
    });
    rig.pins.length = 0;
    rig.shim.mqttMessage(downTopic('result'), result);
    host.deliver(downTopic('result'), result);
    expect(rig.screens.at(-1)).toEqual(['Accepté 4,50 €', 'EUR 15,50 €']);
    expect(rig.screens.at(-1)).toEqual(host.lastScreen());
    expect(rig.pins).toContainEqual(['D27', 0.5]); // buzzer on (PWM)
    expect(rig.pins).toContainEqual(['D32', 1]); // green LED
    rig.shim.advance(100);
    expect(rig.pins.filter((p) => p[0] === 'D27').at(-1)).toEqual(['D27', 0]); // beep over after 80 ms
    rig.shim.advance(3000);
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Présentez la carte']);

    // The card stays on the reader: still one tap. It leaves and comes back: a second tap.
    expect(rig.published.filter((p) => p.topic.endsWith('/up/tap'))).toHaveLength(1);
    rig.sim.removeCard();
    rig.shim.advance(300);
    rig.shim.mqttMessage(downTopic('charge'), downMsg('charge', { ref: 'pos-2', amt: 200 }));
    rig.sim.placeCard(pn532.uidCard(UID));
    rig.shim.advance(300);
    expect(verified(rig, 'tap').map((m) => (m.b as { ref: string }).ref)).toEqual(['pos-1', 'pos-2']);
  });

  it('survives a broker disconnect: shows offline, reconnects after the retry delay', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    rig.shim.mqttDisconnected();
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Hors ligne']);
    rig.shim.advance(5000);
    expect(rig.mqttConnects).toBe(2);
    rig.shim.mqttConnected();
    expect(rig.screens.at(-1)).toEqual([VENUE, 'Présentez la carte']);
    expect(verified(rig, 'hello')).toHaveLength(1); // hello once per boot
  });

  it('buttons walk the pushed menu: short OK = next, long OK = add, BACK = clear', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    const menu = [
      { sku: 'beer', label: 'Biere', price: 350 },
      { sku: 'tea', label: 'The', price: 150 },
    ];
    rig.shim.mqttMessage(
      downTopic('config'),
      downMsg('config', { venue: VENUE, mode: 'cashier', cur: 'EUR', menu }),
    );
    const press = (pin: string, ms: number) => {
      rig.shim.pressButton(pin, false);
      rig.shim.advance(ms);
      rig.shim.pressButton(pin, true);
    };
    press('D13', 100);
    expect(rig.screens.at(-1)).toEqual(['The 1,50 €', 'Total 0,00 €']);
    press('D13', 800);
    expect(rig.screens.at(-1)).toEqual(['The 1,50 €', 'Total 1,50 €']);
    press('D14', 50);
    expect(rig.screens.at(-1)).toEqual(['The 1,50 €', 'Total 0,00 €']);
  });

  it('keeps its timers bounded over many taps (no leak)', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    const base = rig.shim.timerCount();
    for (let i = 0; i < 20; i++) {
      rig.shim.mqttMessage(downTopic('charge'), downMsg('charge', { ref: `pos-${i}`, amt: 100 }));
      rig.sim.placeCard(pn532.uidCard(UID));
      rig.shim.advance(200);
      rig.sim.removeCard();
      rig.shim.advance(5000);
    }
    expect(verified(rig, 'tap')).toHaveLength(20);
    expect(rig.shim.timerCount()).toBeLessThanOrEqual(base + 2);
    expect(rig.shim.estimateVariables()).toBeLessThan(ESPRUINO_VARIABLES / 2);
  });

  it('tbSelftest(cb), as the flash tool calls it: checks the PN532 and a card, the report is the flash tool contract', () => {
    const rig = provisionedRig();
    const ctx = rig.shim.context;
    // Exactly what tibillet-flash sends (flash-tools/src/repl/espruino.ts, espruinoCommands.asyncLine('tbSelftest')).
    const line = 'try{tbSelftest(function(r){print("@@OK "+JSON.stringify(r))})}catch(e){print("@@ERR "+e)}';
    vm.runInContext(line, ctx);
    expect(rig.logs.at(-1)).toMatch(/^@@ERR .*tbSelftest/); // not started yet: the flash tool's hint
    bootAndConnect(rig);
    const tapsBefore = rig.published.filter((p) => p.topic.endsWith('/up/tap')).length;
    vm.runInContext(line, ctx);
    rig.shim.advance(300);
    rig.sim.placeCard(pn532.uidCard(UID));
    for (let i = 0; i < 100 && !rig.logs.some((l) => l.startsWith('@@OK ')); i++) rig.shim.advance(100);
    const out = rig.logs.find((l) => l.startsWith('@@OK '));
    expect(out).toBeDefined();
    const report = JSON.parse((out as string).slice(5));
    expect(Object.keys(report).sort()).toEqual(['buzzer', 'card', 'display', 'led', 'mqtt', 'pn532', 'wifi']);
    expect(report).toEqual({
      pn532: { ok: true, detail: 'PN532 1.6' },
      card: { ok: true, detail: UID_HEX },
      display: { ok: true },
      buzzer: { ok: true },
      led: { ok: true },
      wifi: { ok: true },
      mqtt: { ok: true },
    });
    expect(rig.screens.at(-1)).toEqual(['SELF-TEST', 'OK']);
    // The technician's card was not taken for a tap; the reader polls again afterwards.
    rig.shim.advance(1000);
    expect(rig.published.filter((p) => p.topic.endsWith('/up/tap')).length).toBe(tapsBefore);
    expect(rig.screens.at(-1)).toEqual(['SELF-TEST', 'OK']);
    // Once the card has left, taps work again.
    rig.sim.removeCard();
    rig.shim.advance(500);
    rig.shim.mqttMessage(downTopic('charge'), downMsg('charge', { ref: 'pos-9', amt: 100 }));
    rig.sim.placeCard(pn532.uidCard(UID));
    rig.shim.advance(300);
    expect(rig.published.filter((p) => p.topic.endsWith('/up/tap')).length).toBe(tapsBefore + 1);
  });

  it('tbSelftest with a silent PN532 and no broker: a failing report, not a hang', () => {
    const rig = provisionedRig();
    rig.sim.faults.hung = true;
    rig.shim.boot();
    let report: Record<string, { ok: boolean; detail?: string }> | undefined;
    (rig.shim.context as unknown as { tbSelftest(cb: (r: unknown) => void): void }).tbSelftest((r) => {
      report = JSON.parse(JSON.stringify(r));
    });
    for (let i = 0; i < 300 && report === undefined; i++) rig.shim.advance(100);
    expect(report?.pn532.ok).toBe(false);
    expect(report?.pn532.detail).toMatch(/DIP switches/);
    expect(report?.card.ok).toBe(false);
    expect(report?.mqtt).toEqual({ ok: false, detail: 'not connected' });
    expect(rig.screens.at(-1)).toEqual(['SELF-TEST', 'FAILED']);
  });

  it('selfpour: the authorization opens the valve (D2), flow-meter pulses on D35 are counted, the pour is signed', () => {
    const rig = provisionedRig();
    bootAndConnect(rig);
    expect(rig.pins).toContainEqual(['D2', 0]); // valve closed at boot
    rig.shim.mqttMessage(
      downTopic('config'),
      downMsg('config', { venue: VENUE, mode: 'selfpour', cur: 'EUR', ppl: 450 }),
    );
    rig.sim.placeCard(pn532.uidCard(UID));
    rig.shim.advance(200);
    const tap = verified(rig, 'tap')[0];
    expect(tap.b).toEqual({ tx: `${DEVICE}-${tap.n}`, uid: UID_HEX, mode: 'selfpour' });
    rig.pins.length = 0;
    rig.shim.mqttMessage(
      downTopic('result'),
      downMsg('result', { tx: `${DEVICE}-${tap.n}`, ok: true, amt: 250, ml: 100 }),
    );
    expect(rig.pins).toContainEqual(['D2', 1]);
    for (let i = 0; i < 45; i++) {
      rig.shim.pressButton('D35', true);
      rig.shim.advance(20);
      rig.shim.pressButton('D35', false);
      rig.shim.advance(20);
    }
    expect(rig.pins.filter((p) => p[0] === 'D2').at(-1)).toEqual(['D2', 0]); // closed at ceil(100 * 450 / 1000) pulses
    rig.shim.advance(600);
    const pour = verified(rig, 'pour');
    expect(pour.map((m) => m.b)).toEqual([{ tx: `${DEVICE}-${tap.n}`, ml: 100, amt: 250, end: 'limit' }]);
  });
});
