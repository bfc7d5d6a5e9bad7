// Refund semantics per asset, shown to the cashier before confirming: refundable assets
// (federated EUR; the venue's own LOC at that venue) are paid out; gift, loyalty, time and
// membership are kept or voided per the venue policy (default: kept on the card).
import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import type { AssetAmount, Posting } from './types.js';
import { isRefundableHere, type KeepOrVoid, sys, type VenueCtx } from './venue.js';

export interface RefundQuote {
  cardUid: string;
  /** Paid out to the holder. */
  payout: AssetAmount[];
  /** Stays on the card (not refundable here, policy keep, or another venue's asset). */
  kept: AssetAmount[];
  /** Voided into the venue's forfeit account, with a log entry. */
  voided: AssetAmount[];
}

export function policyFor(venue: VenueCtx, kind: string): KeepOrVoid {
  const p = venue.policy.refund ?? {};
  const key =
    kind === 'gift'
      ? 'gift'
      : kind === 'loyalty'
        ? 'loyalty'
        : kind === 'time'
          ? 'time'
          : kind === 'membership'
            ? 'membership'
            : null;
  return key ? (p[key] ?? 'keep') : 'keep';
}

export async function refundQuote(q: Queryable, venue: VenueCtx, cardUid: string): Promise<RefundQuote> {
  const { rows } = await q.query<{ asset: string; balance: unknown }>(
    `SELECT a.asset, a.balance FROM cards c JOIN accounts a ON a.wallet_id = c.wallet_id
     WHERE c.uid = $1 AND c.federation_id = $2 AND a.balance > 0 ORDER BY a.asset`,
    [cardUid, venue.federationId],
  );
  return {
    cardUid,
    ...classifyRefund(
      venue,
      rows.map((r) => ({ asset: r.asset, amount: num(r.balance) })),
    ),
  };
}

/** Splits positive balances into paid out / voided / kept at this venue. */
export function classifyRefund(venue: VenueCtx, balances: AssetAmount[]): Omit<RefundQuote, 'cardUid'> {
  const quote: Omit<RefundQuote, 'cardUid'> = { payout: [], kept: [], voided: [] };
  for (const line of balances) {
    if (line.amount <= 0) continue;
    const asset = venue.assets.get(line.asset);
    if (!asset) quote.kept.push(line);
    else if (isRefundableHere(asset, venue.id)) quote.payout.push(line);
    else if (asset.venueId === venue.id || asset.venueId === null)
      (policyFor(venue, asset.kind) === 'void' ? quote.voided : quote.kept).push(line);
    else quote.kept.push(line);
  }
  return quote;
}

/**
 * The postings that carry out a split of a wallet's balances at this venue: what is paid out to its
 * payout account (`refund`), what its policy voids to its forfeit account (`refund-void`); kept
 * lines stay. Used by the refund, the card re-issue and the closed-wallet settlement alike.
 */
export function refundPostings(
  venue: VenueCtx,
  walletId: number,
  split: Pick<RefundQuote, 'payout' | 'voided'>,
): Posting[] {
  const w = { wallet: walletId };
  return [
    ...split.payout.map((l) => ({
      asset: l.asset,
      from: w,
      to: sys.payout(venue.id),
      amount: l.amount,
      kind: 'refund',
    })),
    ...split.voided.map((l) => ({
      asset: l.asset,
      from: w,
      to: sys.forfeit(venue.id),
      amount: l.amount,
      kind: 'refund-void',
    })),
  ];
}

/** Asset lines as text for error messages ("1200 EUR, 3 GIFT"). */
export const describeLines = (lines: AssetAmount[]): string =>
  lines.length ? lines.map((l) => `${l.amount} ${l.asset}`).join(', ') : 'nothing';

/**
 * Writes a refund record already paid (a payout made on the spot, by a card re-issue or a
 * closed-wallet settlement), so every payout is listed with the requested-then-approved ones.
 * `payout`: what the record's payout column keeps (the quote, the log seqs and any context).
 */
export async function recordPaidRefund(
  tx: Tx,
  r: {
    venueId: string;
    cardUid: string;
    walletId: number;
    quote: RefundQuote;
    by: string;
    payoutMethod: string | null;
    payoutReference: string | null;
    payout: object;
  },
): Promise<string> {
  const id = randomUUID();
  await tx.query(
    `INSERT INTO refund_requests (id, venue_id, card_uid, wallet_id, status, quote, requested_by, approved_by,
       payout_method, payout_reference, payout, decided_at)
     VALUES ($1, $2, $3, $4, 'paid', $5, $6, $6, $7, $8, $9, now())`,
    [
      id,
      r.venueId,
      r.cardUid,
      r.walletId,
      JSON.stringify(r.quote),
      r.by,
      r.payoutMethod ?? 'none',
      r.payoutReference,
      JSON.stringify(r.payout),
    ],
  );
  return id;
}
