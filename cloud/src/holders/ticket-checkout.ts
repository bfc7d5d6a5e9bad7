// Tickets bought by a holder: from the wallet balance (placeOrder, as at the till), or by bank
// card: the provider charges what the balance lacks, tops a card of the wallet up through the
// existing webhook, then the order is placed from the wallet once (memberships/provider-purchase.ts,
// the pattern memberships use). If the seats are gone by then, the money stays on the wallet.
import { createHash, randomUUID } from 'node:crypto';
import { buf, type Db, num, type Queryable, type Tx } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError } from '../ledger/types.js';
import { requireVenue } from '../ledger/venue.js';
import { checkoutOfRaceWinner } from '../memberships/checkout-race.js';
import { openProviderSession, settleProviderPurchases } from '../memberships/provider-purchase.js';
import type { PaymentProvider } from '../payments/provider.js';
import { withRetry } from '../sync/batches.js';
import type { EventView } from '../ticketing/events.js';
import type { TicketKeys } from '../ticketing/keys.js';
import { type OrderItem, type OrderView, placeOrder } from '../ticketing/orders.js';

/** Stripe refuses charges under 0.50 €: a smaller shortfall is rounded up (the rest stays on the wallet). */
export const MIN_CHARGE = 50;

/** Order total at the event's current prices (the same columns placeOrder reads). */
export function orderTotal(e: EventView, items: OrderItem[]): number {
  let total = 0;
  for (const it of items) {
    const cat = e.categories.find((c) => c.id === it.categoryId);
    if (!cat) throw new LedgerError('unknown-category', 'not a category of this event', 404);
    const p = cat.prices[it.audience];
    if (p === null)
      throw new LedgerError('audience-not-offered', `${cat.name} has no ${it.audience} price`, 400);
    total += p * it.quantity;
  }
  return total;
}

export async function walletBalance(q: Queryable, walletId: number, asset: string): Promise<number> {
  const { rows } = await q.query<{ balance: unknown }>(
    'SELECT balance FROM accounts WHERE wallet_id = $1 AND asset = $2',
    [walletId, asset],
  );
  return rows[0] ? num(rows[0].balance) : 0;
}

/** The wallet's person: orders by person bind the tickets to the wallet's only card (if one). */
async function walletPerson(q: Queryable, walletId: number): Promise<string> {
  const { rows } = await q.query<{ person_id: string | null }>(
    'SELECT person_id FROM wallets WHERE id = $1',
    [walletId],
  );
  if (!rows[0]?.person_id) throw new LedgerError('no-wallet', 'this wallet has no holder', 409);
  return rows[0].person_id;
}

export async function orderFromWallet(
  tx: Tx,
  engine: PostingEngine,
  e: { id: string; venueId: string },
  walletId: number,
  items: OrderItem[],
  signer: Awaited<ReturnType<TicketKeys['signer']>>,
  createdBy: string,
): Promise<OrderView> {
  const venue = await requireVenue(tx, e.venueId);
  const personId = await walletPerson(tx, walletId);
  return placeOrder(tx, engine, venue, e.id, { personId, items }, signer, createdBy);
}

export interface TicketCheckoutInput {
  walletId: number;
  items: OrderItem[];
  /** The form's one-time key: the same key opens the same session. */
  key: string;
  successUrl: (checkoutId: string) => string;
  cancelUrl: string;
  createdBy: string;
}

export interface TicketCheckoutView {
  checkoutId: string;
  url: string;
  charged: number;
  total: number;
}

/** Opens (or, for the same key, returns) the provider session for what the balance lacks. */
export async function openTicketCheckout(
  db: Db,
  provider: PaymentProvider,
  e: EventView,
  input: TicketCheckoutInput,
): Promise<TicketCheckoutView> {
  if (e.asset !== 'EUR') throw new LedgerError('not-payable-online', 'this event is not sold in euros', 400);
  const reference = `tk_${createHash('sha256').update(`${input.walletId}\u0000${input.key}`).digest('hex').slice(0, 32)}`;
  const prior = async () =>
    (
      await db.query<{ id: string; url: string; charged: unknown; total: unknown; event_id: string }>(
        `SELECT c.id, p.url, c.charged, c.total, c.event_id FROM payments p
         JOIN ticket_checkouts c ON c.session_id = p.id WHERE p.reference = $1`,
        [reference],
      )
    ).rows[0];
  const view = (p: NonNullable<Awaited<ReturnType<typeof prior>>>): TicketCheckoutView => {
    if (p.event_id !== e.id)
      throw new LedgerError('idempotency-conflict', 'this form was already used for another request', 409);
    return { checkoutId: p.id, url: p.url, charged: num(p.charged), total: num(p.total) };
  };
  const before = await prior();
  if (before) return view(before);
  const total = orderTotal(e, input.items);
  const missing = total - (await walletBalance(db, input.walletId, e.asset));
  if (missing <= 0)
    throw new LedgerError('balance-covers', 'the wallet balance already covers this order', 409);
  const charged = Math.max(missing, MIN_CHARGE);
  const card = await db.query<{ uid: string }>(
    'SELECT uid FROM cards WHERE wallet_id = $1 AND NOT blocked ORDER BY uid LIMIT 1',
    [input.walletId],
  );
  if (!card.rows[0]) throw new LedgerError('no-card', 'this wallet has no usable card to top up', 409);
  const checkoutId = randomUUID();
  const session = await openProviderSession(
    db,
    provider,
    {
      reference,
      venueId: e.venueId,
      cardUid: card.rows[0].uid,
      amount: charged,
      successUrl: input.successUrl(checkoutId),
      cancelUrl: input.cancelUrl,
    },
    async (tx, sessionId) => {
      await tx.query(
        `INSERT INTO ticket_checkouts (id, session_id, venue_id, event_id, wallet_id, card_uid, items, total, charged, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          checkoutId,
          sessionId,
          e.venueId,
          e.id,
          input.walletId,
          card.rows[0]!.uid,
          JSON.stringify(input.items),
          total,
          charged,
          input.createdBy,
        ],
      );
    },
  );
  if (!session) return checkoutOfRaceWinner(prior, view);
  return { checkoutId, url: session.url, charged, total };
}

/** Places the orders whose provider payment has been credited (each checkout once). */
export async function settleTicketCheckouts(
  db: Db,
  keys: TicketKeys,
  o: { walletId?: number; log?: { warn(obj: object, msg: string): void } } = {},
) {
  // Outside the transactions: PGlite runs one transaction at a time on its single connection.
  const signer = await keys.signer();
  return settleProviderPurchases(db, {
    table: 'ticket_checkouts',
    walletId: o.walletId,
    log: o.log,
    buy: (tx, engine, c) =>
      orderFromWallet(
        tx,
        engine,
        { id: c.event_id as string, venueId: c.venue_id as string },
        num(c.wallet_id),
        (typeof c.items === 'string' ? JSON.parse(c.items) : c.items) as OrderItem[],
        signer,
        c.created_by as string,
      ),
    settledColumns: (order) => ({ order_id: order.orderId }),
    failedColumns: (err) => ({ failure: err instanceof LedgerError ? err.code : 'error' }),
  });
}

export interface CheckoutState {
  status: 'pending' | 'settled' | 'failed';
  walletId: number;
  eventId: string;
  orderId: string | null;
  failure: string | null;
  charged: number;
}

export async function ticketCheckout(q: Queryable, checkoutId: string): Promise<CheckoutState | null> {
  const { rows } = await q.query<Record<string, unknown>>(
    'SELECT status, wallet_id, event_id, order_id, failure, charged FROM ticket_checkouts WHERE id = $1',
    [checkoutId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    status: r.status as CheckoutState['status'],
    walletId: num(r.wallet_id),
    eventId: r.event_id as string,
    orderId: (r.order_id as string | null) ?? null,
    failure: (r.failure as string | null) ?? null,
    charged: num(r.charged),
  };
}

/** A wallet purchase run once per form key (a double click or a reload gets the first answer). */
export async function buyOnce(
  db: Db,
  scopeName: string,
  key: string,
  request: object,
  fn: (tx: Tx, engine: PostingEngine) => Promise<OrderView>,
): Promise<{ orderId: string }> {
  const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  return withRetry(() =>
    db.tx(async (tx) => {
      const engine = await PostingEngine.begin(tx);
      const prior = await tx.query<{ response: { orderId: string }; body_hash: unknown }>(
        'SELECT response, body_hash FROM idempotent_requests WHERE scope = $1 AND key = $2',
        [scopeName, key],
      );
      if (prior.rows[0]) {
        if (buf(prior.rows[0].body_hash).toString('hex') !== hash)
          throw new LedgerError(
            'idempotency-conflict',
            'this form was already used for another request',
            409,
          );
        const r = prior.rows[0].response;
        return typeof r === 'string' ? (JSON.parse(r) as { orderId: string }) : r;
      }
      const order = await fn(tx, engine);
      const r = { orderId: order.orderId };
      await tx.query(
        'INSERT INTO idempotent_requests (scope, key, route, body_hash, status, response) VALUES ($1, $2, $3, $4, 201, $5)',
        [scopeName, key, 'holder-ticket-form', Buffer.from(hash, 'hex'), JSON.stringify(r)],
      );
      return r;
    }),
  );
}
