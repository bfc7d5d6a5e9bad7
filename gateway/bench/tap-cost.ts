// CPU cost of one tap on the gateway without the network: what the tap path costs in this
// process (all its threads: the journal's checkpoints too), in CPU µs per tap: verify, sign a
// result, the whole path and the journal's group commits within it. CPU time moves less than
// rates on a shared machine (contention still inflates it): compare runs made side by side.
// Run by hand:
//   node --conditions=source --import tsx gateway/bench/tap-cost.ts [taps]
// (not a *.bench.ts: its numbers are not issue figures).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import pino from 'pino';
import { verifyMessage } from '../src/devices/fast-codec.js';
import { createGateway } from '../src/gateway.js';
import { handleTap } from '../src/handlers/tap.js';
import { keyOf, venueConfig } from '../test/helpers.js';

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const TAPS = Number(process.argv[2] ?? 20_000);
const TERMINALS = 50;

const ids = Array.from({ length: TERMINALS }, (_, i) => `load-${i}`);
const gw = await createGateway({
  venueId: 'bar',
  dataDir: mkdtempSync(join(tmpdir(), 'tb-cost-')),
  mqttPort: 0,
  mqttHost: '127.0.0.1',
  logger: pino({ level: 'silent' }),
  venue: venueConfig(ids),
  synchronous: process.env.JOURNAL_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL',
});
const { ctx } = gw;
// CPU inside the journal's group commits (SQLite), reported with the whole path.
let flushUs = 0;
const flush = ctx.journal.flush.bind(ctx.journal);
ctx.journal.flush = () => {
  const t0 = cpu();
  flush();
  flushUs += cpu() - t0;
};
const cards = ids.map((_, i) => `04BE${i.toString(16).padStart(10, '0').toUpperCase()}`);
for (const c of cards) ctx.book.apply(ctx.book.get(c), [{ asset: 'EUR', amount: 90_000_000 }], 1);

let n = 1;
function payloads(): string[] {
  return ids.map((id, i) => {
    const k = n;
    const b = {
      tx: `${id}-${k}`,
      uid: cards[i],
      mode: 'cashier',
      cart: [{ sku: 'beer', qty: 1, price: 350 }],
    };
    return protocol.sign({ v: 1, k: 'tap', d: id, n: k, b } as protocol.Message, keyOf(id));
  });
}

async function measure(name: string, fn: (batch: string[]) => Promise<void> | void): Promise<void> {
  const rounds = Math.ceil(TAPS / TERMINALS);
  const batches: string[][] = [];
  for (let r = 0; r < rounds; r++, n++) batches.push(payloads());
  flushUs = 0;
  const t0 = cpu();
  const w0 = performance.now();
  for (const b of batches) await fn(b);
  const us = cpu() - t0;
  const taps = rounds * TERMINALS;
  console.log(
    `${name.padEnd(28)} ${(us / taps).toFixed(1).padStart(7)} µs CPU/tap  ${((taps / (performance.now() - w0)) * 1000).toFixed(0).padStart(7)} taps/s wall  (journal commits ${(flushUs / taps).toFixed(1)} µs/tap)`,
  );
}

const verifyOnly = (p: string, i: number) => verifyMessage(p, keyOf(ids[i]), -1);

await measure('warm-up (whole path)', (b) => whole(b));
if (!process.env.WHOLE_ONLY)
  await measure('verify', (b) => {
    for (let i = 0; i < b.length; i++) verifyOnly(b[i], i);
  });
if (!process.env.WHOLE_ONLY)
  await measure('sign a result', (b) => {
    for (let i = 0; i < b.length; i++)
      protocol.sign(
        {
          v: 1,
          k: 'result',
          d: ids[i],
          n: i,
          b: { tx: `${ids[i]}-1`, ok: true, amt: 350, bal: [{ a: 'EUR', v: 1000 }] },
        } as protocol.Message,
        keyOf(ids[i]),
      );
  });
await measure('whole path', (b) => whole(b));

/** What gateway.ts does with a device message, then the tap handler (result published to nobody). */
async function whole(batch: string[]): Promise<void> {
  const all: Promise<void>[] = [];
  for (let i = 0; i < batch.length; i++) {
    const id = ids[i];
    const r = verifyMessage(batch[i], ctx.devices.key(id) as string, ctx.devices.lastCounter(id));
    if (!r.ok) throw new Error(r.reason);
    ctx.devices.setCounter(id, r.message.n);
    ctx.journal.noteCounter(id, r.message.n);
    ctx.metrics.messages.inc({ kind: r.message.k });
    all.push(handleTap(ctx, id, r.message as protocol.Message<'tap'>));
  }
  await Promise.all(all);
}

const batches = (await gw.metrics.journalBatch.get()).values;
const sum = batches.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
const count = batches.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;
console.log(`records per group commit: ${(sum / count).toFixed(1)}`);
await gw.close();
process.exit(0);
