// Door check-in. Every scan carries a terminal nonce: uploads (live, or offline scans sent later by
// the gateway) are idempotent per (venue, nonce) and replay the first answer. A ticket is admitted
// once across all doors: the admission is a conditional UPDATE (`checked_in_at IS NULL`), so two
// doors, two replicas or a late offline upload cannot both win. A rejection always says why.
import { buf, num, type Queryable, type Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { bodyHash } from '../util/canonical.js';
import type { Audience } from './schema.js';
import { verifyTicket } from './token.js';

export const REJECT_REASONS = [
  'bad-signature',
  'unknown-ticket',
  'wrong-event',
  'event-cancelled',
  'refunded',
  'revoked',
  'not-yet-valid',
  'expired',
  'already-scanned',
  'nonce-conflict',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Scan {
  /** Terminal-chosen unique id of this scan. */
  nonce: string;
  /** The QR content (or, for a card-bound ticket tapped at the door, `ticketId` instead). */
  token?: string;
  /** Card-bound ticket checked by the venue gateway from its door list (no QR shown). */
  ticketId?: string;
  /** The card tapped (card-bound scans; must be the ticket's card). */
  cardUid?: string;
  /** Event the door admits to (optional: without it only the venue is checked). */
  eventId?: string;
  door: string;
  /** When the terminal scanned (offline uploads); default now. */
  scannedAt?: string;
}

export interface ScanResult {
  nonce: string;
  status: 'admitted' | 'rejected';
  reason?: RejectReason;
  message?: string;
  ticketId?: string;
  eventId?: string;
  categoryNo?: number;
  audience?: Audience;
  door: string;
  scannedAt: string;
  /** already-scanned: the admitting scan. */
  firstScan?: { at: string; door: string };
  validFrom?: string;
  validUntil?: string;
  /** True when this answer is the replay of an earlier upload of the same nonce. */
  replayed?: boolean;
}

/** Scans may be dated up to this far in the future (terminal clock skew). */
const MAX_SKEW_MS = 5 * 60_000;
const iso = (v: unknown): string => new Date(v as string).toISOString();

export async function processScans(
  tx: Tx,
  venueId: string,
  keys: ReadonlyMap<string, Uint8Array>,
  scans: Scan[],
): Promise<ScanResult[]> {
  const out: ScanResult[] = [];
  const now = Date.now();
  for (const s of scans) {
    const at = s.scannedAt ? Date.parse(s.scannedAt) : now;
    if (!Number.isFinite(at) || at > now + MAX_SKEW_MS)
      throw new LedgerError('bad-request', `scan ${s.nonce}: bad scannedAt`);
    const hash = bodyHash({
      token: s.token ?? null,
      ...(s.ticketId ? { ticketId: s.ticketId, cardUid: s.cardUid ?? null } : {}),
      eventId: s.eventId ?? null,
      door: s.door,
      scannedAt: s.scannedAt ?? null,
    });
    const scannedAt = new Date(at).toISOString();
    const reserved = await tx.query(
      `INSERT INTO ticket_checkins (venue_id, nonce, body_hash, door, scanned_at, result) VALUES ($1, $2, $3, $4, $5, '{}'::jsonb)
       ON CONFLICT DO NOTHING`,
      [venueId, s.nonce, hash, s.door, new Date(at)],
    );
    if (reserved.count !== 1) {
      const prior = await tx.query<{ body_hash: unknown; result: ScanResult }>(
        'SELECT body_hash, result FROM ticket_checkins WHERE venue_id = $1 AND nonce = $2',
        [venueId, s.nonce],
      );
      const p = prior.rows[0];
      out.push(
        p && buf(p.body_hash).equals(hash)
          ? { ...p.result, replayed: true }
          : {
              nonce: s.nonce,
              status: 'rejected',
              reason: 'nonce-conflict',
              message: 'nonce already used for another scan',
              door: s.door,
              scannedAt,
            },
      );
      continue;
    }
    const r = await evaluate(tx, venueId, keys, s, at, scannedAt);
    await tx.query(
      'UPDATE ticket_checkins SET result = $3, admitted = $4, ticket_id = $5, event_id = $6 WHERE venue_id = $1 AND nonce = $2',
      [
        venueId,
        s.nonce,
        JSON.stringify(r),
        r.status === 'admitted',
        r.ticketId ?? null,
        s.eventId ?? r.eventId ?? null,
      ],
    );
    out.push(r);
  }
  return out;
}

async function evaluate(
  tx: Tx,
  venueId: string,
  keys: ReadonlyMap<string, Uint8Array>,
  s: Scan,
  at: number,
  scannedAt: string,
): Promise<ScanResult> {
  const base = { nonce: s.nonce, door: s.door, scannedAt };
  const reject = (reason: RejectReason, message: string, extra: Partial<ScanResult> = {}): ScanResult => ({
    ...base,
    status: 'rejected',
    reason,
    message,
    ...extra,
  });
  if (!s.token) {
    const b = s.ticketId ? await boundClaims(tx, s.ticketId, s.cardUid) : null;
    if (!b) return reject('unknown-ticket', 'no ticket bound to this card');
    return admitOrReject(tx, venueId, s, at, b, reject, base);
  }
  const v = verifyTicket(s.token, keys);
  if (!v.ok)
    return reject(
      'bad-signature',
      v.reason === 'malformed'
        ? 'not a ticket'
        : v.reason === 'unknown-key'
          ? 'signed by an unknown key'
          : 'forged or altered ticket',
    );
  return admitOrReject(tx, venueId, s, at, v.claims, reject, base);
}

async function admitOrReject(
  tx: Tx,
  venueId: string,
  s: Scan,
  at: number,
  c: { ticketId: string; eventId: string; categoryNo: number; audience: Audience },
  reject: (reason: RejectReason, message: string, extra?: Partial<ScanResult>) => ScanResult,
  base: { nonce: string; door: string; scannedAt: string },
): Promise<ScanResult> {
  const ids = { ticketId: c.ticketId, eventId: c.eventId, categoryNo: c.categoryNo, audience: c.audience };
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT t.status, t.event_id, t.venue_id, t.valid_from, t.valid_until, t.checked_in_at, t.checked_in_door, e.status AS event_status, e.title
     FROM tickets t JOIN ticket_events e ON e.id = t.event_id WHERE t.id = $1 FOR UPDATE OF t`,
    [c.ticketId],
  );
  const t = rows[0];
  if (!t || t.event_id !== c.eventId) return reject('unknown-ticket', 'ticket not issued here', ids);
  if (t.venue_id !== venueId || (s.eventId && s.eventId !== c.eventId))
    return reject('wrong-event', `ticket for another event: ${t.title as string}`, ids);
  if (t.event_status === 'cancelled') return reject('event-cancelled', 'the event is cancelled', ids);
  if (t.status === 'refunded') return reject('refunded', 'ticket refunded', ids);
  if (t.status === 'revoked') return reject('revoked', 'ticket revoked', ids);
  const window = { validFrom: iso(t.valid_from), validUntil: iso(t.valid_until) };
  if (at < Date.parse(window.validFrom))
    return reject('not-yet-valid', `valid from ${window.validFrom}`, { ...ids, ...window });
  if (at > Date.parse(window.validUntil))
    return reject('expired', `valid until ${window.validUntil}`, { ...ids, ...window });
  const already = (row: Record<string, unknown>) =>
    reject(
      'already-scanned',
      `already scanned at ${iso(row.checked_in_at)} (${row.checked_in_door as string})`,
      {
        ...ids,
        firstScan: { at: iso(row.checked_in_at), door: row.checked_in_door as string },
      },
    );
  if (t.checked_in_at) return already(t);
  const u = await tx.query(
    `UPDATE tickets SET checked_in_at = $2, checked_in_door = $3, checkin_nonce = $4, updated_at = now()
     WHERE id = $1 AND checked_in_at IS NULL AND status = 'valid'`,
    [c.ticketId, new Date(at), s.door, s.nonce],
  );
  if (u.count !== 1) {
    const again = await tx.query<Record<string, unknown>>(
      'SELECT checked_in_at, checked_in_door FROM tickets WHERE id = $1',
      [c.ticketId],
    );
    return already(again.rows[0]);
  }
  return { ...base, status: 'admitted', ...ids, ...window };
}

/** Claims of a card-bound ticket scanned by its id (the venue gateway's door list); the card must match. */
async function boundClaims(tx: Tx, ticketId: string, cardUid: string | undefined) {
  const { rows } = await tx.query<Record<string, unknown>>(
    'SELECT id, event_id, category_no, audience, card_uid FROM tickets WHERE id = $1',
    [ticketId],
  );
  const t = rows[0];
  if (!t || (cardUid && t.card_uid !== cardUid)) return null;
  return {
    ticketId: t.id as string,
    eventId: t.event_id as string,
    categoryNo: num(t.category_no),
    audience: t.audience as Audience,
  };
}

export interface DoorCounts {
  eventId: string;
  capacity: number | null;
  sold: number;
  valid: number;
  refunded: number;
  revoked: number;
  checkedIn: number;
  /** Valid tickets not scanned yet. */
  expected: number;
  byCategory: { categoryNo: number; name: string; valid: number; checkedIn: number }[];
  byDoor: { door: string; admitted: number; rejected: number }[];
  rejections: Partial<Record<RejectReason, number>>;
}

export async function doorCounts(q: Queryable, venueId: string, eventId: string): Promise<DoorCounts> {
  const ev = await q.query<{ capacity: unknown; sold: unknown }>(
    'SELECT capacity, sold FROM ticket_events WHERE id = $1 AND venue_id = $2',
    [eventId, venueId],
  );
  if (!ev.rows[0]) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venueId}`, 404);
  const cats = await q.query<{
    no: unknown;
    name: string;
    valid: unknown;
    checked: unknown;
    refunded: unknown;
    revoked: unknown;
  }>(
    `SELECT c.no, c.name,
       count(t.id) FILTER (WHERE t.status = 'valid') AS valid,
       count(t.id) FILTER (WHERE t.status = 'valid' AND t.checked_in_at IS NOT NULL) AS checked,
       count(t.id) FILTER (WHERE t.status = 'refunded') AS refunded,
       count(t.id) FILTER (WHERE t.status = 'revoked') AS revoked
     FROM ticket_categories c LEFT JOIN tickets t ON t.category_id = c.id
     WHERE c.event_id = $1 GROUP BY c.no, c.name ORDER BY c.no`,
    [eventId],
  );
  const doors = await q.query<{ door: string; admitted: unknown; rejected: unknown }>(
    `SELECT door, count(*) FILTER (WHERE admitted) AS admitted, count(*) FILTER (WHERE NOT admitted) AS rejected
     FROM ticket_checkins WHERE venue_id = $1 AND event_id = $2 GROUP BY door ORDER BY door`,
    [venueId, eventId],
  );
  const rej = await q.query<{ reason: string; n: unknown }>(
    `SELECT result->>'reason' AS reason, count(*) AS n FROM ticket_checkins
     WHERE venue_id = $1 AND event_id = $2 AND NOT admitted GROUP BY 1`,
    [venueId, eventId],
  );
  const sum = (k: 'valid' | 'checked' | 'refunded' | 'revoked') =>
    cats.rows.reduce((s, r) => s + num(r[k]), 0);
  const valid = sum('valid');
  const checkedIn = sum('checked');
  return {
    eventId,
    capacity: ev.rows[0].capacity === null ? null : num(ev.rows[0].capacity),
    sold: num(ev.rows[0].sold),
    valid,
    refunded: sum('refunded'),
    revoked: sum('revoked'),
    checkedIn,
    expected: valid - checkedIn,
    byCategory: cats.rows.map((r) => ({
      categoryNo: num(r.no),
      name: r.name,
      valid: num(r.valid),
      checkedIn: num(r.checked),
    })),
    byDoor: doors.rows.map((r) => ({ door: r.door, admitted: num(r.admitted), rejected: num(r.rejected) })),
    rejections: Object.fromEntries(rej.rows.map((r) => [r.reason, num(r.n)])),
  };
}

export interface DoorListEntry {
  ticketId: string;
  categoryNo: number;
  audience: Audience;
  status: 'valid' | 'refunded' | 'revoked';
  validFrom: string;
  validUntil: string;
  checkedInAt: string | null;
  checkedInDoor: string | null;
  /** Card-bound ticket: the card UID that admits it when tapped. */
  cardUid: string | null;
}

/** Overlap of incremental door-list syncs: a change committed late is still picked up. */
const CURSOR_OVERLAP_MS = 10_000;

/**
 * The event's ticket list for the venue gateway (which admits offline across all its doors).
 * `since` (epoch ms, from the previous `cursor`) returns only tickets changed since; clients
 * upsert by ticket id.
 */
export async function doorList(q: Queryable, venueId: string, eventId: string, since: number | null) {
  const ev = await q.query<Record<string, unknown>>(
    'SELECT id, title, status, starts_at, ends_at, valid_from, valid_until FROM ticket_events WHERE id = $1 AND venue_id = $2',
    [eventId, venueId],
  );
  const e = ev.rows[0];
  if (!e) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venueId}`, 404);
  const started = Date.now();
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT id, category_no, audience, status, valid_from, valid_until, checked_in_at, checked_in_door, card_uid FROM tickets
     WHERE event_id = $1 AND ($2::timestamptz IS NULL OR updated_at > $2) ORDER BY id`,
    [eventId, since === null ? null : new Date(since)],
  );
  return {
    event: {
      id: e.id as string,
      title: e.title as string,
      status: e.status as string,
      startsAt: iso(e.starts_at),
      endsAt: iso(e.ends_at),
      validFrom: iso(e.valid_from),
      validUntil: iso(e.valid_until),
    },
    full: since === null,
    cursor: started - CURSOR_OVERLAP_MS,
    tickets: rows.map(
      (r): DoorListEntry => ({
        ticketId: r.id as string,
        categoryNo: num(r.category_no),
        audience: r.audience as Audience,
        status: r.status as DoorListEntry['status'],
        validFrom: iso(r.valid_from),
        validUntil: iso(r.valid_until),
        checkedInAt: r.checked_in_at ? iso(r.checked_in_at) : null,
        checkedInDoor: (r.checked_in_door as string | null) ?? null,
        cardUid: (r.card_uid as string | null) ?? null,
      }),
    ),
  };
}
