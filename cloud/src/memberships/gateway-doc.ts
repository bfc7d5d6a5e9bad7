// What the cloud tells a venue gateway about memberships, in its config download and with each
// lease. The gateway caches it and applies the same rule (validFrom <= now < validUntil) at the
// door and at the tills; `ttlMs` says how long an entry may be used before it is refreshed, and
// `standInMs` how long beyond that the gateway may still trust it while the cloud is unreachable
// (after which it answers 'membership-unknown'). See docs in gateway/src/sync/membership-cache.ts.
import type { Queryable } from '../db/connect.js';
import type { VenueCtx } from '../ledger/venue.js';
import { cardMemberships, membershipsOfCards } from './status.js';

export interface MembershipPolicy {
  ttlMs: number;
  standInMs: number;
  /** Expired runs are listed this long after their end ('expired' rather than 'required'). */
  keepExpiredMs: number;
}

export const DEFAULT_MEMBERSHIP_POLICY: MembershipPolicy = {
  ttlMs: 15 * 60_000,
  standInMs: 24 * 3600_000,
  keepExpiredMs: 400 * 86_400_000,
};

export interface MembershipDoc {
  ttlMs: number;
  standInMs: number;
  membersOnlyEvents: string[];
  cards: { cardUid: string; validFrom: number; validUntil: number }[];
}

export async function membershipDoc(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  now: number,
  policy: MembershipPolicy = DEFAULT_MEMBERSHIP_POLICY,
): Promise<MembershipDoc> {
  const events = await q.query<{ event_id: string }>(
    'SELECT event_id FROM members_only_events WHERE venue_id = $1 ORDER BY event_id',
    [venue.id],
  );
  return {
    ttlMs: policy.ttlMs,
    standInMs: policy.standInMs,
    membersOnlyEvents: events.rows.map((r) => r.event_id),
    cards: await cardMemberships(q, venue, now, policy.keepExpiredMs),
  };
}

export interface LeaseMembership {
  state: 'valid' | 'expired' | 'none';
  validFrom: number | null;
  validUntil: number | null;
}

export async function leaseMemberships(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  cards: string[],
  now: number,
): Promise<Map<string, LeaseMembership>> {
  return membershipsOfCards(q, venue, cards, now);
}

export const leaseMembershipSchema = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['valid', 'expired', 'none'] },
    validFrom: { type: ['integer', 'null'] },
    validUntil: { type: ['integer', 'null'] },
  },
} as const;
