/**
 * What the gateway knows of each card's money: the cloud's balances (from a lease or a sync
 * answer) plus the deltas of local transactions the cloud has not acknowledged yet.
 * available = cloud + unsynced. Everything here is in memory; the journal rebuilds it.
 */
import type { Leg } from '../journal/journal.js';

export interface CardState {
  uid: string;
  cloud: Map<string, number>;
  unsynced: Map<string, number>;
  leaseUntil: number;
  blocked: boolean;
  sunCounter: number;
  /** Overdraft approved offline for this card, not yet acknowledged. */
  standIn: number;
  /**
   * The card's issue (the cloud's re-issue count) whose holder these balances are: a returned
   * card re-issued to a new holder has a higher one. undefined: the cloud has not said yet.
   */
  issue?: number;
  /** The issue learned first: the one of records journaled before the gateway knew any (unstamped). */
  baseIssue?: number;
}

export class CardBook {
  private readonly cards = new Map<string, CardState>();
  /** Venue-wide stand-in overdraft not yet acknowledged by the cloud. */
  venueStandIn = 0;

  get(uid: string): CardState {
    let c = this.cards.get(uid);
    if (!c) {
      c = {
        uid,
        cloud: new Map(),
        unsynced: new Map(),
        leaseUntil: 0,
        blocked: false,
        sunCounter: -1,
        standIn: 0,
      };
      this.cards.set(uid, c);
    }
    return c;
  }

  has(uid: string): boolean {
    return this.cards.has(uid);
  }

  available(c: CardState, asset: string): number {
    return (c.cloud.get(asset) ?? 0) + (c.unsynced.get(asset) ?? 0);
  }

  balances(c: CardState): Leg[] {
    const assets = new Set([...c.cloud.keys(), ...c.unsynced.keys()]);
    return [...assets].sort().map((asset) => ({ asset, amount: this.available(c, asset) }));
  }

  /** What a terminal shows after a transaction: the non-zero balances, at most 8 (the protocol's limit). */
  shown(c: CardState): { a: string; v: number }[] {
    return this.balances(c)
      .filter((b) => b.amount !== 0)
      .slice(0, 8)
      .map((b) => ({ a: b.asset, v: b.amount }));
  }

  /** A local transaction: sign +1 credits the card (top-up, void), -1 debits it (spend). */
  apply(c: CardState, legs: Leg[], sign: 1 | -1, standIn = 0): void {
    for (const l of legs) c.unsynced.set(l.asset, (c.unsynced.get(l.asset) ?? 0) + sign * l.amount);
    c.standIn += standIn;
    this.venueStandIn += standIn;
  }

  /** The cloud acknowledged a local transaction and told the card's balances after it. */
  acknowledged(
    uid: string,
    legs: Leg[],
    sign: 1 | -1,
    cloudBalances: Leg[] | undefined,
    standIn: number,
    recIssue?: number,
  ): void {
    const c = this.get(uid);
    if (!this.sameHolder(c, recIssue)) {
      // A former holder's record: the cloud booked it on their side; this holder's state is untouched.
      this.venueStandIn = Math.max(0, this.venueStandIn - standIn);
      return;
    }
    for (const l of legs) c.unsynced.set(l.asset, (c.unsynced.get(l.asset) ?? 0) - sign * l.amount);
    c.standIn = Math.max(0, c.standIn - standIn);
    this.venueStandIn = Math.max(0, this.venueStandIn - standIn);
    if (cloudBalances) c.cloud = new Map(cloudBalances.map((b) => [b.asset, b.amount]));
  }

  /**
   * A lease from the cloud. `issue`: the card issue it is for (clouds before re-issues send none).
   * A lease of an earlier issue than the one known here is stale and changes nothing.
   */
  lease(uid: string, balances: Leg[], leaseUntil: number, blocked: boolean, issue?: number): CardState {
    const c = this.get(uid);
    if (issue !== undefined) {
      if (c.issue !== undefined && issue < c.issue) return c;
      this.reissued(uid, issue);
    }
    c.cloud = new Map(balances.map((b) => [b.asset, b.amount]));
    c.leaseUntil = leaseUntil;
    c.blocked = blocked;
    return c;
  }

  /**
   * The cloud says the card is at `issue`. A higher issue than this book's is a new holder: the
   * former holder's lease, balances, unacknowledged deltas and stand-in are dropped (their records
   * still go to the cloud, which books them on the former holder's side: `sameHolder`), and the
   * next tap needs a fresh lease (offline: the stand-in of an unknown card). The first issue heard
   * of a card is learned; a lease older than it is dropped too when the card was ever re-issued.
   * 'dropped' / 'learned' when the card's state changed (to be saved), false otherwise.
   */
  reissued(uid: string, issue: number): 'dropped' | 'learned' | false {
    const c = this.cards.get(uid);
    if (!c) return false;
    if (c.issue === undefined) {
      c.issue = issue;
      c.baseIssue = issue;
      // Balances of a lease taken before issues were known may be an earlier holder's.
      if (issue === 0 || (c.leaseUntil === 0 && c.cloud.size === 0)) return 'learned';
      c.cloud = new Map();
      c.leaseUntil = 0;
      return 'dropped';
    }
    if (issue <= c.issue) return false;
    c.issue = issue;
    c.cloud = new Map();
    c.unsynced = new Map();
    c.leaseUntil = 0;
    c.standIn = 0;
    return 'dropped';
  }

  /** A journaled record stamped with card issue `recIssue` (undefined: unstamped) is this holder's. */
  sameHolder(c: CardState, recIssue: number | undefined): boolean {
    return (recIssue ?? c.baseIssue) === c.issue;
  }

  /** Startup: a record not yet acknowledged counts for its card's holder, or only for the venue. */
  replay(c: CardState, legs: Leg[], sign: 1 | -1, standIn: number, recIssue: number | undefined): void {
    if (this.sameHolder(c, recIssue)) this.apply(c, legs, sign, standIn);
    else this.venueStandIn += standIn;
  }

  all(): IterableIterator<CardState> {
    return this.cards.values();
  }
}
