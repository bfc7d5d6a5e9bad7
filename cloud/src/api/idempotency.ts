// Idempotent REST writes: the client sends an `Idempotency-Key` header; the first request's status
// and body are stored with a hash of (route, params, body) in the same transaction as the write.
// A replay with the same request returns the stored response (header `idempotent-replayed: true`);
// the same key with another request → 409 idempotency-conflict. A request that fails stores
// nothing, so it can be retried with the same key.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buf, type Db, type Tx } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError } from '../ledger/types.js';
import { withRetry } from '../sync/batches.js';
import { bodyHash } from '../util/canonical.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const idempotencyHeaders = {
  type: 'object',
  required: [IDEMPOTENCY_HEADER],
  properties: { [IDEMPOTENCY_HEADER]: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' } },
} as const;

/**
 * Runs `fn` once per (scope, key) with the log lock held (ledger writes are serialised anyway,
 * which also serialises concurrent replays of one key).
 */
export async function idempotentWrite<T extends object>(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  fn: (tx: Tx, engine: PostingEngine) => Promise<{ status: number; body: T }>,
): Promise<FastifyReply> {
  const key = req.headers[IDEMPOTENCY_HEADER] as string;
  const route = `${req.method} ${req.routeOptions.url}`;
  const hash = bodyHash({ route, params: req.params ?? {}, body: req.body ?? null });
  const out = await withRetry(() =>
    db.tx(async (tx) => {
      const engine = await PostingEngine.begin(tx);
      const prior = await tx.query<{ body_hash: unknown; status: number; response: T }>(
        'SELECT body_hash, status, response FROM idempotent_requests WHERE scope = $1 AND key = $2',
        [scope, key],
      );
      if (prior.rows[0]) {
        if (!buf(prior.rows[0].body_hash).equals(hash))
          throw new LedgerError(
            'idempotency-conflict',
            `Idempotency-Key ${key} was used for another request`,
            409,
          );
        return { status: prior.rows[0].status, body: prior.rows[0].response, replayed: true };
      }
      const r = await fn(tx, engine);
      await tx.query(
        'INSERT INTO idempotent_requests (scope, key, route, body_hash, status, response) VALUES ($1, $2, $3, $4, $5, $6)',
        [scope, key, route, hash, r.status, JSON.stringify(r.body)],
      );
      return { ...r, replayed: false };
    }),
  );
  if (out.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(out.status).send(out.body);
}
