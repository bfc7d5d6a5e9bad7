/**
 * Card presence from InListPassiveTarget polls. One tap = exactly one `cardPresent` and, once the
 * card has left, one `cardRemoved`: a card is declared gone only after `removeAfterMisses`
 * consecutive polls without it (a card at the edge of the field flickers), or when an exchange
 * with it failed and the presence check right after it does not see it either.
 * The detecting InListPassiveTarget is the only round trip before `cardPresent`.
 */
import type { Clock } from '../hal/types.js';
import type { Pn532Driver } from './driver.js';
import type { TargetInfo } from './target.js';

/** cardPresent carries the target (uid upper-case hex, uidBytes, atqa, sak, ats, tg); cardRemoved its uid. */
export type CardEvent =
  | {
      type: 'cardPresent';
      uid: string;
      uidBytes: number[];
      atqa: number[];
      sak: number;
      ats: number[];
      tg: number;
    }
  | { type: 'cardRemoved'; uid: string };

export interface PollerOptions {
  /** Pause between polls (default 50 ms). */
  intervalMs?: number;
  /** Consecutive misses before `cardRemoved` (default 2). */
  removeAfterMisses?: number;
  /** Passive activation retries per poll (RFConfiguration MaxRetries, default 1): short polls. */
  passiveRetries?: number;
  /** Response timeout of one poll (default 300 ms). */
  pollTimeoutMs?: number;
}

export class CardPoller {
  private running = false;
  private timer = -1;
  private polling = false;
  private card: TargetInfo | undefined;
  private misses = 0;
  private readonly intervalMs: number;
  private readonly removeAfter: number;
  private readonly passiveRetries: number;
  private readonly pollTimeoutMs: number;

  constructor(
    private readonly driver: Pn532Driver,
    private readonly clock: Clock,
    private readonly onCard: (this: void, ev: CardEvent) => void,
    opts?: PollerOptions,
  ) {
    const o = opts || {};
    this.intervalMs = o.intervalMs === undefined ? 50 : o.intervalMs;
    this.removeAfter = o.removeAfterMisses === undefined ? 2 : o.removeAfterMisses;
    this.passiveRetries = o.passiveRetries === undefined ? 1 : o.passiveRetries;
    this.pollTimeoutMs = o.pollTimeoutMs === undefined ? 300 : o.pollTimeoutMs;
    driver.onEvent((ev) => {
      if (ev.type === 'exchange-failed' && this.card !== undefined && this.running) {
        // The card may have left mid-exchange: check now, and one more miss removes it.
        this.misses = this.removeAfter - 1;
        this.schedule(0);
      }
    });
  }

  /** Configures short polls (MaxRetries) and starts polling. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.driver.rfConfigurationMaxRetries(0xff, 0x01, this.passiveRetries, () => this.schedule(0));
  }

  stop(): void {
    this.running = false;
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    this.timer = -1;
  }

  /** The card in the field, if any. */
  current(): TargetInfo | undefined {
    return this.card;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = -1;
      this.tick();
    }, ms);
  }

  private tick(): void {
    if (!this.running || this.polling) return;
    // Someone is talking to the card (or the chip is being reset): polling now would reselect
    // the card under their feet. Their failures come back as 'exchange-failed'.
    if (this.driver.busy()) {
      this.schedule(this.intervalMs);
      return;
    }
    this.polling = true;
    this.driver.inListPassiveTarget((r) => {
      this.polling = false;
      if (r.ok && r.value !== undefined) this.seen(r.value);
      else this.missed();
      this.schedule(this.intervalMs);
    }, this.pollTimeoutMs);
  }

  private seen(t: TargetInfo): void {
    this.misses = 0;
    const prev = this.card;
    if (prev !== undefined && prev.uid === t.uid) {
      this.card = t;
      return;
    }
    if (prev !== undefined) this.onCard({ type: 'cardRemoved', uid: prev.uid });
    this.card = t;
    this.onCard({
      type: 'cardPresent',
      uid: t.uid,
      uidBytes: t.uidBytes,
      atqa: t.atqa,
      sak: t.sak,
      ats: t.ats,
      tg: t.tg,
    });
  }

  private missed(): void {
    const prev = this.card;
    if (prev === undefined) return;
    this.misses++;
    if (this.misses < this.removeAfter) return;
    this.card = undefined;
    this.misses = 0;
    this.onCard({ type: 'cardRemoved', uid: prev.uid });
  }
}
