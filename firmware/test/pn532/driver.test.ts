import { describe, expect, it } from 'vitest';
import * as pn532 from '../../src/pn532/index.js';

type R<T> = pn532.Pn532Result<T>;

/** Calls `op` and runs the virtual clock until its callback fires. */
function call<T>(reader: pn532.SimulatedReader, op: (cb: (r: R<T>) => void) => void, maxMs = 5000): R<T> {
  let res: R<T> | undefined;
  op((r) => {
    res = r;
  });
  reader.clock.runUntil(() => res !== undefined, maxMs);
  if (res === undefined) throw new Error('no callback');
  return res;
}

function ready(bus = 'hsu', opts: Partial<pn532.SimulatedOptions> = {}) {
  const reader = pn532.simulatedReader({ bus, ...opts });
  expect(call(reader, (cb) => reader.driver.wakeUp(cb))).toEqual({ ok: true, value: true });
  return reader;
}

const UID4 = [0xf3, 0x2a, 0x91, 0x0c];
const UID7 = [0x04, 0xa2, 0x4b, 0x92, 0x6f, 0x61, 0x80];

describe('driver against the simulator', () => {
  for (const bus of ['hsu', 'i2c', 'spi']) {
    it(`${bus}: wakes the chip and reads the firmware version`, () => {
      const reader = ready(bus);
      expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb))).toEqual({
        ok: true,
        value: { ic: 0x32, ver: 1, rev: 6, support: 7 },
      });
    });
  }

  it('HSU: a sleeping chip ignores frames without the wake-up preamble', () => {
    const reader = pn532.simulatedReader({ driver: { watchdogErrors: 99 } });
    reader.driver.wakeUp(() => {});
    reader.clock.advance(50);
    // Pretend the transport believes the chip is awake, then power it down behind its back.
    reader.sim.hardReset();
    const r = call(reader, (cb) => reader.driver.getFirmwareVersion(cb));
    expect(r).toEqual({ ok: false, reason: 'pn532-timeout' });
    expect(call(reader, (cb) => reader.driver.wakeUp(cb)).ok).toBe(true);
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
  });

  it('lists 4-, 7- and 10-byte UIDs with ATQA, SAK and ATS', () => {
    const reader = ready();
    reader.sim.placeCard(pn532.uidCard(UID4));
    let r = call(reader, (cb) => reader.driver.inListPassiveTarget(cb));
    expect(r).toMatchObject({
      ok: true,
      value: { tg: 1, uid: 'F32A910C', atqa: [0x00, 0x04], sak: 0x08, ats: [] },
    });
    reader.sim.placeCard(pn532.uidCard(UID7));
    r = call(reader, (cb) => reader.driver.inListPassiveTarget(cb));
    expect(r).toMatchObject({ ok: true, value: { uid: '04A24B926F6180', atqa: [0x00, 0x44], sak: 0x00 } });
    const uid10 = [0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const ats = [0x06, 0x77, 0x77, 0x71, 0x02, 0x80];
    reader.sim.placeCard({ uid: uid10, atqa: [0x03, 0x84], sak: 0x20, ats });
    r = call(reader, (cb) => reader.driver.inListPassiveTarget(cb));
    expect(r).toMatchObject({
      ok: true,
      value: { uid: '04010203040506070809', uidBytes: uid10, sak: 0x20, ats },
    });
  });

  it('InListPassiveTarget with MaxRetries answers "no card" quickly', () => {
    const reader = ready();
    expect(call(reader, (cb) => reader.driver.rfConfigurationMaxRetries(0xff, 0x01, 0x01, cb)).ok).toBe(true);
    const t0 = reader.clock.now();
    expect(call(reader, (cb) => reader.driver.inListPassiveTarget(cb))).toEqual({
      ok: true,
      value: undefined,
    });
    expect(reader.clock.now() - t0).toBeLessThan(50);
  });

  it('exchanges data, maps status bytes, releases', () => {
    const reader = ready();
    const seen: number[][] = [];
    reader.sim.placeCard({
      ...pn532.uidCard(UID7),
      exchange: (d) => {
        seen.push(d);
        return d[0] === 0x30 ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] : 0x14;
      },
    });
    expect(call(reader, (cb) => reader.driver.inListPassiveTarget(cb)).ok).toBe(true);
    const read = call(reader, (cb) => reader.driver.inDataExchange(1, [0x30, 0x04], cb));
    expect(read).toEqual({ ok: true, value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] });
    expect(seen).toEqual([[0x30, 0x04]]);
    expect(call(reader, (cb) => reader.driver.inDataExchange(1, [0x60], cb))).toEqual({
      ok: false,
      reason: 'pn532-mifare-auth-error',
      status: 0x14,
    });
    expect(call(reader, (cb) => reader.driver.inRelease(1, cb))).toEqual({ ok: true, value: true });
    expect(call(reader, (cb) => reader.driver.inDataExchange(1, [0x30, 0x04], cb))).toEqual({
      ok: false,
      reason: 'pn532-wrong-context',
      status: 0x27,
    });
  });

  it('card removed mid-exchange → clean rf-timeout error, and the driver carries on', () => {
    const reader = ready();
    reader.sim.placeCard({ ...pn532.uidCard(UID7), exchange: () => [0x00, 0x01] });
    expect(call(reader, (cb) => reader.driver.inListPassiveTarget(cb)).ok).toBe(true);
    let res: R<number[]> | undefined;
    reader.driver.inDataExchange(1, [0x30, 0x00], (r) => {
      res = r;
    });
    reader.sim.removeCard(); // gone before the chip's answer
    reader.clock.runUntil(() => res !== undefined, 1000);
    expect(res).toEqual({ ok: false, reason: 'pn532-rf-timeout', status: 0x01 });
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
    expect(reader.driver.resets).toBe(0); // a card leaving is not a chip fault
  });

  it('dropped ACK → the command is sent again and succeeds', () => {
    const reader = ready('hsu', { sim: { responseDelayMs: 60 } }); // slower than the 30 ms ACK timeout
    const before = reader.sim.commands.length;
    reader.sim.faults.dropAcks = 1;
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
    expect(reader.sim.commands.slice(before)).toEqual([0x02, 0x02]);
    expect(reader.driver.resets).toBe(0);
  });

  it('lost command frames → resent; a response without ACK is accepted', () => {
    const reader = ready();
    reader.sim.faults.deafFrames = 2;
    const sent = reader.driver.framesSent;
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
    expect(reader.driver.framesSent - sent).toBe(3);
    reader.sim.faults.dropAcks = 1; // fast chip: the response comes before the ACK timeout
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
  });

  for (const bus of ['hsu', 'i2c', 'spi']) {
    it(`${bus}: a corrupted response is NACKed and arrives intact`, () => {
      const reader = ready(bus);
      reader.sim.faults.corruptResponses = 1;
      const log: string[] = [];
      reader.driver.onEvent((e) => e.type === 'log' && log.push(e.line));
      expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb))).toEqual({
        ok: true,
        value: { ic: 0x32, ver: 1, rev: 6, support: 7 },
      });
      expect(log.join('\n')).toContain('bad-dcs');
    });
  }

  it('noise before every frame and a slow chip do not matter', () => {
    const reader = ready();
    reader.sim.faults.noise = [0xff, 0x00, 0x13, 0x00, 0xff, 0x07];
    reader.sim.faults.extraDelayMs = 200;
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
  });

  it('silent chip → pn532-timeout, then the watchdog hard-resets and re-initialises', () => {
    const reader = ready('hsu', { driver: { watchdogErrors: 3 } });
    expect(call(reader, (cb) => reader.driver.rfConfigurationMaxRetries(0xff, 0x01, 0x02, cb)).ok).toBe(true);
    const resets: pn532.DriverEvent[] = [];
    reader.driver.onEvent((e) => e.type === 'reset' && resets.push(e));
    reader.sim.faults.hung = true;
    const errors: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = call(reader, (cb) => reader.driver.getFirmwareVersion(cb));
      if (!r.ok) errors.push(r.reason);
    }
    expect(errors).toEqual(['pn532-timeout', 'pn532-timeout', 'pn532-timeout']);
    expect(resets).toEqual([{ type: 'reset', hard: true, resets: 1 }]);
    expect(reader.sim.resets).toBe(1);
    // The re-initialisation (wake-up + SAMConfiguration + MaxRetries) runs before the next command.
    const before = reader.sim.commands.length;
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb)).ok).toBe(true);
    expect(reader.sim.commands.slice(before)).toEqual([0x14, 0x32, 0x02]);
    expect(reader.sim.isAsleep()).toBe(false);
  });

  it('syntax errors come back as pn532-syntax-error; a full queue as pn532-busy', () => {
    const reader = ready('hsu', { driver: { maxQueue: 2 } });
    expect(call(reader, (cb) => reader.driver.command(0x7e, [], cb))).toEqual({
      ok: false,
      reason: 'pn532-syntax-error',
    });
    const results: string[] = [];
    for (let i = 0; i < 4; i++) reader.driver.getFirmwareVersion((r) => results.push(r.ok ? 'ok' : r.reason));
    reader.clock.advance(500);
    expect(results.sort()).toEqual(['ok', 'ok', 'ok', 'pn532-busy']);
  });

  it('a hung command is aborted with an ACK so its late answer cannot be mistaken', () => {
    const reader = ready('hsu', { driver: { watchdogErrors: 99 } });
    // MaxRetries 0xFF: the chip searches forever without a card.
    const r = call(reader, (cb) => reader.driver.inListPassiveTarget(cb, 100));
    expect(r).toEqual({ ok: false, reason: 'pn532-timeout' });
    reader.sim.placeCard(pn532.uidCard(UID4)); // would have answered the aborted search
    expect(call(reader, (cb) => reader.driver.getFirmwareVersion(cb))).toMatchObject({ ok: true });
  });
});
