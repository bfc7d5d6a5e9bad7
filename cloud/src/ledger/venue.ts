// The tenant context every ledger operation runs in: a venue, its federation and the assets
// usable there.
import { num, type Queryable } from '../db/connect.js';
import type { AssetKind } from '../db/schema.js';
import { LedgerError } from './types.js';

export interface AssetInfo {
  code: string;
  kind: AssetKind;
  refundable: boolean;
  venueId: string | null;
}

/** What a venue does with non-refundable balances at refund time (see docs/cloud-ledger.md). */
export type KeepOrVoid = 'keep' | 'void';

export interface VenuePolicy {
  refund?: { gift?: KeepOrVoid; loyalty?: KeepOrVoid; time?: KeepOrVoid; membership?: KeepOrVoid };
  /** Time currency → drink vouchers: every `minutes` spent gives `giftAmount` of GIFT:<venue>. */
  timeVoucher?: { minutes: number; giftAmount: number };
}

export interface VenueCtx {
  id: string;
  name: string;
  currency: string;
  federationId: string;
  allowAnonymous: boolean;
  configVersion: number;
  standInPerCard: number;
  standInPerVenue: number;
  policy: VenuePolicy;
  pointsOfSale: unknown[];
  /** Assets usable at this venue: federation-wide ones plus the venue's own. */
  assets: Map<string, AssetInfo>;
}

export async function loadVenue(q: Queryable, venueId: string): Promise<VenueCtx | null> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT v.id, v.name, v.currency, v.federation_id, v.config_version, v.stand_in_per_card, v.stand_in_per_venue,
            v.policy, v.points_of_sale, f.allow_anonymous
     FROM venues v JOIN federations f ON f.id = v.federation_id WHERE v.id = $1`,
    [venueId],
  );
  const v = rows[0];
  if (!v) return null;
  const a = await q.query<{ code: string; kind: AssetKind; refundable: boolean; venue_id: string | null }>(
    'SELECT code, kind, refundable, venue_id FROM assets WHERE federation_id = $1 AND (venue_id IS NULL OR venue_id = $2)',
    [v.federation_id, venueId],
  );
  return {
    id: v.id as string,
    name: v.name as string,
    currency: v.currency as string,
    federationId: v.federation_id as string,
    allowAnonymous: v.allow_anonymous as boolean,
    configVersion: num(v.config_version),
    standInPerCard: num(v.stand_in_per_card),
    standInPerVenue: num(v.stand_in_per_venue),
    policy: (v.policy ?? {}) as VenuePolicy,
    pointsOfSale: (v.points_of_sale ?? []) as unknown[],
    assets: new Map(
      a.rows.map((r) => [
        r.code,
        { code: r.code, kind: r.kind, refundable: r.refundable, venueId: r.venue_id },
      ]),
    ),
  };
}

export async function requireVenue(q: Queryable, venueId: string): Promise<VenueCtx> {
  const v = await loadVenue(q, venueId);
  if (!v) throw new LedgerError('unknown-venue', `unknown venue ${venueId}`, 404);
  return v;
}

/** Refundable at this venue: federated EUR anywhere, a venue's local currency at that venue. */
export function isRefundableHere(asset: AssetInfo, venueId: string): boolean {
  return asset.refundable && (asset.venueId === null || asset.venueId === venueId);
}

/** System account names. */
export const sys = {
  venue: (v: string) => ({ system: `venue:${v}` }),
  standIn: (v: string) => ({ system: `standin:${v}` }),
  payout: (v: string) => ({ system: `payout:${v}` }),
  forfeit: (v: string) => ({ system: `forfeit:${v}` }),
  funding: (v: string, method: string) => ({ system: `funding:${v}:${method}` }),
  issuance: (v: string) => ({ system: `issuance:${v}` }),
};
