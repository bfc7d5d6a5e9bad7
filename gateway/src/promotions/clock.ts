/**
 * The venue's local time (weekday and minute of the day) and happy-hour windows. Local time
 * comes from Intl with the venue's IANA time zone, so daylight-saving changes need no code.
 */
import type { Window } from './rules.js';

export interface LocalTime {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function validTimeZone(timeZone: string): boolean {
  try {
    format(timeZone);
    return true;
  } catch {
    return false;
  }
}

let last: { zone: string; minute: number; value: LocalTime } | undefined;

/** Cached for the current minute: every zone in use today is offset from UTC by whole minutes. */
export function localTime(at: number, timeZone: string): LocalTime {
  const minute = Math.floor(at / 60_000);
  if (last && last.minute === minute && last.zone === timeZone) return last.value;
  const value = readLocalTime(at, timeZone);
  last = { zone: timeZone, minute, value };
  return value;
}

function readLocalTime(at: number, timeZone: string): LocalTime {
  let weekday = 1;
  let hour = 0;
  let minute = 0;
  for (const p of format(timeZone).formatToParts(at)) {
    if (p.type === 'weekday') weekday = WEEKDAYS[p.value] ?? 1;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { weekday, minute: hour * 60 + minute };
}

const toMinute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** `from` inclusive, `to` exclusive; a window whose end is not after its start runs past midnight. */
export function inWindow(w: Window, t: LocalTime): boolean {
  const from = toMinute(w.from);
  const to = toMinute(w.to);
  if (from === to) return false;
  if (from < to) return w.days.includes(t.weekday) && t.minute >= from && t.minute < to;
  const yesterday = t.weekday === 1 ? 7 : t.weekday - 1;
  return (w.days.includes(t.weekday) && t.minute >= from) || (w.days.includes(yesterday) && t.minute < to);
}
