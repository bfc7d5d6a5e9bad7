/**
 * Transports replayed against recorded byte streams (firmware/test/recordings): the host must
 * write exactly the recorded bytes, and the driver must make sense of exactly the recorded answers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { I2C, Serial, SPI } from '../../src/hal/types.js';
import * as pn532 from '../../src/pn532/index.js';

const rec = (name: string) =>
  JSON.parse(readFileSync(new URL(`../recordings/${name}`, import.meta.url), 'utf8'));
const h = (s: string) =>
  s.trim() === ''
    ? []
    : s
        .trim()
        .split(/\s+/)
        .map((x) => Number.parseInt(x, 16));
const hx = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

interface Expect {
  op: string;
  ic?: number;
  ver?: number;
  rev?: number;
  support?: number;
  uid?: string;
  atqa?: number[];
  sak?: number;
}

/** Runs the recording's operations one by one on `driver` and checks each result. */
function runOps(clock: pn532.VirtualClock, driver: pn532.Pn532Driver, exps: Expect[]): void {
  for (const e of exps) {
    let result: pn532.Pn532Result<unknown> | undefined;
    const cb = (r: pn532.Pn532Result<unknown>) => {
      result = r;
    };
    if (e.op === 'samConfiguration') driver.wakeUp(cb);
    else if (e.op === 'getFirmwareVersion') driver.getFirmwareVersion(cb);
    else driver.inListPassiveTarget(cb);
    clock.runUntil(() => result !== undefined, 1000);
    expect(result, e.op).toBeDefined();
    if (!result?.ok) throw new Error(`${e.op}: ${JSON.stringify(result)}`);
    const v = result.value as Record<string, unknown>;
    if (e.op === 'getFirmwareVersion')
      expect(v).toEqual({ ic: e.ic, ver: e.ver, rev: e.rev, support: e.support });
    if (e.op === 'inListPassiveTarget') {
      expect(v.uid).toBe(e.uid);
      expect(v.atqa).toEqual(e.atqa);
      expect(v.sak).toBe(e.sak);
      expect((v.uidBytes as number[]).length).toBe((e.uid as string).length / 2);
    }
  }
}

describe('HSU transport against the recording', () => {
  const r = rec('pn532-hsu.json');
  for (const split of [0, 1, 3]) {
    it(`writes the recorded frames and decodes the answers (chunks of ${split || 'whole'})`, () => {
      const clock = new pn532.VirtualClock();
      let step = 0;
      let rx: (b: number[]) => void = () => {};
      const written: string[] = [];
      const serial: Serial = {
        write: (bytes) => {
          written.push(hx(bytes));
          const ex = r.exchanges[step++];
          expect(hx(bytes)).toBe(hx(h(ex.host)));
          for (const frame of ex.chip as string[]) {
            const b = h(frame);
            const size = split || b.length;
            for (let i = 0; i < b.length; i += size) {
              const part = b.slice(i, i + size);
              clock.setTimeout(() => rx(part), 1);
            }
          }
        },
        onData: (cb) => {
          rx = cb;
        },
      };
      const driver = new pn532.Pn532Driver({ clock, transport: new pn532.HsuTransport(serial) });
      runOps(
        clock,
        driver,
        r.exchanges.map((e: { expect: Expect }) => e.expect),
      );
      expect(step).toBe(r.exchanges.length);
      expect(written[0].startsWith('55 55 00 00 00')).toBe(true); // wake-up preamble first
    });
  }
});

type Tx = { op: string; address?: number; length?: number; bytes?: string; mosi?: string; miso?: string };

/** A bus that plays the recorded transactions: unrecorded status polls get "not ready". */
function scripted(txs: Tx[], isStatusPoll: (t: Tx) => boolean) {
  let i = 0;
  const next = (actual: Tx): Tx => {
    const t = txs[i];
    if (t === undefined) throw new Error(`unexpected transaction ${JSON.stringify(actual)}`);
    i++;
    return t;
  };
  return { next, done: () => i === txs.length, peek: () => txs[i], isStatusPoll };
}

describe('I2C transport against the recording', () => {
  const r = rec('pn532-i2c.json');
  it('writes the recorded frames, polls the status byte, reads the recorded frames', () => {
    const clock = new pn532.VirtualClock();
    const txs: Tx[] = r.exchanges.flatMap((e: { transactions: Tx[] }) => e.transactions);
    const s = scripted(txs, (t) => t.op === 'read' && t.length === 1);
    let polls = 0;
    const i2c: I2C = {
      writeTo: (address, bytes) => {
        const t = s.next({ op: 'write', address, bytes: hx(bytes) });
        expect({ op: 'write', address, bytes: hx(bytes) }).toEqual({
          op: t.op,
          address: t.address,
          bytes: hx(h(t.bytes ?? '')),
        });
      },
      readFrom: (address, length) => {
        expect(address).toBe(0x24);
        const t = s.peek();
        if (length === 1 && !(t && s.isStatusPoll(t))) {
          polls++;
          return [0x00]; // busy
        }
        const n = s.next({ op: 'read', address, length });
        expect({ op: 'read', length }).toEqual({ op: n.op, length: n.length });
        return h(n.bytes ?? '');
      },
    };
    const driver = new pn532.Pn532Driver({ clock, transport: pn532.i2cTransport(i2c, clock) });
    runOps(
      clock,
      driver,
      r.exchanges.map((e: { expect: Expect }) => e.expect),
    );
    expect(s.done()).toBe(true);
    expect(polls).toBe(0);
  });

  it('rereads a frame longer than one read after a NACK, and tolerates a busy chip', () => {
    const clock = new pn532.VirtualClock();
    const sim = new pn532.Pn532Simulator({ clock });
    const bus = sim.i2c();
    const log: string[] = [];
    let busy = 3;
    const i2c: I2C = {
      writeTo: (a, b) => {
        log.push(`w ${hx(b)}`);
        bus.writeTo(a, b);
      },
      readFrom: (a, n) => {
        if (n === 1 && busy-- > 0) return [0x00];
        const out = bus.readFrom(a, n);
        log.push(`r${n}`);
        return out;
      },
    };
    // 8-byte reads: the 13-byte firmware frame does not fit.
    const driver = new pn532.Pn532Driver({
      clock,
      transport: pn532.i2cTransport(i2c, clock, { readLength: 8 }),
    });
    let fw: pn532.Pn532Result<pn532.FirmwareVersion> | undefined;
    driver.getFirmwareVersion((r) => {
      fw = r;
    });
    clock.runUntil(() => fw !== undefined, 500);
    expect(fw).toEqual({ ok: true, value: { ic: 0x32, ver: 1, rev: 6, support: 7 } });
    expect(log).toContain(`w ${hx(pn532.NACK_FRAME)}`);
  });
});

describe('SPI transport against the recording', () => {
  const r = rec('pn532-spi.json');
  it('bit-reverses every byte, uses DW/SR/DR, and decodes the recorded answers', () => {
    const clock = new pn532.VirtualClock();
    const txs: Tx[] = r.exchanges.flatMap((e: { transactions: Tx[] }) => e.transactions);
    const s = scripted(txs, (t) => h(t.mosi ?? '')[0] === 0x40 && h(t.mosi ?? '').length === 2);
    const spi: SPI = {
      transfer: (mosi) => {
        const t = s.peek();
        const isSr = mosi.length === 2 && mosi[0] === 0x40; // SR 0x02 bit-reversed
        if (isSr && !(t && s.isStatusPoll(t))) return [0x00, 0x00];
        const n = s.next({ op: 'transfer', mosi: hx(mosi) });
        expect(hx(mosi)).toBe(hx(h(n.mosi ?? '')));
        return h(n.miso ?? '');
      },
    };
    const driver = new pn532.Pn532Driver({ clock, transport: pn532.spiTransport(spi, clock) });
    runOps(
      clock,
      driver,
      r.exchanges.map((e: { expect: Expect }) => e.expect),
    );
    expect(s.done()).toBe(true);
  });
});

describe('simulator answers byte-exact like the recordings', () => {
  it('HSU: same bytes as pn532-hsu.json', () => {
    const r = rec('pn532-hsu.json');
    const clock = new pn532.VirtualClock();
    const sim = new pn532.Pn532Simulator({ clock });
    const host = sim.hsu();
    let got: number[] = [];
    host.onData((b) => got.push(...b));
    const cards = [
      undefined,
      undefined,
      [0xf3, 0x2a, 0x91, 0x0c],
      [0x04, 0xa2, 0x4b, 0x92, 0x6f, 0x61, 0x80],
    ];
    r.exchanges.forEach((ex: { host: string; chip: string[] }, i: number) => {
      const uid = cards[i];
      if (uid) sim.placeCard(pn532.uidCard(uid));
      got = [];
      host.write(h(ex.host));
      clock.advance(100);
      expect(hx(got)).toBe(hx(ex.chip.flatMap(h)));
    });
  });
});
