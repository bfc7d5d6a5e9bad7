/**
 * The journal: the gateway's source of truth, in SQLite (WAL). A tap is answered only after
 * its record is durable. Writes are group-committed: every record appended during one turn of
 * the event loop shares one transaction; then one fsync of the WAL file, run on libuv's thread
 * pool, makes the whole group durable while the event loop goes on with the next one (SQLite's
 * synchronous=FULL would do the same fsync but block the loop). An unplugged Raspberry Pi loses
 * nothing it has answered.
 *
 * Idempotency: the terminal's tx id is UNIQUE; a re-sent tap finds its record (or joins the
 * pending one) and gets the same answer.
 */
import { closeSync, fsync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';

/** `hold`: a self-service tap's authorization (local only); its pour is journaled as `<tx>-p`. */
export type TxType = 'spend' | 'topup' | 'void' | 'declined' | 'balance' | 'hold';
/** 0 = waiting for the cloud, 1 = in the cloud, 2 = refused by the cloud (reconcile), 3 = local only. */
export type SyncState = 0 | 1 | 2 | 3;

export interface Leg {
  asset: string;
  amount: number;
}

export interface TxRecord {
  tx: string;
  device: string;
  card: string;
  type: TxType;
  legs: Leg[];
  /** What the terminal was told (its canonical result body). */
  result: string;
  offline: boolean;
  at: number;
  extra?: {
    funding?: string;
    voids?: string;
    reason?: string;
    cashierId?: string;
    standIn?: number;
    /** The card issue (cloud's re-issue count) authorized against, when the gateway knew it. */
    issue?: number;
    /** A terminal cart's items, and the promotion rules that lowered its price (discount per rule). */
    items?: { sku: string; qty: number }[];
    promo?: { rule: string; amount: number }[];
  };
}

export interface StoredTx extends TxRecord {
  seq: number;
  sync: SyncState;
}

interface Row {
  seq: number;
  tx: string;
  device: string;
  card: string;
  type: TxType;
  legs: string;
  result: string;
  offline: number;
  at: number;
  extra: string | null;
  sync: SyncState;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tx (
  seq INTEGER PRIMARY KEY,
  tx TEXT NOT NULL UNIQUE,
  device TEXT NOT NULL,
  card TEXT NOT NULL,
  type TEXT NOT NULL,
  legs TEXT NOT NULL,
  result TEXT NOT NULL,
  offline INTEGER NOT NULL,
  at INTEGER NOT NULL,
  extra TEXT,
  sync INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tx_unsynced ON tx(seq) WHERE sync = 0;
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, last_up INTEGER NOT NULL, info TEXT);
CREATE TABLE IF NOT EXISTS cards (uid TEXT PRIMARY KEY, cloud TEXT NOT NULL, lease_until INTEGER NOT NULL, blocked INTEGER NOT NULL DEFAULT 0, sun_ctr INTEGER NOT NULL DEFAULT -1);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
`;

const toStored = (r: Row): StoredTx => ({
  seq: r.seq,
  tx: r.tx,
  device: r.device,
  card: r.card,
  type: r.type,
  legs: JSON.parse(r.legs) as Leg[],
  result: r.result,
  offline: r.offline === 1,
  at: r.at,
  extra: r.extra ? JSON.parse(r.extra) : undefined,
  sync: r.sync,
});

export interface CardRow {
  uid: string;
  cloud: Leg[];
  leaseUntil: number;
  blocked: boolean;
  sunCounter: number;
  /** The card's issue (see CardState.issue), and the first one learned. */
  issue?: number;
  baseIssue?: number;
}

const COUNTER_WRITE_MS = 1000;
/** Records between two checkpoints (about 1.2 WAL pages each: a UNIQUE index page per tap). */
const CHECKPOINT_ROWS = 256;
/** WAL size (4 KiB pages) past which commits wait for a checkpoint to catch up (~16 MiB). */
const WAL_FRAMES_MAX = 4000;
/** Longest wait of commits for that checkpoint. */
const HOLD_MAX_MS = 1000;
/** fsyncs of the WAL in flight at once (libuv's pool has 4 threads; leave room for the rest). */
const MAX_FSYNCS = 2;

interface Waiter {
  resolve: (inserted: boolean) => void;
  reject: (e: Error) => void;
  inserted?: boolean;
}

export class Journal {
  readonly db: Database.Database;
  private pending: { rec: TxRecord; sync: SyncState }[] = [];
  private waiters: Waiter[] = [];
  private awaitingFsync: Waiter[] = [];
  /** fsyncs running now (each makes durable what was committed before it started). */
  private fsyncing = 0;
  private walFd = -1;
  private readonly durable: boolean;
  private readonly path: string;
  private deviceCounters = new Map<string, number>();
  private countersWrittenAt = 0;
  private closing = false;
  private scheduled = false;
  /** Checkpoints in a worker thread, started once the journal has seen some traffic. */
  private checkpointer: Checkpointer | undefined;
  private rowsSinceCheckpoint = 0;
  /** Commits wait for a checkpoint to catch up (the WAL grew past WAL_FRAMES_MAX). */
  private holdForCheckpoint = false;
  private closed = false;
  private readonly insert: Database.Statement;
  /** One group commit (built once: better-sqlite3 makes five wrapper functions per transaction()). */
  private readonly commitGroup: (
    batch: { rec: TxRecord; sync: SyncState }[],
    waiters: Waiter[],
    counters: Map<string, number>,
  ) => void;
  private readonly byTx: Database.Statement;
  private readonly saveCounter: Database.Statement;
  /** Called after each group commit with its size (metrics). */
  onCommit: (records: number) => void = () => {};

  /**
   * `FULL` (default): answered means fsynced (power loss safe). `NORMAL`: answered means in the
   * OS (process crash safe, not power loss), for tests and benchmarks of the rest.
   */
  constructor(path: string, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
    this.path = path;
    this.durable = (opts.synchronous ?? 'FULL') === 'FULL';
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Commits write the WAL without fsync; we fsync it ourselves off the event loop (above).
    // Checkpoints still fsync the WAL before copying it into the database.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    // Journals made before card issues existed: the card cache gains the issue columns.
    const cardCols = (this.db.prepare('PRAGMA table_info(cards)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    if (!cardCols.includes('issue'))
      this.db.exec(
        'ALTER TABLE cards ADD COLUMN issue INTEGER; ALTER TABLE cards ADD COLUMN base_issue INTEGER;',
      );
    this.insert = this.db.prepare(
      'INSERT INTO tx (tx, device, card, type, legs, result, offline, at, extra, sync) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tx) DO NOTHING',
    );
    this.byTx = this.db.prepare('SELECT * FROM tx WHERE tx = ?');
    this.saveCounter = this.db.prepare(
      'INSERT INTO devices (id, last_up) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET last_up = max(last_up, excluded.last_up)',
    );
    this.commitGroup = this.db.transaction((batch, waiters, counters) => {
      for (let i = 0; i < batch.length; i++) {
        const { rec, sync } = batch[i];
        waiters[i].inserted =
          this.insert.run(
            rec.tx,
            rec.device,
            rec.card,
            rec.type,
            JSON.stringify(rec.legs),
            rec.result,
            rec.offline ? 1 : 0,
            rec.at,
            rec.extra ? JSON.stringify(rec.extra) : null,
            sync,
          ).changes === 1;
      }
      for (const [id, n] of counters) this.saveCounter.run(id, n);
    });
  }

  /** The record of a terminal tx id, durable or still in the pending group. */
  find(tx: string): StoredTx | undefined {
    const row = this.byTx.get(tx) as Row | undefined;
    return row ? toStored(row) : undefined;
  }

  /**
   * Appends a record; resolves once it is on disk: true, or false when a record with the same tx
   * id was already there (the caller answers with that one).
   */
  append(rec: TxRecord, sync: SyncState = 0): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    this.pending.push({ rec, sync });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /**
   * Remembers a device's last verified counter; written with a group commit at most once a
   * second (and on close). A crash may forget the last second of counters: a replay of those
   * messages is then still harmless, because every money message is idempotent by its tx id.
   */
  noteCounter(deviceId: string, n: number): void {
    this.deviceCounters.set(deviceId, n);
    if (Date.now() - this.countersWrittenAt >= COUNTER_WRITE_MS) this.schedule();
  }

  pendingCount(): number {
    return this.pending.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** One transaction, one fsync, for everything appended since the last flush. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || (this.holdForCheckpoint && !this.closing)) return;
    const batch = this.pending;
    const waiters = this.waiters;
    const writeCounters = this.closing || Date.now() - this.countersWrittenAt >= COUNTER_WRITE_MS;
    const counters = writeCounters ? this.deviceCounters : new Map<string, number>();
    this.pending = [];
    this.waiters = [];
    if (writeCounters) {
      this.deviceCounters = new Map();
      if (counters.size > 0) this.countersWrittenAt = Date.now();
    }
    if (batch.length === 0 && counters.size === 0) return;
    try {
      this.commitGroup(batch, waiters, counters);
    } catch (e) {
      for (const w of waiters) w.reject(e as Error);
      return;
    }
    this.onCommit(batch.length);
    this.rowsSinceCheckpoint += batch.length;
    if (this.rowsSinceCheckpoint >= CHECKPOINT_ROWS) this.checkpoint();
    if (!this.durable) {
      for (const w of waiters) w.resolve(w.inserted === true);
      return;
    }
    for (const w of waiters) this.awaitingFsync.push(w);
    this.startFsync();
  }

  /**
   * Each group's fsync starts as soon as the group is committed, up to MAX_FSYNCS at a time
   * (beyond that, groups wait and ride together on the next one). An fsync makes durable all that
   * was written before it began, so a group is answered when its own fsync returns, whatever the
   * others do. Waiting for the previous fsync instead would hold a group up to two fsyncs, and
   * terminals that tap in step would keep the gateway idle in between.
   */
  private startFsync(): void {
    if (this.fsyncing >= MAX_FSYNCS || this.awaitingFsync.length === 0) return;
    if (this.walFd < 0) this.walFd = openSync(`${this.path}-wal`, 'r');
    const group = this.awaitingFsync;
    this.awaitingFsync = [];
    this.fsyncing++;
    fsync(this.walFd, (err) => {
      this.fsyncing--;
      for (const w of group) err ? w.reject(err) : w.resolve(w.inserted === true);
      this.startFsync();
    });
  }

  /** Resolves when every record appended so far is durable. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.awaitingFsync.length > 0 || this.fsyncing > 0) {
      if (this.pending.length > 0) this.flush();
      await new Promise((r) => setImmediate(r));
    }
  }

  deviceCountersOnDisk(): Map<string, number> {
    const rows = this.db.prepare('SELECT id, last_up FROM devices').all() as {
      id: string;
      last_up: number;
    }[];
    return new Map(rows.map((r) => [r.id, r.last_up]));
  }

  /** Transactions the cloud has not acknowledged yet, oldest first. */
  unsynced(limit: number, afterSeq = 0): StoredTx[] {
    return (
      this.db
        .prepare('SELECT * FROM tx WHERE sync = 0 AND seq > ? ORDER BY seq LIMIT ?')
        .all(afterSeq, limit) as Row[]
    ).map(toStored);
  }

  unsyncedStats(): { count: number; oldestAt: number | null } {
    const r = this.db.prepare('SELECT count(*) AS c, min(at) AS o FROM tx WHERE sync = 0').get() as {
      c: number;
      o: number | null;
    };
    return { count: r.c, oldestAt: r.o };
  }

  markSynced(items: { tx: string; sync: SyncState; reason?: string }[]): void {
    const st = this.db.prepare('UPDATE tx SET sync = ? WHERE tx = ?');
    this.db.transaction(() => {
      for (const i of items) st.run(i.sync, i.tx);
    })();
  }

  /** Every approved record not yet in the cloud (startup: rebuild the local balance deltas). */
  *unsyncedAll(): Generator<StoredTx> {
    for (const row of this.db
      .prepare('SELECT * FROM tx WHERE sync = 0 ORDER BY seq')
      .iterate() as Iterable<Row>)
      yield toStored(row);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS c FROM tx').get() as { c: number }).c;
  }

  recent(limit: number): StoredTx[] {
    return (this.db.prepare('SELECT * FROM tx ORDER BY seq DESC LIMIT ?').all(limit) as Row[]).map(toStored);
  }

  // ---- card cache (leases, SUN counters) ----

  saveCard(c: CardRow): void {
    this.db
      .prepare(
        `INSERT INTO cards (uid, cloud, lease_until, blocked, sun_ctr, issue, base_issue) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(uid) DO UPDATE SET cloud = excluded.cloud, lease_until = excluded.lease_until,
           blocked = excluded.blocked, sun_ctr = max(sun_ctr, excluded.sun_ctr),
           issue = coalesce(excluded.issue, issue), base_issue = coalesce(base_issue, excluded.base_issue)`,
      )
      .run(
        c.uid,
        JSON.stringify(c.cloud),
        c.leaseUntil,
        c.blocked ? 1 : 0,
        c.sunCounter,
        c.issue ?? null,
        c.baseIssue ?? null,
      );
  }

  cards(): CardRow[] {
    return (
      this.db.prepare('SELECT * FROM cards').all() as {
        uid: string;
        cloud: string;
        lease_until: number;
        blocked: number;
        sun_ctr: number;
        issue: number | null;
        base_issue: number | null;
      }[]
    ).map((r) => ({
      uid: r.uid,
      cloud: JSON.parse(r.cloud) as Leg[],
      leaseUntil: r.lease_until,
      blocked: r.blocked === 1,
      sunCounter: r.sun_ctr,
      issue: r.issue ?? undefined,
      baseIssue: r.base_issue ?? undefined,
    }));
  }

  getMeta(k: string): string | undefined {
    return (this.db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined)?.v;
  }

  setMeta(k: string, v: string): void {
    this.db
      .prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v')
      .run(k, v);
  }

  /** A checkpoint in the worker (see checkpointer.ts); SQLite's own ones if it cannot run. */
  private checkpoint(): void {
    this.rowsSinceCheckpoint = 0;
    if (!this.checkpointer) {
      try {
        this.checkpointer = new Checkpointer(this.path, (frames, done) => this.checkpointed(frames, done));
      } catch {
        return; // no worker threads here: SQLite's automatic checkpoints go on
      }
      this.db.pragma('wal_autocheckpoint = 0');
    }
    this.checkpointer.request();
  }

  /**
   * After a checkpoint. The writer restarts the WAL from its start only when a checkpoint has
   * copied every frame, and passive checkpoints running beside the commits never see the frames
   * committed while they ran: under a steady load the WAL would only grow. Past WAL_FRAMES_MAX,
   * commits wait (the event loop does not) for one more checkpoint, which then has nothing left
   * behind it, and the next commit restarts the WAL.
   */
  private checkpointed(frames: number, _done: number): void {
    if (this.closed) return;
    if (!this.checkpointer?.healthy) {
      this.db.pragma('wal_autocheckpoint = 1000');
      this.holdForCheckpoint = false;
      this.schedule();
      return;
    }
    if (this.holdForCheckpoint) {
      this.releaseHold();
    } else if (frames > WAL_FRAMES_MAX) {
      this.holdForCheckpoint = true;
      this.checkpointer.request();
      // A worker that never answers must not stop the till: commits go on after HOLD_MAX_MS.
      setTimeout(() => this.releaseHold(), HOLD_MAX_MS).unref();
    }
  }

  private releaseHold(): void {
    if (!this.holdForCheckpoint) return;
    this.holdForCheckpoint = false;
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closing = true;
    this.flush();
    this.checkpointer?.close();
    this.closed = true;
    if (this.walFd >= 0) closeSync(this.walFd);
    this.db.close(); // a clean close checkpoints and fsyncs: pending waiters' data is safe
    for (const w of this.awaitingFsync) w.resolve(w.inserted === true);
    this.awaitingFsync = [];
  }
}
