// Events and their ticket categories: creation, views with live availability, cancellation
// (which refunds every valid ticket to its wallet through the posting engine).
import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import type { PostingEngine } from '../ledger/engine.js';
import { LedgerError } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import { type LockedTicket, refundTicketsMoney, releaseSeats } from './ledger.js';
import type { Audience } from './schema.js';

export interface CategoryInput {
  name: string;
  description?: string;
  capacity?: number | null;
  prices: { full: number; reduced?: number | null; member?: number | null };
}

export interface EventInput {
  title: string;
  description?: string;
  imageUrl?: string | null;
  tags?: string[];
  location?: string;
  latitude?: number | null;
  longitude?: number | null;
  startsAt: string;
  endsAt?: string;
  timezone?: string;
  capacity?: number | null;
  asset?: string;
  visibility?: 'public' | 'private';
  refundUntilHours?: number | null;
  validFrom?: string;
  validUntil?: string;
  categories: CategoryInput[];
}

export interface CategoryView {
  id: string;
  no: number;
  name: string;
  description: string;
  capacity: number | null;
  sold: number;
  /** Seats still for sale in this category (null = unlimited). */
  available: number | null;
  prices: Record<Audience, number | null>;
}

export interface EventView {
  id: string;
  venueId: string;
  venueName: string;
  title: string;
  description: string;
  imageUrl: string | null;
  tags: string[];
  location: string;
  latitude: number | null;
  longitude: number | null;
  startsAt: string;
  endsAt: string;
  timezone: string;
  capacity: number | null;
  sold: number;
  available: number | null;
  asset: string;
  visibility: 'public' | 'private';
  status: 'scheduled' | 'cancelled';
  refundUntilHours: number | null;
  validFrom: string;
  validUntil: string;
  categories: CategoryView[];
}

const HOUR = 3600_000;
/** Default admission window around the event. */
export const DEFAULT_VALID_BEFORE_MS = 6 * HOUR;
export const DEFAULT_VALID_AFTER_MS = 2 * HOUR;
/** Tickets carry u32 epoch seconds. */
const MAX_EPOCH_S = 0xffffffff;

const iso = (v: unknown): string => new Date(v as string).toISOString();
const time = (s: string, field: string): number => {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new LedgerError('bad-request', `${field} is not a date`);
  return t;
};

export function normaliseTags(tags: string[] = []): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

function checkTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new LedgerError('bad-request', `unknown time zone ${tz}`);
  }
}

export async function createEvent(tx: Tx, venue: VenueCtx, input: EventInput): Promise<EventView> {
  const startsAt = time(input.startsAt, 'startsAt');
  const endsAt = input.endsAt ? time(input.endsAt, 'endsAt') : startsAt + 4 * HOUR;
  if (endsAt < startsAt) throw new LedgerError('bad-request', 'endsAt is before startsAt');
  const validFrom = input.validFrom ? time(input.validFrom, 'validFrom') : startsAt - DEFAULT_VALID_BEFORE_MS;
  const validUntil = input.validUntil
    ? time(input.validUntil, 'validUntil')
    : endsAt + DEFAULT_VALID_AFTER_MS;
  if (validUntil <= validFrom) throw new LedgerError('bad-request', 'validUntil must be after validFrom');
  if (validFrom < 0 || validUntil / 1000 > MAX_EPOCH_S)
    throw new LedgerError('bad-request', 'validity out of range');
  const asset = input.asset ?? 'EUR';
  if (!venue.assets.has(asset))
    throw new LedgerError('unknown-asset', `asset ${asset} is not usable at ${venue.id}`);
  const timezone = input.timezone ?? 'Europe/Paris';
  checkTimezone(timezone);
  if (!input.categories.length)
    throw new LedgerError('bad-request', 'an event needs at least one ticket category');
  const id = randomUUID();
  await tx.query(
    `INSERT INTO ticket_events (id, venue_id, title, description, image_url, tags, location, latitude, longitude,
       starts_at, ends_at, timezone, capacity, asset, visibility, refund_until_hours, valid_from, valid_until)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      id,
      venue.id,
      input.title,
      input.description ?? '',
      input.imageUrl ?? null,
      normaliseTags(input.tags),
      input.location ?? '',
      input.latitude ?? null,
      input.longitude ?? null,
      new Date(startsAt),
      new Date(endsAt),
      timezone,
      input.capacity ?? null,
      asset,
      input.visibility ?? 'public',
      input.refundUntilHours ?? null,
      new Date(validFrom),
      new Date(validUntil),
    ],
  );
  const cats = input.categories;
  await tx.query(
    `INSERT INTO ticket_categories (id, event_id, no, name, description, capacity, price_full, price_reduced, price_member)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int2[], $4::text[], $5::text[], $6::int4[], $7::int8[], $8::int8[], $9::int8[])`,
    [
      cats.map(() => randomUUID()),
      cats.map(() => id),
      cats.map((_, i) => i + 1),
      cats.map((c) => c.name),
      cats.map((c) => c.description ?? ''),
      cats.map((c) => c.capacity ?? null),
      cats.map((c) => c.prices.full),
      cats.map((c) => c.prices.reduced ?? null),
      cats.map((c) => c.prices.member ?? null),
    ],
  );
  return (await getEvent(tx, id, venue.id))!;
}

const EVENT_COLUMNS = `e.id, e.venue_id, v.name AS venue_name, e.title, e.description, e.image_url, e.tags, e.location,
  e.latitude, e.longitude, e.starts_at, e.ends_at, e.timezone, e.capacity, e.sold, e.asset, e.visibility, e.status,
  e.refund_until_hours, e.valid_from, e.valid_until`;

type EventRow = Record<string, unknown>;

function remaining(capacity: number | null, sold: number): number | null {
  return capacity === null ? null : Math.max(0, capacity - sold);
}

const minAvail = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

export function eventView(r: EventRow, cats: EventRow[]): EventView {
  const capacity = r.capacity === null ? null : num(r.capacity);
  const sold = num(r.sold);
  const eventLeft = remaining(capacity, sold);
  const categories = cats.map((c): CategoryView => {
    const cap = c.capacity === null ? null : num(c.capacity);
    return {
      id: c.id as string,
      no: num(c.no),
      name: c.name as string,
      description: c.description as string,
      capacity: cap,
      sold: num(c.sold),
      available: minAvail(remaining(cap, num(c.sold)), eventLeft),
      prices: {
        full: num(c.price_full),
        reduced: c.price_reduced === null ? null : num(c.price_reduced),
        member: c.price_member === null ? null : num(c.price_member),
      },
    };
  });
  const catTotal = categories.some((c) => c.available === null)
    ? null
    : categories.reduce((s, c) => s + (c.available ?? 0), 0);
  return {
    id: r.id as string,
    venueId: r.venue_id as string,
    venueName: r.venue_name as string,
    title: r.title as string,
    description: r.description as string,
    imageUrl: (r.image_url as string | null) ?? null,
    tags: (r.tags as string[]) ?? [],
    location: r.location as string,
    latitude: r.latitude === null ? null : Number(r.latitude),
    longitude: r.longitude === null ? null : Number(r.longitude),
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    timezone: r.timezone as string,
    capacity,
    sold,
    available: minAvail(eventLeft, catTotal),
    asset: r.asset as string,
    visibility: r.visibility as 'public' | 'private',
    status: r.status as 'scheduled' | 'cancelled',
    refundUntilHours: r.refund_until_hours === null ? null : num(r.refund_until_hours),
    validFrom: iso(r.valid_from),
    validUntil: iso(r.valid_until),
    categories,
  };
}

async function categoriesOf(q: Queryable, eventIds: string[]): Promise<Map<string, EventRow[]>> {
  const out = new Map<string, EventRow[]>();
  if (!eventIds.length) return out;
  const { rows } = await q.query<EventRow>(
    'SELECT * FROM ticket_categories WHERE event_id = ANY($1::text[]) ORDER BY event_id, no',
    [eventIds],
  );
  for (const r of rows) {
    const list = out.get(r.event_id as string) ?? [];
    list.push(r);
    out.set(r.event_id as string, list);
  }
  return out;
}

/** Rows of ticket_events joined with the venue name, turned into views with their categories. */
export async function eventViews(q: Queryable, rows: EventRow[]): Promise<EventView[]> {
  const cats = await categoriesOf(
    q,
    rows.map((r) => r.id as string),
  );
  return rows.map((r) => eventView(r, cats.get(r.id as string) ?? []));
}

export async function getEvent(
  q: Queryable,
  eventId: string,
  venueId: string | null,
): Promise<EventView | null> {
  const { rows } = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ticket_events e JOIN venues v ON v.id = e.venue_id
     WHERE e.id = $1 AND ($2::text IS NULL OR e.venue_id = $2)`,
    [eventId, venueId],
  );
  return rows[0] ? (await eventViews(q, rows))[0] : null;
}

export async function requireEvent(q: Queryable, eventId: string, venueId: string): Promise<EventView> {
  const e = await getEvent(q, eventId, venueId);
  if (!e) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venueId}`, 404);
  return e;
}

export async function listVenueEvents(
  q: Queryable,
  venueId: string,
  opts: { past?: boolean } = {},
): Promise<EventView[]> {
  const { rows } = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ticket_events e JOIN venues v ON v.id = e.venue_id
     WHERE e.venue_id = $1 AND ($2::bool OR e.ends_at >= now()) ORDER BY e.starts_at, e.id LIMIT 500`,
    [venueId, opts.past ?? false],
  );
  return eventViews(q, rows);
}

/** Cancels an event and refunds every valid ticket to its wallet (one ledger operation). */
export async function cancelEvent(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  eventId: string,
): Promise<{ event: EventView; refunded: number; logSeqs: number[] }> {
  const { rows } = await tx.query<{ status: string }>(
    'SELECT status FROM ticket_events WHERE id = $1 AND venue_id = $2 FOR UPDATE',
    [eventId, venue.id],
  );
  if (!rows[0]) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venue.id}`, 404);
  if (rows[0].status !== 'cancelled')
    await tx.query("UPDATE ticket_events SET status = 'cancelled', cancelled_at = now() WHERE id = $1", [
      eventId,
    ]);
  const t = await tx.query<EventRow>(
    "SELECT id, category_id, price, asset, wallet_id FROM tickets WHERE event_id = $1 AND status = 'valid' ORDER BY id FOR UPDATE",
    [eventId],
  );
  const locked: LockedTicket[] = t.rows.map((r) => ({
    id: r.id as string,
    eventId,
    categoryId: r.category_id as string,
    price: num(r.price),
    asset: r.asset as string,
    walletId: num(r.wallet_id),
  }));
  const { logSeqs } = await refundTicketsMoney(tx, engine, venue, locked, 'refunded', 'event-cancelled');
  await releaseSeats(tx, locked);
  return { event: (await getEvent(tx, eventId, venue.id))!, refunded: locked.length, logSeqs };
}
