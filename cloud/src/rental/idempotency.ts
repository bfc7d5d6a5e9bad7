// Optional Idempotency-Key on rental writes (same table and semantics as api/idempotency.ts, without
// the ledger's log lock): the first response is stored in the write's transaction and replayed for
// the same request; the same key with another request is 409 idempotency-conflict; a failed request
// stores nothing. Concurrent requests with one key serialise on an advisory lock of the key.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_HEADER } from '../api/idempotency.js';
import { buf, type Tx } from '../db/connect.js';
import { bodyHash } from '../util/canonical.js';
import { RentalError } from './errors.js';

const KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

export interface Stored<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/** Runs `fn` in `tx` unless this (scope, key) was already answered. Without a key, just runs it. */
export async function idempotentInTx<T extends object>(
  tx: Tx,
  req: FastifyRequest,
  scope: string,
  fn: () => Promise<{ status: number; body: T }>,
): Promise<Stored<T>> {
  const key = req.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) return { ...(await fn()), replayed: false };
  if (typeof key !== 'string' || !KEY.test(key))
    throw new RentalError('bad-request', 'Idempotency-Key must be 8-128 characters [A-Za-z0-9_.:-]');
  const route = `${req.method} ${req.routeOptions.url}`;
  const hash = bodyHash({ route, params: req.params ?? {}, body: req.body ?? null });
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rental:${scope}:${key}`]);
  const prior = await tx.query<{ body_hash: unknown; status: number; response: T }>(
    'SELECT body_hash, status, response FROM idempotent_requests WHERE scope = $1 AND key = $2',
    [scope, key],
  );
  if (prior.rows[0]) {
    if (!buf(prior.rows[0].body_hash).equals(hash))
      throw new RentalError(
        'idempotency-conflict',
        `Idempotency-Key ${key} was used for another request`,
        409,
      );
    return { status: prior.rows[0].status, body: prior.rows[0].response, replayed: true };
  }
  const r = await fn();
  await tx.query(
    'INSERT INTO idempotent_requests (scope, key, route, body_hash, status, response) VALUES ($1, $2, $3, $4, $5, $6)',
    [scope, key, route, hash, r.status, JSON.stringify(r.body)],
  );
  return { ...r, replayed: false };
}

export function sendStored<T>(reply: FastifyReply, out: Stored<T>): FastifyReply {
  if (out.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(out.status).send(out.body);
}
