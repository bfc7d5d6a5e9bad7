// What the cloud tells a venue gateway about memberships, in its config download and with each
// lease. The gateway caches it and applies the same rule (validFrom <= now < validUntil) at the
// door and at the tills; `ttlMs` says how long an entry may be used before it is refreshed, and
// `standInMs` how long beyond that the gateway may still trust it while the cloud is unreachable
// (after which it answers 'membership-unknown'). See docs in gateway/src/sync/membership-cache.ts.
import type { Queryable } from '../db/connect.js';
import type { VenueCtx } from '../ledger/venue.js';
import { partnerKey } from '../promotions/rule-schema.js';
import { listRules } from '../promotions/store.js';
import {
  cardMemberships,
  membershipsOfCards,
  partnerMemberships,
  partnerMembershipsOfCards,
  resolvedPartnerKeys,
} from './status.js';

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
  /**
   * Partner perks: per membership the venue's active partner rules name (key: `product:<id>` or a
   * badge asset, see partnerKey), the runs of its holders, as `cards`. Only keys naming a
   * membership product are listed (a badge no product carries is not a membership: the gateway
   * reads that badge's balance). The gateway applies the same rule and stand-in as for `cards`.
   */
  partners: { key: string; cards: { cardUid: string; validFrom: number; validUntil: number }[] }[];
}

/** The memberships the venue's active partner rules name, that a membership product carries. */
async function partnerKeys(q: Queryable, venue: Pick<VenueCtx, 'id' | 'federationId'>): Promise<string[]> {
  const keys = new Set<string>();
  for (const r of await listRules(q, venue.id))
    if (r.kind === 'partner' && r.active !== false) keys.add(partnerKey(r));
  keys.delete('');
  return resolvedPartnerKeys(q, venue.federationId, [...keys].sort());
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
    partners: await partnerMemberships(
      q,
      venue.federationId,
      await partnerKeys(q, venue),
      now,
      policy.keepExpiredMs,
    ),
  };
}

export interface LeaseMembership {
  state: 'valid' | 'expired' | 'none';
  validFrom: number | null;
  validUntil: number | null;
  /** The card's status in each membership the venue's partner rules name (as `partners` of the doc). */
  partners?: {
    key: string;
    state: 'valid' | 'expired' | 'none';
    validFrom: number | null;
    validUntil: number | null;
  }[];
}

export async function leaseMemberships(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  cards: string[],
  now: number,
): Promise<Map<string, LeaseMembership>> {
  const own: Map<string, LeaseMembership> = await membershipsOfCards(q, venue, cards, now);
  const keys = await partnerKeys(q, venue);
  if (keys.length === 0) return own;
  const partners = await partnerMembershipsOfCards(q, venue.federationId, keys, cards, now);
  return new Map([...own].map(([uid, m]) => [uid, { ...m, partners: partners.get(uid) ?? [] }] as const));
}

export const leaseMembershipSchema = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['valid', 'expired', 'none'] },
    validFrom: { type: ['integer', 'null'] },
    validUntil: { type: ['integer', 'null'] },
    partners: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          state: { type: 'string', enum: ['valid', 'expired', 'none'] },
          validFrom: { type: ['integer', 'null'] },
          validUntil: { type: ['integer', 'null'] },
        },
      },
    },
  },
} as const;
