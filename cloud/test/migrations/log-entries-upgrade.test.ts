// Migration 0019 moves each transfer's log entry (entry and chain hashes) from its own table onto the
// transfer row. A ledger written before it must come through whole: same hashes, the chain still
// verifies, proofs still work, and new transfers continue the same chain.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { buf, type Db, num, openPglite, openPostgres } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { merkle } from '../../src/index.js';
import { chainEntries, lockLogHead, saveLogHead } from '../../src/ledger/log-append.js';
import type { TransferRow } from '../../src/ledger/types.js';
import { dropSchema, PG_URL, randomSchema } from '../helpers/databases.js';
import { auth, fixture, id, uid, verifyLog } from '../helpers/fixture.js';

/** Migrations 0000..0018: the schema with a separate log_entries table. */
const BEFORE_0019 = 19;

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`log entries onto transfers (migration 0019) [${kind}]`, () => {
    const schema = randomSchema('mig');
    let db: Db;
    let pglite: PGlite | undefined;
    afterAll(async () => {
      if (kind === 'postgres') {
        await db?.close();
        await dropSchema(schema);
      } else await pglite?.close();
    });

    it('keeps every entry of an existing log, which verifies and goes on growing', async () => {
      if (kind === 'pglite') {
        pglite = await PGlite.create();
        db = await openPglite({ client: pglite, schema });
      } else db = await openPostgres(PG_URL, { schema });
      await migrate(db, { count: BEFORE_0019 });

      // A log written the old way: transfer rows, and their entries in log_entries.
      const transfers: TransferRow[] = Array.from({ length: 250 }, (_, i) => ({
        seq: i + 1,
        idempotencyKey: `old-${i}#0`,
        operationId: `old-${i}`,
        debit: 1 + (i % 7),
        credit: 100 + (i % 3),
        asset: i % 2 ? 'EUR' : 'TIME',
        amount: 1 + i * 37,
        kind: 'spend',
        venueId: 'bar',
        at: 1_700_000_000_000 + i,
      }));
      const entries = await db.tx(async (tx) => {
        const head = await lockLogHead(tx);
        const out = chainEntries(head, transfers);
        for (const t of transfers)
          await tx.query(
            `INSERT INTO transfers (id, idempotency_key, debit, credit, asset, amount, kind, venue_id, operation_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [
              t.seq,
              t.idempotencyKey,
              t.debit,
              t.credit,
              t.asset,
              t.amount,
              t.kind,
              t.venueId,
              t.operationId,
              t.at,
            ],
          );
        for (const e of out)
          await tx.query(
            `INSERT INTO log_entries (seq, transfer_id, entry_hash, chain_hash) VALUES ($1, $1, decode($2, 'hex'), decode($3, 'hex'))`,
            [e.seq, e.entryHash, e.chainHash],
          );
        await saveLogHead(tx, head);
        return out;
      });
      expect(await verifyLog(db)).toBe(250);

      expect(await migrate(db)).toBeGreaterThanOrEqual(1);
      const { rows } = await db.query<{ id: unknown; entry_hash: unknown; chain_hash: unknown }>(
        'SELECT id, entry_hash, chain_hash FROM transfers ORDER BY id',
      );
      expect(
        rows.map((r) => [num(r.id), buf(r.entry_hash).toString('hex'), buf(r.chain_hash).toString('hex')]),
      ).toEqual(entries.map((e) => [e.seq, e.entryHash, e.chainHash]));
      // The log's table is still there for SQL readers (a view over the transfers).
      expect(await verifyLog(db)).toBe(250);

      // New transfers through the API continue the same chain, and the public log proves them.
      const f = await fixture(db);
      try {
        const card = uid();
        const res = await f.app.inject({
          method: 'POST',
          url: '/v1/sync/batches',
          headers: auth(f.barKey),
          payload: {
            batchId: id('b'),
            venueId: f.bar,
            items: [
              {
                id: id(),
                type: 'topup',
                cardUid: card,
                at: Date.now(),
                legs: [{ asset: 'EUR', amount: 500 }],
                funding: 'cash',
              },
            ],
          },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json().results[0].status).toBe('applied');
        expect(await verifyLog(db)).toBe(251);
        const page = await f.app.inject({ method: 'GET', url: '/v1/log/entries?start=0&end=251' });
        expect(page.statusCode).toBe(200);
        const listed = page.json().entries as { seq: number; entryHash: string }[];
        expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1));
        expect(listed[0].entryHash).toBe(entries[0].entryHash);
        // An entry from before the migration and the one after it, proven in the same tree.
        for (const index of [17, 250]) {
          const r = await f.app.inject({
            method: 'GET',
            url: `/v1/log/proof/inclusion?index=${index}&treeSize=251`,
          });
          expect(r.statusCode).toBe(200);
          const p = r.json() as { leafHash: string; rootHash: string; proof: string[] };
          expect(merkle.verifyInclusion(p.leafHash, index, 251, p.proof, p.rootHash)).toBe(true);
        }
      } finally {
        await f.close();
      }
    });
  });
}
