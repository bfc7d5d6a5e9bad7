import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { flashBoard } from '../src/flash.js';
import { labelPng, labelSvg } from '../src/label.js';
import { classify, detect } from '../src/ports/detect.js';
import { listFromSysfs } from '../src/ports/list.js';
import { openBoard } from '../src/repl/open.js';
import { selftestBoard } from '../src/selftest.js';
import { bundleBytes, capture, ESPRUINO_BUNDLE, NODEMCU_BUNDLE } from './helpers.js';
import { SimBoards } from './sim-board.js';

describe('detect', () => {
  it('recognises the USB bridges by VID:PID', () => {
    expect(classify({ path: '/dev/ttyUSB0', vendorId: '10C4', productId: 'EA60' }).chip).toBe('CP210x');
    expect(classify({ path: '/dev/ttyUSB1', vendorId: '1a86', productId: '7523' }).chip).toBe('CH340');
    expect(classify({ path: '/dev/ttyUSB2', vendorId: '0403', productId: '6001' }).chip).toBe('FTDI FT232R');
    expect(classify({ path: '/dev/ttyACM0', vendorId: '2e8a', productId: '0005' }).chip).toBe(
      'RP2040 USB CDC',
    );
    expect(classify({ path: '/dev/ttyS0' }).chip).toBeUndefined();
  });

  it('lists and probes simulated boards', async () => {
    const sims = new SimBoards();
    const e = sims.add({ kind: 'espruino' });
    const n = sims.add({ kind: 'nodemcu' });
    const blank = sims.add({ kind: 'espruino', silent: true, vendorId: '0403', productId: '6001' });
    const other = sims.add({ kind: 'espruino', vendorId: '1234', productId: '5678' });
    const ports = await detect({ binding: sims.binding, probeTimeoutMs: 200 });
    expect(ports.map((p) => [p.path, p.chip, p.interpreter, p.version])).toEqual(
      [
        [e.path, 'CP210x', 'espruino', '2v29'],
        [n.path, 'CH340', 'nodemcu', '41234'],
        [blank.path, 'FTDI FT232R', undefined, undefined],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(ports.find((p) => p.path === blank.path)?.note).toMatch(/no REPL prompt/);
    const all = await detect({ binding: sims.binding, all: true, probe: false });
    expect(all.map((p) => p.path)).toContain(other.path);
    const c = capture();
    await runCli(['detect'], { ...c.deps, binding: sims.binding, probeTimeoutMs: 200 });
    expect(c.out.join('\n')).toMatch(/10c4:ea60\s+CP210x\s+espruino 2v29/);
  });

  it('reads sysfs when udev is missing (no crash)', () => {
    expect(Array.isArray(listFromSysfs('/nonexistent'))).toBe(true);
    expect(Array.isArray(listFromSysfs())).toBe(true);
  });

  it('flash with no port and no board says so', async () => {
    const sims = new SimBoards();
    const c = capture();
    const r = await runCli(['flash', '--bundle', ESPRUINO_BUNDLE], { ...c.deps, binding: sims.binding });
    expect(r.code).toBe(1);
    expect(c.err.join('\n')).toMatch(/^error: no board found: check the USB cable/);
  });

  it('flash through the CLI, then a second run finds nothing to do', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu' });
    const c = capture();
    expect(
      (await runCli(['flash', '--bundle', NODEMCU_BUNDLE], { ...c.deps, binding: sims.binding })).code,
    ).toBe(0);
    expect(c.out[0]).toMatch(
      new RegExp(
        `^${sim.path}: flashed \\d+ bytes of .* to nodemcu 3\\.0\\.0 as terminal\\.lua, read-back checksum [0-9a-f]{8} OK`,
      ),
    );
    const c2 = capture();
    expect(
      (await runCli(['flash', sim.path, '--bundle', NODEMCU_BUNDLE], { ...c2.deps, binding: sims.binding }))
        .code,
    ).toBe(0);
    expect(c2.out[0]).toContain('nothing written');
    const c3 = capture();
    const r3 = await runCli(['flash', sim.path, '--board', 'espruino', '--bundle', ESPRUINO_BUNDLE], {
      ...c3.deps,
      binding: sims.binding,
    });
    expect(r3.code).toBe(1);
    expect(c3.err[0]).toContain('runs NodeMCU, not Espruino');
  });
});

describe('selftest', () => {
  it('passes on a flashed, provisioned board with a card on the reader (simulated PN532)', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino', cardUid: [0x04, 0x1e, 0x3c, 0x8a, 0x2d, 0x6b, 0x80] });
    const board = await openBoard(sim.path, { binding: sims.binding });
    await flashBoard(board, bundleBytes(ESPRUINO_BUNDLE));
    const { provisionBoard } = await import('../src/provision.js');
    await provisionBoard(
      board,
      { deviceId: 'T-1', venueId: 'v', wifiSsid: 'staff', wifiPass: '', mqttUrl: 'mqtt://gw:1883' },
      { firmware: 'x' },
    );
    const r = await selftestBoard(board, 5000);
    await board.close();
    expect(r.pass).toBe(true);
    expect(r.rows.find((x) => x.check === 'pn532')?.detail).toBe('IC 0x32 v1.6');
    expect(r.rows.find((x) => x.check === 'card')?.detail).toBe('UID 041E3C8A2D6B80');
  });

  it('fails with the DIP-switch hint when the PN532 is silent, and exits 1', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu', pn532: 'silent' });
    const board = await openBoard(sim.path, { binding: sims.binding });
    await flashBoard(board, bundleBytes(NODEMCU_BUNDLE));
    await board.close();
    const c = capture();
    const r = await runCli(['selftest', sim.path], { ...c.deps, binding: sims.binding });
    expect(r.code).toBe(1);
    const text = c.out.join('\n');
    expect(text).toMatch(
      /PN532 firmware\s+FAIL\s+pn532-timeout: no PN532 answer: check the DIP switches are on HSU/,
    );
    expect(text).toMatch(/display\s+PASS/);
    expect(text).toMatch(/FAIL: 3\/7 checks passed/);
  });

  it('explains that an unflashed board has no maintenance mode', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const board = await openBoard(sim.path, { binding: sims.binding });
    await expect(selftestBoard(board, 2000)).rejects.toThrow(
      /no maintenance mode in the running firmware: flash it first/,
    );
    await board.close();
  });
});

describe('label', () => {
  it('writes an SVG with the QR code and the id, and a valid PNG', async () => {
    const svg = labelSvg({ deviceId: 'T-001', subtitle: 'La Zone <rental>' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('>T-001</text>');
    expect(svg).toContain('La Zone &#60;rental&#62;');
    expect(svg).toMatch(/<path d="(M\d+ \d+h4v4h-4z)+"/);
    const png = labelPng({ deviceId: 'T-001' });
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBeGreaterThan(100); // width
    const dir = mkdtempSync(join(tmpdir(), 'tblabel-'));
    const c = capture();
    expect((await runCli(['label', 'T-002', '-o', join(dir, 'T-002.png')], c.deps)).code).toBe(0);
    expect(readFileSync(join(dir, 'T-002.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
