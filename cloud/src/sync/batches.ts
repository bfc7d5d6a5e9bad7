// POST /v1/sync/batches core: one database transaction per batch, the log lock taken first.
import { buf, type Db, isRetryable } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError, type OpResult } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import { batchHashes } from './hashing.js';
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
  if (batch.venueId !== venue.id)
    throw new LedgerError('wrong-venue', 'venueId does not match the API key', 403);
  // One canonical serialisation of the items gives both the batch hash and the item hashes,
  // computed once (first attempt, once its first queries are sent) and kept for any re-run.
  let computed: { batch: Buffer; items: string[] } | undefined;
  const hashes = () =>
    (computed ??= batchHashes(batch as unknown as { items: unknown[] } & Record<string, unknown>));
  // First attempt: a new batch's items are taken as new (no id look-up). An item id recorded
  // before makes the operations insert hit the primary key; the transaction rolls back and the
  // batch is re-run with the look-up, which answers `duplicate` / `idempotency-conflict`.
  let assumeFresh = true;
  for (;;) {
    const fresh = assumeFresh;
    try {
      return await withRetry(async () => {
        try {
          return await ingestOnce(db, venue, batch, hashes, fresh);
        } catch (err) {
          // Not retried as is: re-run below with the id look-up.
          if (fresh && isReplayedId(err)) throw new FreshMiss();
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof FreshMiss)) throw err;
      assumeFresh = false;
    }
  }
}

class FreshMiss extends Error {}

/** The operations insert met an id already recorded (unique violation, or the count check). */
function isReplayedId(err: unknown): boolean {
  return (
    (err as { code?: string } | null)?.code === '23505' ||
    (err instanceof LedgerError && err.code === 'idempotency-race')
  );
}

function ingestOnce(
  db: Db,
  venue: VenueCtx,
  batch: SyncBatch,
  hashes: () => { batch: Buffer; items: string[] },
  assumeFresh: boolean,
): Promise<BatchResponse> {
  return db.tx(async (tx) => {
    const engine = await PostingEngine.begin(tx);
    const priorP = tx.query<{ body_hash: unknown }>(
      'SELECT body_hash FROM sync_batches WHERE venue_id = $1 AND batch_id = $2',
      [venue.id, batch.batchId],
    );
    priorP.catch(() => {});
    const checkPrior = async (): Promise<boolean> => {
      const prior = (await priorP).rows[0];
      if (prior && !buf(prior.body_hash).equals(hashes().batch))
        throw new LedgerError(
          'idempotency-conflict',
          `batch ${batch.batchId} was sent with another body`,
          409,
        );
      return prior !== undefined;
    };
    // First attempt: the batch is taken as new without waiting for its look-up. Were it a re-send,
    // its recorded ids make the operations insert fail and the re-run looks everything up; were it
    // the same batchId with another body, the check below aborts the transaction all the same.
    const resent = assumeFresh ? false : await checkPrior();
    const results = await processItems(tx, engine, venue, batch.items, {
      hashes: () => hashes().items,
      // A re-sent batch is all duplicates: look its ids up at once.
      assumeFresh: assumeFresh && !resent,
    });
    if (!(assumeFresh ? await checkPrior() : resent))
      await tx.query(
        'INSERT INTO sync_batches (venue_id, batch_id, body_hash, response) VALUES ($1, $2, $3, $4)',
        [venue.id, batch.batchId, hashes().batch, JSON.stringify({ items: batch.items.length })],
      );
    return { batchId: batch.batchId, results: results.map(publicResult) };
  });
}

/** Retries a whole transaction on serialization failure / deadlock (bounded). */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (
        i >= attempts ||
        !(isRetryable(err) || (err instanceof LedgerError && err.code === 'idempotency-race'))
      )
        throw err;
      await new Promise((r) => setTimeout(r, 5 * i));
    }
  }
}
