// Inter-venue settlement for federated EUR. A venue's position is what the cooperative owes it:
// EUR spent at the venue (venue:<v>) + refunds it paid out in cash (payout:<v>) − EUR it collected
// at its till (funding:<v>:cash|card, negative balances). Positive = the venue is owed money.
import { num, type Queryable } from '../db/connect.js';

export interface VenuePosition {
  venueId: string;
  spentAtVenue: number;
  refundsPaid: number;
  topupsCollected: number;
  net: number;
}

export async function settlementReport(
  q: Queryable,
  federationId: string,
): Promise<{ asset: 'EUR'; venues: VenuePosition[]; onlineTopups: number }> {
  const { rows } = await q.query<{ system: string; balance: unknown }>(
    `SELECT a.system, a.balance FROM accounts a WHERE a.asset = 'EUR' AND a.system IS NOT NULL
       AND split_part(a.system, ':', 2) IN (SELECT id FROM venues WHERE federation_id = $1)`,
    [federationId],
  );
  const venues = await q.query<{ id: string }>('SELECT id FROM venues WHERE federation_id = $1 ORDER BY id', [
    federationId,
  ]);
  const pos = new Map(
    venues.rows.map((v) => [
      v.id,
      { venueId: v.id, spentAtVenue: 0, refundsPaid: 0, topupsCollected: 0, net: 0 },
    ]),
  );
  let onlineTopups = 0;
  for (const r of rows) {
    const [kind, venueId, method] = r.system.split(':');
    const p = pos.get(venueId);
    if (!p) continue;
    const b = num(r.balance);
    if (kind === 'venue') p.spentAtVenue += b;
    else if (kind === 'payout') p.refundsPaid += b;
    else if (kind === 'funding' && method === 'online') onlineTopups += -b;
    else if (kind === 'funding') p.topupsCollected += -b;
  }
  for (const p of pos.values()) p.net = p.spentAtVenue + p.refundsPaid - p.topupsCollected;
  return { asset: 'EUR', venues: [...pos.values()], onlineTopups };
}
