// Money that reached a wallet after its card was returned. A re-issue settles and closes the
// card's anonymous wallet, but a top-up paid before the return and synced after it (or the void of
// a spend made before it) is booked on that closed wallet (docs/sync-api.md, "Re-issued cards"),
// and no card answers for it any more. The venue that re-issued the card lists such wallets and
// settles them exactly as the re-issue did: refundable assets paid out through its payout account
// with a paid refund record, the others voided or kept per its refund policy, in one ledger
// operation. So money is never stuck, and what was refundable stays refundable.
import { num, type Queryable, type Tx } from '../db/connect.js';
import type { PostingEngine } from './engine.js';
import { post, walletBalances } from './lifecycle.js';
import {
  classifyRefund,
  describeLines,
  type RefundQuote,
  recordPaidRefund,
  refundPostings,
} from './refund.js';
import { type AssetAmount, LedgerError } from './types.js';
import type { VenueCtx } from './venue.js';

export interface ClosedWallet extends RefundQuote {
  walletId: number;
  reissueId: string;
  /** When the card was re-issued (ISO 8601). */
  reissuedAt: string;
  /** Everything the wallet holds now (payout + voided + kept, and any other venue's asset). */
  balances: AssetAmount[];
  /** Its pseudonymous log accounts, as on the re-issue receipt the former holder kept. */
  accounts: string[];
  /** Something would be paid out or voided: settling changes the ledger. */
  settleable: boolean;
}

export interface ClosedWalletSettlement extends RefundQuote {
  walletId: number;
  reissueId: string;
  /** The paid refund record (listed with every other payout). */
  refundId: string;
  payoutMethod: string | null;
  payoutReference: string | null;
  /** What stays in the wallet (the kept lines, as balances). */
  balances: AssetAmount[];
  logSeqs: number[];
}

export interface SettleOptions {
  by: string;
  payoutMethod?: string;
  payoutReference?: string;
  /** The payout the admin saw and hands over: refused if the wallet moved since. */
  expectedPayout?: AssetAmount[];
}

interface ReissueRow {
  reissueId: string;
  cardUid: string;
  reissuedAt: string;
}

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();

/**
 * Wallets this venue closed by re-issuing their card that hold something again, latest re-issue
 * first, with what a settlement would do per asset under the venue's policy. Read-only.
 */
export async function listClosedWallets(
  q: Queryable,
  venue: VenueCtx,
  limit: number,
): Promise<ClosedWallet[]> {
  const { rows } = await q.query<{
    wallet_id: unknown;
    reissue_id: string;
    card_uid: string;
    created_at: unknown;
    account_id: unknown;
    asset: string;
    balance: unknown;
  }>(
    `WITH held AS (
       SELECT r.old_wallet_id AS wallet_id, r.id AS reissue_id, r.card_uid, r.created_at
       FROM card_reissues r JOIN wallets w ON w.id = r.old_wallet_id
       WHERE r.venue_id = $1 AND w.closed_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM accounts a WHERE a.wallet_id = r.old_wallet_id AND a.balance <> 0)
       ORDER BY r.created_at DESC, r.id
       LIMIT $2)
     SELECT h.wallet_id, h.reissue_id, h.card_uid, h.created_at, a.id AS account_id, a.asset, a.balance
     FROM held h JOIN accounts a ON a.wallet_id = h.wallet_id
     ORDER BY h.created_at DESC, h.reissue_id, a.asset`,
    [venue.id, limit],
  );
  const out: ClosedWallet[] = [];
  let cur: ClosedWallet | null = null;
  for (const r of rows) {
    const walletId = num(r.wallet_id);
    if (!cur || cur.walletId !== walletId) {
      cur = {
        walletId,
        reissueId: r.reissue_id,
        reissuedAt: iso(r.created_at),
        cardUid: r.card_uid,
        balances: [],
        accounts: [],
        payout: [],
        kept: [],
        voided: [],
        settleable: false,
      };
      out.push(cur);
    }
    cur.accounts.push(`a${num(r.account_id)}`);
    const amount = num(r.balance);
    if (amount !== 0) cur.balances.push({ asset: r.asset, amount });
  }
  for (const w of out) {
    Object.assign(w, classifyRefund(venue, w.balances));
    w.settleable = w.payout.length + w.voided.length > 0;
  }
  return out;
}

/** The re-issue that closed `walletId` at this venue; 404 for any other wallet (or tenant). */
async function closedHere(tx: Tx, venue: VenueCtx, walletId: number): Promise<ReissueRow> {
  const { rows } = await tx.query<{ id: string; card_uid: string; created_at: unknown }>(
    `SELECT r.id, r.card_uid, r.created_at FROM card_reissues r JOIN wallets w ON w.id = r.old_wallet_id
     WHERE r.old_wallet_id = $1 AND r.venue_id = $2 AND w.closed_at IS NOT NULL`,
    [walletId, venue.id],
  );
  const r = rows[0];
  if (!r)
    throw new LedgerError(
      'unknown-closed-wallet',
      `no wallet ${walletId} was closed by a card re-issue at ${venue.id}`,
      404,
    );
  return { reissueId: r.id, cardUid: r.card_uid, reissuedAt: iso(r.created_at) };
}

const sameLines = (a: AssetAmount[], b: AssetAmount[]): boolean => {
  const key = (l: AssetAmount[]) =>
    l
      .map((x) => `${x.asset}=${x.amount}`)
      .sort()
      .join(',');
  return key(a) === key(b);
};

/**
 * Pays out and voids, per the venue's policy, what a closed wallet holds now: one ledger
 * operation and one paid refund record, like the re-issue that closed it. Runs under the log lock
 * (engine), so the balances it reads are the ones it moves.
 */
export async function settleClosedWallet(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  walletId: number,
  o: SettleOptions,
): Promise<ClosedWalletSettlement> {
  const reissue = await closedHere(tx, venue, walletId);
  const split = classifyRefund(venue, await walletBalances(engine, walletId));
  if (!split.payout.length && !split.voided.length)
    throw new LedgerError(
      'nothing-to-settle',
      `closed wallet ${walletId} holds nothing to pay out or void (kept: ${describeLines(split.kept)})`,
      409,
    );
  if (o.expectedPayout && !sameLines(o.expectedPayout, split.payout))
    throw new LedgerError(
      'payout-changed',
      `closed wallet ${walletId} would pay out ${describeLines(split.payout)}, not ${describeLines(o.expectedPayout)}: list it again`,
      409,
    );
  if (split.payout.length && !o.payoutMethod)
    throw new LedgerError(
      'payout-method-required',
      `closed wallet ${walletId} holds refundable money (${describeLines(split.payout)}): say how it is paid out`,
      400,
    );
  const postings = refundPostings(venue, walletId, split);
  const logSeqs = await post(engine, venue, 'closed-wallet-settle', postings);
  const quote: RefundQuote = { cardUid: reissue.cardUid, ...split };
  const payoutMethod = split.payout.length ? o.payoutMethod! : null;
  const payoutReference = split.payout.length ? (o.payoutReference ?? null) : null;
  const refundId = await recordPaidRefund(tx, {
    venueId: venue.id,
    cardUid: reissue.cardUid,
    walletId,
    quote,
    by: o.by,
    payoutMethod,
    payoutReference,
    payout: { ...quote, logSeqs, closedWalletId: walletId, reissueId: reissue.reissueId },
  });
  return {
    walletId,
    reissueId: reissue.reissueId,
    ...quote,
    refundId,
    payoutMethod,
    payoutReference,
    balances: engine.balances(walletId).filter((b) => b.amount !== 0),
    logSeqs,
  };
}
