/**
 * ACR122U reader for the host target: the PN532 driver (unchanged) over Direct Transmit
 * pseudo-APDUs, through a PC/SC reader double whose PN532 is the simulator. Checks the bytes on
 * the PC/SC side (header, Lc, D4/D5, status words), the choice between SCardTransmit (card
 * present) and SCardControl escape (no card), and that every malformed or failed answer ends as
 * a clear error for that command only.
 */
import { nfc, pn532, terminal } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';
import {
  openAcr122u,
  PCSCD_MISSING,
  PCSCLITE_MISSING,
  parseAcr122uSpec,
} from '../../targets/host/acr122u.js';
import {
  beepApdu,
  directTransmit,
  GET_FIRMWARE_APDU,
  ledBuzzerApdu,
  parseDirectTransmit,
  parseFirmwareVersion,
  parseLedBuzzer,
} from '../../targets/host/acr122u-apdu.js';
import { Acr122uTransport } from '../../targets/host/acr122u-transport.js';
import { nodeCrypto } from '../../targets/host/crypto.js';
import { PcscLink } from '../../targets/host/pcsc-link.js';
import { Acr122uEmulator, FakeReader, type FakeReaderOptions, FIRMWARE_ASCII } from './emulator.js';

const UID = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];

function rig(o: FakeReaderOptions & { responseTimeoutMs?: number } = {}) {
  const clock = new pn532.VirtualClock();
  const emu = new Acr122uEmulator(clock);
  const reader = new FakeReader(emu, clock, o);
  const logs: string[] = [];
  const link = new PcscLink(reader, (l) => logs.push(l));
  const transport = new Acr122uTransport(link, clock, (l) => logs.push(l));
  const driver = new pn532.Pn532Driver({ clock, transport, responseTimeoutMs: o.responseTimeoutMs });
  /** Runs one driver operation to completion on the virtual clock. */
  const run = <T>(op: (cb: pn532.Pn532Callback<T>) => void, maxMs = 5000): pn532.Pn532Result<T> => {
    let r: pn532.Pn532Result<T> | undefined;
    op((x) => {
      r = x;
    });
    clock.runUntil(() => r !== undefined, maxMs);
    if (r === undefined) throw new Error('operation never completed');
    return r;
  };
  return { clock, emu, reader, link, transport, driver, logs, run };
}

const hex = (b: number[]) => Buffer.from(b).toString('hex');

describe('ACR122U pseudo-APDUs', () => {
  it('wraps a PN532 command as FF 00 00 00 Lc D4 …, Lc counting D4, code and parameters', () => {
    expect(directTransmit([0x02])).toEqual([0xff, 0x00, 0x00, 0x00, 0x02, 0xd4, 0x02]);
    expect(directTransmit([0x4a, 0x01, 0x00])).toEqual([
      0xff, 0x00, 0x00, 0x00, 0x04, 0xd4, 0x4a, 0x01, 0x00,
    ]);
    expect(directTransmit(new Array(254).fill(1))[4]).toBe(255);
    expect(() => directTransmit(new Array(255).fill(1))).toThrow(/does not fit/);
    expect(() => directTransmit([])).toThrow(RangeError);
  });

  it('unwraps D5 <cmd+1> … 90 00 and names every other answer', () => {
    expect(parseDirectTransmit([0xd5, 0x03, 0x32, 0x01, 0x06, 0x07, 0x90, 0x00], 0x02)).toEqual({
      ok: true,
      value: [0x32, 0x01, 0x06, 0x07],
    });
    const reason = (a: number[]) => {
      const r = parseDirectTransmit(a, 0x02);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason([0x63, 0x00])).toBe('acr122u-operation-failed');
    expect(reason([0x6a, 0x81])).toBe('acr122u-status');
    expect(reason([])).toBe('acr122u-short-answer');
    expect(reason([0x90])).toBe('acr122u-short-answer');
    expect(reason([0x90, 0x00])).toBe('acr122u-short-answer');
    expect(reason([0xd4, 0x03, 0x90, 0x00])).toBe('acr122u-bad-tfi');
    expect(reason([0xd5, 0x4b, 0x00, 0x90, 0x00])).toBe('acr122u-wrong-response');
    const failed = parseDirectTransmit([0x63, 0x00], 0x4a);
    expect(failed.ok ? '' : failed.detail).toBe(
      'PN532 command 0x4A: the reader answered 63 00 (operation failed)',
    );
  });

  it('reads the firmware string (FF 00 48 00 00) and builds LED/buzzer commands (FF 00 40 …)', () => {
    expect(GET_FIRMWARE_APDU).toEqual([0xff, 0x00, 0x48, 0x00, 0x00]);
    const ascii = [...'ACR122U207'].map((c) => c.charCodeAt(0));
    expect(parseFirmwareVersion(ascii)).toEqual({ ok: true, value: 'ACR122U207' });
    expect(parseFirmwareVersion([...ascii, 0x90, 0x00])).toEqual({ ok: true, value: 'ACR122U207' });
    expect(parseFirmwareVersion([0x63, 0x00]).ok).toBe(false);
    expect(parseFirmwareVersion([0x00, 0xff]).ok).toBe(false);
    expect(ledBuzzerApdu({ led: 0x0e, t1: 1, t2: 1, repeat: 3, buzzer: 1 })).toEqual([
      0xff, 0x00, 0x40, 0x0e, 0x04, 0x01, 0x01, 0x03, 0x01,
    ]);
    // beep 200 on / 100 off / 200 on: two repetitions of T1 = 2, T2 = 1, buzzer during T1, red blinking
    expect(beepApdu([200, 100, 200], 'red')).toEqual([0xff, 0x00, 0x40, 0x50, 0x04, 0x02, 0x01, 0x02, 0x01]);
    expect(parseLedBuzzer([0x90, 0x02])).toEqual({ ok: true, value: 2 });
    expect(parseLedBuzzer([0x63, 0x00]).ok).toBe(false);
    expect(parseLedBuzzer([0x90]).ok).toBe(false);
  });

  it('parses the --reader acr122u[:name] spec', () => {
    expect(parseAcr122uSpec('acr122u')).toBe('');
    expect(parseAcr122uSpec('acr122u:ACR122U PICC Interface 01')).toBe('ACR122U PICC Interface 01');
    expect(parseAcr122uSpec('/dev/ttyUSB0')).toBeUndefined();
    expect(parseAcr122uSpec('sim')).toBeUndefined();
  });
});

describe('PN532 driver over the ACR122U transport', () => {
  it('no card: reaches the PN532 with SCardControl escape, the exact Direct Transmit bytes', () => {
    const { driver, emu, reader, link, run } = rig();
    expect(run<boolean>((cb) => driver.wakeUp(cb))).toEqual({ ok: true, value: true });
    expect(run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb))).toEqual({
      ok: true,
      value: { ic: 0x32, ver: 1, rev: 6, support: 7 },
    });
    expect(emu.apdus.map(hex)).toEqual([
      'ff00000005d414011401', // Lc 5 = D4 + SAMConfiguration (14) + normal mode, timeout 0x14, IRQ
      'ff00000002d402', // GetFirmwareVersion
    ]);
    expect(reader.calls.slice(0, 3)).toEqual(['connect-shared', 'connect-direct', 'control']);
    expect(link.mode).toBe('direct');
    expect(link.counts.transmit).toBe(0);
    expect(emu.sim.commands).toEqual([0x14, 0x02]);
  });

  it('card present: SCardTransmit; the card leaving mid-session switches to escape without losing the command', () => {
    const { driver, emu, reader, link, run } = rig();
    emu.sim.placeCard(pn532.uidCard(UID));
    run<boolean>((cb) => driver.rfConfigurationMaxRetries(0xff, 0x01, 0x01, cb));
    const seen = run<pn532.TargetInfo | undefined>((cb) => driver.inListPassiveTarget(cb));
    expect(seen.ok && seen.value?.uid).toBe('04DE5F1EACC040');
    expect(link.mode).toBe('card');
    expect(link.counts.control).toBe(0);
    emu.sim.removeCard();
    const gone = run<pn532.TargetInfo | undefined>((cb) => driver.inListPassiveTarget(cb));
    expect(gone).toEqual({ ok: true, value: undefined });
    expect(reader.calls.slice(-5)).toEqual([
      'transmit',
      'disconnect',
      'connect-shared',
      'connect-direct',
      'control',
    ]);
    expect(link.mode).toBe('direct');
  });

  it('T=0 card connections: 61 xx is followed by GET RESPONSE FF C0 00 00 xx', () => {
    const { driver, emu, reader, run } = rig({ t0: true });
    emu.sim.placeCard(pn532.uidCard(UID));
    const fw = run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb));
    expect(fw.ok).toBe(true);
    expect(reader.calls.filter((c) => c === 'transmit')).toHaveLength(2);
  });

  it('63 00 and malformed answers fail that command with a logged reason; the next command works', () => {
    const { driver, emu, logs, transport, run } = rig();
    const bad = [[0x63, 0x00], [0x6a, 0x81], [], [0x90], [0xd4, 0x03, 0x90, 0x00], [0xd5, 0x4b, 0x90, 0x00]];
    const reasons = [
      'acr122u-operation-failed',
      'acr122u-status',
      'acr122u-short-answer',
      'acr122u-short-answer',
      'acr122u-bad-tfi',
      'acr122u-wrong-response',
    ];
    bad.forEach((answer, i) => {
      emu.overrides.push(answer);
      const r = run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb));
      expect(r).toEqual({ ok: false, reason: 'pn532-syntax-error' });
      expect(logs.at(-1)).toContain(reasons[i]);
      // the driver's watchdog re-initialises after 3 failures in a row: let it finish
      run<boolean>((cb) => driver.samConfiguration(cb));
    });
    expect(transport.failures).toBe(bad.length);
    expect(run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb)).ok).toBe(true);
  });

  it('an answer arriving after the driver gave up is dropped, not taken for the next command', () => {
    const { clock, driver, emu, reader, logs, run } = rig({ responseTimeoutMs: 100 });
    expect(run<boolean>((cb) => driver.samConfiguration(cb)).ok).toBe(true);
    reader.latencyMs = 150; // one slow USB round trip, longer than the driver waits
    const first = run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb));
    expect(first).toEqual({ ok: false, reason: 'pn532-timeout' });
    reader.latencyMs = 2;
    clock.advance(1000);
    expect(logs.some((l) => l.includes('dropping the late answer to PN532 command 0x2'))).toBe(true);
    // The next command gets its own answer (a stale GetFirmwareVersion one would fail it).
    expect(run<boolean>((cb) => driver.samConfiguration(cb))).toEqual({ ok: true, value: true });
    expect(emu.sim.commands).toEqual([0x14, 0x02, 0x14]);
  });

  it('escape refused by the CCID driver and no card: a clear error naming ifdDriverOptions', () => {
    const { driver, logs, run } = rig({ escape: false });
    const r = run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb));
    expect(r.ok).toBe(false);
    expect(logs.join('\n')).toMatch(/IOCTL_CCID_ESCAPE\) refused .*ifdDriverOptions 0x0001/);
  });

  it('escape refused, card present: transmit carries everything', () => {
    const { driver, emu, link, run } = rig({ escape: false });
    emu.sim.placeCard(pn532.uidCard(UID));
    expect(run<pn532.FirmwareVersion>((cb) => driver.getFirmwareVersion(cb)).ok).toBe(true);
    expect(link.mode).toBe('card');
  });
});

describe('terminal reader loop over the ACR122U', () => {
  it('reader-ready, one card event per tap (UID and NTAG 424 SUN through InDataExchange), one removal', () => {
    const { clock, driver, emu } = rig();
    const events: terminal.ReaderEvent[] = [];
    const poller = terminal.startReader(driver, clock, (ev) => events.push(ev), { intervalMs: 40 });
    clock.advance(500);
    expect(events).toEqual([{ type: 'reader-ready', version: 'PN532 1.6' }]);
    emu.sim.placeCard(pn532.uidCard(UID));
    clock.advance(500);
    emu.sim.removeCard();
    clock.advance(500);
    expect(events.slice(1)).toEqual([{ type: 'card', uid: '04DE5F1EACC040' }, { type: 'removed' }]);
    // an NTAG 424 DNA with a plain SUN URL: three ISO-DEP exchanges carried as Direct Transmit bodies
    const key = new Array(16).fill(0x42);
    const card = new nfc.Ntag424Card({
      uid: [0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60],
      metaReadKey: key,
      fileReadKey: key,
      baseUrl: 'https://t.tibillet.coop/',
      counter: 10,
      aes: nodeCrypto,
      random: (n) => nodeCrypto.randomBytes(n),
    });
    emu.sim.placeCard(card);
    clock.advance(1000);
    const tap = events.at(-1) as { type: string; uid: string; sun?: { picc: string; cmac: string } };
    expect(tap.type).toBe('card');
    expect(tap.uid).toBe('04102030405060');
    expect(tap.sun?.picc).toMatch(/^[0-9A-F]{32}$/i);
    expect(card.counter).toBe(11);
    expect(emu.apdus.some((a) => a[5] === 0xd4 && a[6] === 0x40)).toBe(true); // InDataExchange
    poller.stop();
  });
});

describe('openAcr122u', () => {
  /** A pcsclite context double announcing `names`; `plugged` gets every reader it announced. */
  const fakeFactory =
    (names: string[], clock: pn532.VirtualClock, plugged: FakeReader[] = []) =>
    () => {
      const handlers: { [ev: string]: ((x: unknown) => void)[] } = {};
      const ctx = {
        /** Announces a reader, as pcsc-lite does when one is plugged in. */
        plug(r: FakeReader) {
          plugged.push(r);
          for (const cb of handlers.reader ?? []) cb(r);
        },
        on(ev: string, cb: (x: unknown) => void) {
          if (!handlers[ev]) handlers[ev] = [];
          handlers[ev].push(cb);
          return ctx;
        },
        close() {
          // pcsclite's close() can block the event loop for good (see acr122u.ts): never called.
          throw new Error('the PC/SC context must not be closed');
        },
      };
      setTimeout(() => {
        for (const n of names) {
          const r = Object.assign(new FakeReader(new Acr122uEmulator(clock), clock, { name: n }), {
            on: () => r,
          });
          ctx.plug(r);
        }
      }, 1);
      return ctx;
    };

  it('names what to install when the native module or the daemon is missing', async () => {
    await expect(
      openAcr122u({
        load: () => Promise.reject(new Error(PCSCLITE_MISSING)),
      }),
    ).rejects.toThrow(/optional native module 'pcsclite'.*libpcsclite-dev/);
    await expect(
      openAcr122u({
        load: async () => () => {
          throw new Error('SCardEstablishContext error: Service not available.(0x8010001d)');
        },
      }),
    ).rejects.toThrow(PCSCD_MISSING);
  });

  it('picks the reader by name and lists the readers it saw when none matches', async () => {
    const clock = new pn532.VirtualClock();
    const names = ['Yubico YubiKey OTP+FIDO+CCID 00 00', 'ACS ACR122U PICC Interface 00 00'];
    const plugged: FakeReader[] = [];
    const acr = await openAcr122u({
      load: async () => fakeFactory(names, clock, plugged) as never,
      waitMs: 200,
    });
    expect(acr.readerName).toBe('ACS ACR122U PICC Interface 00 00');
    expect(plugged).toHaveLength(2);
    // Every announced reader's close() (pcsclite calls it on unplug; it can block for good) is inert.
    for (const r of plugged) expect(() => r.close()).not.toThrow();
    const fw = acr.firmware();
    await new Promise((r) => setTimeout(r, 5));
    clock.advance(100);
    expect(await fw).toBe(FIRMWARE_ASCII);
    await expect(
      openAcr122u({ name: 'ACR1252', load: async () => fakeFactory(names, clock) as never, waitMs: 50 }),
    ).rejects.toThrow(
      /no PC\/SC reader found for a reader named like "ACR1252".*Yubico YubiKey OTP\+FIDO\+CCID 00 00, ACS ACR122U/,
    );
  });

  it('follows the reader when it is unplugged and plugged again (a new PC/SC reader object)', async () => {
    const clock = new pn532.VirtualClock();
    const name = 'ACS ACR122U PICC Interface 00 00';
    const plugged: FakeReader[] = [];
    const factory = fakeFactory([name], clock, plugged);
    let ctx: ReturnType<typeof factory> | undefined;
    const logs: string[] = [];
    const acr = await openAcr122u({
      load: async () => () => {
        ctx = factory();
        return ctx as never;
      },
      log: (l) => logs.push(l),
    });
    const exchange = () =>
      new Promise<string | undefined>((resolve) => {
        acr.link.exchange([0xff, 0x00, 0x48, 0x00, 0x00], (err) => resolve(err));
        setTimeout(() => clock.advance(100), 2);
      });
    expect(await exchange()).toBeUndefined();
    expect(plugged[0].calls).toContain('control');
    // pcsc-lite announces the replugged reader again: the same name on a new object
    const again = Object.assign(new FakeReader(new Acr122uEmulator(clock), clock, { name }), {
      on: () => again,
    });
    ctx?.plug(again);
    expect(logs).toContain(`acr122u: ${name} is back`);
    expect(await exchange()).toBeUndefined();
    expect(again.calls).toContain('control');
    const closing = acr.close();
    clock.advance(100); // the double disconnects on the virtual clock
    await closing;
    expect(again.connected).toBe('no');
  });
});
