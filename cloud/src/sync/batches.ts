// POST /v1/sync/batches core: one database transaction per batch, the log lock taken first.
import { buf, type Db, isRetryable } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError, type OpResult } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import { bodyHash } from '../util/canonical.js';
import { MAX_BATCH_ITEMS, processItems, type SyncItem } from './items.js';

export interface SyncBatch {
  batchId: string;
  venueId: string;
  items: SyncItem[];
}

export interface BatchResponse {
  batchId: string;
  results: OpResult[];
}

/** Strips engine-internal fields from what the gateway sees. */
function publicResult(r: OpResult): OpResult {
  const { seqs: _seqs, ...rest } = r;
  return rest;
}

/**
 * Ingests a batch. Throws LedgerError 413 (too many items), 403 (venue mismatch), 409 (same
 * batchId, different body). Re-sending a batch answers every item `duplicate`.
 */
export async function ingestBatch(db: Db, venue: VenueCtx, batch: SyncBatch): Promise<BatchResponse> {
  if (batch.items.length > MAX_BATCH_ITEMS)
    throw new LedgerError('batch-too-large', `${batch.items.length} items > ${MAX_BATCH_ITEMS}`, 413);
  if (batch.venueId !== venue.id) throw new LedgerError('wrong-venue', 'venueId does not match the API key', 403);
  const hash = bodyHash(batch);
  return withRetry(() =>
    db.tx(async (tx) => {
      const engine = await PostingEngine.begin(tx);
      const prior = await tx.query<{ body_hash: unknown }>(
        'SELECT body_hash FROM sync_batches WHERE venue_id = $1 AND batch_id = $2',
        [venue.id, batch.batchId],
      );
      if (prior.rows[0] && !buf(prior.rows[0].body_hash).equals(hash))
        throw new LedgerError('idempotency-conflict', `batch ${batch.batchId} was sent with another body`, 409);
      const results = await processItems(tx, engine, venue, batch.items);
      if (!prior.rows[0])
        await tx.query('INSERT INTO sync_batches (venue_id, batch_id, body_hash, response) VALUES ($1, $2, $3, $4)', [
          venue.id,
          batch.batchId,
          hash,
          JSON.stringify({ items: batch.items.length }),
        ]);
      return { batchId: batch.batchId, results: results.map(publicResult) };
    }),
  );
}

/** Retries a whole transaction on serialization failure / deadlock (bounded). */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(isRetryable(err) || (err instanceof LedgerError && err.code === 'idempotency-race'))) throw err;
      await new Promise((r) => setTimeout(r, 5 * i));
    }
  }
}
