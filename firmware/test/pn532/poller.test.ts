import { describe, expect, it } from 'vitest';
import * as pn532 from '../../src/pn532/index.js';

const UID4 = [0xf3, 0x2a, 0x91, 0x0c];
const UID7 = [0x04, 0xa2, 0x4b, 0x92, 0x6f, 0x61, 0x80];

function setup(bus = 'hsu', poller: pn532.PollerOptions = {}) {
  const reader = pn532.simulatedReader({ bus });
  const events: (pn532.CardEvent & { at: number })[] = [];
  let woke = false;
  reader.driver.wakeUp((r) => {
    woke = r.ok;
  });
  reader.clock.runUntil(() => woke, 1000);
  const p = new pn532.CardPoller(
    reader.driver,
    reader.clock,
    (e) => events.push({ ...e, at: reader.clock.now() }),
    poller,
  );
  p.start();
  reader.clock.advance(200);
  return { ...reader, poller: p, events };
}

describe('card poller', () => {
  for (const bus of ['hsu', 'i2c', 'spi']) {
    for (const [name, uid, hex] of [
      ['4-byte', UID4, 'F32A910C'],
      ['7-byte', UID7, '04A24B926F6180'],
    ] as const) {
      it(`${bus}: a tap of a ${name} UID card gives one cardPresent and one cardRemoved`, () => {
        const r = setup(bus);
        expect(r.events).toEqual([]);
        r.sim.placeCard(pn532.uidCard([...uid]));
        r.clock.advance(2000); // held on the reader for 2 s: polled ~30 times
        r.sim.removeCard();
        r.clock.advance(1000);
        expect(r.events.map((e) => e.type)).toEqual(['cardPresent', 'cardRemoved']);
        expect(r.events[0]).toMatchObject({
          uid: hex,
          uidBytes: [...uid],
          sak: uid.length === 4 ? 0x08 : 0x00,
        });
        expect(r.events[1]).toMatchObject({ uid: hex });
        expect(r.driver.resets).toBe(0);
      });
    }
  }

  it('cardPresent follows card presence within 2 PN532 round trips (issue: <= 3)', () => {
    const r = setup('hsu', { intervalMs: 50 });
    const results: number[] = [];
    for (let tap = 0; tap < 20; tap++) {
      r.clock.advance(7 + tap * 3); // land anywhere in the polling cycle
      const framesAtPresence = r.driver.framesSent;
      const inFlight = r.driver.busy() ? 1 : 0; // a poll already on its way may see the card too
      const count = r.events.length;
      r.sim.placeCard(pn532.uidCard([0x04, tap, 0x4b, 0x92, 0x6f, 0x61, 0x80]));
      r.clock.runUntil(() => r.events.length > count, 1000);
      // Round trips started after the card arrived, up to the event (the one in flight counts too).
      results.push(r.driver.framesSent - framesAtPresence + inFlight);
      r.sim.removeCard();
      r.clock.advance(500);
    }
    expect(r.events.filter((e) => e.type === 'cardPresent')).toHaveLength(20);
    expect(r.events.filter((e) => e.type === 'cardRemoved')).toHaveLength(20);
    expect(Math.max(...results)).toBeLessThanOrEqual(2);
    expect(Math.min(...results)).toBeGreaterThanOrEqual(1);
  });

  it('a card flickering at the edge of the field is still one tap', () => {
    const r = setup('hsu', { removeAfterMisses: 3 });
    const card = pn532.uidCard(UID7);
    r.sim.placeCard(card);
    r.clock.advance(300);
    for (let i = 0; i < 5; i++) {
      r.sim.removeCard();
      r.clock.advance(40); // shorter than 3 polls
      r.sim.placeCard(card);
      r.clock.advance(200);
    }
    expect(r.events.map((e) => e.type)).toEqual(['cardPresent']);
    r.sim.removeCard();
    r.clock.advance(1000);
    expect(r.events.map((e) => e.type)).toEqual(['cardPresent', 'cardRemoved']);
  });

  it('swapping cards without a gap gives removed then present', () => {
    const r = setup();
    r.sim.placeCard(pn532.uidCard(UID4));
    r.clock.advance(300);
    r.sim.placeCard(pn532.uidCard(UID7));
    r.clock.advance(300);
    expect(r.events.map((e) => `${e.type} ${e.uid}`)).toEqual([
      'cardPresent F32A910C',
      'cardRemoved F32A910C',
      'cardPresent 04A24B926F6180',
    ]);
  });

  it('card removed mid-exchange: the exchange fails cleanly and cardRemoved follows at once', () => {
    const r = setup('hsu', { intervalMs: 1000 }); // slow polling: removal must come from the failure
    r.sim.placeCard({ ...pn532.uidCard(UID7), exchange: () => [0x90, 0x00] });
    r.clock.runUntil(() => r.events.length === 1, 3000);
    let res: pn532.Pn532Result<number[]> | undefined;
    r.driver.inDataExchange(1, [0x30, 0x04], (x) => {
      res = x;
    });
    r.sim.removeCard();
    const t0 = r.clock.now();
    r.clock.runUntil(() => r.events.length === 2, 3000);
    expect(res).toEqual({ ok: false, reason: 'pn532-rf-timeout', status: 0x01 });
    expect(r.events.map((e) => e.type)).toEqual(['cardPresent', 'cardRemoved']);
    expect(r.clock.now() - t0).toBeLessThan(100);
  });

  it('a failed exchange with the card still there is not a new tap', () => {
    const r = setup();
    let fail = true;
    r.sim.placeCard({ ...pn532.uidCard(UID7), exchange: () => (fail ? [] : [0x00]) });
    r.clock.advance(200);
    let res: pn532.Pn532Result<number[]> | undefined;
    r.driver.inDataExchange(1, [0x30, 0x04], (x) => {
      res = x;
    });
    r.clock.advance(500);
    fail = false;
    expect(res).toMatchObject({ ok: false, reason: 'pn532-rf-timeout' });
    expect(r.events.map((e) => e.type)).toEqual(['cardPresent']);
  });

  it('keeps working through a watchdog reset (hung chip)', () => {
    const r = setup();
    r.sim.faults.hung = true;
    r.clock.advance(2000);
    expect(r.driver.resets).toBeGreaterThanOrEqual(1);
    r.sim.placeCard(pn532.uidCard(UID4));
    r.clock.advance(500);
    expect(r.events.map((e) => e.type)).toEqual(['cardPresent']);
  });
});
