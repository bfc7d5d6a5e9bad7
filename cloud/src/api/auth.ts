// Bearer authentication: gateway API keys (`tbg_…`, one venue each) and admin sessions (`tbs_…`,
// role + tenant). Every route states who may call it; tenant checks compare the principal's venue
// with the venue the request touches.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/connect.js';
import type { Role } from '../db/schema.js';
import { LedgerError } from '../ledger/types.js';
import { tokenHash } from '../util/secrets.js';

export type Principal =
  | { type: 'gateway'; gatewayId: string; venueId: string; federationId: string }
  | { type: 'user'; userId: string; role: Role; venueId: string | null; federationId: string };

export async function authenticate(q: Queryable, header: string | undefined): Promise<Principal | null> {
  const m = /^Bearer (tb[gs]_[A-Za-z0-9_-]{10,100})$/.exec(header ?? '');
  if (!m) return null;
  const hash = tokenHash(m[1]);
  if (m[1].startsWith('tbg_')) {
    const { rows } = await q.query<{ id: string; venue_id: string; federation_id: string }>(
      `SELECT g.id, g.venue_id, v.federation_id FROM gateways g JOIN venues v ON v.id = g.venue_id
       WHERE g.key_hash = $1 AND g.revoked_at IS NULL`,
      [hash],
    );
    const g = rows[0];
    return g
      ? { type: 'gateway', gatewayId: g.id, venueId: g.venue_id, federationId: g.federation_id }
      : null;
  }
  const { rows } = await q.query<{
    id: string;
    role: Role;
    venue_id: string | null;
    federation_id: string;
    exp: unknown;
  }>(
    `SELECT u.id, u.role, u.venue_id, u.federation_id FROM sessions s JOIN admin_users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > now()`,
    [hash],
  );
  const u = rows[0];
  return u
    ? { type: 'user', userId: u.id, role: u.role, venueId: u.venue_id, federationId: u.federation_id }
    : null;
}

export interface Access {
  /** Gateways of the venue may call. */
  gateway?: boolean;
  /** User roles allowed. */
  roles?: Role[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** preHandler factory: 401 without valid credentials, 403 for a principal the route does not admit. */
export function requireAuth(q: Queryable, access: Access) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const p = await authenticate(q, req.headers.authorization);
    if (!p) {
      req.log.warn({ url: req.url }, 'bad credentials');
      return reply
        .code(401)
        .send({ error: 'bad-api-key', message: 'missing, unknown or revoked credentials' });
    }
    const ok = p.type === 'gateway' ? access.gateway === true : (access.roles ?? []).includes(p.role);
    if (!ok) {
      req.log.warn({ url: req.url, principal: p.type === 'user' ? p.role : 'gateway' }, 'forbidden');
      return reply.code(403).send({ error: 'forbidden', message: 'not allowed for these credentials' });
    }
    req.principal = p;
  };
}

/**
 * Tenant isolation: the principal may act on `venueId` only if it is its own venue, or a venue of
 * its federation for federation-wide roles. Throws 403 wrong-venue otherwise.
 */
export async function assertVenueAccess(
  q: Queryable,
  p: Principal,
  venueId: string,
  write = true,
): Promise<void> {
  if (p.type === 'gateway' || p.venueId) {
    if (p.venueId !== venueId)
      throw new LedgerError('wrong-venue', `credentials do not cover venue ${venueId}`, 403);
    return;
  }
  if (write && p.role === 'auditor') throw new LedgerError('forbidden', 'auditors are read-only', 403);
  const { rows } = await q.query<{ federation_id: string }>(
    'SELECT federation_id FROM venues WHERE id = $1',
    [venueId],
  );
  if (!rows[0] || rows[0].federation_id !== p.federationId)
    throw new LedgerError('wrong-venue', `credentials do not cover venue ${venueId}`, 403);
}

export const principalVenue = (p: Principal): string | null => p.venueId;

/** Who did it, as ledger records and refund records name them: a user id, or `gateway:<id>`. */
export const principalName = (p: Principal): string =>
  p.type === 'user' ? p.userId : `gateway:${p.gatewayId}`;
