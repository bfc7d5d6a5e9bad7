// Ending memberships: the holder turning renewal reminders off (and on again), and an admin
// cancelling a membership (bought by mistake, member leaving under the statutes).
//
// What a cancelled period means: it counts up to the instant it was cancelled and no further
// (status.ts: periodEnd = least(expires_at, cancelled_at)); a period cancelled before it started
// (an advance renewal) does not count at all. Cancelling period P cancels P and every later period
// of the same product for the same wallet that has not ended (the renewals chained after it: left
// alone, they would make the holder a member again when P would have expired). Earlier periods
// are untouched, so cancelling an advance renewal bought by mistake keeps the current period.
// The wallet's status, the gateways' config document and the leases all read periodEnd, so the
// card is "expired" (not a member) everywhere from the next refresh on.
//
// Ledger side, one operation through the posting engine (double entry, hash-chained log):
//   · the badge: one unit per cancelled period goes back to the seller's issuance account (as
//     much as the wallet still holds: a badge already voided at a card refund cannot come back);
//   · the refund, if the admin asks for one: from the seller venue's account to the wallet, in
//     the asset the fee was paid in. Wallet-paid fees come back to the balance they left; fees
//     paid through the provider were a top-up of the wallet (refundable EUR) followed by a
//     wallet purchase, so they come back to the wallet as refundable EUR too, exactly as ticket
//     refunds do (ticketing/ledger.ts refundTicketsMoney) — the holder then asks for a payout the
//     usual way. The venue account may not go negative: a refund it cannot cover is refused (409)
//     and nothing changes.
// Refund rules: 'full' = the fees of the cancelled periods; 'pro-rata' = per period, fee × unused
// whole days ÷ days of the period, rounded down (the day begun counts as used; a period that has
// not started is unused in full); 'amount' = an amount chosen by the admin, at most the fees paid
// (given back from the latest period first); 'none'. Per period, refund <= fee (a CHECK backs it).
import { num, type Queryable, type Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { type AssetAmount, LedgerError, type Posting } from '../ledger/types.js';
import { sys } from '../ledger/venue.js';
import { walletMembership } from './status.js';

const DAY = 86_400_000;

export const REFUND_MODES = ['none', 'pro-rata', 'full', 'amount'] as const;
export type RefundMode = (typeof REFUND_MODES)[number];

export interface CancelInput {
  periodId: string;
  /** The venue the admin acts for: only memberships it sells can be cancelled there. */
  venueId: string;
  reason: string;
  refund: RefundMode;
  /** refund 'amount': minor units of the fee's asset. */
  amount?: number;
  cancelledBy: string;
  now?: number;
}

export interface CancelledPeriod {
  periodId: string;
  startsAt: string;
  expiresAt: string;
  amount: number;
  refund: number;
  paidBy: string;
}

export interface CancelView {
  periodId: string;
  productId: string;
  productName: string;
  walletId: number;
  cancelledAt: string;
  reason: string;
  refundMode: RefundMode;
  periods: CancelledPeriod[];
  refunded: AssetAmount[];
  badge: { asset: string; returned: number };
  operationId: string | null;
  logSeqs: number[];
  balances: AssetAmount[];
  /** The wallet's membership at the seller venue right after (no longer valid through this product). */
  status: { state: string; validFrom: string | null; validUntil: string | null };
}

interface PeriodSpan {
  amount: number;
  startsAt: number;
  expiresAt: number;
}

/** Fee × unused whole days ÷ days of the period, rounded down (integer minor units). */
export function proRataRefund(p: PeriodSpan, now: number): number {
  if (p.amount <= 0) return 0;
  const totalDays = Math.round((p.expiresAt - p.startsAt) / DAY);
  const unusedDays = Math.floor((p.expiresAt - Math.max(now, p.startsAt)) / DAY);
  if (totalDays <= 0 || unusedDays <= 0) return 0;
  if (unusedDays >= totalDays) return p.amount;
  return Number((BigInt(p.amount) * BigInt(unusedDays)) / BigInt(totalDays));
}

/** Refund of each period (same order as `periods`) for a mode. */
export function refundsFor(periods: PeriodSpan[], mode: RefundMode, now: number, amount?: number): number[] {
  if (mode === 'none') return periods.map(() => 0);
  if (mode === 'full') return periods.map((p) => p.amount);
  if (mode === 'pro-rata') return periods.map((p) => proRataRefund(p, now));
  if (amount === undefined || !Number.isSafeInteger(amount) || amount < 0)
    throw new LedgerError('bad-amount', 'refund amount must be a non-negative integer (minor units)', 400);
  const paid = periods.reduce((s, p) => s + p.amount, 0);
  if (amount > paid)
    throw new LedgerError('refund-exceeds-fee', `refund ${amount} is more than the ${paid} paid`, 400);
  const out = periods.map(() => 0);
  let left = amount;
  for (let i = periods.length - 1; i >= 0 && left > 0; i--) {
    out[i] = Math.min(left, periods[i].amount);
    left -= out[i];
  }
  return out;
}

interface PeriodRow {
  id: string;
  productId: string;
  walletId: number;
  s: number;
  e: number;
  amount: number;
  asset: string;
  paidBy: string;
  voided: boolean;
  cancelledAt: number | null;
}

const periodCols = `m.id, m.product_id, m.wallet_id, (extract(epoch FROM m.starts_at) * 1000)::int8 AS s,
  (extract(epoch FROM m.expires_at) * 1000)::int8 AS e, m.amount, m.asset, m.paid_by, m.voided_at IS NOT NULL AS voided,
  (extract(epoch FROM m.cancelled_at) * 1000)::int8 AS c`;

const periodOf = (r: Record<string, unknown>): PeriodRow => ({
  id: r.id as string,
  productId: r.product_id as string,
  walletId: num(r.wallet_id),
  s: num(r.s),
  e: num(r.e),
  amount: num(r.amount),
  asset: r.asset as string,
  paidBy: r.paid_by as string,
  voided: r.voided as boolean,
  cancelledAt: r.c === null ? null : num(r.c),
});

const iso = (ms: number) => new Date(ms).toISOString();

function amountWords(asset: string, amount: number): string {
  return asset === 'EUR' || asset.startsWith('LOC:')
    ? `${(amount / 100).toFixed(2)} ${asset === 'EUR' ? '€' : asset}`
    : `${amount} ${asset}`;
}

/**
 * Cancels a membership period (and the renewals chained after it) at `now`. Runs in the caller's
 * transaction with the log lock held (idempotentWrite), so two cancellations are serialised and
 * the second one finds the first's cancelled_at (409 already-cancelled).
 */
export async function cancelMembership(
  tx: Tx,
  engine: PostingEngine,
  input: CancelInput,
): Promise<CancelView> {
  const now = input.now ?? Date.now();
  const head = await tx.query<Record<string, unknown>>(
    `SELECT ${periodCols}, p.venue_id, p.federation_id, p.name, p.badge_asset
     FROM membership_periods m JOIN membership_products p ON p.id = m.product_id
     WHERE m.id = $1 FOR UPDATE OF m`,
    [input.periodId],
  );
  const h = head.rows[0];
  // Another venue's membership answers like an unknown one (no discovery across tenants).
  if (!h || h.venue_id !== input.venueId)
    throw new LedgerError(
      'unknown-membership',
      `no membership ${input.periodId} sold at ${input.venueId}`,
      404,
    );
  const target = periodOf(h);
  if (target.voided) throw new LedgerError('membership-voided', `membership ${target.id} was voided`, 409);
  if (target.cancelledAt !== null)
    throw new LedgerError(
      'already-cancelled',
      `membership ${target.id} was already cancelled on ${iso(target.cancelledAt)}`,
      409,
    );
  if (target.e <= now)
    throw new LedgerError('membership-ended', `membership ${target.id} ended on ${iso(target.e)}`, 409);
  const chain = (
    await tx.query<Record<string, unknown>>(
      `SELECT ${periodCols} FROM membership_periods m
       WHERE m.product_id = $1 AND m.wallet_id = $2 AND m.voided_at IS NULL AND m.cancelled_at IS NULL
         AND m.starts_at >= $3 AND m.expires_at > $4
       ORDER BY m.starts_at, m.id FOR UPDATE`,
      [target.productId, target.walletId, new Date(target.s), new Date(now)],
    )
  ).rows.map(periodOf);
  const refunds = refundsFor(
    chain.map((p) => ({ amount: p.amount, startsAt: p.s, expiresAt: p.e })),
    input.refund,
    now,
    input.amount,
  );
  const venueId = h.venue_id as string;
  const badgeAsset = h.badge_asset as string;
  const walletId = target.walletId;

  const postings: Posting[] = [];
  const refundByAsset = new Map<string, number>();
  chain.forEach((p, i) => {
    if (refunds[i] > 0) refundByAsset.set(p.asset, (refundByAsset.get(p.asset) ?? 0) + refunds[i]);
  });
  for (const [asset, amount] of refundByAsset)
    postings.push({
      asset,
      from: sys.venue(venueId),
      to: { wallet: walletId },
      amount,
      kind: 'membership-refund',
    });
  const held = await tx.query<{ balance: unknown }>(
    'SELECT balance FROM accounts WHERE wallet_id = $1 AND asset = $2',
    [walletId, badgeAsset],
  );
  const badges = Math.min(chain.length, Math.max(0, num(held.rows[0]?.balance ?? 0)));
  if (badges > 0)
    postings.push({
      asset: badgeAsset,
      from: { wallet: walletId },
      to: sys.issuance(venueId),
      amount: badges,
      kind: 'membership-cancel',
    });

  let operationId: string | null = null;
  let logSeqs: number[] = [];
  let balances: AssetAmount[] = [];
  if (postings.length) {
    operationId = `mc-${target.id}`;
    const [r] = await engine.apply([
      {
        id: operationId,
        venueId,
        kind: 'membership-cancel',
        bodyHash: Buffer.alloc(32),
        at: now,
        postings,
        reportWallet: walletId,
        extra: { periodIds: chain.map((p) => p.id), productId: target.productId },
      },
    ]);
    if (r.status !== 'applied')
      throw new LedgerError(
        r.reason ?? 'rejected',
        r.reason === 'insufficient-funds'
          ? `the venue account cannot cover the refund (${r.detail})`
          : (r.detail ?? 'membership cancellation refused'),
        409,
      );
    logSeqs = r.seqs ?? [];
    balances = r.balances ?? [];
  }
  for (let i = 0; i < chain.length; i++)
    await tx.query(
      `UPDATE membership_periods SET cancelled_at = $2, cancel_reason = $3, cancelled_by = $4, cancel_refund = $5,
         cancel_operation_id = $6 WHERE id = $1`,
      [chain[i].id, new Date(now), input.reason, input.cancelledBy, refunds[i], operationId],
    );
  const refunded = [...refundByAsset].map(([asset, amount]) => ({ asset, amount }));
  await noticeHolder(tx, walletId, h.name as string, now, input.reason, refunded);
  const s = await walletMembership(
    tx,
    { id: venueId, federationId: h.federation_id as string },
    walletId,
    now,
  );
  return {
    periodId: target.id,
    productId: target.productId,
    productName: h.name as string,
    walletId,
    cancelledAt: iso(now),
    reason: input.reason,
    refundMode: input.refund,
    periods: chain.map((p, i) => ({
      periodId: p.id,
      startsAt: iso(p.s),
      expiresAt: iso(p.e),
      amount: p.amount,
      refund: refunds[i],
      paidBy: p.paidBy,
    })),
    refunded,
    badge: { asset: badgeAsset, returned: badges },
    operationId,
    logSeqs,
    balances,
    status: {
      state: s.state,
      validFrom: s.validFrom === null ? null : iso(s.validFrom),
      validUntil: s.validUntil === null ? null : iso(s.validUntil),
    },
  };
}

/** The holder (and the wallet's guardians) learn of the cancellation by email (outbox). */
async function noticeHolder(
  tx: Tx,
  walletId: number,
  product: string,
  now: number,
  reason: string,
  refunded: AssetAmount[],
): Promise<void> {
  const to = await tx.query<{ email: string }>(
    `SELECT lower(p.email) AS email FROM wallets w JOIN people p ON p.id = w.person_id
     WHERE w.id = $1 AND p.email IS NOT NULL
     UNION SELECT email FROM guardian_grants WHERE wallet_id = $1 AND revoked_at IS NULL`,
    [walletId],
  );
  if (!to.rows.length) return;
  const day = iso(now).slice(0, 10);
  const money = refunded.map((r) => amountWords(r.asset, r.amount)).join(', ');
  const subject = `Adhésion « ${product} » résiliée / Membership "${product}" cancelled`;
  const body =
    `Bonjour,\n\nVotre adhésion « ${product} » a été résiliée le ${day}.\nMotif : ${reason}\n` +
    (money ? `Remboursement crédité sur votre porte-monnaie : ${money}.\n` : 'Aucun remboursement.\n') +
    `\n-- \nEnglish: your membership "${product}" was cancelled on ${day}. Reason: ${reason}. ` +
    (money ? `Refund credited to your wallet: ${money}.\n` : 'No refund.\n');
  for (const t of to.rows)
    await tx.query(
      "INSERT INTO email_outbox (to_address, subject, body, kind, wallet_id) VALUES ($1, $2, $3, 'membership-cancelled', $4)",
      [t.email, subject, body, walletId],
    );
}

export interface RemindersView {
  productId: string;
  periodId: string;
  walletId: number;
  expiresAt: string;
  reminders: boolean;
}

/**
 * Renewal reminders on or off for a wallet's running membership of a product (the period the
 * reminder job looks at: the latest one not cancelled). The period stays valid to its end either
 * way; buying a renewal later starts a period with reminders on again.
 */
export async function setRenewalReminders(
  q: Queryable,
  productId: string,
  walletId: number,
  enabled: boolean,
  now = Date.now(),
): Promise<RemindersView> {
  const { rows } = await q.query<{ id: string; e: unknown; off: boolean }>(
    `UPDATE membership_periods SET reminders_off_at = CASE WHEN $3 THEN NULL ELSE coalesce(reminders_off_at, $4) END
     WHERE id = (SELECT id FROM membership_periods WHERE product_id = $1 AND wallet_id = $2 AND voided_at IS NULL
                   AND cancelled_at IS NULL AND expires_at > $4 ORDER BY expires_at DESC LIMIT 1)
     RETURNING id, (extract(epoch FROM expires_at) * 1000)::int8 AS e, reminders_off_at IS NOT NULL AS off`,
    [productId, walletId, enabled, new Date(now)],
  );
  const r = rows[0];
  if (!r) throw new LedgerError('not-a-member', 'no running membership of this product for this wallet', 409);
  return { productId, periodId: r.id, walletId, expiresAt: iso(num(r.e)), reminders: !r.off };
}

/** A period's product and wallet (for the staff reminders route's tenant check). */
export async function periodOwner(
  q: Queryable,
  periodId: string,
): Promise<{ productId: string; walletId: number } | null> {
  const { rows } = await q.query<{ product_id: string; wallet_id: unknown }>(
    'SELECT product_id, wallet_id FROM membership_periods WHERE id = $1',
    [periodId],
  );
  return rows[0] ? { productId: rows[0].product_id, walletId: num(rows[0].wallet_id) } : null;
}
