// Transparency log figures on the machine's PostgreSQL, fresh schema, 200,000 log entries
// (40 sync batches of 5,000 spends/top-ups):
//   cloud.logSyncPerSecond   entries/s loading the Merkle tree from log_entries ⋈ transfers (cold start)
//   cloud.logSyncMaxStallMs  the longest the event loop waited meanwhile (requests wait as long)
//   cloud.logRestartSeconds  the same tree rebuilt by a restarted cloud from the stored block hashes
//   cloud.checkpointSignMs   signing a checkpoint of the 200k tree (sync delta + root + Ed25519 + insert)
//   cloud.logProofMs         p99 of an inclusion proof of a random entry as the server gives it (the
//                            proof route's call): the entry's block of 32 read back from PostgreSQL
//                            and checked, then the proof, the leaf hash and the root
//   cloud.exportSeconds      GET /v1/log/export body generation (exportLog), whole log
//   cloud.verifyPerSecond    tibillet-verify core (verifyExport): chain + Merkle + signatures + replay
//   cloud.verifyFilePerSecond the same from the export file read line by line (how tibillet-verify
//                            reads an export too large to read whole), reading and parsing included
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ingestBatch } from '../src/sync/batches.js';
import { exportLog } from '../src/transparency/log-routes.js';
import { CheckpointService, TransparencyLog } from '../src/transparency/log-store.js';
import { openExport } from '../src/verify/read-export.js';
import { type LogExport, verifyExport, verifyLog } from '../src/verify/verify.js';
import { ledgerWorld } from './ledger-world.js';

const BATCH = 5000;
const BATCHES = 40;

export async function run(): Promise<Record<string, number>> {
  const world = await ledgerWorld(BATCH);
  const { db, venue } = world;
  try {
    for (let k = 0; k < BATCHES; k++) {
      const items = k < 2 ? world.batchOf('topup', 100_000) : world.batchOf('spend', 1);
      await ingestBatch(db, venue, { batchId: `b${k}`, venueId: 'bar', items });
    }
    const masterKey = randomBytes(32);
    const log = new TransparencyLog(db);
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    let t = performance.now();
    const size = await log.sync();
    const logSyncPerSecond = size / ((performance.now() - t) / 1000);
    stalls.disable();
    // A restart: the tree from the block hashes the first sync stored, not from every entry.
    const restarted = new TransparencyLog(db);
    t = performance.now();
    if ((await restarted.sync()) !== size) throw new Error('restarted log has another size');
    const restartSeconds = (performance.now() - t) / 1000;
    if (!(await restarted.rootHash(size)).equals(await log.rootHash(size)))
      throw new Error('restarted log has another root');
    const service = new CheckpointService(db, log, { masterKey, origin: 'bench' });
    await service.logKey();
    t = performance.now();
    await service.signNow();
    const checkpointSignMs = performance.now() - t;
    // Steady state, as in proof.bench.ts: the sync's garbage is collected before the samples.
    for (let i = 0; i < 300; i++) await log.inclusion(Math.floor(Math.random() * size), size);
    await new Promise((r) => setTimeout(r, 300));
    const proofMs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const index = Math.floor(Math.random() * size);
      const t1 = performance.now();
      await log.inclusion(index, size);
      proofMs.push(performance.now() - t1);
    }
    proofMs.sort((a, b) => a - b);
    t = performance.now();
    let json = '';
    for await (const chunk of exportLog(db, service)) json += chunk;
    const exportSeconds = (performance.now() - t) / 1000;
    const exp = JSON.parse(json) as LogExport;
    t = performance.now();
    const report = await verifyExport(exp);
    const verifySeconds = (performance.now() - t) / 1000;
    if (!report.ok) throw new Error(`bench log does not verify: ${report.issues[0]?.message}`);
    const dir = mkdtempSync(join(tmpdir(), 'tb-bench-export-'));
    let verifyFileSeconds: number;
    try {
      const file = join(dir, 'export.json');
      writeFileSync(file, json);
      t = performance.now();
      const opened = openExport(file, 0);
      const fromFile = await verifyLog(opened.head, opened.entries);
      verifyFileSeconds = (performance.now() - t) / 1000;
      if (!fromFile.ok || fromFile.entries !== size) throw new Error('bench export file does not verify');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return {
      'cloud.logEntries': size,
      'cloud.logSyncPerSecond': Math.round(logSyncPerSecond),
      'cloud.logSyncMaxStallMs': Math.round(stalls.max / 1e5) / 10,
      'cloud.logRestartSeconds': Math.round(restartSeconds * 1000) / 1000,
      'cloud.checkpointSignMs': Math.round(checkpointSignMs * 10) / 10,
      'cloud.logProofMs': Math.round(proofMs[Math.floor(proofMs.length * 0.99)] * 1000) / 1000,
      'cloud.exportSeconds': Math.round(exportSeconds * 100) / 100,
      'cloud.verifyPerSecond': Math.round(size / verifySeconds),
      'cloud.verifyFilePerSecond': Math.round(size / verifyFileSeconds),
    };
  } finally {
    await world.close();
  }
}
