// Ingest throughput on the machine's PostgreSQL, fresh schema. Measured at the ingest function
// level (ingestBatch: the code behind POST /v1/sync/batches minus HTTP/JSON parsing), one batch
// at a time (a gateway drains its backlog sequentially), with 5,000-item batches (the cloud's
// MAX_BATCH_ITEMS; BENCH_INGEST_BATCH=500 measures the gateway's own batch size) of one-leg
// spends on as many cards:
//   cloud.copyPerSecond   raw COPY of the same transfer rows (log entry hashes included) into an
//                         unindexed table
//   cloud.ingestPerSecond double-entry + idempotency + log append, 100,000 items
//   cloud.drain1MSeconds  1,000,000 items (200 batches of 5,000) from a gateway backlog
//   cloud.ingestHttpPerSecond the same batches as POST /v1/sync/batches requests (fastify inject:
//                         JSON parsing, schema validation, gateway key check, response
//                         serialisation; no socket), 50,000 items
// Where the time goes (PostgreSQL on this machine: its processes' CPU time read from /proc, so
// only when the server is local; absent otherwise):
//   cloud.copyDbCpuUsPerRow     PostgreSQL CPU per row of the raw COPY
//   cloud.ingestDbCpuUsPerItem  PostgreSQL CPU per item of the ingest (all its server processes)
//   cloud.ingestAppCpuUsPerItem this process's CPU per item of the ingest (all its threads)
//   cloud.ingestDbBoundPerSecond items/s the ingest would reach were the application free
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createGateway } from '../src/admin/setup.js';
import { createCloud } from '../src/app.js';
import { ingestBatch } from '../src/sync/batches.js';
import { ledgerWorld } from './ledger-world.js';

const BATCH = Number(process.env.BENCH_INGEST_BATCH) || 5000;

/** CPU ms used so far by the machine's PostgreSQL processes (null when none is visible). */
function postgresCpuMs(): number | null {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      seen = true;
    } catch {
      // gone meanwhile
    }
  }
  return seen ? ticks * 10 : null; // USER_HZ = 100 on Linux
}

const appCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function run(): Promise<Record<string, number>> {
  const world = await ledgerWorld(BATCH);
  const { db, venue, batchOf } = world;
  try {
    for (let k = 0; k < 4; k++)
      await ingestBatch(db, venue, {
        batchId: `seed${k}`,
        venueId: 'bar',
        items: batchOf('topup', 1_000_000),
      });

    // Raw COPY baseline: the transfer rows (with their log entry's two hashes, as the ingest writes
    // them) of 20 batches into an unindexed copy of the table.
    await db.query('CREATE TABLE raw_transfers (LIKE transfers INCLUDING DEFAULTS)');
    const copyRounds = 20;
    const at = Date.now();
    let copyMs = 0;
    const copyDb0 = postgresCpuMs();
    for (let r = 0; r < copyRounds; r++) {
      let text = '';
      for (let i = 0; i < BATCH; i++)
        text += `${r * BATCH + i + 1}\tc${r}_${i}#0\t${i + 10}\t3\tEUR\t${1 + (i % 9)}\tspend\tbar\tc${r}_${i}\t${at}\t\\\\x${randomBytes(32).toString('hex')}\t\\\\x${randomBytes(32).toString('hex')}\n`;
      // Bytes, as the ingest hands its payloads over: only the COPY itself is timed.
      const data = Buffer.from(text);
      const t0 = performance.now();
      await db.tx((tx) =>
        tx.copy!(
          'COPY raw_transfers (id, idempotency_key, debit, credit, asset, amount, kind, venue_id, operation_id, at, entry_hash, chain_hash) FROM STDIN',
          data,
        ),
      );
      copyMs += performance.now() - t0;
    }
    const copyPerSecond = (copyRounds * BATCH * 1000) / copyMs;
    const copyDb1 = postgresCpuMs();

    const ingest = async (batches: number): Promise<number> => {
      let ms = 0;
      for (let b = 0; b < batches; b++) {
        const items = batchOf('spend', 1 + (b % 3));
        const t0 = performance.now();
        const res = await ingestBatch(db, venue, { batchId: `b${world.made}`, venueId: 'bar', items });
        ms += performance.now() - t0;
        if (res.results.some((r) => r.status !== 'applied')) throw new Error('bench item not applied');
      }
      return ms;
    };
    const ingestBatches = Math.ceil(100_000 / BATCH);
    const [ingestDb0, ingestApp0] = [postgresCpuMs(), appCpuMs()];
    const ingestMs = await ingest(ingestBatches);
    const [ingestDb1, ingestApp1] = [postgresCpuMs(), appCpuMs()];
    const ingestPerSecond = (ingestBatches * BATCH * 1000) / ingestMs;
    const drainStart = performance.now();
    await ingest(Math.ceil(1_000_000 / BATCH));
    const drain1MSeconds = (performance.now() - drainStart) / 1000;

    // The HTTP route: a gateway's request body as it is sent (JSON text), answered per item.
    const cloud = await createCloud({ db, masterKey: randomBytes(32), rateLimits: false });
    const { apiKey } = await createGateway(db, 'bar');
    let httpMs = 0;
    const httpBatches = Math.ceil(50_000 / BATCH);
    try {
      for (let b = 0; b < httpBatches; b++) {
        const payload = JSON.stringify({
          batchId: `h${world.made}`,
          venueId: 'bar',
          items: batchOf('spend', 1),
        });
        const t0 = performance.now();
        const res = await cloud.app.inject({
          method: 'POST',
          url: '/v1/sync/batches',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          payload,
        });
        httpMs += performance.now() - t0;
        const body = res.json() as { results?: { status: string }[] };
        if (res.statusCode !== 200 || body.results?.some((r) => r.status !== 'applied'))
          throw new Error(`bench batch not applied: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    } finally {
      await cloud.close();
    }
    const ingested = ingestBatches * BATCH;
    const dbCpu: Record<string, number> =
      copyDb0 !== null && copyDb1 !== null && ingestDb0 !== null && ingestDb1 !== null
        ? {
            'cloud.copyDbCpuUsPerRow': Number(
              (((copyDb1 - copyDb0) * 1000) / (copyRounds * BATCH)).toFixed(2),
            ),
            'cloud.ingestDbCpuUsPerItem': Number((((ingestDb1 - ingestDb0) * 1000) / ingested).toFixed(2)),
            'cloud.ingestDbBoundPerSecond': Math.round((ingested * 1000) / (ingestDb1 - ingestDb0)),
          }
        : {};
    return {
      ...dbCpu,
      'cloud.ingestAppCpuUsPerItem': Number((((ingestApp1 - ingestApp0) * 1000) / ingested).toFixed(2)),
      'cloud.copyPerSecond': Math.round(copyPerSecond),
      'cloud.ingestPerSecond': Math.round(ingestPerSecond),
      'cloud.drain1MSeconds': Number(drain1MSeconds.toFixed(2)),
      'cloud.ingestHttpPerSecond': Math.round((httpBatches * BATCH * 1000) / httpMs),
    };
  } finally {
    await world.close();
  }
}
