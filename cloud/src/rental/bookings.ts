// Bookings of a kit for a date range. Two safeguards against double booking, the same on PGlite and
// PostgreSQL: the kit row is locked FOR UPDATE while a booking is made (bookings of one kit are
// serialised, so the overlap check below sees every committed booking), and the exclusion
// constraint rental_allocations_no_overlap refuses any overlapping active allocation of a device
// whatever path wrote it (e.g. a device moved between kits).
import { randomUUID } from 'node:crypto';
import type { Db, Queryable, Tx } from '../db/connect.js';
import { num } from '../db/connect.js';
import type { BookingStatus } from '../db/schema.js';
import { withRetry } from '../sync/batches.js';
import { getKit } from './catalog.js';
import { MAX_CALENDAR_DAYS, rentalDays, today } from './dates.js';
import { isExclusionViolation, RentalError } from './errors.js';

export interface Booking {
  bookingId: string;
  federationId: string;
  kitId: string;
  venueId: string;
  from: string;
  to: string;
  days: number;
  currency: string;
  pricePerDay: number;
  rentalAmount: number;
  deposit: number;
  status: BookingStatus;
  contact: string;
  note: string;
  devices: string[];
  createdAt: string;
}

interface Row {
  id: string;
  federation_id: string;
  kit_id: string;
  venue_id: string;
  start_date: string;
  end_date: string;
  days: number;
  currency: string;
  price_per_day: unknown;
  rental_amount: unknown;
  deposit_amount: unknown;
  status: BookingStatus;
  contact: string;
  note: string;
  devices: string[] | null;
  created_at: unknown;
}

const SELECT = `SELECT b.id, b.federation_id, b.kit_id, b.venue_id, b.start_date::text AS start_date, b.end_date::text AS end_date,
  b.days, b.currency, b.price_per_day, b.rental_amount, b.deposit_amount, b.status, b.contact, b.note, b.created_at,
  ARRAY(SELECT a.device_id FROM rental_allocations a WHERE a.booking_id = b.id ORDER BY a.device_id) AS devices
  FROM rental_bookings b`;

const toBooking = (r: Row): Booking => ({
  bookingId: r.id,
  federationId: r.federation_id,
  kitId: r.kit_id,
  venueId: r.venue_id,
  from: r.start_date,
  to: r.end_date,
  days: r.days,
  currency: r.currency,
  pricePerDay: num(r.price_per_day),
  rentalAmount: num(r.rental_amount),
  deposit: num(r.deposit_amount),
  status: r.status,
  contact: r.contact,
  note: r.note,
  devices: r.devices ?? [],
  createdAt: new Date(r.created_at as string | Date).toISOString(),
});

export async function getBooking(q: Queryable, bookingId: string, lock = false): Promise<Booking> {
  const { rows } = await q.query<Row>(`${SELECT} WHERE b.id = $1${lock ? ' FOR UPDATE OF b' : ''}`, [
    bookingId,
  ]);
  if (!rows[0]) throw new RentalError('unknown-booking', `no booking ${bookingId}`, 404);
  return toBooking(rows[0]);
}

export async function listBookings(
  q: Queryable,
  filter: { federationId: string; venueId?: string; kitId?: string; status?: BookingStatus },
): Promise<Booking[]> {
  const { rows } = await q.query<Row>(
    `${SELECT} WHERE b.federation_id = $1 AND ($2::text IS NULL OR b.venue_id = $2) AND ($3::text IS NULL OR b.kit_id = $3)
       AND ($4::text IS NULL OR b.status = $4) ORDER BY b.start_date, b.id`,
    [filter.federationId, filter.venueId ?? null, filter.kitId ?? null, filter.status ?? null],
  );
  return rows.map(toBooking);
}

export interface Conflict {
  from: string;
  to: string;
}

/** Active bookings holding any of the kit's devices on a day of [from, to]. */
async function conflicts(
  q: Queryable,
  kitId: string,
  from: string,
  to: string,
  excludeBooking: string | null = null,
): Promise<Conflict[]> {
  const { rows } = await q.query<{ start_date: string; end_date: string }>(
    `SELECT DISTINCT b.start_date::text AS start_date, b.end_date::text AS end_date
     FROM rental_allocations a JOIN rental_bookings b ON b.id = a.booking_id
     WHERE a.active AND a.period && daterange($2::date, $3::date, '[]')
       AND a.device_id IN (SELECT id FROM fleet_devices WHERE kit_id = $1 AND status <> 'retired')
       AND ($4::text IS NULL OR b.id <> $4)
     ORDER BY 1, 2`,
    [kitId, from, to, excludeBooking],
  );
  return rows.map((r) => ({ from: r.start_date, to: r.end_date }));
}

function unavailable(kitId: string, from: string, to: string, found: Conflict[]): RentalError {
  const list = found.map((c) => (c.from === c.to ? c.from : `${c.from}..${c.to}`)).join(', ');
  return new RentalError(
    'kit-unavailable',
    found.length
      ? `kit ${kitId} is not available from ${from} to ${to}: already booked ${list}`
      : `kit ${kitId} is not available from ${from} to ${to}: another booking was made at the same time`,
    409,
    { conflicts: found },
  );
}

export interface NewBooking {
  kitId: string;
  venueId: string;
  from: string;
  to: string;
  contact?: string;
  note?: string;
  createdBy: string;
}

/**
 * Books every rentable device of the kit for [from, to] inside `tx`. Throws 409 kit-unavailable
 * (with the overlapping periods) when any of them is taken on any of those days.
 */
export async function createBookingInTx(
  tx: Tx,
  federationId: string,
  b: NewBooking,
  now = Date.now(),
): Promise<Booking> {
  const days = rentalDays(b.from, b.to, { notBefore: today(now) });
  const venue = await tx.query<{ federation_id: string }>('SELECT federation_id FROM venues WHERE id = $1', [
    b.venueId,
  ]);
  if (!venue.rows[0] || venue.rows[0].federation_id !== federationId)
    throw new RentalError('unknown-venue', `no venue ${b.venueId}`, 404);
  const kit = await getKit(tx, federationId, b.kitId, true);
  if (!kit.active) throw new RentalError('kit-inactive', `kit ${b.kitId} is not offered for rental`, 409);
  const devices = await tx.query<{ id: string; no: number }>(
    "SELECT id, no FROM fleet_devices WHERE kit_id = $1 AND status <> 'retired' ORDER BY no FOR SHARE",
    [b.kitId],
  );
  if (!devices.rows.length) throw new RentalError('kit-empty', `kit ${b.kitId} has no rentable device`, 409);
  const found = await conflicts(tx, b.kitId, b.from, b.to);
  if (found.length) throw unavailable(b.kitId, b.from, b.to, found);
  const id = `bk-${randomUUID()}`;
  await tx.query(
    `INSERT INTO rental_bookings (id, federation_id, kit_id, venue_id, start_date, end_date, days, currency, price_per_day,
       rental_amount, deposit_amount, contact, note, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      id,
      federationId,
      b.kitId,
      b.venueId,
      b.from,
      b.to,
      days,
      kit.currency,
      kit.pricePerDay,
      days * kit.pricePerDay,
      kit.deposit,
      b.contact ?? '',
      b.note ?? '',
      b.createdBy,
    ],
  );
  // One multi-row insert, devices in a fixed order: concurrent writers can't deadlock on them.
  await tx.query(
    `INSERT INTO rental_allocations (booking_id, device_id, device_no, period)
     SELECT $1, d.id, d.no, daterange($3::date, $4::date, '[]') FROM unnest($2::text[], $5::int[]) AS d(id, no) ORDER BY d.no`,
    [id, devices.rows.map((d) => d.id), b.from, b.to, devices.rows.map((d) => d.no)],
  );
  return getBooking(tx, id);
}

/** Runs a booking transaction; an exclusion violation becomes the same clear 409 as the pre-check. */
export async function bookingTx<T>(
  db: Db,
  b: Pick<NewBooking, 'kitId' | 'from' | 'to'>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    return await withRetry(() => db.tx(fn));
  } catch (err) {
    if (!isExclusionViolation(err)) throw err;
    throw unavailable(b.kitId, b.from, b.to, await conflicts(db, b.kitId, b.from, b.to));
  }
}

export async function createBooking(db: Db, federationId: string, b: NewBooking): Promise<Booking> {
  return bookingTx(db, b, (tx) => createBookingInTx(tx, federationId, b));
}

/** Cancels a booking that has not been checked out: its devices are free again for those days. */
export async function cancelBooking(
  db: Db,
  bookingId: string,
  check: (b: Booking, q: Queryable) => Promise<void>,
): Promise<Booking> {
  return withRetry(() =>
    db.tx(async (tx) => {
      const b = await getBooking(tx, bookingId, true);
      await check(b, tx);
      if (b.status === 'cancelled') return b;
      if (b.status !== 'booked')
        throw new RentalError(
          'not-cancellable',
          `booking ${bookingId} is ${b.status.replace('_', ' ')}: it can no longer be cancelled`,
          409,
        );
      await tx.query('UPDATE rental_allocations SET active = false WHERE booking_id = $1', [bookingId]);
      await tx.query("UPDATE rental_bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $1", [
        bookingId,
      ]);
      return getBooking(tx, bookingId);
    }),
  );
}

export interface CalendarDay {
  date: string;
  available: boolean;
}

/** Day-by-day availability of a kit over [from, to] (at most a year). */
export async function availability(
  q: Queryable,
  federationId: string | null,
  kitId: string,
  from: string,
  to: string,
): Promise<CalendarDay[]> {
  rentalDays(from, to, { max: MAX_CALENDAR_DAYS });
  await getKit(q, federationId, kitId);
  const { rows } = await q.query<{ day: string; booked: boolean }>(
    `SELECT d::date::text AS day, EXISTS (
        SELECT 1 FROM rental_allocations a
        WHERE a.active AND a.period @> d::date
          AND a.device_id IN (SELECT id FROM fleet_devices WHERE kit_id = $1 AND status <> 'retired')) AS booked
     FROM generate_series($2::date, $3::date, interval '1 day') AS d ORDER BY 1`,
    [kitId, from, to],
  );
  return rows.map((r) => ({ date: r.day, available: !r.booked }));
}
