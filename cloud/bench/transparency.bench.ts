// Transparency log figures on the machine's PostgreSQL, fresh schema, 200,000 log entries
// (40 sync batches of 5,000 spends/top-ups):
//   cloud.logSyncPerSecond   entries/s loading the Merkle tree from log_entries ⋈ transfers (cold start)
//   cloud.checkpointSignMs   signing a checkpoint of the 200k tree (sync delta + root + Ed25519 + insert)
//   cloud.exportSeconds      GET /v1/log/export body generation (exportLog), whole log
//   cloud.verifyPerSecond    tibillet-verify core (verifyExport): chain + Merkle + signatures + replay
import { randomBytes } from 'node:crypto';
import PgClient from 'pg/lib/client.js';
import { createFederation, createVenue } from '../src/admin/setup.js';
import { openPostgres } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { requireVenue } from '../src/ledger/venue.js';
import { ingestBatch } from '../src/sync/batches.js';
import type { SyncItem } from '../src/sync/items.js';
import { exportLog } from '../src/transparency/log-routes.js';
import { CheckpointService, TransparencyLog } from '../src/transparency/log-store.js';
import { type LogExport, verifyExport } from '../src/verify/verify.js';

const URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BATCH = 5000;
const BATCHES = 40;

export async function run(): Promise<Record<string, number>> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await openPostgres(URL, { schema, poolSize: 2 });
  try {
    await migrate(db);
    await createFederation(db, { id: 'fed', name: 'Bench' });
    await createVenue(db, { id: 'bar', federationId: 'fed', name: 'Bar' });
    const venue = await requireVenue(db, 'bar');
    const cards = Array.from({ length: BATCH }, (_, i) =>
      (0x04000000000000 + i).toString(16).toUpperCase().padStart(14, '0'),
    );
    let n = 0;
    const at = Date.now();
    for (let k = 0; k < BATCHES; k++) {
      const type = k < 2 ? 'topup' : 'spend';
      const items: SyncItem[] = cards.map((cardUid) => ({
        id: `i${(n++).toString(36)}`,
        type,
        cardUid,
        at,
        legs: [{ asset: 'EUR', amount: type === 'topup' ? 100_000 : 1 }],
        ...(type === 'topup' ? { funding: 'cash' as const } : {}),
      }));
      await ingestBatch(db, venue, { batchId: `b${k}`, venueId: 'bar', items });
    }
    const masterKey = randomBytes(32);
    const log = new TransparencyLog(db);
    let t = performance.now();
    const size = await log.sync();
    const logSyncPerSecond = size / ((performance.now() - t) / 1000);
    const service = new CheckpointService(db, log, { masterKey, origin: 'bench' });
    await service.logKey();
    t = performance.now();
    await service.signNow();
    const checkpointSignMs = performance.now() - t;
    t = performance.now();
    let json = '';
    for await (const chunk of exportLog(db, service)) json += chunk;
    const exportSeconds = (performance.now() - t) / 1000;
    const exp = JSON.parse(json) as LogExport;
    t = performance.now();
    const report = await verifyExport(exp);
    const verifySeconds = (performance.now() - t) / 1000;
    if (!report.ok) throw new Error(`bench log does not verify: ${report.issues[0]?.message}`);
    return {
      'cloud.logEntries': size,
      'cloud.logSyncPerSecond': Math.round(logSyncPerSecond),
      'cloud.checkpointSignMs': Math.round(checkpointSignMs * 10) / 10,
      'cloud.exportSeconds': Math.round(exportSeconds * 100) / 100,
      'cloud.verifyPerSecond': Math.round(size / verifySeconds),
    };
  } finally {
    await db.close();
    const c = new PgClient(URL);
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
}
