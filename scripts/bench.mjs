// Runs every package's benchmarks (`*/bench/*.bench.ts`, `test/bench/*.bench.ts`), each in its own
// process, prints one table and writes bench/results.json keyed by the dotted names the issues give.
// A bench module exports `run(): Promise<Record<string, number>>`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
const files = [];
for (const pkg of ['firmware', 'gateway', 'cloud', 'flash-tools', 'test']) {
  const dir = join(root, pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.bench.ts')) continue;
    const path = join(dir, f);
    if (only.length && !only.some((o) => path.includes(o))) continue;
    files.push(path);
  }
}

const runner = join(root, 'scripts', 'bench-child.ts');
const results = {};
const rows = [];
for (const file of files) {
  const name = relative(root, file);
  process.stderr.write(`bench: ${name} ...\n`);
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', runner, file], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20 * 60 * 1000,
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (child.status !== 0 || !line) {
    process.stderr.write(`bench: ${name} FAILED (exit ${child.status})\n${child.stdout ?? ''}\n`);
    rows.push({ bench: name, key: '(failed)', value: NaN });
    continue;
  }
  const out = JSON.parse(line.slice('BENCH_RESULT '.length));
  for (const [key, value] of Object.entries(out)) {
    results[key] = value;
    rows.push({ bench: name, key, value });
  }
  process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const w = Math.max(10, ...rows.map((r) => r.key.length));
console.log(`${'figure'.padEnd(w)}  ${'value'.padStart(14)}  source`);
console.log(`${'-'.repeat(w)}  ${'-'.repeat(14)}  ------`);
for (const r of rows) {
  const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3);
  console.log(`${r.key.padEnd(w)}  ${v.padStart(14)}  ${r.bench}`);
}
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote bench/results.json (${Object.keys(results).length} figures)`);
if (rows.some((r) => r.key === '(failed)')) process.exitCode = 1;
