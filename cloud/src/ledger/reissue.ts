// Returned card → refunded, unlinked, re-issued. At a venue desk the card's anonymous wallet is
// settled per asset exactly like a refund (refundable assets paid out through the venue's payout
// account with a paid refund record; non-refundable ones voided into its forfeit account or kept in
// the closed wallet, per the venue's refund policy), the wallet is closed and detached from the
// card, and the card answers from now on for a fresh empty anonymous wallet. The closed wallet's
// transfers stay in the public log (the receipt lists its pseudonymous account ids so the former
// holder can still check them); the card's holder page, leases and log account list only ever see
// the new wallet. A card linked to a person's wallet is only detached: the balance belongs to the
// person, not to the plastic.

import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import { cardIssue } from '../public/wallet-link.js';
import type { PostingEngine } from './engine.js';
import { loadCard, post, walletBalances } from './lifecycle.js';
import {
  classifyRefund,
  describeLines,
  type RefundQuote,
  recordPaidRefund,
  refundPostings,
} from './refund.js';
import { LedgerError } from './types.js';
import type { VenueCtx } from './venue.js';

export type ReissueMode = 'refunded' | 'detached';

export interface ReissuePreview extends RefundQuote {
  /** 'refunded': anonymous wallet settled and closed; 'detached': the person keeps the wallet. */
  mode: ReissueMode;
  /** A cashier may reissue only when nothing is paid out (cash leaving the till needs an admin). */
  needsAdmin: boolean;
  /** Why the card cannot be re-issued now (null: it can). */
  blocker: { error: string; message: string } | null;
}

export interface ReissueResult extends RefundQuote {
  reissueId: string;
  mode: ReissueMode;
  /** Paid refund record of the payout (null when nothing was paid out or voided). */
  refundId: string | null;
  payoutMethod: string | null;
  payoutReference: string | null;
  /** Receipt for the former holder: the closed wallet's pseudonymous log accounts. */
  closedWalletAccounts: string[];
  logSeqs: number[];
  /** The card's issue number now: its wallet link changed with it (a new sticker for the next holder). */
  walletIssue: number;
}

interface CardState {
  walletId: number | null;
  blocked: boolean;
  replacedBy: string | null;
  personId: string | null;
}

/** The first reason the card cannot be re-issued, or null. Pure: states in, verdict out. */
export function reissueBlocker(
  uid: string,
  card: CardState | null,
  pendingRefund: string | null,
  accountCount: number,
  liveTickets = 0,
): { error: string; message: string; status: number } | null {
  if (!card) return { error: 'unknown-card', message: `card ${uid} unknown in this federation`, status: 404 };
  if (card.blocked)
    return {
      error: 'card-blocked',
      message: card.replacedBy
        ? `card ${uid} was reported lost and replaced by ${card.replacedBy}: it cannot be re-issued`
        : `card ${uid} is blocked: unblock or replace it first`,
      status: 409,
    };
  if (pendingRefund)
    return {
      error: 'refund-pending',
      message: `refund ${pendingRefund} is pending for ${uid}: approve or reject it first`,
      status: 409,
    };
  // A card-bound ticket admits whoever taps the card: the next holder must not inherit it.
  if (liveTickets > 0)
    return {
      error: 'card-has-tickets',
      message: `card ${uid} is bound to ${liveTickets} unused ticket(s): refund them or bind them elsewhere first`,
      status: 409,
    };
  if (card.walletId === null || accountCount === 0)
    return {
      error: 'card-already-clean',
      message: `card ${uid} has no balance nor history: hand it out as it is`,
      status: 409,
    };
  return null;
}

async function cardFacts(
  q: Queryable,
  uid: string,
  card: CardState | null,
): Promise<{ pending: string | null; accounts: number; tickets: number }> {
  const pending = await q.query<{ id: string }>(
    "SELECT id FROM refund_requests WHERE card_uid = $1 AND status = 'requested' LIMIT 1",
    [uid],
  );
  let accounts = 0;
  if (card?.walletId != null) {
    const a = await q.query<{ n: unknown }>('SELECT count(*) AS n FROM accounts WHERE wallet_id = $1', [
      card.walletId,
    ]);
    accounts = num(a.rows[0].n);
  }
  const tickets = await q.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM tickets
     WHERE card_uid = $1 AND status = 'valid' AND checked_in_at IS NULL AND valid_until > now()`,
    [uid],
  );
  return { pending: pending.rows[0]?.id ?? null, accounts, tickets: num(tickets.rows[0].n) };
}

/** What a reissue would do, per asset, shown to the cashier before confirming. Read-only. */
export async function reissuePreview(q: Queryable, venue: VenueCtx, uid: string): Promise<ReissuePreview> {
  const { rows } = await q.query<{
    wallet_id: unknown;
    blocked: boolean;
    replaced_by: string | null;
    person_id: string | null;
  }>(
    `SELECT c.wallet_id, c.blocked, c.replaced_by, w.person_id
     FROM cards c LEFT JOIN wallets w ON w.id = c.wallet_id WHERE c.uid = $1 AND c.federation_id = $2`,
    [uid, venue.federationId],
  );
  const r = rows[0];
  const card: CardState | null = r
    ? {
        walletId: r.wallet_id === null ? null : num(r.wallet_id),
        blocked: r.blocked,
        replacedBy: r.replaced_by,
        personId: r.person_id,
      }
    : null;
  const facts = await cardFacts(q, uid, card);
  const blocker = reissueBlocker(uid, card, facts.pending, facts.accounts, facts.tickets);
  if (blocker?.status === 404) throw new LedgerError(blocker.error, blocker.message, 404);
  const mode: ReissueMode = card?.personId ? 'detached' : 'refunded';
  let split: Omit<RefundQuote, 'cardUid'> = { payout: [], kept: [], voided: [] };
  if (mode === 'refunded' && card?.walletId != null) {
    const b = await q.query<{ asset: string; balance: unknown }>(
      'SELECT asset, balance FROM accounts WHERE wallet_id = $1 AND balance > 0 ORDER BY asset',
      [card.walletId],
    );
    split = classifyRefund(
      venue,
      b.rows.map((x) => ({ asset: x.asset, amount: num(x.balance) })),
    );
  }
  return {
    cardUid: uid,
    ...split,
    mode,
    needsAdmin: split.payout.length > 0,
    blocker: blocker ? { error: blocker.error, message: blocker.message } : null,
  };
}

export interface ReissueOptions {
  by: string;
  /** Cashiers may not pay out (refund approval is an admin's): refused when there is a payout. */
  mayPayOut: boolean;
  payoutMethod?: string;
  payoutReference?: string;
}

/** Settles, closes and detaches the card's wallet and links the card to a fresh one. */
export async function reissueCard(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uid: string,
  o: ReissueOptions,
): Promise<ReissueResult> {
  const card = await loadCard(tx, venue, uid);
  const facts = await cardFacts(tx, uid, card);
  const blocker = reissueBlocker(uid, card, facts.pending, facts.accounts, facts.tickets);
  if (blocker) throw new LedgerError(blocker.error, blocker.message, blocker.status);
  const oldWallet = card!.walletId!;
  const mode: ReissueMode = card!.personId ? 'detached' : 'refunded';

  let split: Omit<RefundQuote, 'cardUid'> = { payout: [], kept: [], voided: [] };
  let seqs: number[] = [];
  let refundId: string | null = null;
  if (mode === 'refunded') {
    split = classifyRefund(venue, await walletBalances(engine, oldWallet));
    if (split.payout.length && !o.mayPayOut)
      throw new LedgerError(
        'approval-required',
        `card ${uid} holds refundable money (${describeLines(split.payout)}): a venue admin must pay it out`,
        403,
      );
    if (split.payout.length && !o.payoutMethod)
      throw new LedgerError(
        'payout-method-required',
        `card ${uid} holds refundable money (${describeLines(split.payout)}): say how it is paid out`,
        400,
      );
    const postings = refundPostings(venue, oldWallet, split);
    seqs = await post(engine, venue, 'card-reissue', postings);
    if (postings.length) {
      // The same paid refund record the refund flow writes, so payouts are listed in one place.
      const quote = { cardUid: uid, ...split };
      refundId = await recordPaidRefund(tx, {
        venueId: venue.id,
        cardUid: uid,
        walletId: oldWallet,
        quote,
        by: o.by,
        payoutMethod: split.payout.length ? o.payoutMethod! : null,
        payoutReference: o.payoutReference ?? null,
        payout: { ...quote, logSeqs: seqs },
      });
    }
    await tx.query('UPDATE wallets SET closed_at = now() WHERE id = $1', [oldWallet]);
  }
  const fresh = await tx.query<{ id: unknown }>(
    'INSERT INTO wallets (federation_id) VALUES ($1) RETURNING id',
    [venue.federationId],
  );
  const newWallet = num(fresh.rows[0].id);
  await tx.query('UPDATE cards SET wallet_id = $2 WHERE uid = $1', [uid, newWallet]);
  const accounts = await tx.query<{ id: unknown }>(
    'SELECT id FROM accounts WHERE wallet_id = $1 ORDER BY id',
    [oldWallet],
  );
  const reissueId = randomUUID();
  const result: ReissueResult = {
    reissueId,
    cardUid: uid,
    mode,
    ...split,
    refundId,
    payoutMethod: split.payout.length ? o.payoutMethod! : null,
    payoutReference: split.payout.length ? (o.payoutReference ?? null) : null,
    closedWalletAccounts: accounts.rows.map((a) => `a${num(a.id)}`),
    logSeqs: seqs,
    walletIssue: (await cardIssue(tx, uid)) + 1,
  };
  await tx.query(
    `INSERT INTO card_reissues (id, venue_id, card_uid, old_wallet_id, new_wallet_id, refund_id, outcome, by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [reissueId, venue.id, uid, oldWallet, newWallet, refundId, JSON.stringify(result), o.by],
  );
  return result;
}
