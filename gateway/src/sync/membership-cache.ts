/**
 * The gateway's cache of the cloud's membership status (the one source: the cloud's membership
 * periods). Filled by the config download (every relevant card of the federation, plus the venue's
 * members-only events) and by each card lease; kept in the journal's SQLite so a restart while the
 * internet is down still knows its members. The door desk and the tills ask `verdict()`, so a card
 * cannot be a member at the bar and a non-member at the door of the same venue.
 *
 * The rule (the cloud's too): a member at `now` ⇔ validFrom <= now < validUntil.
 * Freshness: an entry is fresh for `ttlMs` after the cloud confirmed it (a config download, a 304
 * on it, or a lease); a stale entry is refreshed before use when the cloud is reachable.
 * Stand-in (cloud unreachable): a stale entry is still trusted for `standInMs` beyond its TTL —
 * both ways, since expiry dates are absolute and only a purchase or a revocation since the last
 * refresh can change the answer; after that the gateway says 'membership-unknown' rather than
 * guess. Defaults (15 min, 24 h) are the cloud's unless it sends others.
 */
import type Database from 'better-sqlite3';

export type MembershipReason = 'membership-expired' | 'membership-required' | 'membership-unknown';

export type MemberVerdict =
  | { member: true; validUntil: number; stale: boolean }
  | { member: false; reason: MembershipReason; validUntil: number | null; stale: boolean };

export interface CloudMembershipDoc {
  ttlMs?: number;
  standInMs?: number;
  membersOnlyEvents?: string[];
  cards?: { cardUid: string; validFrom: number; validUntil: number }[];
  /** Partner perks: the holders of each membership the venue's partner rules name (by key). */
  partners?: { key: string; cards: { cardUid: string; validFrom: number; validUntil: number }[] }[];
}

export interface LeaseMembership {
  state: 'valid' | 'expired' | 'none';
  validFrom: number | null;
  validUntil: number | null;
  partners?: { key: string; validFrom: number | null; validUntil: number | null }[];
}

interface Entry {
  validFrom: number | null;
  validUntil: number | null;
  fetchedAt: number;
}

export const DEFAULT_TTL_MS = 15 * 60_000;
export const DEFAULT_STAND_IN_MS = 24 * 3600_000;

/** The pure decision, shared by every caller. */
export function membershipVerdict(
  e: Entry | undefined,
  now: number,
  ttlMs: number,
  standInMs: number,
): MemberVerdict {
  if (!e || e.fetchedAt === 0)
    return { member: false, reason: 'membership-unknown', validUntil: null, stale: true };
  const age = now - e.fetchedAt;
  const stale = age > ttlMs;
  if (age > ttlMs + standInMs)
    return { member: false, reason: 'membership-unknown', validUntil: e.validUntil, stale };
  if (e.validFrom !== null && e.validUntil !== null && e.validFrom <= now && now < e.validUntil)
    return { member: true, validUntil: e.validUntil, stale };
  if (e.validUntil !== null && e.validUntil <= now)
    return { member: false, reason: 'membership-expired', validUntil: e.validUntil, stale };
  return { member: false, reason: 'membership-required', validUntil: null, stale };
}

export class MembershipCache {
  ttlMs = DEFAULT_TTL_MS;
  standInMs = DEFAULT_STAND_IN_MS;
  private membersOnly = new Set<string>();
  /** When the last full list was confirmed: the freshness of every card it does not list. */
  private listAt = 0;
  private listSavedAt = 0;
  private readonly cards = new Map<string, Entry>();
  /**
   * Partner memberships (another venue's, named by a partner rule's key): per key, when its full
   * list was confirmed and its holders. Same rule, TTL and stand-in as the venue's own members.
   */
  private readonly partners = new Map<string, { listAt: number; cards: Map<string, Entry> }>();

  constructor(private readonly db?: Database.Database) {
    if (!db) return;
    db.exec(`
      CREATE TABLE IF NOT EXISTS membership_cache (
        card_uid TEXT PRIMARY KEY, valid_from INTEGER, valid_until INTEGER, fetched_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS membership_cache_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1), list_at INTEGER NOT NULL, ttl_ms INTEGER NOT NULL,
        stand_in_ms INTEGER NOT NULL, members_only TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS membership_partner_cache (
        key TEXT NOT NULL, card_uid TEXT NOT NULL, valid_from INTEGER, valid_until INTEGER,
        fetched_at INTEGER NOT NULL, PRIMARY KEY (key, card_uid));
      CREATE TABLE IF NOT EXISTS membership_partner_keys (key TEXT PRIMARY KEY, list_at INTEGER NOT NULL);
    `);
    const meta = db.prepare('SELECT * FROM membership_cache_meta WHERE id = 1').get() as
      | { list_at: number; ttl_ms: number; stand_in_ms: number; members_only: string }
      | undefined;
    if (meta) {
      this.listAt = meta.list_at;
      this.ttlMs = meta.ttl_ms;
      this.standInMs = meta.stand_in_ms;
      this.membersOnly = new Set(JSON.parse(meta.members_only) as string[]);
    }
    for (const r of db.prepare('SELECT * FROM membership_cache').all() as {
      card_uid: string;
      valid_from: number | null;
      valid_until: number | null;
      fetched_at: number;
    }[])
      this.cards.set(r.card_uid, {
        validFrom: r.valid_from,
        validUntil: r.valid_until,
        fetchedAt: r.fetched_at,
      });
    for (const r of db.prepare('SELECT key, list_at FROM membership_partner_keys').all() as {
      key: string;
      list_at: number;
    }[])
      this.partners.set(r.key, { listAt: r.list_at, cards: new Map() });
    for (const r of db.prepare('SELECT * FROM membership_partner_cache').all() as {
      key: string;
      card_uid: string;
      valid_from: number | null;
      valid_until: number | null;
      fetched_at: number;
    }[])
      this.partnerOf(r.key).cards.set(r.card_uid, {
        validFrom: r.valid_from,
        validUntil: r.valid_until,
        fetchedAt: r.fetched_at,
      });
  }

  private partnerOf(key: string): { listAt: number; cards: Map<string, Entry> } {
    const known = this.partners.get(key);
    if (known) return known;
    const p = { listAt: 0, cards: new Map<string, Entry>() };
    this.partners.set(key, p);
    return p;
  }

  /** A full list from the config download, as of `at` (replaces every entry). */
  applyDoc(doc: CloudMembershipDoc, at: number): void {
    if (doc.ttlMs !== undefined) this.ttlMs = doc.ttlMs;
    if (doc.standInMs !== undefined) this.standInMs = doc.standInMs;
    this.membersOnly = new Set(doc.membersOnlyEvents ?? []);
    this.listAt = at;
    this.cards.clear();
    for (const c of doc.cards ?? [])
      this.cards.set(c.cardUid, { validFrom: c.validFrom, validUntil: c.validUntil, fetchedAt: at });
    // An older cloud sends no partners: what is known stays (it ages into 'unknown' as usual).
    if (doc.partners) {
      this.partners.clear();
      for (const k of doc.partners)
        this.partners.set(k.key, {
          listAt: at,
          cards: new Map(
            k.cards.map((c) => [
              c.cardUid,
              { validFrom: c.validFrom, validUntil: c.validUntil, fetchedAt: at },
            ]),
          ),
        });
    }
    this.persistAll();
  }

  /**
   * The cloud answered "unchanged" (304) at `at`: the list is confirmed fresh. A card leased since
   * the last full list cannot disagree with it (any change would have changed the list's ETag).
   */
  confirmed(at: number): void {
    if (this.listAt === 0) return; // nothing was ever listed: a 304 confirms nothing
    this.listAt = at;
    for (const p of this.partners.values()) if (p.listAt > 0) p.listAt = at;
    // The in-memory time is authoritative while running; on disk at most once a minute (an older
    // time after a restart only makes the cache look staler, never fresher).
    if (at - this.listSavedAt >= 60_000) this.persistMeta();
  }

  /** One card's status, from a lease answered at `at`. */
  applyLease(cardUid: string, m: LeaseMembership | undefined, at: number): void {
    if (!m) return; // an older cloud: no membership in leases
    const e: Entry = { validFrom: m.validFrom, validUntil: m.validUntil, fetchedAt: at };
    this.cards.set(cardUid, e);
    this.db
      ?.prepare(
        `INSERT INTO membership_cache (card_uid, valid_from, valid_until, fetched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (card_uid) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until,
           fetched_at = excluded.fetched_at`,
      )
      .run(cardUid, e.validFrom, e.validUntil, e.fetchedAt);
    for (const x of m.partners ?? []) {
      const pe: Entry = { validFrom: x.validFrom, validUntil: x.validUntil, fetchedAt: at };
      this.partnerOf(x.key).cards.set(cardUid, pe);
      this.db
        ?.prepare(
          `INSERT INTO membership_partner_cache (key, card_uid, valid_from, valid_until, fetched_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (key, card_uid) DO UPDATE SET valid_from = excluded.valid_from,
             valid_until = excluded.valid_until, fetched_at = excluded.fetched_at`,
        )
        .run(x.key, cardUid, pe.validFrom, pe.validUntil, pe.fetchedAt);
      this.db
        ?.prepare(
          'INSERT INTO membership_partner_keys (key, list_at) VALUES (?, 0) ON CONFLICT (key) DO NOTHING',
        )
        .run(x.key);
    }
  }

  /**
   * A card's standing in a partner membership (`key`: see partnerKey), by the same rule and
   * stand-in as verdict(); undefined when the cloud never named that key (not a membership it knows:
   * the caller falls back to the badge balance, as a standalone gateway does).
   */
  partnerVerdict(cardUid: string, key: string, now: number): MemberVerdict | undefined {
    const p = this.partners.get(key);
    if (!p) return undefined;
    const e = p.cards.get(cardUid);
    const entry = e
      ? { ...e, fetchedAt: Math.max(e.fetchedAt, p.listAt) }
      : p.listAt > 0
        ? { validFrom: null, validUntil: null, fetchedAt: p.listAt }
        : undefined;
    return membershipVerdict(entry, now, this.ttlMs, this.standInMs);
  }

  /** The partner memberships the cloud named (keys, see partnerKey): a rule naming another gets no perk. */
  partnerKeys(): string[] {
    return [...this.partners.keys()].sort();
  }

  private entry(cardUid: string): Entry | undefined {
    const e = this.cards.get(cardUid);
    if (e) return { ...e, fetchedAt: Math.max(e.fetchedAt, this.listAt) };
    return this.listAt > 0 ? { validFrom: null, validUntil: null, fetchedAt: this.listAt } : undefined;
  }

  verdict(cardUid: string, now: number): MemberVerdict {
    return membershipVerdict(this.entry(cardUid), now, this.ttlMs, this.standInMs);
  }

  /** The entry is past its TTL (or unknown): refresh it before deciding, if the cloud answers. */
  stale(cardUid: string, now: number): boolean {
    const e = this.entry(cardUid);
    return !e || now - e.fetchedAt > this.ttlMs;
  }

  isMembersOnly(eventId: string): boolean {
    return this.membersOnly.has(eventId);
  }

  /** Whether the cloud ever told us anything (a standalone gateway falls back to badges). */
  get known(): boolean {
    return this.listAt > 0 || this.cards.size > 0;
  }

  private persistMeta(): void {
    this.listSavedAt = this.listAt;
    this.db
      ?.prepare(
        `INSERT INTO membership_cache_meta (id, list_at, ttl_ms, stand_in_ms, members_only) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET list_at = excluded.list_at, ttl_ms = excluded.ttl_ms,
           stand_in_ms = excluded.stand_in_ms, members_only = excluded.members_only`,
      )
      .run(this.listAt, this.ttlMs, this.standInMs, JSON.stringify([...this.membersOnly]));
    const key = this.db?.prepare(
      'INSERT INTO membership_partner_keys (key, list_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET list_at = excluded.list_at',
    );
    if (key) for (const [k, p] of this.partners) key.run(k, p.listAt);
  }

  private persistAll(): void {
    const db = this.db;
    if (!db) return;
    db.transaction(() => {
      db.prepare('DELETE FROM membership_cache').run();
      const ins = db.prepare(
        'INSERT INTO membership_cache (card_uid, valid_from, valid_until, fetched_at) VALUES (?, ?, ?, ?)',
      );
      for (const [uid, e] of this.cards) ins.run(uid, e.validFrom, e.validUntil, e.fetchedAt);
      db.prepare('DELETE FROM membership_partner_cache').run();
      db.prepare('DELETE FROM membership_partner_keys').run();
      const pins = db.prepare(
        'INSERT INTO membership_partner_cache (key, card_uid, valid_from, valid_until, fetched_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const [k, p] of this.partners)
        for (const [uid, e] of p.cards) pins.run(k, uid, e.validFrom, e.validUntil, e.fetchedAt);
      this.persistMeta();
    })();
  }
}

/** The cache of each gateway context (handlers find it here, as the door desk). */
const caches = new WeakMap<object, MembershipCache>();
export const attachMembershipCache = (ctx: object, c: MembershipCache): void => void caches.set(ctx, c);
export const membershipCacheOf = (ctx: object): MembershipCache | undefined => caches.get(ctx);

/**
 * Member prices at the tills: the cached status when the cloud ever sent one (unknown → not a
 * member: a member price is never given on a guess), undefined for a standalone gateway (badges).
 */
export function memberForPrices(ctx: object, cardUid: string, now: number): boolean | undefined {
  const c = caches.get(ctx);
  if (!c?.known) return undefined;
  return c.verdict(cardUid, now).member;
}

/**
 * Partner perks at the tills: whether the card holds a valid membership the key names (the cache,
 * by the cloud's periods: never on a guess past the stand-in window), or undefined when the cloud
 * never named that key (standalone gateway, older cloud, a badge that is no membership: the badge
 * balance decides).
 */
export function partnerForPrices(
  ctx: object,
  cardUid: string,
  key: string,
  now: number,
): boolean | undefined {
  const v = caches.get(ctx)?.partnerVerdict(cardUid, key, now);
  return v === undefined ? undefined : v.member;
}
