// Per test worker: a watchdog thread that notices when the worker's main thread stops turning its
// event loop (a synchronous hang: an endless loop, a spawnSync that never returns), which vitest's
// test timeouts cannot interrupt. It writes what was running to stderr, straight to the file
// descriptor (the blocked main thread cannot relay it), and kills the worker: vitest then reports
// the file as failed and the run goes on instead of waiting forever.
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { beforeEach, expect } from 'vitest';

const LIMIT_MS = Number(process.env.TB_WATCHDOG_MS) || 240_000;
const key = Symbol.for('tibillet.test-watchdog');
const g = globalThis as unknown as Record<symbol, { name: Uint8Array } | undefined>;

if (!g[key]) {
  const beat = new Float64Array(new SharedArrayBuffer(8));
  const name = new Uint8Array(new SharedArrayBuffer(1024));
  g[key] = { name };
  beat[0] = Date.now();
  setInterval(() => {
    beat[0] = Date.now();
  }, 1000).unref();
  const source = `
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const beat = new Float64Array(workerData.beat);
    const name = new Uint8Array(workerData.name);
    setInterval(() => {
      const idle = Date.now() - beat[0];
      if (idle < workerData.limit) return;
      const end = name.indexOf(0);
      const what = Buffer.from(name.slice(0, end < 0 ? name.length : end)).toString('utf8');
      writeSync(2, '\\n[watchdog] test worker ' + process.pid + ' blocked for ' + Math.round(idle / 1000) +
        ' s (synchronous hang) in: ' + what + '\\n[watchdog] killing it so the run can go on\\n');
      process.kill(process.pid, 'SIGKILL');
    }, 2000);
  `;
  new Worker(source, {
    eval: true,
    workerData: { beat: beat.buffer, name: name.buffer, limit: LIMIT_MS },
  }).unref();
}

beforeEach(() => {
  const state = expect.getState();
  const label = `${(state.testPath ?? '').replace(`${process.cwd()}/`, '')} > ${state.currentTestName ?? ''}`;
  const bytes = Buffer.from(label, 'utf8').subarray(0, 1023);
  const { name } = g[key]!;
  name.fill(0);
  name.set(bytes);
});
