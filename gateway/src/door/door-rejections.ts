/**
 * Rejected door taps, kept so that the cloud's door log and live counts show every refusal with
 * its reason ("a rejection always says why, on the terminal and in the app"), also those decided
 * while the internet was down. Each refusal gets a nonce when it happens; uploads to
 * POST /v1/venues/:v/door-rejections are idempotent per nonce and retried until acknowledged.
 * A re-sent tap (same tx) is recorded once.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CloudApi } from '../sync/cloud-api.js';

export interface RejectedTap {
  answer: {
    reason?: string;
    lines: string[];
    ticketId?: string;
    eventId?: string;
    firstScan?: { at: number; door: string };
  };
  cardUid: string;
  door: string;
  tx?: string;
  at: number;
}

interface Row {
  nonce: string;
  card_uid: string;
  door: string;
  at: number;
  reason: string;
  message: string;
  ticket_id: string | null;
  event_id: string | null;
  first_at: number | null;
  first_door: string | null;
}

const BATCH = 500;

export class DoorRejections {
  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS door_rejections (
        nonce TEXT PRIMARY KEY, tx TEXT UNIQUE, card_uid TEXT NOT NULL, door TEXT NOT NULL, at INTEGER NOT NULL,
        reason TEXT NOT NULL, message TEXT NOT NULL, ticket_id TEXT, event_id TEXT, first_at INTEGER, first_door TEXT,
        uploaded INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS door_rejections_pending ON door_rejections (uploaded, at) WHERE uploaded = 0;
    `);
  }

  /** Records a refusal (inside the door check's transaction). */
  record(r: RejectedTap): void {
    // A card with no ticket names no event: it is filed under the event the door is running,
    // when there is exactly one.
    let eventId = r.answer.eventId ?? null;
    if (!eventId) {
      const live = this.db
        .prepare('SELECT event_id FROM door_events WHERE valid_from <= ? AND valid_until >= ? LIMIT 2')
        .all(r.at, r.at) as { event_id: string }[];
      if (live.length === 1) eventId = live[0].event_id;
    }
    this.db
      .prepare(
        `INSERT INTO door_rejections (nonce, tx, card_uid, door, at, reason, message, ticket_id, event_id, first_at, first_door)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        randomUUID(),
        r.tx ?? null,
        r.cardUid,
        r.door,
        r.at,
        r.answer.reason ?? 'rejected',
        r.answer.lines.join(' / ').slice(0, 200),
        r.answer.ticketId ?? null,
        eventId,
        r.answer.firstScan?.at ?? null,
        r.answer.firstScan?.door ?? null,
      );
  }

  /** Refusals not yet acknowledged by the cloud. */
  pending(): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM door_rejections WHERE uploaded = 0').get() as { n: number }
    ).n;
  }

  /** Uploads pending refusals, oldest first; returns how many the cloud acknowledged. */
  async upload(api: CloudApi | undefined, venueId: string, log: Logger): Promise<number> {
    if (!api) return 0;
    let done = 0;
    for (;;) {
      const rows = this.db
        .prepare(
          `SELECT nonce, card_uid, door, at, reason, message, ticket_id, event_id, first_at, first_door
           FROM door_rejections WHERE uploaded = 0 ORDER BY at, nonce LIMIT ${BATCH}`,
        )
        .all() as Row[];
      if (rows.length === 0) return done;
      const res = await api.postJson<{ results: { nonce: string; status: string }[] }>(
        `/v1/venues/${encodeURIComponent(venueId)}/door-rejections`,
        {
          rejections: rows.map((r) => ({
            nonce: r.nonce,
            reason: r.reason,
            message: r.message,
            door: r.door.slice(0, 64),
            scannedAt: new Date(r.at).toISOString(),
            ...(r.ticket_id ? { ticketId: r.ticket_id } : {}),
            ...(r.event_id ? { eventId: r.event_id } : {}),
            cardUid: r.card_uid,
            ...(r.first_at !== null
              ? {
                  firstScan: {
                    at: new Date(r.first_at).toISOString(),
                    door: (r.first_door ?? '?').slice(0, 64),
                  },
                }
              : {}),
          })),
        },
      );
      const mark = this.db.prepare('UPDATE door_rejections SET uploaded = 1 WHERE nonce = ?');
      this.db.transaction(() => {
        for (const r of res.results) mark.run(r.nonce);
      })();
      for (const r of res.results)
        if (r.status === 'nonce-conflict')
          log.warn({ nonce: r.nonce }, 'door: the cloud holds another scan under this nonce');
      done += res.results.length;
      if (rows.length < BATCH) return done;
    }
  }
}
