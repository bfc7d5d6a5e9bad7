// Orders paid from the wallet balance, ticket refunds and revocations. Every function runs in the
// caller's transaction with the log lock held (idempotentWrite → PostingEngine.begin).
//
// No overselling: seats are taken by conditional UPDATEs (`sold + n <= capacity`) on the category
// and then on the event; a refused UPDATE aborts the whole order (`sold-out`, nothing written),
// whatever the number of concurrent buyers or API replicas. CHECK constraints repeat the rule.
import { randomUUID } from 'node:crypto';
import { num, type Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { type AssetAmount, LedgerError } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import { refusalFor } from '../memberships/period.js';
import { isMembersOnly, walletMembership } from '../memberships/status.js';
import {
  type Buyer,
  type LockedTicket,
  markTickets,
  payFromWallet,
  refundTicketsMoney,
  releaseSeats,
  resolveBuyerWallet,
} from './ledger.js';
import type { Audience, TicketStatus } from './schema.js';
import { signTicket } from './token.js';

export interface OrderItem {
  categoryId: string;
  audience: Audience;
  quantity: number;
}

export interface OrderInput extends Buyer {
  items: OrderItem[];
}

export interface TicketView {
  ticketId: string;
  eventId: string;
  categoryId: string;
  categoryNo: number;
  categoryName: string;
  audience: Audience;
  price: number;
  asset: string;
  status: TicketStatus;
  validFrom: string;
  validUntil: string;
  /** Signed payload (QR content). */
  token: string;
  /** Plain QR page of the ticket (the token is the capability). */
  url: string;
}

export interface OrderView {
  orderId: string;
  eventId: string;
  asset: string;
  total: number;
  tickets: TicketView[];
  balances: AssetAmount[];
  logSeqs: number[];
}

export const ticketUrl = (token: string): string => `/tickets/${token}`;

const PRICE_COLUMN: Record<Audience, string> = {
  full: 'price_full',
  reduced: 'price_reduced',
  member: 'price_member',
};

export async function placeOrder(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  eventId: string,
  input: OrderInput,
  signer: { keyId: string; secretKey: Uint8Array },
  createdBy: string,
): Promise<OrderView> {
  const ev = await tx.query<Record<string, unknown>>(
    'SELECT id, status, ends_at, asset, valid_from, valid_until FROM ticket_events WHERE id = $1 AND venue_id = $2',
    [eventId, venue.id],
  );
  const event = ev.rows[0];
  if (!event) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venue.id}`, 404);
  if (event.status === 'cancelled') throw new LedgerError('event-cancelled', 'the event is cancelled', 409);
  if (new Date(event.ends_at as string).getTime() < Date.now())
    throw new LedgerError('event-over', 'the event is over', 409);
  const walletId = await resolveBuyerWallet(tx, venue, input);

  // Merge lines of one category and audience; count seats per category.
  const lines = new Map<string, OrderItem>();
  for (const it of input.items) {
    const k = `${it.categoryId}\u0000${it.audience}`;
    const cur = lines.get(k);
    lines.set(k, cur ? { ...cur, quantity: cur.quantity + it.quantity } : { ...it });
  }
  const cats = await tx.query<Record<string, unknown>>(
    'SELECT * FROM ticket_categories WHERE event_id = $1',
    [eventId],
  );
  const byId = new Map(cats.rows.map((c) => [c.id as string, c]));
  // Member prices and members-only events: the membership periods are the one source (memberships/).
  const membersOnly = await isMembersOnly(tx, eventId);
  if (membersOnly || [...lines.values()].some((l) => l.audience === 'member')) {
    const refusal = refusalFor(await walletMembership(tx, venue, walletId));
    if (refusal)
      throw new LedgerError(
        refusal,
        refusal === 'membership-expired'
          ? 'the membership has expired: renew it first'
          : membersOnly
            ? 'this event is for members only'
            : 'member prices need a valid membership',
        403,
      );
  }
  const seats = new Map<string, number>();
  let total = 0;
  let count = 0;
  const priced: { line: OrderItem; cat: Record<string, unknown>; price: number }[] = [];
  for (const line of lines.values()) {
    const cat = byId.get(line.categoryId);
    if (!cat)
      throw new LedgerError(
        'unknown-category',
        `category ${line.categoryId} is not part of event ${eventId}`,
        404,
      );
    const p = cat[PRICE_COLUMN[line.audience]];
    if (p === null || p === undefined)
      throw new LedgerError(
        'audience-not-offered',
        `${cat.name as string} is not sold at the ${line.audience} price`,
        400,
      );
    const price = num(p);
    total += price * line.quantity;
    count += line.quantity;
    seats.set(line.categoryId, (seats.get(line.categoryId) ?? 0) + line.quantity);
    priced.push({ line, cat, price });
  }

  // Seats: category counters first (in id order), then the event's.
  for (const [catId, n] of [...seats.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const u = await tx.query(
      'UPDATE ticket_categories SET sold = sold + $2 WHERE id = $1 AND (capacity IS NULL OR sold + $2 <= capacity)',
      [catId, n],
    );
    if (u.count !== 1)
      throw new LedgerError('sold-out', `not enough seats left in ${byId.get(catId)!.name as string}`, 409);
  }
  const e = await tx.query(
    'UPDATE ticket_events SET sold = sold + $2 WHERE id = $1 AND (capacity IS NULL OR sold + $2 <= capacity)',
    [eventId, count],
  );
  if (e.count !== 1) throw new LedgerError('sold-out', 'not enough seats left for this event', 409);

  const orderId = randomUUID();
  const asset = event.asset as string;
  const paid = await payFromWallet(engine, venue, walletId, asset, total, orderId);
  if (paid.operationId === null && total > 0) throw new Error('payment missing');
  await tx.query(
    `INSERT INTO ticket_orders (id, venue_id, event_id, wallet_id, card_uid, person_id, asset, total, operation_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      orderId,
      venue.id,
      eventId,
      walletId,
      input.cardUid ?? null,
      input.personId ?? null,
      asset,
      total,
      paid.operationId,
      createdBy,
    ],
  );
  const boundCard = await payingCard(tx, walletId, input.cardUid);
  const validFrom = new Date(event.valid_from as string);
  const validUntil = new Date(event.valid_until as string);
  const tickets: TicketView[] = [];
  for (const { line, cat, price } of priced)
    for (let i = 0; i < line.quantity; i++) {
      const ticketId = randomUUID();
      const token = signTicket(
        {
          keyId: signer.keyId,
          eventId,
          ticketId,
          categoryNo: num(cat.no),
          audience: line.audience,
          validFrom: Math.floor(validFrom.getTime() / 1000),
          validUntil: Math.floor(validUntil.getTime() / 1000),
        },
        signer.secretKey,
      );
      tickets.push({
        ticketId,
        eventId,
        categoryId: line.categoryId,
        categoryNo: num(cat.no),
        categoryName: cat.name as string,
        audience: line.audience,
        price,
        asset,
        status: 'valid',
        validFrom: validFrom.toISOString(),
        validUntil: validUntil.toISOString(),
        token,
        url: ticketUrl(token),
      });
    }
  await tx.query(
    `INSERT INTO tickets (id, order_id, event_id, venue_id, category_id, category_no, audience, price, asset, wallet_id, key_id, token, valid_from, valid_until, card_uid)
     SELECT id, $2, $3, $4, cat, no, aud, price, $5, $6, $7, token, $8, $9, $15
     FROM unnest($1::text[], $10::text[], $11::int2[], $12::text[], $13::int8[], $14::text[]) u(id, cat, no, aud, price, token)`,
    [
      tickets.map((t) => t.ticketId),
      orderId,
      eventId,
      venue.id,
      asset,
      walletId,
      signer.keyId,
      validFrom,
      validUntil,
      tickets.map((t) => t.categoryId),
      tickets.map((t) => t.categoryNo),
      tickets.map((t) => t.audience),
      tickets.map((t) => t.price),
      tickets.map((t) => t.token),
      boundCard,
    ],
  );
  return { orderId, eventId, asset, total, tickets, balances: paid.balances ?? [], logSeqs: paid.logSeqs };
}

/**
 * The card a new ticket is bound to (tap it at the door instead of showing the QR): the card that
 * paid, or, for a purchase by person, the wallet's only unblocked card (none when it has several).
 */
async function payingCard(tx: Tx, walletId: number, cardUid: string | undefined): Promise<string | null> {
  if (cardUid) return cardUid;
  const { rows } = await tx.query<{ uid: string }>(
    'SELECT uid FROM cards WHERE wallet_id = $1 AND NOT blocked ORDER BY uid LIMIT 2',
    [walletId],
  );
  return rows.length === 1 ? rows[0]!.uid : null;
}

/**
 * Explicit binding of a ticket to a card (or unbinding with null). The card must belong to this
 * federation; the door list picks the change up at the next incremental sync.
 */
export async function bindTicketCard(
  tx: Tx,
  venue: VenueCtx,
  ticketId: string,
  cardUid: string | null,
): Promise<{ ticketId: string; cardUid: string | null }> {
  const t = await lockTicket(tx, venue, ticketId);
  assertStillValid(t);
  if (cardUid) {
    const { rows } = await tx.query<{ blocked: boolean }>(
      'SELECT blocked FROM cards WHERE uid = $1 AND federation_id = $2',
      [cardUid, venue.federationId],
    );
    if (!rows[0]) throw new LedgerError('unknown-card', `card ${cardUid} unknown in this federation`, 404);
    if (rows[0].blocked) throw new LedgerError('card-blocked', `card ${cardUid} is blocked`, 409);
  }
  await tx.query('UPDATE tickets SET card_uid = $2, updated_at = now() WHERE id = $1', [ticketId, cardUid]);
  return { ticketId, cardUid };
}

interface TicketRow extends LockedTicket {
  status: TicketStatus;
  checkedInAt: string | null;
  startsAt: number;
  refundUntilHours: number | null;
}

async function lockTicket(tx: Tx, venue: VenueCtx, ticketId: string): Promise<TicketRow> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT t.id, t.event_id, t.category_id, t.price, t.asset, t.wallet_id, t.status, t.checked_in_at, e.starts_at, e.refund_until_hours
     FROM tickets t JOIN ticket_events e ON e.id = t.event_id WHERE t.id = $1 AND t.venue_id = $2 FOR UPDATE OF t`,
    [ticketId, venue.id],
  );
  const r = rows[0];
  if (!r) throw new LedgerError('unknown-ticket', `unknown ticket ${ticketId} at ${venue.id}`, 404);
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    categoryId: r.category_id as string,
    price: num(r.price),
    asset: r.asset as string,
    walletId: num(r.wallet_id),
    status: r.status as TicketStatus,
    checkedInAt: r.checked_in_at ? new Date(r.checked_in_at as string).toISOString() : null,
    startsAt: new Date(r.starts_at as string).getTime(),
    refundUntilHours: r.refund_until_hours === null ? null : num(r.refund_until_hours),
  };
}

function assertStillValid(t: TicketRow): void {
  if (t.status !== 'valid')
    throw new LedgerError(`already-${t.status}`, `ticket ${t.id} is already ${t.status}`, 409);
}

/**
 * Refund of one ticket (revokes it: the door refuses it from then on). Admins may refund any
 * unused ticket; other staff only until `refundUntilHours` before the start.
 */
export async function refundTicket(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  ticketId: string,
  opts: { admin: boolean; now?: number },
): Promise<{
  ticketId: string;
  status: TicketStatus;
  refunded: AssetAmount;
  balances: AssetAmount[];
  logSeqs: number[];
}> {
  const t = await lockTicket(tx, venue, ticketId);
  assertStillValid(t);
  if (t.checkedInAt)
    throw new LedgerError('already-used', `ticket ${ticketId} was scanned at ${t.checkedInAt}`, 409);
  if (!opts.admin) {
    if (t.refundUntilHours === null)
      throw new LedgerError('refund-not-allowed', 'only venue admins refund tickets of this event', 403);
    if ((opts.now ?? Date.now()) > t.startsAt - t.refundUntilHours * 3600_000)
      throw new LedgerError(
        'refund-window-closed',
        `refunds close ${t.refundUntilHours} h before the start`,
        409,
      );
  }
  const r = await refundTicketsMoney(tx, engine, venue, [t], 'refunded', 'ticket-refund', t.walletId);
  await releaseSeats(tx, [t]);
  return {
    ticketId,
    status: 'refunded',
    refunded: { asset: t.asset, amount: t.price },
    balances: r.balances ?? [],
    logSeqs: r.logSeqs,
  };
}

/** Revocation without refund (fraud, duplicate issue): the ticket is refused at the door. */
export async function revokeTicket(
  tx: Tx,
  venue: VenueCtx,
  ticketId: string,
): Promise<{ ticketId: string; status: TicketStatus }> {
  const t = await lockTicket(tx, venue, ticketId);
  assertStillValid(t);
  await markTickets(tx, [t], 'revoked', null);
  await releaseSeats(tx, [t]);
  return { ticketId, status: 'revoked' };
}
