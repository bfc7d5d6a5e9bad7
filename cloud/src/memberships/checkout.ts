// A membership paid through the payment provider. The provider's checkout tops the buyer's card
// up (an ordinary `payments` row, credited once by the existing webhook), and a membership
// checkout row remembers what the money is for. Once the payment is credited, settling buys the
// membership from the wallet, exactly as a wallet purchase (one ledger operation, badge credited).
// Settling is idempotent (pending → settled under a row lock) and runs after each provider
// webhook and whenever the buyer looks at the membership. The pattern (provider-purchase.ts) is
// shared with tickets paid by card.
import { createHash, randomUUID } from 'node:crypto';
import { type Db, num } from '../db/connect.js';
import { resolveCards } from '../ledger/cards.js';
import { LedgerError } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import type { PaymentProvider } from '../payments/provider.js';
import { checkoutOfRaceWinner } from './checkout-race.js';
import { type PriceChoice, priceMembership } from './pricing.js';
import { type Product, requireProduct } from './products.js';
import { openProviderSession, type SettleResult, settleProviderPurchases } from './provider-purchase.js';
import { buyMembership } from './purchase.js';

export interface CheckoutInput extends PriceChoice {
  cardUid: string;
  successUrl: string;
  cancelUrl: string;
  /** The request's Idempotency-Key: the same key opens the same session. */
  key: string;
  createdBy: string;
}

export interface CheckoutView {
  checkoutId: string;
  sessionId: string;
  url: string;
  amount: number;
  status: string;
}

export async function openMembershipCheckout(
  db: Db,
  provider: PaymentProvider,
  venue: VenueCtx,
  product: Product,
  input: CheckoutInput,
): Promise<CheckoutView> {
  const priced = priceMembership(product, input);
  if (product.asset !== 'EUR' || priced.amount < 100)
    throw new LedgerError('not-payable-online', 'online payment needs a EUR price of at least 1.00', 400);
  const reference = `ms_${createHash('sha256').update(`${venue.id}\u0000${input.key}`).digest('hex').slice(0, 32)}`;
  const prior = async () =>
    (
      await db.query<{
        id: string;
        session_id: string;
        url: string;
        amount: unknown;
        status: string;
        card_uid: string;
      }>(
        `SELECT c.id, c.session_id, p.url, c.amount, c.status, c.card_uid FROM payments p
         JOIN membership_checkouts c ON c.session_id = p.id WHERE p.reference = $1`,
        [reference],
      )
    ).rows[0];
  const view = (p: NonNullable<Awaited<ReturnType<typeof prior>>>): CheckoutView => {
    if (p.card_uid !== input.cardUid || num(p.amount) !== priced.amount)
      throw new LedgerError(
        'idempotency-conflict',
        `Idempotency-Key ${input.key} was used for another checkout`,
        409,
      );
    return { checkoutId: p.id, sessionId: p.session_id, url: p.url, amount: num(p.amount), status: p.status };
  };
  const before = await prior();
  if (before) return view(before);
  const walletId = await db.tx(async (tx) => {
    const card = (await resolveCards(tx, venue, [input.cardUid], new Set([input.cardUid]))).get(
      input.cardUid,
    );
    if (!card) throw new LedgerError('unknown-card', `card ${input.cardUid} unknown in this federation`, 404);
    if (card.blocked) throw new LedgerError('card-blocked', `card ${input.cardUid} is blocked`, 409);
    return card.walletId;
  });
  const checkoutId = randomUUID();
  const session = await openProviderSession(
    db,
    provider,
    {
      reference,
      venueId: venue.id,
      cardUid: input.cardUid,
      amount: priced.amount,
      successUrl: input.successUrl,
      cancelUrl: input.cancelUrl,
    },
    async (tx, sessionId) => {
      await tx.query(
        `INSERT INTO membership_checkouts (id, session_id, product_id, wallet_id, card_uid, amount, bracket, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          checkoutId,
          sessionId,
          product.id,
          walletId,
          input.cardUid,
          priced.amount,
          priced.bracket,
          input.createdBy,
        ],
      );
    },
  );
  if (!session) return checkoutOfRaceWinner(prior, view);
  return {
    checkoutId,
    sessionId: session.sessionId,
    url: session.url,
    amount: priced.amount,
    status: 'pending',
  };
}

export type { SettleResult };

/** Buys the memberships whose provider payment has been credited to the wallet. */
export function settleMembershipCheckouts(
  db: Db,
  provider: string,
  o: { walletId?: number; log?: { warn(obj: object, msg: string): void } } = {},
): Promise<SettleResult> {
  return settleProviderPurchases(db, {
    table: 'membership_checkouts',
    walletId: o.walletId,
    log: o.log,
    buy: async (tx, engine, c) => {
      const product = await requireProduct(tx, c.product_id as string);
      return buyMembership(tx, engine, product, {
        productId: product.id,
        walletId: num(c.wallet_id),
        amount: product.pricing === 'free' ? num(c.amount) : undefined,
        bracket: (c.bracket as string | null) ?? undefined,
        paidBy: provider,
        createdBy: c.created_by as string,
      });
    },
    settledColumns: (p) => ({ period_id: p.periodId }),
  });
}
