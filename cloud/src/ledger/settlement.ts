// Inter-venue settlement for federated EUR. A venue's position is what the cooperative owes it:
// EUR on its venue account (venue:<v>: spent at the venue, plus what the cooperative fund disbursed
// to it) + refunds it paid out in cash (payout:<v>) − EUR it collected at its till
// (funding:<v>:cash|card, negative balances). Positive = the venue is owed money. Disbursements
// are reported apart, so spentAtVenue is what card holders spent there.
import { num, type Queryable } from '../db/connect.js';

export interface VenuePosition {
  venueId: string;
  spentAtVenue: number;
  /** EUR the cooperative fund disbursed to the venue (fund_disbursements), paid with the rest. */
  fundDisbursed: number;
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
      { venueId: v.id, spentAtVenue: 0, fundDisbursed: 0, refundsPaid: 0, topupsCollected: 0, net: 0 },
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
  const disbursed = await q.query<{ venue_id: string; total: unknown }>(
    `SELECT venue_id, sum(amount) AS total FROM fund_disbursements
      WHERE federation_id = $1 AND asset = 'EUR' GROUP BY venue_id`,
    [federationId],
  );
  for (const d of disbursed.rows) {
    const p = pos.get(d.venue_id);
    if (!p) continue;
    p.fundDisbursed = num(d.total);
    p.spentAtVenue -= p.fundDisbursed;
  }
  for (const p of pos.values()) p.net = p.spentAtVenue + p.fundDisbursed + p.refundsPaid - p.topupsCollected;
  return { asset: 'EUR', venues: [...pos.values()], onlineTopups };
}
