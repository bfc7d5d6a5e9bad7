// Federation/venue/gateway/user provisioning (used by the admin routes, the CLI and tests).
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/connect.js';
import type { AssetKind, Role } from '../db/schema.js';
import { LedgerError } from '../ledger/types.js';
import type { VenuePolicy } from '../ledger/venue.js';
import { hashPassword, newToken } from '../util/secrets.js';

export const VENUE_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export async function createFederation(
  q: Queryable,
  f: { id: string; name: string; allowAnonymous?: boolean },
): Promise<void> {
  await q.query('INSERT INTO federations (id, name, allow_anonymous) VALUES ($1, $2, $3)', [
    f.id,
    f.name,
    f.allowAnonymous ?? true,
  ]);
  // Federation-wide assets: the federated euro (refundable) and time currency (minutes).
  await q.query(
    `INSERT INTO assets (federation_id, code, kind, refundable, venue_id) VALUES
     ($1, 'EUR', 'federated_eur', true, NULL), ($1, 'TIME', 'time', false, NULL)`,
    [f.id],
  );
}

/** Creates a venue and its own assets: LOC (refundable at the venue), GIFT, LOYAL. */
export async function createVenue(
  q: Queryable,
  v: { id: string; federationId: string; name: string; policy?: VenuePolicy; pointsOfSale?: unknown[] },
): Promise<void> {
  if (!VENUE_ID.test(v.id)) throw new LedgerError('bad-venue-id', `venue id must match ${VENUE_ID}`);
  await q.query(
    'INSERT INTO venues (id, federation_id, name, policy, points_of_sale) VALUES ($1, $2, $3, $4, $5)',
    [v.id, v.federationId, v.name, JSON.stringify(v.policy ?? {}), JSON.stringify(v.pointsOfSale ?? [])],
  );
  const own: [string, AssetKind, boolean][] = [
    [`LOC:${v.id}`, 'local', true],
    [`GIFT:${v.id}`, 'gift', false],
    [`LOYAL:${v.id}`, 'loyalty', false],
  ];
  for (const [code, kind, refundable] of own)
    await q.query(
      'INSERT INTO assets (federation_id, code, kind, refundable, venue_id) VALUES ($1, $2, $3, $4, $5)',
      [v.federationId, code, kind, refundable, v.id],
    );
}

/** Returns the API key (shown once; only its SHA-256 is stored). */
export async function createGateway(
  q: Queryable,
  venueId: string,
  id = `gw-${randomUUID()}`,
): Promise<{ id: string; apiKey: string }> {
  const { token, hash } = newToken('tbg_');
  await q.query('INSERT INTO gateways (id, venue_id, key_hash) VALUES ($1, $2, $3)', [id, venueId, hash]);
  return { id, apiKey: token };
}

export async function createUser(
  q: Queryable,
  u: { email: string; password: string; role: Role; federationId: string; venueId?: string | null },
): Promise<{ id: string }> {
  if ((u.role === 'venue_admin' || u.role === 'cashier') && !u.venueId)
    throw new LedgerError('bad-user', `${u.role} needs a venue`);
  const id = randomUUID();
  await q.query(
    'INSERT INTO admin_users (id, federation_id, email, password_hash, role, venue_id) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, u.federationId, u.email.toLowerCase(), await hashPassword(u.password), u.role, u.venueId ?? null],
  );
  return { id };
}
