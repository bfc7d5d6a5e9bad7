/**
 * Door mode: the gateway holds the ticket lists of the venue's events of the day (pulled from the
 * cloud's door lists, incrementally with their cursor) in its SQLite, and admits card-bound tickets
 * on a tap, exactly once across all the venue's doors: the admission is a row keyed by the ticket
 * id (PRIMARY KEY), so two doors tapping at the same moment, or while the internet is down, cannot
 * both win. Admissions upload later to POST /v1/venues/:v/checkins, one nonce per scan (idempotent),
 * retried until the cloud answers.
 * Members-only events and member-price tickets also need a valid membership, asked of the same
 * cache the tills use (sync/membership-cache.ts): 'membership-expired' (and since when),
 * 'membership-required', or 'membership-unknown' offline past the cache's stand-in window.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { type CloudApi, CloudError } from '../sync/cloud-api.js';
import type { MembershipCache } from '../sync/membership-cache.js';
import { DoorRejections } from './door-rejections.js';

export const DOOR_REASONS = [
  'already-scanned',
  'refunded',
  'revoked',
  'event-cancelled',
  'not-yet-valid',
  'expired',
  'membership-expired',
  'membership-required',
  'membership-unknown',
  'no-ticket',
] as const;
export type DoorReason = (typeof DOOR_REASONS)[number];

export interface DoorAnswer {
  ok: boolean;
  reason?: DoorReason;
  /** Up to 4 short lines for the terminal's screen. */
  lines: string[];
  ticketId?: string;
  eventId?: string;
  /** already-scanned: the admitting scan. */
  firstScan?: { at: number; door: string };
  /** membership-expired: when it ended (epoch ms). */
  membershipUntil?: number;
}

interface EventSummary {
  id: string;
  title: string;
  status: string;
  timezone?: string;
  validFrom: string;
  validUntil: string;
}

/** A ticket as the cloud's door list sends it. */
export interface DoorListTicket {
  ticketId: string;
  categoryNo: number;
  audience: string;
  status: string;
  validFrom: string;
  validUntil: string;
  checkedInAt: string | null;
  checkedInDoor: string | null;
  cardUid?: string | null;
}

interface DoorListJson {
  event: { id: string; title: string; status: string; validFrom: string; validUntil: string };
  full: boolean;
  cursor: number;
  tickets: DoorListTicket[];
}

interface TicketRow {
  ticket_id: string;
  event_id: string;
  audience: string;
  status: string;
  valid_from: number;
  valid_until: number;
  cloud_checked_at: number | null;
  cloud_checked_door: string | null;
  ev_status: string;
  title: string;
  timezone: string | null;
  entry_at: number | null;
  entry_door: string | null;
  entry_tx: string | null;
}

/** Reasons by precedence when no ticket of the card admits. */
const PRECEDENCE: DoorReason[] = [
  'already-scanned',
  'event-cancelled',
  'refunded',
  'revoked',
  'membership-expired',
  'membership-required',
  'membership-unknown',
  'not-yet-valid',
  'expired',
  'no-ticket',
];

const MESSAGES: Record<DoorReason, string> = {
  'already-scanned': 'already scanned',
  refunded: 'ticket refunded',
  revoked: 'ticket revoked',
  'event-cancelled': 'event cancelled',
  'not-yet-valid': 'not yet valid',
  expired: 'ticket expired',
  'membership-expired': 'membership expired',
  'membership-required': 'members only',
  'membership-unknown': 'membership unknown',
  'no-ticket': 'no ticket',
};

/** Events pulled: those valid now or within this horizon. */
const HORIZON_MS = 24 * 3600_000;

export interface DoorDeskOptions {
  db: Database.Database;
  venueId: string;
  api?: CloudApi;
  log: Logger;
  /** How often to pull door lists and upload scans (default 5 s). */
  intervalMs?: number;
  now?: () => number;
}

export class DoorDesk {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Last sync error (undefined when the last round reached the cloud). */
  lastError: string | undefined;
  /** Refusals, uploaded to the cloud's door log with their reason. */
  readonly rejections: DoorRejections;

  constructor(private readonly o: DoorDeskOptions) {
    this.db = o.db;
    this.now = o.now ?? Date.now;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS door_events (
        event_id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, timezone TEXT,
        valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL, cursor INTEGER);
      CREATE TABLE IF NOT EXISTS door_tickets (
        ticket_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, card_uid TEXT, category_no INTEGER NOT NULL,
        audience TEXT NOT NULL, status TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL,
        cloud_checked_at INTEGER, cloud_checked_door TEXT);
      CREATE INDEX IF NOT EXISTS door_tickets_card ON door_tickets (card_uid);
      CREATE TABLE IF NOT EXISTS door_entries (
        ticket_id TEXT PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, tx TEXT, event_id TEXT NOT NULL,
        card_uid TEXT NOT NULL, door TEXT NOT NULL, at INTEGER NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 0, cloud_result TEXT);
      CREATE INDEX IF NOT EXISTS door_entries_pending ON door_entries (uploaded) WHERE uploaded = 0;
    `);
    this.rejections = new DoorRejections(this.db);
  }

  /** A ticket needs a valid membership at the door: a members-only event, or a member-price ticket. */
  private needsMember(r: { audience: string; event_id: string }, members: MembershipCache): boolean {
    return r.audience === 'member' || members.isMembersOnly(r.event_id);
  }

  /** Whether the card holds a not-yet-admitted ticket that needs a membership (refresh it first). */
  needsMembership(cardUid: string, members: MembershipCache): boolean {
    const rows = this.db
      .prepare(
        `SELECT t.event_id, t.audience FROM door_tickets t LEFT JOIN door_entries d ON d.ticket_id = t.ticket_id
         WHERE t.card_uid = ? AND t.status = 'valid' AND d.ticket_id IS NULL AND t.cloud_checked_at IS NULL`,
      )
      .all(cardUid) as { event_id: string; audience: string }[];
    return rows.some((r) => this.needsMember(r, members));
  }

  /**
   * Checks a card in at a door: admits its valid ticket for the current event, once. With
   * `members`, members-only events and member-price tickets need a valid membership (the cache the
   * tills use too).
   */
  check(cardUid: string, door: string, tx?: string, members?: MembershipCache): DoorAnswer {
    const now = this.now();
    return this.db.transaction((): DoorAnswer => {
      const rows = this.db
        .prepare(
          `SELECT t.ticket_id, t.event_id, t.audience, t.status, t.valid_from, t.valid_until, t.cloud_checked_at, t.cloud_checked_door,
             e.status AS ev_status, e.title, e.timezone, d.at AS entry_at, d.door AS entry_door, d.tx AS entry_tx
           FROM door_tickets t JOIN door_events e ON e.event_id = t.event_id
           LEFT JOIN door_entries d ON d.ticket_id = t.ticket_id
           WHERE t.card_uid = ? ORDER BY t.valid_from, t.ticket_id`,
        )
        .all(cardUid) as TicketRow[];
      // A re-sent tap (same tx) gets its first answer again.
      const mine = tx ? rows.find((r) => r.entry_tx === tx) : undefined;
      if (mine) return this.admitted(mine);
      let best: { reason: DoorReason; row?: TicketRow; until?: number } = { reason: 'no-ticket' };
      for (const r of rows) {
        const reason = this.reasonFor(r, now);
        if (!reason && members && this.needsMember(r, members)) {
          const v = members.verdict(cardUid, now);
          if (!v.member) {
            best = this.better(best, { reason: v.reason, row: r, until: v.validUntil ?? undefined });
            continue;
          }
        }
        if (!reason) {
          const ins = this.db
            .prepare(
              `INSERT INTO door_entries (ticket_id, nonce, tx, event_id, card_uid, door, at) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (ticket_id) DO NOTHING`,
            )
            .run(r.ticket_id, randomUUID(), tx ?? null, r.event_id, cardUid, door, now);
          if (ins.changes === 1) return this.admitted(r);
          const e = this.db
            .prepare('SELECT at, door FROM door_entries WHERE ticket_id = ?')
            .get(r.ticket_id) as { at: number; door: string };
          r.entry_at = e.at;
          r.entry_door = e.door;
          best = this.better(best, { reason: 'already-scanned', row: r });
          continue;
        }
        best = this.better(best, { reason, row: r });
      }
      const a = this.rejected(best.reason, best.row);
      if (best.reason === 'membership-expired' && best.until !== undefined) {
        a.membershipUntil = best.until;
        a.lines.push(new Date(best.until).toISOString().slice(0, 10));
      }
      this.rejections.record({ answer: a, cardUid, door, tx, at: now });
      return a;
    })();
  }

  private better<T extends { reason: DoorReason }>(a: T, b: T): T {
    return PRECEDENCE.indexOf(b.reason) < PRECEDENCE.indexOf(a.reason) ? b : a;
  }

  private reasonFor(r: TicketRow, now: number): DoorReason | undefined {
    if (r.entry_at !== null || r.cloud_checked_at !== null) return 'already-scanned';
    if (r.ev_status === 'cancelled') return 'event-cancelled';
    if (r.status === 'refunded') return 'refunded';
    if (r.status === 'revoked') return 'revoked';
    if (now < r.valid_from) return 'not-yet-valid';
    if (now > r.valid_until) return 'expired';
    return undefined;
  }

  private time(ms: number, tz: string | null): string {
    try {
      return new Intl.DateTimeFormat('fr-FR', {
        hour: '2-digit',
        minute: '2-digit',
        timeZone: tz ?? 'UTC',
      }).format(ms);
    } catch {
      return new Date(ms).toISOString().slice(11, 16);
    }
  }

  private admitted(r: TicketRow): DoorAnswer {
    return { ok: true, lines: ['welcome', r.title.slice(0, 32)], ticketId: r.ticket_id, eventId: r.event_id };
  }

  /**
   * The verdict's first line is for logs; the terminal words the verdict in its own language and
   * shows the detail lines as they are, so those hold values only (a time, a date, a door): no
   * word the gateway would have to translate without knowing the terminal's language.
   */
  private rejected(reason: DoorReason, r?: TicketRow): DoorAnswer {
    const a: DoorAnswer = { ok: false, reason, lines: [MESSAGES[reason]] };
    if (r) {
      a.ticketId = r.ticket_id;
      a.eventId = r.event_id;
    }
    if (reason === 'already-scanned' && r) {
      const at = r.entry_at ?? r.cloud_checked_at!;
      const door = r.entry_at !== null ? r.entry_door! : (r.cloud_checked_door ?? '?');
      a.firstScan = { at, door };
      a.lines.push(`${this.time(at, r.timezone)} ${door}`.slice(0, 32));
    } else if (reason === 'not-yet-valid' && r) a.lines.push(this.time(r.valid_from, r.timezone));
    else if (reason === 'expired' && r) a.lines.push(this.time(r.valid_until, r.timezone));
    return a;
  }

  /** Pulls the door lists of the events of the day (incremental with each event's cursor). */
  async pull(): Promise<void> {
    const api = this.o.api;
    if (!api) return;
    const v = encodeURIComponent(this.o.venueId);
    const now = this.now();
    const { events } = await api.getJson<{ events: EventSummary[] }>(`/v1/venues/${v}/events`);
    for (const e of events) {
      const from = Date.parse(e.validFrom);
      const until = Date.parse(e.validUntil);
      if (until < now || from > now + HORIZON_MS) continue;
      const cur = this.db.prepare('SELECT cursor FROM door_events WHERE event_id = ?').get(e.id) as
        | { cursor: number | null }
        | undefined;
      const since = cur?.cursor ?? null;
      const list = await api.getJson<DoorListJson>(
        `/v1/venues/${v}/events/${encodeURIComponent(e.id)}/door-list${since === null ? '' : `?since=${since}`}`,
      );
      this.applyList(list, e.timezone ?? null);
    }
  }

  private applyList(list: DoorListJson, timezone: string | null): void {
    const upEvent = this.db.prepare(
      `INSERT INTO door_events (event_id, title, status, timezone, valid_from, valid_until, cursor) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET title = excluded.title, status = excluded.status, timezone = excluded.timezone,
         valid_from = excluded.valid_from, valid_until = excluded.valid_until, cursor = excluded.cursor`,
    );
    const upTicket = this.db.prepare(
      `INSERT INTO door_tickets (ticket_id, event_id, card_uid, category_no, audience, status, valid_from, valid_until, cloud_checked_at, cloud_checked_door)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ticket_id) DO UPDATE SET card_uid = excluded.card_uid, status = excluded.status,
         valid_from = excluded.valid_from, valid_until = excluded.valid_until,
         cloud_checked_at = excluded.cloud_checked_at, cloud_checked_door = excluded.cloud_checked_door`,
    );
    this.db.transaction(() => {
      const e = list.event;
      upEvent.run(
        e.id,
        e.title,
        e.status,
        timezone,
        Date.parse(e.validFrom),
        Date.parse(e.validUntil),
        list.cursor,
      );
      for (const t of list.tickets)
        upTicket.run(
          t.ticketId,
          e.id,
          t.cardUid ?? null,
          t.categoryNo,
          t.audience,
          t.status,
          Date.parse(t.validFrom),
          Date.parse(t.validUntil),
          t.checkedInAt ? Date.parse(t.checkedInAt) : null,
          t.checkedInDoor,
        );
    })();
  }

  /** Scans admitted here and not yet acknowledged by the cloud. */
  pending(): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM door_entries WHERE uploaded = 0').get() as { n: number }
    ).n;
  }

  /** Uploads admitted scans (nonce per scan: a re-upload after a lost answer is harmless). */
  async upload(): Promise<number> {
    const api = this.o.api;
    if (!api) return 0;
    const rows = this.db
      .prepare(
        'SELECT ticket_id, nonce, event_id, card_uid, door, at FROM door_entries WHERE uploaded = 0 ORDER BY at LIMIT 500',
      )
      .all() as {
      ticket_id: string;
      nonce: string;
      event_id: string;
      card_uid: string;
      door: string;
      at: number;
    }[];
    if (rows.length === 0) return 0;
    const res = await api.postJson<{ results: { nonce: string; status: string; reason?: string }[] }>(
      `/v1/venues/${encodeURIComponent(this.o.venueId)}/checkins`,
      {
        scans: rows.map((r) => ({
          nonce: r.nonce,
          ticketId: r.ticket_id,
          cardUid: r.card_uid,
          eventId: r.event_id,
          door: r.door.slice(0, 64),
          scannedAt: new Date(r.at).toISOString(),
        })),
      },
    );
    const mark = this.db.prepare('UPDATE door_entries SET uploaded = 1, cloud_result = ? WHERE nonce = ?');
    this.db.transaction(() => {
      for (const r of res.results) mark.run(JSON.stringify(r), r.nonce);
    })();
    for (const r of res.results)
      if (r.status !== 'admitted')
        this.o.log.warn(
          { nonce: r.nonce, reason: r.reason },
          'door: the cloud disagreed with a local admission',
        );
    return res.results.length;
  }

  /**
   * Refusals go last and on their own: a cloud that cannot take them yet (older version, error)
   * must not hold back admissions or door lists. They stay pending until acknowledged.
   */
  private async uploadRejections(): Promise<void> {
    try {
      await this.rejections.upload(this.o.api, this.o.venueId, this.o.log);
    } catch (e) {
      const refused = e instanceof CloudError && e.status >= 400 && e.status < 500 && e.status !== 429;
      this.o.log[refused ? 'warn' : 'debug']({ err: (e as Error).message }, 'door: rejections not uploaded');
    }
  }

  /** One round: upload first (the cloud then knows our entries), then pull the lists. */
  async sync(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.upload();
        await this.pull();
        await this.uploadRejections();
        this.lastError = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
        if (e instanceof CloudError && e.status >= 400 && e.status < 500 && e.status !== 429)
          this.o.log.warn({ err: e.message, body: e.body }, 'door sync refused');
        else this.o.log.debug({ err: this.lastError }, 'door sync: cloud unreachable');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  start(): void {
    if (!this.o.api || this.timer) return;
    void this.sync();
    this.timer = setInterval(() => void this.sync(), this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/** The desk of each gateway context (the tap handler finds it here). */
const desks = new WeakMap<object, DoorDesk>();
export const attachDoorDesk = (ctx: object, desk: DoorDesk): void => void desks.set(ctx, desk);
export const doorDeskOf = (ctx: object): DoorDesk | undefined => desks.get(ctx);
