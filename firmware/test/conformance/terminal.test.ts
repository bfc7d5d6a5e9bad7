/**
 * Cross-target conformance: one scripted scenario (boot, config pushed, a paid tap and its result,
 * the broker lost with taps queued offline, reconnection and re-send of the queue, a tap whose
 * result never comes and the same card presented again after the timeout) run on the host core,
 * on the Espruino bundle in the Espruino shim, and on the NodeMCU bundle under lua5.1 (+ LuaBitOp,
 * the shipped minified file) and lua5.3. The MQTT topics and payloads published, the frames
 * written to the PN532 and the screens shown must be byte-identical; a divergence fails with a
 * diff of the two sequences.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootConnected, downSigner, downTopic, KEY, lastTapTx, provision, UID, VENUE } from '../device.js';
import { buildBundle, FW } from '../espruino/rig.js';
import { LUA_BUNDLE, requireInterpreter } from '../lua/interpreter.js';
import { espruinoTarget, hostTarget, luaTarget, type Recording, type TargetDriver } from './targets.js';

const UID2 = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
const FIRMWARE = '0.1.0';
const PROV = provision({ ssid: 'venue-wifi', pass: 'secret', mqtt: '10.0.0.2:1883' });

/** The scenario; down messages are signed in call order, so every target gets the same bytes. */
async function scenario(t: TargetDriver): Promise<void> {
  const down = downSigner(100);

  // boot: the PN532 wakes up, the network comes up, hello
  await bootConnected(t);
  // config pushed: menu, offline queue of 3
  const menu = [
    { sku: 'beer', label: 'Bière', price: 350 },
    { sku: 'tea', label: 'Thé', price: 150 },
  ];
  await t.message(
    downTopic('config'),
    down('config', { venue: VENUE, mode: 'cashier', cur: 'EUR', menu, offq: 3 }),
  );
  await t.advance(100);
  // a paid tap, approved
  await t.message(downTopic('charge'), down('charge', { ref: 'pos-1', amt: 450 }));
  t.placeCard(UID);
  await t.advance(300);
  await t.message(
    downTopic('result'),
    down('result', { tx: lastTapTx(t), ok: true, amt: 450, bal: [{ a: 'EUR', v: 1550 }] }),
  );
  await t.advance(3000);
  t.removeCard();
  await t.advance(300);
  // broker lost: two taps queued offline
  await t.brokerDown();
  await t.advance(200);
  for (const [uid, amt] of [
    [UID, 200],
    [UID2, 300],
  ] as [number[], number][]) {
    await t.message(downTopic('charge'), down('charge', { ref: `off-${amt}`, amt })); // ignored offline? still the same everywhere
    t.placeCard(uid);
    await t.advance(300);
    t.removeCard();
    await t.advance(2800);
  }
  // the retry connects: the queue is re-sent, one tap at a time, each kept until its result
  await t.advance(5000);
  await t.brokerUp();
  await t.advance(200);
  for (const amt of [200, 300]) {
    await t.message(downTopic('result'), down('result', { tx: lastTapTx(t), ok: true, amt }));
    await t.advance(200);
  }
  await t.advance(600);
  // a tap whose result never comes: timeout, then the same card again re-sends the same tx
  await t.message(downTopic('charge'), down('charge', { ref: 'pos-2', amt: 120 }));
  t.placeCard(UID2);
  await t.advance(300);
  t.removeCard();
  await t.advance(7000);
  t.placeCard(UID2);
  await t.advance(300);
  await t.message(
    downTopic('result'),
    down('result', { tx: lastTapTx(t), ok: true, amt: 120, bal: [{ a: 'EUR', v: 1430 }] }),
  );
  await t.advance(3000);
}

/** The NodeMCU bundle under `bin`, which must be installed (5.1 with LuaBitOp, as on the board). */
function nodemcuTarget(bin: keyof typeof LUA_BUNDLE) {
  requireInterpreter(bin, bin === 'lua5.1');
  return luaTarget(bin, join(FW, LUA_BUNDLE[bin]), PROV);
}

let bundle: string;
let reference: Recording;
const open: TargetDriver[] = [];
beforeAll(async () => {
  bundle = buildBundle();
  execFileSync(process.execPath, [join(FW, 'scripts', 'build-lua.mjs')], { stdio: 'pipe' });
  const host = hostTarget(PROV, FIRMWARE);
  await scenario(host);
  reference = host.rec;
}, 240_000);
afterAll(() => {
  for (const t of open) t.close();
});

/** Equal sequences, or a failure that shows the first divergence with its context. */
function expectSame(what: string, target: string, got: string[], want: string[]): void {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  if (i === got.length && i === want.length) return;
  const ctx = (xs: string[]) =>
    xs.slice(Math.max(0, i - 2), i + 3).map((x, k) => `  ${Math.max(0, i - 2) + k}: ${x}`);
  throw new Error(
    `${target}: ${what} diverge from the host at #${i} (${got.length} vs ${want.length})\n` +
      `host:\n${ctx(want).join('\n')}\n${target}:\n${ctx(got).join('\n')}`,
  );
}

const collapse = (xs: string[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

describe('cross-target conformance (host core = reference)', () => {
  it('the host scenario itself: hello, config, tap + result, 2 offline taps re-sent, timeout + same tx re-sent', () => {
    const kinds = reference.published.map((p) => p.split(' ')[0].split('/').pop());
    expect(kinds).toEqual(['hello', 'tap', 'tap', 'tap', 'tap', 'tap'].slice(0, kinds.length));
    const taps = reference.published
      .filter((p) => p.includes('/up/tap '))
      .map((p) => {
        const r = protocol.verify(p.split(' ')[1], KEY, -1);
        if (!r.ok) throw new Error(r.reason);
        return r.message.b as { tx: string; off?: boolean; ref?: string };
      });
    expect(taps.filter((b) => b.off === true)).toHaveLength(2); // queued while offline, sent on reconnect
    expect(taps.at(-1)?.tx).toBe(taps.at(-2)?.tx); // same card after the timeout: same tx id
    expect(reference.uart.length).toBeGreaterThan(10);
  });

  const targets: [string, () => TargetDriver][] = [
    ['espruino', () => espruinoTarget(PROV, bundle)],
    ['lua5.1', () => nodemcuTarget('lua5.1')],
    ['lua5.3', () => nodemcuTarget('lua5.3')],
  ];
  for (const [name, make] of targets) {
    it(`${name}: same MQTT topics + payloads, PN532 frames and screens as the host`, async () => {
      const t = make();
      open.push(t);
      await scenario(t);
      expectSame('MQTT publications', name, t.rec.published, reference.published);
      expectSame('screens', name, t.rec.screens, reference.screens);
      if (name === 'espruino') expectSame('PN532 frames written', name, t.rec.uart, reference.uart);
      // NodeMCU's tmr cannot fire sooner than 1 ms (the HAL turns setTimeout(0) into 1 ms), so
      // the idle poll cadence differs: the frames are compared with runs of one frame collapsed.
      else
        expectSame(
          'PN532 frames written (runs collapsed)',
          name,
          collapse(t.rec.uart),
          collapse(reference.uart),
        );
      expect(t.rec.connects).toBe(reference.connects);
    }, 60_000);
  }
});

/** Self-service tap: authorization, pulses to the limit, the pour message, its acknowledgement; then a card removed mid-pour. */
async function selfpourScenario(t: TargetDriver): Promise<void> {
  const down = downSigner(200);
  await bootConnected(t);
  await t.message(
    downTopic('config'),
    down('config', { venue: VENUE, mode: 'selfpour', cur: 'EUR', ppl: 450 }),
  );
  await t.advance(100);
  for (const [uid, pulses] of [
    [UID, 45], // ceil(100 ml * 450 / 1000): the valve closes at the limit
    [UID2, 20], // the card leaves after 20
  ] as [number[], number][]) {
    t.placeCard(uid);
    await t.advance(300);
    const tx = lastTapTx(t);
    await t.message(downTopic('result'), down('result', { tx, ok: true, amt: 250, ml: 100 }));
    for (let i = 0; i < pulses; i++) {
      await t.flowPulse();
      await t.advance(40);
    }
    t.removeCard();
    await t.advance(1000);
    await t.message(
      downTopic('result'),
      down('result', { tx, ok: true, amt: 250, bal: [{ a: 'EUR', v: 750 }] }),
    );
    await t.advance(3000);
  }
}

describe('cross-target conformance, selfpour (host core = reference)', () => {
  let selfpourReference: Recording;
  beforeAll(async () => {
    const host = hostTarget(PROV, FIRMWARE);
    await selfpourScenario(host);
    selfpourReference = host.rec;
  }, 60_000);

  it('the host scenario: two pours, at the limit and with the card removed, priced pro rata', () => {
    const pours = selfpourReference.published
      .filter((p) => p.includes('/up/pour '))
      .map((p) => {
        const r = protocol.verify(p.split(' ')[1], KEY, -1);
        if (!r.ok) throw new Error(r.reason);
        return r.message.b as { ml: number; amt: number; end: string };
      });
    expect(pours.map(({ ml, amt, end }) => ({ ml, amt, end }))).toEqual([
      { ml: 100, amt: 250, end: 'limit' },
      { ml: 44, amt: 110, end: 'removed' },
    ]);
  });

  for (const name of ['espruino', 'lua5.1', 'lua5.3'] as const) {
    it(`${name}: same MQTT publications and screens as the host`, async () => {
      const t = name === 'espruino' ? espruinoTarget(PROV, bundle) : nodemcuTarget(name);
      open.push(t);
      await selfpourScenario(t);
      expectSame('MQTT publications', name, t.rec.published, selfpourReference.published);
      expectSame('screens', name, t.rec.screens, selfpourReference.screens);
    });
  }
});

describe('NodeMCU self-test (the flash tool calls the global tbselftest)', () => {
  for (const bin of ['lua5.1', 'lua5.3'] as const) {
    it(`${bin}: tbselftest(cb) gives the report as a JSON string`, async () => {
      const t = nodemcuTarget(bin);
      open.push(t);
      await bootConnected(t);
      t.placeCard(UID);
      const report = JSON.parse(await t.selftest());
      expect(report).toEqual({
        pn532: { ok: true, detail: 'PN532 1.6' },
        card: { ok: true, detail: '04DE5F1EACC040' },
        display: { ok: true },
        buzzer: { ok: true },
        led: { ok: true },
        wifi: { ok: true },
        mqtt: { ok: true },
      });
      // the technician's card was not a tap
      expect(t.rec.published.filter((p) => p.includes('/up/tap '))).toHaveLength(0);
    });
  }
});
