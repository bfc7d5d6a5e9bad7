/**
 * A Clock whose time only moves when told to: deterministic tests of timeouts, retries and
 * polling. Timers fire in (time, creation) order; a timer set while advancing fires in the same
 * advance if it falls due before the target time.
 */
import type { Clock } from '../hal/types.js';

interface Timer {
  id: number;
  at: number;
  cb: (this: void) => void;
}

export class VirtualClock implements Clock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): number {
    const id = this.nextId++;
    const at = this.t + Math.max(ms, 0);
    // Keep sorted by time, FIFO among equals.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > at) i--;
    this.timers.splice(i, 0, { id, at, cb });
    return id;
  }

  clearTimeout(id: number): void {
    for (let i = 0; i < this.timers.length; i++) {
      if (this.timers[i].id === id) {
        this.timers.splice(i, 1);
        return;
      }
    }
  }

  /** Pending timers. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.t + ms;
    while (this.timers.length > 0 && this.timers[0].at <= target) {
      const timer = this.timers.shift() as Timer;
      this.t = timer.at;
      timer.cb();
    }
    this.t = target;
  }

  /**
   * Advances timer by timer until `done()` holds or `maxMs` have passed; returns done().
   * Only time that is needed passes, so measured latencies are exact.
   */
  runUntil(done: (this: void) => boolean, maxMs: number): boolean {
    const limit = this.t + maxMs;
    while (!done()) {
      if (this.timers.length === 0 || this.timers[0].at > limit) {
        this.t = limit;
        return done();
      }
      const timer = this.timers.shift() as Timer;
      this.t = timer.at;
      timer.cb();
    }
    return true;
  }
}
