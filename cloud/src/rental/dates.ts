// Rental days are calendar dates (YYYY-MM-DD, UTC); a booking covers [start, end] inclusive and is
// stored as the daterange [start, end + 1).
import { LedgerError } from '../ledger/types.js';

export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
/** Longest single booking, in days. */
export const MAX_BOOKING_DAYS = 62;
/** Longest availability window returned at once, in days. */
export const MAX_CALENDAR_DAYS = 366;

const DAY_MS = 86_400_000;

/** Parses a real calendar date or throws 400 bad-date. */
export function parseDate(s: string, field = 'date'): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(t) || formatDate(t) !== s)
    throw new LedgerError(
      'bad-date',
      `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(s).slice(0, 40)}`,
    );
  return t;
}

export const formatDate = (t: number): string => new Date(t).toISOString().slice(0, 10);
export const addDays = (date: string, n: number): string => formatDate(parseDate(date) + n * DAY_MS);
export const today = (now = Date.now()): string => formatDate(now);

/** Validates a rental range: real dates, from ≤ to, within the limits. Returns the day count. */
export function rentalDays(
  from: string,
  to: string,
  opts: { max?: number; notBefore?: string } = {},
): number {
  const a = parseDate(from, 'from');
  const b = parseDate(to, 'to');
  if (b < a) throw new LedgerError('bad-dates', `the last day (${to}) is before the first day (${from})`);
  const days = Math.round((b - a) / DAY_MS) + 1;
  const max = opts.max ?? MAX_BOOKING_DAYS;
  if (days > max) throw new LedgerError('bad-dates', `${days} days is longer than the ${max} days allowed`);
  if (opts.notBefore && from < opts.notBefore)
    throw new LedgerError('bad-dates', `the first day (${from}) is in the past`);
  return days;
}
