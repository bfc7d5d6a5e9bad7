// Self-service tap mode on the pure terminal, with a simulated valve and flow meter (YF-S201:
// ~450 pulses a litre, 22.5 Hz at 3 l/min): authorize → pour → report, the pour message contract.
import { protocol, terminal } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';
import { fakeHal } from './fake-hal.js';
import { tapRig } from './flow-meter.js';

const KEY = '4f'.repeat(32);
const UID = '04DE5F1EACC040';
let down = 100;
const downMsg = (k: string, b: unknown) => protocol.sign({ v: 1, k, d: 'dev-1', n: ++down, b } as never, KEY);
const topic = (k: string) => `tb/v1/bar/dev/dev-1/down/${k}`;

function setup(hz = 22.5, ppl?: number) {
  const f = fakeHal();
  const tap = tapRig(f.clock, 'GPIO2', 'GPIO35', hz);
  f.hal.gpio = tap.gpio;
  const t = new terminal.Terminal(f.hal, {
    venue: 'bar',
    deviceId: 'dev-1',
    keyHex: KEY,
    board: 'host',
    firmware: '0.1.0',
    valvePin: 'GPIO2',
    flowPin: 'GPIO35',
  });
  f.connect();
  f.deliver(
    topic('config'),
    downMsg('config', { venue: 'bar', mode: 'selfpour', cur: 'EUR', ...(ppl ? { ppl } : {}) }),
  );
  return { f, t, tap };
}

/** Taps, checks the tap message, answers with the authorization (A for M ml). */
function authorize(s: ReturnType<typeof setup>, amt: number, ml: number): string {
  s.t.onReader({ type: 'card', uid: UID });
  const taps = s.f.sent('tap', KEY);
  const tap = taps[taps.length - 1].b as { tx: string };
  expect(tap).toEqual({ tx: tap.tx, uid: UID, mode: 'selfpour' });
  s.f.deliver(
    topic('result'),
    downMsg('result', { tx: tap.tx, ok: true, amt, ml, bal: [{ a: 'EUR', v: 2000 }] }),
  );
  return tap.tx;
}

describe('selfpour', () => {
  it('boots with the valve closed and the flow meter watched without debounce', () => {
    const { tap } = setup();
    expect(tap.valve).toEqual([false]);
  });

  it('pours the authorized volume: closes at the limit, counts the overrun, charges the authorization', () => {
    const s = setup();
    const tx = authorize(s, 500, 330);
    expect(s.tap.isOpen()).toBe(true);
    expect(s.f.lastScreen()).toEqual(['Servez-vous', '0 / 330 ml']);
    s.f.clock.advance(3000);
    expect(s.f.lastScreen()).toEqual(['Servez-vous', '148 / 330 ml']); // 67 pulses at 450/l
    s.f.clock.runUntil(() => !s.tap.isOpen(), 10_000);
    expect(s.tap.pulses()).toBe(149); // ceil(330 * 450 / 1000)
    s.f.clock.advance(600);
    const pours = s.f.sent('pour', KEY);
    expect(pours).toHaveLength(1);
    expect(pours[0].b).toEqual({ tx, ml: 335, amt: 500, end: 'limit' }); // 151 pulses, capped at A
    expect(s.f.lastScreen()).toEqual(['Servi 335 ml', '5,00 €']);
    expect(s.f.storage.pour).toBe(protocol.encodeCanonical({ amt: 500, end: 'limit', ml: 335, tx }));
    // The gateway charges it and acknowledges with a result of the same tx.
    s.f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 500, bal: [{ a: 'EUR', v: 1500 }] }));
    expect(s.f.lastScreen()).toEqual(['Accepté 5,00 €', 'EUR 15,00 €']);
    expect(s.f.storage.pour).toBeUndefined();
    expect(s.tap.valve).toEqual([false, true, false]);
  });

  it('card removed mid-pour: closes at once, charges pro rata (rounded half up)', () => {
    const s = setup();
    const tx = authorize(s, 500, 330);
    s.f.clock.advance(2000); // 45 pulses
    s.t.onReader({ type: 'removed' });
    expect(s.tap.isOpen()).toBe(false);
    s.f.clock.advance(600);
    // 47 pulses (2 overrun) = 104 ml; 104 * 500 / 330 = 157.6 → 158
    expect(s.f.sent('pour', KEY).map((m) => m.b)).toEqual([{ tx, ml: 104, amt: 158, end: 'removed' }]);
  });

  it('nobody pours: the valve closes after 10 s without a pulse, 0 ml, 0 charged (the hold is released)', () => {
    const s = setup(0);
    const tx = authorize(s, 500, 330);
    s.f.clock.advance(9000);
    expect(s.tap.isOpen()).toBe(true);
    s.f.clock.advance(2000);
    expect(s.tap.isOpen()).toBe(false);
    expect(s.f.sent('pour', KEY).map((m) => m.b)).toEqual([{ tx, ml: 0, amt: 0, end: 'idle' }]);
  });

  it('uses the calibration pushed in config (ppl)', () => {
    const s = setup(20, 400);
    const tx = authorize(s, 300, 250);
    s.f.clock.runUntil(() => !s.tap.isOpen(), 10_000);
    expect(s.tap.pulses()).toBe(100); // 250 ml at 400 pulses a litre
    s.f.clock.advance(600);
    expect(s.f.sent('pour', KEY).map((m) => m.b)).toEqual([{ tx, ml: 255, amt: 300, end: 'limit' }]);
  });

  it('a decline opens nothing; a second card during a pour is ignored', () => {
    const s = setup();
    s.t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    const tx = (s.f.sent('tap', KEY)[0].b as { tx: string }).tx;
    s.f.deliver(topic('result'), downMsg('result', { tx, ok: false, reason: 'insufficient-funds' }));
    expect(s.tap.valve).toEqual([false]);
    expect(s.f.lastScreen()).toEqual(['Refusé', 'Solde insuffisant']);
    s.t.onReader({ type: 'removed' });
    authorize(s, 500, 330);
    s.t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(s.f.sent('tap', KEY)).toHaveLength(2);
  });

  it('an authorization arriving after the card left opens nothing and reports 0 ml', () => {
    const s = setup();
    s.t.onReader({ type: 'card', uid: UID });
    const tx = (s.f.sent('tap', KEY)[0].b as { tx: string }).tx;
    s.t.onReader({ type: 'removed' });
    s.f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 500, ml: 330 }));
    expect(s.tap.valve).toEqual([false]);
    s.f.clock.advance(600);
    expect(s.f.sent('pour', KEY).map((m) => m.b)).toEqual([{ tx, ml: 0, amt: 0, end: 'removed' }]);
  });

  it('network lost during the pour: the pour is kept, sent on reconnection, and blocks new pours until acknowledged', () => {
    const s = setup();
    const tx = authorize(s, 500, 330);
    s.f.disconnect();
    s.f.clock.advance(2000);
    s.t.onReader({ type: 'removed' });
    s.f.clock.advance(600);
    expect(s.f.sent('pour', KEY)).toHaveLength(0);
    expect(s.f.storage.pour).toContain(`"tx":"${tx}"`);
    s.f.connect();
    expect(s.f.sent('pour', KEY).map((m) => (m.b as { tx: string }).tx)).toEqual([tx]);
    // Not acknowledged yet: a tap re-sends the same pour instead of starting another one.
    s.t.onReader({ type: 'card', uid: UID });
    expect(s.f.sent('tap', KEY)).toHaveLength(1);
    expect(s.f.sent('pour', KEY)).toHaveLength(2);
    s.f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 152 }));
    s.t.onReader({ type: 'removed' });
    s.f.clock.advance(3000);
    s.t.onReader({ type: 'card', uid: UID });
    expect(s.f.sent('tap', KEY)).toHaveLength(2);
  });

  it('a reboot with an unacknowledged pour in storage sends it again at connection', () => {
    const s = setup();
    const tx = authorize(s, 500, 330);
    s.t.onReader({ type: 'removed' });
    s.f.clock.advance(600);
    const f2 = fakeHal({ ...s.f.storage });
    new terminal.Terminal(f2.hal, {
      venue: 'bar',
      deviceId: 'dev-1',
      keyHex: KEY,
      board: 'host',
      firmware: '0.1.0',
    });
    f2.connect();
    expect(f2.sent('pour', KEY).map((m) => (m.b as { tx: string }).tx)).toEqual([tx]);
  });
});
