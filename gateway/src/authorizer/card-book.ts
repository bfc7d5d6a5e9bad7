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
  ): void {
    const c = this.get(uid);
    for (const l of legs) c.unsynced.set(l.asset, (c.unsynced.get(l.asset) ?? 0) - sign * l.amount);
    c.standIn = Math.max(0, c.standIn - standIn);
    this.venueStandIn = Math.max(0, this.venueStandIn - standIn);
    if (cloudBalances) c.cloud = new Map(cloudBalances.map((b) => [b.asset, b.amount]));
  }

  lease(uid: string, balances: Leg[], leaseUntil: number, blocked: boolean): CardState {
    const c = this.get(uid);
    c.cloud = new Map(balances.map((b) => [b.asset, b.amount]));
    c.leaseUntil = leaseUntil;
    c.blocked = blocked;
    return c;
  }

  all(): IterableIterator<CardState> {
    return this.cards.values();
  }
}
