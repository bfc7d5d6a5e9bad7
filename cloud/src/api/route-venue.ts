// The venue a `/v1/venues/:venueId/…` route acts on, and the idempotent writes made there. The
// tenant check comes first, so a caller without access learns nothing about whether the venue exists.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable, Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { requireVenue, type VenueCtx } from '../ledger/venue.js';
import { assertVenueAccess, type Principal } from './auth.js';
import { idempotentWrite } from './idempotency.js';

/** `write: false` for reads (auditors may read, not write). */
export async function routeVenue(q: Queryable, req: FastifyRequest, write: boolean): Promise<VenueCtx> {
  const { venueId } = req.params as { venueId: string };
  await assertVenueAccess(q, req.principal!, venueId, write);
  return requireVenue(q, venueId);
}

export interface WriteCtx<B> {
  tx: Tx;
  engine: PostingEngine;
  venue: VenueCtx;
  body: B;
  params: Record<string, string>;
  principal: Principal;
}

/**
 * Handlers for writes at the route's venue: tenant check, then `run` once per Idempotency-Key
 * (scoped to the venue), answered with `status` and what `run` returns.
 */
export const venueWrite =
  (db: Db) =>
  <B>(status: number, run: (ctx: WriteCtx<B>) => Promise<object>) =>
  async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const params = req.params as Record<string, string>;
    const venue = await routeVenue(db, req, true);
    return idempotentWrite(db, req, reply, venue.id, async (tx, engine) => ({
      status,
      body: await run({ tx, engine, venue, body: req.body as B, params, principal: req.principal! }),
    }));
  };
