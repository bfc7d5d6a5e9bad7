import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultBundlePath, loadBundle } from '../src/bundles.js';
import { adler32, crc32 } from '../src/checksum.js';
import { FlashError } from '../src/errors.js';
import { flashBoard } from '../src/flash.js';
import { openBoard } from '../src/repl/open.js';
import { bundleBytes, ESPRUINO_BUNDLE, NODEMCU_BUNDLE } from './helpers.js';
import { SimBoards } from './sim-board.js';

describe('checksums', () => {
  it('CRC-32 and Adler-32 match their reference values', async () => {
    const { crc32: zcrc } = await import('node:zlib');
    const data = new TextEncoder().encode('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32(data)).toBe(zcrc(Buffer.from(data)));
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('flash', () => {
  it('uploads to an Espruino board, verifies by read-back, activates the boot code and reboots into it', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const bundle = bundleBytes(ESPRUINO_BUNDLE);
    const board = await openBoard(sim.path, { binding: sims.binding });
    expect(board.kind).toBe('espruino');
    const progress: number[] = [];
    const r = await flashBoard(board, bundle, { onProgress: (d) => progress.push(d) });
    await board.close();
    expect(Buffer.compare(sim.file('tb.js') as Buffer, Buffer.from(bundle))).toBe(0);
    expect(sim.file('.bootcde')?.toString()).toBe('eval(require("Storage").read("tb.js"));');
    expect(r).toMatchObject({
      board: 'espruino',
      interpreter: '2v29',
      bytes: bundle.length,
      checksum: crc32(bundle).toString(16).padStart(8, '0'),
    });
    expect(progress.at(-1)).toBe(bundle.length);
    expect(progress.length).toBe(Math.ceil(bundle.length / 512));
    expect(sim.running).toBe(true);
    // nothing ever printed through the REPL contains the bundle outside Storage.write lines
    expect(sim.received.some((l) => l.includes('load()'))).toBe(true);
  });

  it('Espruino: writes the Storage modules the bundle loads, each verified, before the bundle and the boot code', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const bundle = bundleBytes(ESPRUINO_BUNDLE);
    const enc = (s: string) => new TextEncoder().encode(s);
    const files = [
      { name: 'tb-pn532', data: enc(`module.exports={start:function(){return 1}};/*${'x'.repeat(1200)}*/`) },
      { name: 'tb-fr', data: enc('module.exports={ready:"Présentez la carte"};') },
    ];
    let board = await openBoard(sim.path, { binding: sims.binding });
    const r = await flashBoard(board, bundle, { files });
    await board.close();
    for (const f of files)
      expect(Buffer.compare(sim.file(f.name) as Buffer, Buffer.from(f.data)), f.name).toBe(0);
    expect(r.files).toEqual(['tb-pn532', 'tb-fr']);
    // Each module is written before the bundle, and the boot code comes last.
    const firstWrite = (name: string) =>
      sim.received.findIndex((l) => l.includes(`.write(${JSON.stringify(name)},`));
    expect(firstWrite('tb-pn532')).toBeLessThan(firstWrite('tb.js'));
    expect(firstWrite('tb-fr')).toBeLessThan(firstWrite('tb.js'));
    expect(firstWrite('tb.js')).toBeLessThan(firstWrite('.bootcde'));
    expect(sim.running).toBe(true);
    // Same bundle and modules: nothing written; a changed module: uploaded again.
    const chunks = sim.chunksWritten;
    board = await openBoard(sim.path, { binding: sims.binding });
    expect((await flashBoard(board, bundle, { files, skipUnchanged: true })).unchanged).toBe(true);
    expect(sim.chunksWritten).toBe(chunks);
    const changed = [files[0], { name: 'tb-fr', data: enc('module.exports={ready:"Badgez"};') }];
    const again = await flashBoard(board, bundle, { files: changed, skipUnchanged: true });
    await board.close();
    expect(again.unchanged).toBeUndefined();
    expect(sim.file('tb-fr')?.toString()).toBe('module.exports={ready:"Badgez"};');
  });

  it('Espruino: a module name Storage cannot hold is refused before anything is activated', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const board = await openBoard(sim.path, { binding: sims.binding });
    const bad = { name: 'tb-a-module-name-longer-than-28', data: new Uint8Array([59]) };
    const err = await flashBoard(board, bundleBytes(ESPRUINO_BUNDLE), { files: [bad] }).catch((e) => e);
    await board.close();
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code).toBe('bad-file-name');
    expect((err as FlashError).message).toMatch(/1 to 28 characters/);
    expect(sim.file('.bootcde')).toBeUndefined();
    expect(sim.file('tb.js')).toBeUndefined();
  });

  it('uploads to a NodeMCU board in chunks under the 255-character Lua line limit', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu' });
    const bundle = bundleBytes(NODEMCU_BUNDLE);
    const board = await openBoard(sim.path, { binding: sims.binding });
    expect(board.kind).toBe('nodemcu');
    const r = await flashBoard(board, bundle);
    await board.close();
    expect(Buffer.compare(sim.file('terminal.lua') as Buffer, Buffer.from(bundle))).toBe(0);
    expect(sim.file('init.lua')?.toString()).toContain('dofile("terminal.lua")');
    expect(r.checksum).toBe(adler32(bundle).toString(16).padStart(8, '0'));
    expect(Math.max(...sim.received.map((l) => l.length))).toBeLessThanOrEqual(255);
    expect(sim.running).toBe(true);
  });

  it('skips the upload when the board already holds the same bundle', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu' });
    const bundle = bundleBytes(NODEMCU_BUNDLE);
    let board = await openBoard(sim.path, { binding: sims.binding });
    await flashBoard(board, bundle);
    await board.close();
    const chunks = sim.chunksWritten;
    board = await openBoard(sim.path, { binding: sims.binding });
    const r = await flashBoard(board, bundle, { skipUnchanged: true });
    await board.close();
    expect(r.unchanged).toBe(true);
    expect(sim.chunksWritten).toBe(chunks);
  });

  for (const kind of ['espruino', 'nodemcu'] as const) {
    it(`${kind}: a corrupted write is caught by the read-back and nothing is activated`, async () => {
      const sims = new SimBoards();
      const sim = sims.add({ kind, corruptChunk: 3 });
      const board = await openBoard(sim.path, { binding: sims.binding });
      const bundle = bundleBytes(kind === 'espruino' ? ESPRUINO_BUNDLE : NODEMCU_BUNDLE);
      const err = await flashBoard(board, bundle).catch((e: unknown) => e);
      await board.close();
      expect(err).toBeInstanceOf(FlashError);
      expect((err as FlashError).code).toBe('verify-failed');
      expect((err as FlashError).message).toMatch(
        /read-back of (tb\.js|terminal\.lua) does not match .*nothing was activated/,
      );
      expect(sim.file(board.files.boot)).toBeUndefined();
      expect(sim.file(board.files.firmware)).toBeUndefined();
      sim.powerCycle();
      expect(sim.running).toBe(false);
    });
  }

  it('a power cut mid-upload leaves a board that boots to a bare REPL, and a re-flash recovers it', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino', powerCutAfterChunks: 2 });
    const bundle = bundleBytes(ESPRUINO_BUNDLE);
    let board = await openBoard(sim.path, { binding: sims.binding, timeoutMs: 300 });
    const err = await flashBoard(board, bundle).catch((e: unknown) => e);
    await board.close();
    expect((err as FlashError).code).toBe('no-reply');
    expect((err as Error).message).toMatch(/no answer to Storage\.write tb\.js@1024/);
    sim.opts.powerCutAfterChunks = undefined;
    sim.powerCycle();
    expect(sim.running).toBe(false);
    expect(sim.file('.bootcde')).toBeUndefined();
    board = await openBoard(sim.path, { binding: sims.binding });
    await flashBoard(board, bundle);
    await board.close();
    expect(sim.running).toBe(true);
  });

  it('says clearly when no Espruino answers (blank board / wrong baud rate)', async () => {
    const sims = new SimBoards();
    const blank = sims.add({ kind: 'espruino', silent: true, path: '/dev/ttyX' });
    await expect(
      openBoard(blank.path, { binding: sims.binding, expect: 'espruino', probeTimeoutMs: 200 }),
    ).rejects.toThrow(
      'no Espruino prompt on /dev/ttyX at 115200 baud: check the baud rate / that Espruino is flashed',
    );
    const fast = sims.add({ kind: 'espruino', baudRate: 921600 });
    await expect(openBoard(fast.path, { binding: sims.binding, probeTimeoutMs: 200 })).rejects.toMatchObject({
      code: 'no-prompt',
    });
    const ok = await openBoard(fast.path, { binding: sims.binding, baudRate: 921600 });
    await ok.close();
  });

  it('refuses the wrong board', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu' });
    await expect(openBoard(sim.path, { binding: sims.binding, expect: 'espruino' })).rejects.toThrow(
      /runs NodeMCU, not Espruino/,
    );
  });
});

describe('the real firmware bundles (when firmware/dist is built)', () => {
  for (const kind of ['espruino', 'nodemcu'] as const) {
    it.skipIf(!existsSync(defaultBundlePath(kind)))(
      `${kind}: flashes firmware/dist and installs its boot code`,
      async () => {
        const bundle = loadBundle(kind);
        expect(bundle.firmware).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+-${kind}-[0-9a-f]{8}$`));
        const sims = new SimBoards();
        const sim = sims.add({ kind });
        const board = await openBoard(sim.path, { binding: sims.binding });
        await flashBoard(board, bundle.data, { bootCode: bundle.boot, files: bundle.files });
        await board.close();
        expect(Buffer.compare(sim.file(board.files.firmware) as Buffer, Buffer.from(bundle.data))).toBe(0);
        if (kind === 'espruino') {
          // The Storage modules of dist/espruino/modules.json, under the names the bundle require()s.
          expect(bundle.files?.map((f) => f.name)).toContain('tb-pn532');
          for (const f of bundle.files ?? [])
            expect(Buffer.compare(sim.file(f.name) as Buffer, Buffer.from(f.data)), f.name).toBe(0);
        }
        if (kind === 'nodemcu')
          expect(sim.file('init.lua')?.toString()).toContain('pcall(dofile, "terminal.lua")');
        expect(sim.running).toBe(true);
      },
    );
  }
});
