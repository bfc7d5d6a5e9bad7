import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchSummary } from '../src/batch.js';
import { runCli } from '../src/cli.js';
import { capture, ESPRUINO_BUNDLE, NODEMCU_BUNDLE } from './helpers.js';
import { type FakeRegistry, startRegistry } from './registry-server.js';
import { SimBoards } from './sim-board.js';

let registry: FakeRegistry;
beforeEach(async () => {
  registry = await startRegistry();
});
afterEach(async () => {
  await registry.close();
});

const common = (state: string) => [
  '--bundle-espruino',
  ESPRUINO_BUNDLE,
  '--bundle-nodemcu',
  NODEMCU_BUNDLE,
  '--state',
  state,
  '--venue',
  'lazone',
  '--wifi-ssid',
  'staff',
  '--wifi-pass',
  'password1',
  '--mqtt',
  'mqtt://gw.local:1883',
  '--cloud',
  registry.url,
  '--api-key',
  'gw-test-key',
];

describe('batch', () => {
  it('flashes, provisions and self-tests 3 boards in parallel, with a --json summary', async () => {
    const sims = new SimBoards();
    const boards = [
      sims.add({ kind: 'espruino', cardUid: [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40] }),
      sims.add({ kind: 'nodemcu', cardUid: [1, 2, 3, 4] }),
      sims.add({ kind: 'espruino', vendorId: '2e8a', productId: '0005', cardUid: [9, 8, 7, 6] }),
    ];
    const state = join(mkdtempSync(join(tmpdir(), 'tbflash-')), 'state.json');
    const c = capture();
    const r = await runCli(
      ['--json', 'batch', '--steps', 'flash,provision,selftest', '--id-prefix', 'T-', ...common(state)],
      { ...c.deps, binding: sims.binding },
    );
    const summary = JSON.parse(c.out.join('\n')) as BatchSummary;
    expect(c.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(summary.ok).toBe(3);
    expect(summary.failed).toBe(0);
    expect(summary.items.map((i) => [i.path, i.deviceId, i.board, i.steps, i.selftest])).toEqual(
      boards.map((b, i) => [
        b.path,
        `T-00${i + 1}`,
        b.kind,
        { flash: 'done', provision: 'done', selftest: 'done' },
        'PASS',
      ]),
    );
    expect([...registry.devices.keys()].sort()).toEqual(['T-001', 'T-002', 'T-003']);
    for (const b of boards) expect(b.running).toBe(true);
    // no key in the summary or the state file
    const keys = [...registry.devices.values()].map((d) => d.keyHex);
    const stateText = readFileSync(state, 'utf8');
    for (const k of keys) {
      expect(c.out.join('')).not.toContain(k);
      expect(stateText).not.toContain(k);
    }
  });

  it('resumes: a re-run skips finished steps and retries only what failed', async () => {
    const sims = new SimBoards();
    const good = sims.add({ kind: 'espruino' });
    const flaky = sims.add({ kind: 'nodemcu', corruptChunk: 2 });
    const state = join(mkdtempSync(join(tmpdir(), 'tbflash-')), 'state.json');
    const args = ['batch', '--serial', '--steps', 'flash,provision', '--ids', 'A-1,A-2', ...common(state)];
    const c = capture();
    expect((await runCli(args, { ...c.deps, binding: sims.binding })).code).toBe(1);
    const table = c.out.join('\n');
    expect(table).toMatch(/port\s+device\s+board\s+flash\s+provision\s+result/);
    expect(table).toContain('1 ok, 1 failed');
    expect(table).toMatch(
      /A-2\s+nodemcu\s+failed\s+not-run\s+FAILED.*read-back of terminal\.lua does not match/,
    );
    expect(registry.devices.has('A-2')).toBe(false);

    flaky.opts.corruptChunk = undefined;
    const goodChunks = good.chunksWritten;
    const c2 = capture();
    expect((await runCli(['--json', ...args], { ...c2.deps, binding: sims.binding })).code).toBe(0);
    const s = JSON.parse(c2.out.join('\n')) as BatchSummary;
    expect(s.items.map((i) => i.steps)).toEqual([
      { flash: 'resumed', provision: 'resumed' },
      { flash: 'done', provision: 'done' },
    ]);
    expect(good.chunksWritten).toBe(goodChunks);
    expect([...registry.devices.keys()].sort()).toEqual(['A-1', 'A-2']);
  });

  it('reports a board that does not answer without stopping the others', async () => {
    const sims = new SimBoards();
    sims.add({ kind: 'espruino' });
    const dead = sims.add({ kind: 'espruino', silent: true });
    const state = join(mkdtempSync(join(tmpdir(), 'tbflash-')), 'state.json');
    const c = capture();
    const ports = [sims.add({ kind: 'nodemcu' }).path, dead.path];
    const r = await runCli(['--json', 'batch', ...ports, '--steps', 'flash', ...common(state)], {
      ...c.deps,
      binding: sims.binding,
      probeTimeoutMs: 200,
    });
    expect(r.code).toBe(1);
    const s = JSON.parse(c.out.join('\n')) as BatchSummary;
    expect(s.items[0]).toMatchObject({ ok: true, board: 'nodemcu' });
    expect(s.items[1]).toMatchObject({ ok: false, code: 'no-prompt', steps: { flash: 'not-run' } });
    expect(s.items[1].error).toContain(`no Espruino or NodeMCU prompt on ${dead.path}`);
  });
});

describe('batch figure', () => {
  it('20 simulated boards (flash + provision + selftest) in well under 60 s', async () => {
    const { benchBatch } = await import('../bench/batch.js');
    const r = await benchBatch(20);
    expect(r.ok).toBe(20);
    expect(r.seconds).toBeLessThan(60);
  });
});
