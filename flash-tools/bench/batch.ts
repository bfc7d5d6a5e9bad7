/**
 * Figure: `tibillet-flash batch` on 20 simulated boards (10 Espruino, 10 NodeMCU), flash +
 * provision + selftest, all in parallel, each REPL reply delayed by 1 ms.
 * Run: npx tsx --conditions=source flash-tools/bench/batch.ts [boards]
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchSummary } from '../src/batch.js';
import { defaultBundlePath } from '../src/bundles.js';
import { runCli } from '../src/cli.js';
import { ESPRUINO_BUNDLE, NODEMCU_BUNDLE } from '../test/helpers.js';
import { startRegistry } from '../test/registry-server.js';
import { SimBoards } from '../test/sim-board.js';

/** The built firmware bundles when present (realistic sizes), else the small test fixtures. */
function bundle(kind: 'espruino' | 'nodemcu', fixture: string): string {
  const real = defaultBundlePath(kind);
  return existsSync(real) ? real : fixture;
}

export async function benchBatch(
  n = 20,
  real = true,
): Promise<{ boards: number; ok: number; seconds: number; bundles: string[] }> {
  const espruino = real ? bundle('espruino', ESPRUINO_BUNDLE) : ESPRUINO_BUNDLE;
  const nodemcu = real ? bundle('nodemcu', NODEMCU_BUNDLE) : NODEMCU_BUNDLE;
  const registry = await startRegistry();
  const sims = new SimBoards();
  for (let i = 0; i < n; i++)
    sims.add({ kind: i % 2 ? 'nodemcu' : 'espruino', cardUid: [4, 1, 2, i], latencyMs: 1 });
  const state = join(mkdtempSync(join(tmpdir(), 'tbflash-bench-')), 'state.json');
  const out: string[] = [];
  const t0 = performance.now();
  await runCli(
    [
      '--json',
      'batch',
      '--steps',
      'flash,provision,selftest',
      '--id-prefix',
      'B-',
      '--state',
      state,
      '--bundle-espruino',
      espruino,
      '--bundle-nodemcu',
      nodemcu,
      '--venue',
      'bench',
      '--wifi-ssid',
      'staff',
      '--mqtt',
      'mqtt://gw:1883',
      '--cloud',
      registry.url,
      '--api-key',
      'gw-test-key',
    ],
    { binding: sims.binding, out: (s) => out.push(s), err: (s) => out.push(s), progress: false },
  );
  const seconds = (performance.now() - t0) / 1000;
  await registry.close();
  const summary = JSON.parse(out.join('\n')) as BatchSummary;
  return {
    boards: n,
    ok: summary.ok,
    seconds: Math.round(seconds * 100) / 100,
    bundles: [espruino, nodemcu],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchBatch(Number(process.argv[2] ?? 20));
  console.log(
    JSON.stringify({ bench: 'flash-tools batch (flash+provision+selftest, simulated boards)', ...r }),
  );
}
