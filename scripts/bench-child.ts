// Loads one bench module and prints its figures on a single BENCH_RESULT line.
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) throw new Error('usage: bench-child <file.bench.ts>');
const mod = (await import(pathToFileURL(file).href)) as { run: () => Promise<Record<string, number>> };
const figures = await mod.run();
for (const [k, v] of Object.entries(figures)) {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${file}: figure ${k} is not a finite number`);
}
process.stdout.write(`BENCH_RESULT ${JSON.stringify(figures)}\n`);
process.exit(0);
