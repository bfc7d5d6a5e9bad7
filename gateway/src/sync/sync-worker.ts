/**
 * Exactly-once upload of the journal to the cloud. One request in flight at a time (leases and
 * batches alike), so a lease never races a batch and the card book stays exact:
 * available = the cloud's balance + local transactions it has not acknowledged.
 * Batches are bounded in size and time, in journal order (hence per card), retried with
 * backoff; each item's id is the terminal's tx id, which the cloud ingests idempotently.
 */
import type { Logger } from 'pino';
import type { CardBook, CardState } from '../authorizer/card-book.js';
import type { Journal, StoredTx, SyncState } from '../journal/journal.js';
import type { Metrics } from '../metrics.js';
import type { CloudConfigDoc } from '../venue-config.js';
import { backoffMs } from './backoff.js';
import { type CloudApi, CloudError, type ItemResult, type Lease, type SyncItem } from './cloud-api.js';
import type { CloudMembershipDoc, MembershipCache } from './membership-cache.js';

export interface SyncOptions {
  venueId: string;
  api: CloudApi;
  journal: Journal;
  book: CardBook;
  /** Filled from leases and config downloads (the cloud's membership status). */
  memberships?: MembershipCache;
  log: Logger;
  metrics: Metrics;
  batchSize?: number;
  /** Wait this long for more records before sending a small batch. */
  lingerMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export function toSyncItem(r: StoredTx): SyncItem {
  const item: SyncItem = {
    id: r.tx,
    type: r.type as SyncItem['type'],
    cardUid: r.card,
    at: r.at,
    legs: r.legs,
    deviceId: r.device,
    offline: r.offline,
  };
  if (r.type === 'topup') item.funding = (r.extra?.funding as SyncItem['funding']) ?? 'cash';
  if (r.type === 'void') {
    item.voids = r.extra?.voids;
    item.reason = r.extra?.reason;
  }
  if (r.extra?.cashierId) item.cashierId = r.extra.cashierId;
  // The card issue the gateway authorized against: the cloud books a tap made before the card was
  // re-issued on the former holder's side, never on the new holder (docs/sync-api.md).
  if (r.extra?.issue !== undefined) item.cardIssue = r.extra.issue;
  return item;
}

const sign = (type: string): 1 | -1 => (type === 'spend' ? -1 : 1);

export class SyncWorker {
  online = false;
  lastSuccessAt = 0;
  private failures = 0;
  private running = false;
  private wake: (() => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private oneByOneUntil = 0;
  private readonly batchSize: number;

  constructor(private readonly o: SyncOptions) {
    this.batchSize = o.batchSize ?? 500;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** New records were journaled. */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Runs `fn` alone on the cloud link (no other request in flight). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  async fetchLeases(cards: string[]): Promise<Lease[]> {
    return this.exclusive(async () => {
      try {
        const at = Date.now(); // as of the request: an answer is never fresher than its question
        const leases = await this.o.api.leases(this.o.venueId, cards);
        this.succeeded();
        for (const l of leases) {
          this.o.memberships?.applyLease(l.cardUid, l.membership, at);
          const c = this.o.book.lease(l.cardUid, l.balances, l.leaseUntil, l.blocked, l.issue);
          this.saveCard(c);
        }
        return leases;
      } catch (e) {
        this.failed(e as Error);
        throw e;
      }
    });
  }

  /** Pulls the venue config (ETag: an unchanged config costs a 304). */
  async pullConfig(etag: string | undefined): Promise<{ doc: CloudConfigDoc; etag: string } | undefined> {
    return this.exclusive(async () => {
      try {
        const at = Date.now();
        const r = await this.o.api.config(this.o.venueId, etag);
        this.succeeded();
        // Re-issued cards: a lease of a former holder is dropped now, not when it expires.
        for (const x of r?.doc.reissued ?? []) {
          const changed = this.o.book.reissued(x.cardUid, x.issue);
          if (!changed) continue;
          this.saveCard(this.o.book.get(x.cardUid));
          if (changed === 'dropped')
            this.o.log.info(
              { card: x.cardUid, issue: x.issue },
              "card re-issued: former holder's lease dropped",
            );
        }
        const m = this.o.memberships;
        if (m && !r) m.confirmed(at);
        else if (m && r) {
          const doc = (r.doc as { memberships?: CloudMembershipDoc }).memberships;
          if (doc) m.applyDoc(doc, at);
        }
        return r;
      } catch (e) {
        this.failed(e as Error);
        throw e;
      }
    });
  }

  private saveCard(c: CardState): void {
    this.o.journal.saveCard({
      uid: c.uid,
      cloud: [...c.cloud].map(([asset, amount]) => ({ asset, amount })),
      leaseUntil: c.leaseUntil,
      blocked: c.blocked,
      sunCounter: c.sunCounter,
      issue: c.issue,
      baseIssue: c.baseIssue,
    });
  }

  private succeeded(): void {
    if (!this.online) this.o.log.info('cloud reachable');
    if (!this.online) this.wake?.(); // back online: drain the backlog now, not after the backoff sleep
    this.online = true;
    this.failures = 0;
    this.lastSuccessAt = Date.now();
  }

  private failed(e: Error): void {
    if (this.online || this.failures === 0)
      this.o.log.warn({ err: e.message }, 'cloud unreachable, selling on stand-in');
    if (!(e instanceof CloudError) || e.status === 0 || e.status >= 500) this.online = false;
    this.failures++;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private updateLag(): void {
    const s = this.o.journal.unsyncedStats();
    this.o.metrics.syncBacklog.set(s.count);
    this.o.metrics.syncLag.set(s.oldestAt === null ? 0 : (Date.now() - s.oldestAt) / 1000);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const limit = Date.now() < this.oneByOneUntil ? 1 : this.batchSize;
      const rows = this.o.journal.unsynced(limit);
      this.updateLag();
      if (rows.length === 0) {
        await this.sleep(1000);
        continue;
      }
      if (rows.length < limit && (this.o.lingerMs ?? 50) > 0) await this.sleep(this.o.lingerMs ?? 50);
      const batch = rows.length < limit ? this.o.journal.unsynced(limit) : rows;
      try {
        await this.exclusive(() => this.send(batch));
      } catch (e) {
        const err = e as CloudError;
        if (err.status === 400 && batch.length === 1) {
          // One item the cloud can never accept: park it for an operator, keep the rest flowing.
          this.o.log.error(
            { tx: batch[0].tx, body: err.body },
            'cloud refused a journaled item: parked for reconciliation',
          );
          this.o.metrics.syncRejected.inc({ reason: 'bad-item' });
          this.apply(batch, [{ id: batch[0].tx, status: 'rejected', reason: 'bad-item' }]);
          continue;
        }
        if (err.status === 400 || err.status === 413) {
          this.oneByOneUntil = Date.now() + 60_000; // find the poisoned item
          continue;
        }
        if (err.status === 401 || err.status === 403)
          this.o.log.error({ status: err.status }, 'cloud refused our API key');
        await this.sleep(
          backoffMs(this.failures, this.o.backoffBaseMs ?? 200, this.o.backoffMaxMs ?? 30_000),
        );
      }
    }
  }

  private async send(rows: StoredTx[]): Promise<void> {
    const batchId = `gw-${this.o.venueId}-${rows[0].seq}-${rows[rows.length - 1].seq}`;
    try {
      const results = await this.o.api.sendBatch(this.o.venueId, batchId, rows.map(toSyncItem));
      this.succeeded();
      this.apply(rows, results);
    } catch (e) {
      this.failed(e as Error);
      throw e;
    }
  }

  private apply(rows: StoredTx[], results: ItemResult[]): void {
    const byId = new Map(results.map((r) => [r.id, r]));
    const marks: { tx: string; sync: SyncState }[] = [];
    for (const row of rows) {
      const r = byId.get(row.tx);
      if (!r) continue; // not answered: sent again next time
      const standIn = row.extra?.standIn ?? 0;
      if (r.status === 'rejected') {
        this.o.metrics.syncRejected.inc({ reason: r.reason ?? 'unknown' });
        this.o.log.error(
          { tx: row.tx, card: row.card, reason: r.reason },
          'cloud rejected a transaction the venue approved: reconcile',
        );
        this.o.book.acknowledged(row.card, row.legs, sign(row.type), undefined, standIn, row.extra?.issue);
      } else {
        this.o.book.acknowledged(row.card, row.legs, sign(row.type), r.balances, standIn, row.extra?.issue);
      }
      marks.push({ tx: row.tx, sync: r.status === 'rejected' ? 2 : 1 });
    }
    this.o.journal.markSynced(marks);
    this.updateLag();
  }
}
