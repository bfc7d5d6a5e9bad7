// Membership status from the database: the periods of the products that count at a venue (its own
// and its federation's), merged by the pure rule of period.ts. Used by ticket orders, the holder
// pages and the gateway download, so every place answers the same.
import { num, type Queryable } from '../db/connect.js';
import type { VenueCtx } from '../ledger/venue.js';
import { type MembershipStatus, statusAt } from './period.js';

/**
 * The instant a period stops counting: its expiry, or the moment an admin cancelled it (cancel.ts).
 * PostgreSQL's LEAST ignores NULL, so an uncancelled period ends at its expiry.
 */
export const periodEnd = (a: string) => `LEAST(${a}.expires_at, ${a}.cancelled_at)`;
/** A period that counts at all: not voided, and not cancelled before it even started. */
export const periodCounts = (a: string) =>
  `${a}.voided_at IS NULL AND (${a}.cancelled_at IS NULL OR ${a}.cancelled_at > ${a}.starts_at)`;
const SPAN = (a: string) =>
  `(extract(epoch FROM ${a}.starts_at) * 1000)::int8 AS s, (extract(epoch FROM ${periodEnd(a)}) * 1000)::int8 AS e`;

/** Products whose periods make a wallet a member at `venue`. */
const relevant = (alias: string, fed: string, venue: string) =>
  `${alias}.federation_id = ${fed} AND (${alias}.scope = 'federation' OR ${alias}.venue_id = ${venue})`;
const RELEVANT = relevant('p', '$2', '$3');

export async function walletMembership(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  walletId: number,
  now = Date.now(),
): Promise<MembershipStatus> {
  const { rows } = await q.query<{ s: unknown; e: unknown }>(
    `SELECT ${SPAN('m')}
     FROM membership_periods m JOIN membership_products p ON p.id = m.product_id
     WHERE m.wallet_id = $1 AND ${periodCounts('m')} AND ${RELEVANT}`,
    [walletId, venue.federationId, venue.id],
  );
  return statusAt(
    rows.map((r) => ({ startsAt: num(r.s), expiresAt: num(r.e) })),
    now,
  );
}

export interface CardMembership {
  cardUid: string;
  validFrom: number;
  validUntil: number;
}

/**
 * The membership runs of every card of the federation relevant at `venue` that are valid now or
 * ended less than `keepExpiredMs` ago (so a gateway can tell 'membership-expired' from
 * 'membership-required' offline). One row per card: its current run, else its latest.
 */
export async function cardMemberships(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  now: number,
  keepExpiredMs: number,
): Promise<CardMembership[]> {
  const { rows } = await q.query<{ uid: string; s: unknown; e: unknown }>(
    `SELECT c.uid, ${SPAN('m')}
     FROM membership_periods m JOIN membership_products p ON p.id = m.product_id
     JOIN cards c ON c.wallet_id = m.wallet_id AND c.federation_id = $1 AND NOT c.blocked
     WHERE ${periodCounts('m')} AND ${relevant('p', '$1', '$2')}
       AND m.wallet_id IN (SELECT m2.wallet_id FROM membership_periods m2 JOIN membership_products p2 ON p2.id = m2.product_id
                           WHERE ${periodCounts('m2')} AND ${periodEnd('m2')} > $3 AND ${relevant('p2', '$1', '$2')})
     ORDER BY c.uid`,
    [venue.federationId, venue.id, new Date(now - keepExpiredMs)],
  );
  const byCard = new Map<string, { startsAt: number; expiresAt: number }[]>();
  for (const r of rows) {
    const l = byCard.get(r.uid) ?? [];
    l.push({ startsAt: num(r.s), expiresAt: num(r.e) });
    byCard.set(r.uid, l);
  }
  const out: CardMembership[] = [];
  for (const [cardUid, periods] of byCard) {
    const s = statusAt(periods, now);
    if (s.validFrom !== null && s.validUntil !== null)
      out.push({ cardUid, validFrom: s.validFrom, validUntil: s.validUntil });
  }
  return out;
}

/** Per card (a lease request): the status of each card's wallet at `venue`. */
export async function membershipsOfCards(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
  cards: string[],
  now = Date.now(),
): Promise<Map<string, MembershipStatus>> {
  const { rows } = await q.query<{ uid: string; s: unknown; e: unknown }>(
    `SELECT c.uid, ${SPAN('m')}
     FROM cards c JOIN membership_periods m ON m.wallet_id = c.wallet_id AND ${periodCounts('m')}
     JOIN membership_products p ON p.id = m.product_id
     WHERE c.uid = ANY($1::text[]) AND ${RELEVANT}`,
    [cards, venue.federationId, venue.id],
  );
  const byCard = new Map<string, { startsAt: number; expiresAt: number }[]>();
  for (const r of rows) {
    const l = byCard.get(r.uid) ?? [];
    l.push({ startsAt: num(r.s), expiresAt: num(r.e) });
    byCard.set(r.uid, l);
  }
  return new Map(cards.map((c) => [c, statusAt(byCard.get(c) ?? [], now)]));
}

export async function isMembersOnly(q: Queryable, eventId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM members_only_events WHERE event_id = $1', [eventId]);
  return rows.length > 0;
}

/**
 * Partner perks (promotion rules of kind 'partner') name another venue's membership by a key:
 * `product:<id>` (one membership product) or a badge asset (every product carrying it). Only
 * products of the venue's federation count; the periods are the same as everywhere (voided ones
 * ignored, a cancellation ends a period).
 */
const PARTNER_KEY = (keys: string, fed: string) =>
  `JOIN unnest(${keys}::text[]) AS k(key) ON (k.key = p.badge_asset OR k.key = 'product:' || p.id)
   WHERE p.federation_id = ${fed}`;

/** The keys that name at least one membership product of the federation. */
export async function resolvedPartnerKeys(
  q: Queryable,
  federationId: string,
  keys: string[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  const { rows } = await q.query<{ key: string }>(
    `SELECT DISTINCT k.key FROM membership_products p ${PARTNER_KEY('$1', '$2')} ORDER BY k.key`,
    [keys, federationId],
  );
  return rows.map((r) => r.key);
}

export interface PartnerMembership {
  key: string;
  cards: CardMembership[];
}

/**
 * Per key, the runs of every card of the federation whose membership it names, valid now or ended
 * less than `keepExpiredMs` ago (as cardMemberships, for the gateway's config download).
 */
export async function partnerMemberships(
  q: Queryable,
  federationId: string,
  keys: string[],
  now: number,
  keepExpiredMs: number,
): Promise<PartnerMembership[]> {
  if (keys.length === 0) return [];
  const { rows } = await q.query<{ key: string; uid: string; s: unknown; e: unknown }>(
    `SELECT k.key, c.uid, ${SPAN('m')}
     FROM membership_periods m JOIN membership_products p ON p.id = m.product_id
     JOIN cards c ON c.wallet_id = m.wallet_id AND c.federation_id = $2 AND NOT c.blocked
     ${PARTNER_KEY('$1', '$2')} AND ${periodCounts('m')}
     ORDER BY k.key, c.uid`,
    [keys, federationId],
  );
  const byKey = new Map<string, Map<string, { startsAt: number; expiresAt: number }[]>>(
    keys.map((k) => [k, new Map()]),
  );
  for (const r of rows) {
    const cards = byKey.get(r.key);
    if (!cards) continue;
    const l = cards.get(r.uid) ?? [];
    l.push({ startsAt: num(r.s), expiresAt: num(r.e) });
    cards.set(r.uid, l);
  }
  return [...byKey].map(([key, cards]) => {
    const out: CardMembership[] = [];
    for (const [cardUid, periods] of cards) {
      const s = statusAt(periods, now);
      if (s.validFrom !== null && s.validUntil !== null && s.validUntil > now - keepExpiredMs)
        out.push({ cardUid, validFrom: s.validFrom, validUntil: s.validUntil });
    }
    return { key, cards: out };
  });
}

/** Per card (a lease request), per key: the status of the card's wallet in the membership the key names. */
export async function partnerMembershipsOfCards(
  q: Queryable,
  federationId: string,
  keys: string[],
  cards: string[],
  now: number,
): Promise<Map<string, ({ key: string } & MembershipStatus)[]>> {
  if (keys.length === 0) return new Map();
  const { rows } = await q.query<{ key: string; uid: string; s: unknown; e: unknown }>(
    `SELECT k.key, c.uid, ${SPAN('m')}
     FROM cards c JOIN membership_periods m ON m.wallet_id = c.wallet_id AND ${periodCounts('m')}
     JOIN membership_products p ON p.id = m.product_id
     ${PARTNER_KEY('$1', '$2')} AND c.uid = ANY($3::text[]) AND c.federation_id = $2`,
    [keys, federationId, cards],
  );
  const by = new Map<string, { startsAt: number; expiresAt: number }[]>();
  for (const r of rows) {
    const k = `${r.uid}\u0000${r.key}`;
    const l = by.get(k) ?? [];
    l.push({ startsAt: num(r.s), expiresAt: num(r.e) });
    by.set(k, l);
  }
  return new Map(
    cards.map((c) => [c, keys.map((key) => ({ key, ...statusAt(by.get(`${c}\u0000${key}`) ?? [], now) }))]),
  );
}
