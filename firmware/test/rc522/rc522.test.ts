// MFRC522 driver and reader loop against the SPI-level simulator, on a virtual clock.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pn532, rc522, type SPI, terminal } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';

const UID4 = [0xa1, 0xb2, 0xc3, 0xd4];
const UID7 = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];
const UID10 = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99];

function setup(version?: number) {
  const clock = new pn532.VirtualClock();
  const sim = new rc522.Rc522Simulator(clock, version);
  const driver = new rc522.Rc522Driver({ spi: sim.spi(), clock });
  return { clock, sim, driver };
}

function readerSetup(version?: number) {
  const s = setup(version);
  const events: terminal.ReaderEvent[] = [];
  const handle = terminal.startRc522Reader(s.driver, s.clock, (ev) => events.push(ev), { intervalMs: 40 });
  return { ...s, events, handle };
}

describe('CRC_A (ISO/IEC 14443-3 Annex B)', () => {
  it('matches the standard examples and the HLTA frame', () => {
    expect(rc522.crcA([0x00, 0x00])).toEqual([0xa0, 0x1e]);
    expect(rc522.crcA([0x12, 0x34])).toEqual([0x26, 0xcf]);
    expect(rc522.crcA([0x50, 0x00])).toEqual([0x57, 0xcd]);
  });

  it('SPI address bytes: (reg << 1) & 0x7E, bit 7 for a read', () => {
    expect(rc522.spiAddress(rc522.registers.VersionReg, true)).toBe(0xee);
    expect(rc522.spiAddress(rc522.registers.CommandReg, false)).toBe(0x02);
    expect(rc522.spiAddress(rc522.registers.FIFODataReg, true)).toBe(0x92);
  });
});

describe('MFRC522 driver', () => {
  it('initialises the chip: version, 25 ms timer, CRC preset 6363, antenna on', () => {
    const { clock, sim, driver } = setup();
    let version: number | undefined;
    driver.init((r) => {
      if (r.ok) version = r.value;
    });
    clock.advance(60);
    expect(version).toBe(0x92);
    expect(rc522.rc522VersionName(0x92)).toBe('2.0');
    expect(sim.antennaOn()).toBe(true);
    const R = rc522.registers;
    expect([
      sim.regs[R.TModeReg],
      sim.regs[R.TPrescalerReg],
      sim.regs[R.TReloadRegH],
      sim.regs[R.TReloadRegL],
    ]).toEqual([0x80, 0xa9, 0x03, 0xe8]);
    expect(sim.regs[R.ModeReg]).toBe(0x3d);
  });

  it('the CRC coprocessor gives what the reference computes', () => {
    const { clock, driver } = setup();
    driver.init(() => {});
    clock.advance(60);
    let crc: number[] | undefined;
    driver.calcCrc([0x93, 0x70, 0xa1, 0xb2, 0xc3, 0xd4, 0xa1 ^ 0xb2 ^ 0xc3 ^ 0xd4], (r) => {
      if (r.ok) crc = r.value;
    });
    expect(crc).toEqual(rc522.crcA([0x93, 0x70, 0xa1, 0xb2, 0xc3, 0xd4, 0xa1 ^ 0xb2 ^ 0xc3 ^ 0xd4]));
  });

  for (const [name, uid, levels] of [
    ['4-byte', UID4, 1],
    ['7-byte', UID7, 2],
    ['10-byte', UID10, 3],
  ] as const) {
    it(`reads a ${name} UID through ${levels} cascade level(s), then halts the card`, () => {
      const { clock, sim, driver } = setup();
      driver.init(() => {});
      clock.advance(60);
      sim.placeCard({ uid: [...uid], sak: 0x00 });
      let card: rc522.Rc522Card | undefined;
      driver.readCard((r) => {
        if (r.ok) card = r.value;
      });
      clock.runUntil(() => card !== undefined, 500);
      expect(card?.uid).toEqual(uid);
      expect(card?.sak).toBe(0x00);
      expect(card?.atqa).toEqual([uid.length === 4 ? 0x04 : uid.length === 7 ? 0x44 : 0x84, 0x00]);
      // WUPA, then ANTICOLLISION + SELECT per level, then HLTA with its CRC
      const sels = sim.sent.filter((f) => f.length === 9).map((f) => f[0]);
      expect(sels).toEqual([0x93, 0x95, 0x97].slice(0, levels));
      expect(sim.sent[0]).toEqual([0x52]);
      expect(sim.sent.at(-1)).toEqual([0x50, 0x00, 0x57, 0xcd]);
      const sel1 = sim.sent.find((f) => f.length === 9) as number[];
      expect(sel1.slice(7)).toEqual(rc522.crcA(sel1.slice(0, 7)));
      if (levels > 1) expect(sel1[2]).toBe(0x88); // cascade tag
    });
  }

  it('no card: the chip timer ends the WUPA (25 ms), undefined', () => {
    const { clock, driver } = setup();
    driver.init(() => {});
    clock.advance(60);
    let result: { ok: boolean; value?: unknown } | undefined;
    const t0 = clock.now();
    driver.readCard((r) => {
      result = r;
    });
    clock.runUntil(() => result !== undefined, 500);
    expect(result).toEqual({ ok: true, value: undefined });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(25);
    expect(clock.now() - t0).toBeLessThan(60);
  });

  it('a SAK with a bad CRC_A is refused', () => {
    const { clock, sim, driver } = setup();
    driver.init(() => {});
    clock.advance(60);
    sim.placeCard({ uid: UID4 });
    sim.faults.garbleCrc = true;
    let reason: string | undefined;
    driver.readCard((r) => {
      if (!r.ok) reason = r.reason;
    });
    clock.runUntil(() => reason !== undefined, 500);
    expect(reason).toBe('rc522-crc-error');
  });

  it('no chip on the bus (MISO reads 0): rc522-no-chip', () => {
    const clock = new pn532.VirtualClock();
    const nothing: SPI = { transfer: (b) => b.map(() => 0) };
    const driver = new rc522.Rc522Driver({ spi: nothing, clock });
    let reason: string | undefined;
    driver.init((r) => {
      if (!r.ok) reason = r.reason;
    });
    clock.advance(60);
    expect(reason).toBe('rc522-no-chip');
  });
});

describe('RC522 reader loop (ReaderEvent, as the PN532 path)', () => {
  it('reader-ready, one card event per tap (4- and 7-byte), removed after the card leaves', () => {
    const { clock, sim, events } = readerSetup(0x91);
    clock.advance(100);
    expect(events).toEqual([{ type: 'reader-ready', version: 'RC522 1.0' }]);
    sim.placeCard({ uid: UID4 });
    clock.advance(300);
    expect(events.slice(1)).toEqual([{ type: 'card', uid: 'A1B2C3D4' }]); // held: still one tap
    sim.removeCard();
    clock.advance(300);
    expect(events.slice(2)).toEqual([{ type: 'removed' }]);
    sim.placeCard({ uid: UID7, sak: 0x20 });
    clock.advance(300);
    sim.removeCard();
    clock.advance(300);
    expect(events.slice(3)).toEqual([{ type: 'card', uid: '04DE5F1EACC040' }, { type: 'removed' }]);
  });

  it('drives the terminal like the PN532 path: a tap message with the UID', async () => {
    const { fakeHal } = await import('../terminal/fake-hal.js');
    const { protocol } = await import('@tibillet/firmware');
    const f = fakeHal();
    const KEY = '4f'.repeat(32);
    const term = new terminal.Terminal(f.hal, {
      venue: 'bar',
      deviceId: 'dev-1',
      keyHex: KEY,
      board: 'host',
      firmware: '0.1.0',
    });
    f.connect();
    f.deliver(
      'tb/v1/bar/dev/dev-1/down/config',
      protocol.sign(
        { v: 1, k: 'config', d: 'dev-1', n: 1, b: { venue: 'bar', mode: 'door', cur: 'EUR' } } as never,
        KEY,
      ),
    );
    const sim = new rc522.Rc522Simulator(f.clock);
    const driver = new rc522.Rc522Driver({ spi: sim.spi(), clock: f.clock });
    terminal.startRc522Reader(driver, f.clock, (ev) => term.onReader(ev));
    f.clock.advance(100);
    sim.placeCard({ uid: UID7 });
    f.clock.advance(200);
    const taps = f.sent('tap', KEY);
    expect(taps).toHaveLength(1);
    expect(taps[0].b).toMatchObject({ uid: '04DE5F1EACC040', mode: 'door' });
  });

  it('no chip: reader-error once, retried, then ready when the chip answers', () => {
    const { clock, sim, events } = readerSetup();
    sim.faults.absent = true;
    clock.advance(100);
    expect(events).toEqual([{ type: 'reader-error', code: 'rc522-no-chip' }]);
    clock.advance(5000);
    expect(events).toHaveLength(1); // retried quietly
    sim.faults.absent = false;
    clock.advance(2100);
    expect(events.at(-1)).toEqual({ type: 'reader-ready', version: 'RC522 2.0' });
  });

  it('a chip that stops answering: timeouts → card removed, reader-error, re-initialised later', () => {
    const { clock, sim, events, handle } = readerSetup();
    clock.advance(100);
    sim.placeCard({ uid: UID4 });
    clock.advance(200);
    sim.faults.silent = true;
    clock.advance(1000);
    expect(events.slice(1)).toEqual([
      { type: 'card', uid: 'A1B2C3D4' },
      { type: 'removed' },
      { type: 'reader-error', code: 'rc522-timeout' },
    ]);
    sim.faults.silent = false;
    clock.advance(2500);
    expect(events.at(-2)).toEqual({ type: 'reader-ready', version: 'RC522 2.0' });
    expect(events.at(-1)).toEqual({ type: 'card', uid: 'A1B2C3D4' });
    handle.stop();
    const n = events.length;
    sim.removeCard();
    clock.advance(1000);
    expect(events).toHaveLength(n); // paused: nothing polled
  });
});

describe('portability', () => {
  for (const [bin, target] of [
    ['lua5.1', 'JIT'],
    ['lua5.3', '5.3'],
  ] as const) {
    it(`compiled by typescript-to-lua, the driver reads 4-, 7- and 10-byte UIDs from the simulator on ${bin}`, () => {
      const here = dirname(fileURLToPath(import.meta.url));
      const require = createRequire(import.meta.url);
      const fw = join(here, '..', '..');
      const out = mkdtempSync(join(tmpdir(), 'rc522-lua-'));
      try {
        const project = join(out, 'tsconfig.json');
        writeFileSync(
          project,
          JSON.stringify({
            compilerOptions: {
              target: 'ES2017',
              module: 'ESNext',
              moduleResolution: 'Bundler',
              lib: ['ES5'],
              types: [],
              strict: true,
              skipLibCheck: true,
              rootDir: fw,
              outDir: join(out, 'lua'),
            },
            files: [join(fw, 'src/rc522/index.ts')],
            tstl: {
              luaTarget: target,
              luaLibImport: 'require-minimal',
              noImplicitSelf: true,
              luaPlugins: [
                { name: join(fw, 'scripts/tstl-strip-js.cjs') },
                { name: join(fw, 'scripts/tstl-lua51.cjs') },
              ],
            },
          }),
        );
        const tstl = join(dirname(require.resolve('typescript-to-lua/package.json')), 'dist', 'tstl.js');
        execFileSync(process.execPath, [tstl, '-p', project], { stdio: 'pipe' });
        const r = spawnSync(bin, [join(here, 'run.lua'), join(out, 'lua')], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        if (r.error) throw new Error(`${bin} not found: apt-get install -y lua5.1 lua-bitop lua5.3`);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim().split('\n')).toEqual([
          'init true 146',
          'card A1B2C3D4 sak 0',
          'card 04DE5F1EACC040 sak 0',
          'card 04112233445566778899 sak 0',
          'empty true nil',
        ]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 60_000);
  }

  it('src/rc522 and the RC522 reader loop type-check against ES5 only (what Espruino has)', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const require = createRequire(import.meta.url);
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.es5.json')],
      { stdio: 'pipe' },
    );
  });
});
