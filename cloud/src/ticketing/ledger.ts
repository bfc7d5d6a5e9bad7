// Money and seats for tickets: buyer wallet resolution, payment and refund postings
// through the posting engine (so every euro moved is a transfer and a log entry), seat release.
import { randomUUID } from 'node:crypto';
import { num, type Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { type AssetAmount, LedgerError, type Posting } from '../ledger/types.js';
import { sys, type VenueCtx } from '../ledger/venue.js';

export interface Buyer {
  cardUid?: string;
  personId?: string;
}

export interface LockedTicket {
  id: string;
  eventId: string;
  categoryId: string;
  price: number;
  asset: string;
  walletId: number;
}

/** The buyer's wallet in the venue's federation (a card's wallet, or a person's). */
export async function resolveBuyerWallet(tx: Tx, venue: VenueCtx, buyer: Buyer): Promise<number> {
  if (buyer.cardUid) {
    const { rows } = await tx.query<{ wallet_id: unknown; blocked: boolean }>(
      'SELECT wallet_id, blocked FROM cards WHERE uid = $1 AND federation_id = $2',
      [buyer.cardUid, venue.federationId],
    );
    const c = rows[0];
    if (!c) throw new LedgerError('unknown-card', `card ${buyer.cardUid} unknown in this federation`, 404);
    if (c.blocked) throw new LedgerError('card-blocked', `card ${buyer.cardUid} is blocked`, 409);
    if (c.wallet_id === null)
      throw new LedgerError('no-wallet', `card ${buyer.cardUid} has no wallet yet`, 409);
    return num(c.wallet_id);
  }
  if (buyer.personId) {
    const { rows } = await tx.query<{ id: unknown }>(
      'SELECT id FROM wallets WHERE person_id = $1 AND federation_id = $2',
      [buyer.personId, venue.federationId],
    );
    if (!rows[0]) throw new LedgerError('no-wallet', `person ${buyer.personId} has no wallet`, 409);
    return num(rows[0].id);
  }
  throw new LedgerError('bad-request', 'cardUid or personId is required');
}

async function postOne(
  engine: PostingEngine,
  venue: VenueCtx,
  kind: string,
  postings: Posting[],
  reportWallet?: number,
  extra: Record<string, unknown> = {},
): Promise<{ operationId: string | null; logSeqs: number[]; balances?: AssetAmount[] }> {
  if (!postings.length) return { operationId: null, logSeqs: [] };
  const operationId = `tk-${randomUUID()}`;
  const [r] = await engine.apply([
    {
      id: operationId,
      venueId: venue.id,
      kind,
      bodyHash: Buffer.alloc(32),
      at: Date.now(),
      postings,
      reportWallet,
      extra,
    },
  ]);
  if (r.status !== 'applied')
    throw new LedgerError(r.reason ?? 'rejected', r.detail ?? `${kind} refused`, 409);
  return { operationId, logSeqs: r.seqs ?? [], balances: r.balances };
}

/** Buyer's wallet → venue account. */
export function payFromWallet(
  engine: PostingEngine,
  venue: VenueCtx,
  walletId: number,
  asset: string,
  amount: number,
  orderId: string,
) {
  const postings: Posting[] =
    amount > 0
      ? [{ asset, from: { wallet: walletId }, to: sys.venue(venue.id), amount, kind: 'ticket' }]
      : [];
  return postOne(engine, venue, 'ticket', postings, walletId, { orderId });
}

/**
 * Refunds the price of locked, valid tickets (venue account → each wallet, one operation) and
 * marks them `status` (refunded; revoked tickets are not refunded and use `markTickets`).
 */
export async function refundTicketsMoney(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  tickets: LockedTicket[],
  status: 'refunded',
  reason: string,
  reportWallet?: number,
): Promise<{ operationId: string | null; logSeqs: number[]; balances?: AssetAmount[] }> {
  const perWallet = new Map<string, { walletId: number; asset: string; amount: number }>();
  for (const t of tickets) {
    if (t.price <= 0) continue;
    const k = `${t.walletId}\u0000${t.asset}`;
    const cur = perWallet.get(k) ?? { walletId: t.walletId, asset: t.asset, amount: 0 };
    cur.amount += t.price;
    perWallet.set(k, cur);
  }
  const postings: Posting[] = [...perWallet.values()].map((p) => ({
    asset: p.asset,
    from: sys.venue(venue.id),
    to: { wallet: p.walletId },
    amount: p.amount,
    kind: 'ticket-refund',
  }));
  const r = await postOne(engine, venue, 'ticket-refund', postings, reportWallet, { reason });
  await markTickets(tx, tickets, status, r.operationId);
  return r;
}

export async function markTickets(
  tx: Tx,
  tickets: LockedTicket[],
  status: 'refunded' | 'revoked',
  operationId: string | null,
): Promise<void> {
  if (!tickets.length) return;
  await tx.query(
    `UPDATE tickets SET status = $2, refunded_at = now(), refund_operation = $3, updated_at = now()
     WHERE id = ANY($1::text[])`,
    [tickets.map((t) => t.id), status, operationId],
  );
}

/** Gives the seats of tickets that stopped being valid back to their category and event. */
export async function releaseSeats(tx: Tx, tickets: LockedTicket[]): Promise<void> {
  if (!tickets.length) return;
  const perCat = new Map<string, number>();
  const perEvent = new Map<string, number>();
  for (const t of tickets) {
    perCat.set(t.categoryId, (perCat.get(t.categoryId) ?? 0) + 1);
    perEvent.set(t.eventId, (perEvent.get(t.eventId) ?? 0) + 1);
  }
  await tx.query(
    'UPDATE ticket_categories c SET sold = c.sold - d.n FROM unnest($1::text[], $2::int4[]) d(id, n) WHERE c.id = d.id',
    [[...perCat.keys()], [...perCat.values()]],
  );
  await tx.query(
    'UPDATE ticket_events e SET sold = e.sold - d.n FROM unnest($1::text[], $2::int4[]) d(id, n) WHERE e.id = d.id',
    [[...perEvent.keys()], [...perEvent.values()]],
  );
}
