// Rejections decided by the venue gateway at its doors (offline or not): uploaded later with the
// terminal's nonce, stored next to the cloud's own scans (ticket_checkins, admitted = false) so the
// event's live counts and door log show every refusal with its reason. Idempotent per
// (venue, nonce): a re-upload after a lost answer stores nothing new and gets the same answer.
import { buf, type Queryable, type Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { bodyHash } from '../util/canonical.js';

export interface GatewayRejection {
  nonce: string;
  /** The gateway's reason (already-scanned, refunded, event-cancelled, no-ticket, membership-…). */
  reason: string;
  /** The line(s) the terminal showed, joined. */
  message?: string;
  door: string;
  scannedAt: string;
  ticketId?: string;
  eventId?: string;
  cardUid?: string;
  /** already-scanned: the admitting scan as the gateway knew it. */
  firstScan?: { at: string; door: string };
}

export interface RejectionAck {
  nonce: string;
  status: 'stored' | 'replayed' | 'nonce-conflict';
}

const MAX_SKEW_MS = 5 * 60_000;

export async function storeRejections(
  tx: Tx,
  venueId: string,
  list: GatewayRejection[],
): Promise<RejectionAck[]> {
  const out: RejectionAck[] = [];
  for (const r of list) {
    const at = Date.parse(r.scannedAt);
    if (!Number.isFinite(at) || at > Date.now() + MAX_SKEW_MS)
      throw new LedgerError('bad-request', `rejection ${r.nonce}: bad scannedAt`);
    // Only this venue's events are attached (a foreign id is kept in the result, not linked).
    const ev = r.eventId
      ? (await tx.query('SELECT 1 FROM ticket_events WHERE id = $1 AND venue_id = $2', [r.eventId, venueId]))
          .rows[0]
      : undefined;
    const result = {
      nonce: r.nonce,
      status: 'rejected',
      reason: r.reason,
      message: r.message ?? r.reason,
      source: 'gateway',
      door: r.door,
      scannedAt: new Date(at).toISOString(),
      ...(r.ticketId ? { ticketId: r.ticketId } : {}),
      ...(r.eventId ? { eventId: r.eventId } : {}),
      ...(r.firstScan ? { firstScan: r.firstScan } : {}),
    };
    const hash = bodyHash({ gatewayRejection: result, cardUid: r.cardUid ?? null });
    const ins = await tx.query(
      `INSERT INTO ticket_checkins (venue_id, nonce, body_hash, ticket_id, event_id, door, scanned_at, admitted, result)
       VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8::jsonb) ON CONFLICT DO NOTHING`,
      [
        venueId,
        r.nonce,
        hash,
        r.ticketId ?? null,
        ev ? r.eventId : null,
        r.door,
        new Date(at),
        JSON.stringify(result),
      ],
    );
    if (ins.count === 1) {
      out.push({ nonce: r.nonce, status: 'stored' });
      continue;
    }
    const prior = await tx.query<{ body_hash: unknown }>(
      'SELECT body_hash FROM ticket_checkins WHERE venue_id = $1 AND nonce = $2',
      [venueId, r.nonce],
    );
    out.push({
      nonce: r.nonce,
      status: prior.rows[0] && buf(prior.rows[0].body_hash).equals(hash) ? 'replayed' : 'nonce-conflict',
    });
  }
  return out;
}

export interface DoorLogEntry {
  nonce: string;
  admitted: boolean;
  reason: string | null;
  message: string | null;
  /** 'gateway' for a rejection decided at the venue gateway, 'cloud' for scans judged here. */
  source: 'gateway' | 'cloud';
  door: string;
  scannedAt: string;
  ticketId: string | null;
  firstScan: { at: string; door: string } | null;
}

/** The event's door log, newest first: every admission and every rejection with its reason. */
export async function doorLog(
  q: Queryable,
  venueId: string,
  eventId: string,
  opts: { limit?: number; rejectedOnly?: boolean } = {},
): Promise<DoorLogEntry[]> {
  const ev = await q.query('SELECT 1 FROM ticket_events WHERE id = $1 AND venue_id = $2', [eventId, venueId]);
  if (!ev.rows[0]) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venueId}`, 404);
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT nonce, admitted, result, door, scanned_at, ticket_id FROM ticket_checkins
     WHERE venue_id = $1 AND event_id = $2 AND ($3::boolean IS NOT TRUE OR NOT admitted)
     ORDER BY scanned_at DESC, nonce LIMIT $4`,
    [venueId, eventId, opts.rejectedOnly ?? false, Math.min(opts.limit ?? 200, 1000)],
  );
  return rows.map((r) => {
    const res = (r.result ?? {}) as Record<string, unknown>;
    return {
      nonce: r.nonce as string,
      admitted: r.admitted === true,
      reason: (res.reason as string | undefined) ?? null,
      message: (res.message as string | undefined) ?? null,
      source: res.source === 'gateway' ? 'gateway' : 'cloud',
      door: r.door as string,
      scannedAt: new Date(r.scanned_at as string).toISOString(),
      ticketId: (r.ticket_id as string | null) ?? null,
      firstScan: (res.firstScan as DoorLogEntry['firstScan']) ?? null,
    };
  });
}
