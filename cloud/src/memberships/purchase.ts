// Buying or renewing a membership, paid from the wallet balance: one ledger operation moves the fee
// (wallet → the selling venue's account) and credits one badge unit (venue issuance → wallet), and
// the period row is written in the same transaction. Runs in the caller's transaction with the log
// lock held (idempotentWrite / PostingEngine.begin), so a replay of the request returns the first
// answer and two renewals of one wallet cannot both extend from the same expiry.
import { randomUUID } from 'node:crypto';
import { num, type Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { type AssetAmount, LedgerError, type Posting } from '../ledger/types.js';
import { sys } from '../ledger/venue.js';
import { nextPeriod } from './period.js';
import { type PriceChoice, priceMembership } from './pricing.js';
import type { Product } from './products.js';

export interface PurchaseInput extends PriceChoice {
  productId: string;
  walletId: number;
  /** 'wallet', or the payment provider's name when the wallet was just topped up through it. */
  paidBy: string;
  createdBy: string;
  now?: number;
}

export interface PeriodView {
  periodId: string;
  productId: string;
  productName: string;
  walletId: number;
  startsAt: string;
  expiresAt: string;
  amount: number;
  asset: string;
  bracket: string | null;
  renewal: boolean;
  badgeAsset: string;
  operationId: string;
  logSeqs: number[];
  balances: AssetAmount[];
}

/**
 * The latest expiry of this product's periods for the wallet (the chain a renewal extends).
 * Cancelled periods are not part of it: buying again after a cancellation starts a new period now.
 */
async function currentExpiry(
  tx: Tx,
  productId: string,
  walletId: number,
): Promise<{ id: string; e: number } | null> {
  const { rows } = await tx.query<{ id: string; e: unknown }>(
    `SELECT id, (extract(epoch FROM expires_at) * 1000)::int8 AS e FROM membership_periods
     WHERE product_id = $1 AND wallet_id = $2 AND voided_at IS NULL AND cancelled_at IS NULL
     ORDER BY expires_at DESC LIMIT 1`,
    [productId, walletId],
  );
  return rows[0] ? { id: rows[0].id, e: num(rows[0].e) } : null;
}

export async function buyMembership(
  tx: Tx,
  engine: PostingEngine,
  product: Product,
  input: PurchaseInput,
): Promise<PeriodView> {
  if (!product.active) throw new LedgerError('product-inactive', `${product.name} is no longer sold`, 409);
  const now = input.now ?? Date.now();
  const priced = priceMembership(product, input);
  const cur = await currentExpiry(tx, product.id, input.walletId);
  const next = nextPeriod(cur?.e ?? null, now, product.durationMonths);
  if ('tooEarly' in next)
    throw new LedgerError(
      'renewal-too-early',
      `already a member until ${new Date(next.expiresAt).toISOString()}; renew later`,
      409,
    );
  const postings: Posting[] = [];
  if (priced.amount > 0)
    postings.push({
      asset: product.asset,
      from: { wallet: input.walletId },
      to: sys.venue(product.venueId),
      amount: priced.amount,
      kind: 'membership',
    });
  postings.push({
    asset: product.badgeAsset,
    from: sys.issuance(product.venueId),
    to: { wallet: input.walletId },
    amount: 1,
    kind: 'membership',
  });
  const periodId = randomUUID();
  const operationId = `ms-${periodId}`;
  const [r] = await engine.apply([
    {
      id: operationId,
      venueId: product.venueId,
      kind: 'membership',
      bodyHash: Buffer.alloc(32),
      at: now,
      postings,
      reportWallet: input.walletId,
      extra: { periodId, productId: product.id },
    },
  ]);
  if (r.status !== 'applied')
    throw new LedgerError(r.reason ?? 'rejected', r.detail ?? 'membership payment refused', 409);
  await tx.query(
    `INSERT INTO membership_periods (id, product_id, wallet_id, starts_at, expires_at, amount, asset, bracket, paid_by,
       operation_id, renews, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      periodId,
      product.id,
      input.walletId,
      new Date(next.startsAt),
      new Date(next.expiresAt),
      priced.amount,
      product.asset,
      priced.bracket,
      input.paidBy,
      operationId,
      next.renewal ? (cur?.id ?? null) : null,
      input.createdBy,
    ],
  );
  return {
    periodId,
    productId: product.id,
    productName: product.name,
    walletId: input.walletId,
    startsAt: new Date(next.startsAt).toISOString(),
    expiresAt: new Date(next.expiresAt).toISOString(),
    amount: priced.amount,
    asset: product.asset,
    bracket: priced.bracket,
    renewal: next.renewal,
    badgeAsset: product.badgeAsset,
    operationId,
    logSeqs: r.seqs ?? [],
    balances: r.balances ?? [],
  };
}
